/* The stylesheet of the HTML report. */
#ifndef RFM_CLI_REPORT_STYLE_H
#define RFM_CLI_REPORT_STYLE_H

extern const char report_css[];

#endif
