/* Segment schemes: presets, rule tables and callbacks, and the mapping of
 * a score cell to a segment id. */
#ifndef RFM_SEGMENT_H
#define RFM_SEGMENT_H

#include "alloc.h"

#include <stdint.h>

#define RFM__SEGMENTS_MAX 255 /* ids fit a byte; the last is the fallback */

typedef struct rfm__rule8 {
    uint8_t lo[3], hi[3];
    uint8_t segment;
} rfm__rule8;

enum { RFM__SCHEME_RULES = 0, RFM__SCHEME_CALLBACK = 1 };

typedef struct rfm__scheme {
    int kind;
    int map_to_5; /* presets: match on ceil(5*s/B) */
    rfm__rule8 *rules;
    size_t n_rules;
    char **names; /* n_names NUL-terminated copies; last = fallback */
    size_t n_names, cap_names;
    rfm_segment_fn fn;
    void *user;
    rfm_destroy_fn destroy;
} rfm__scheme;

/* A copied list of segment names (the scheme of an earlier compute). */
typedef struct rfm__names {
    char **names;
    size_t n;
} rfm__names;

/* Copies names; on failure *out is untouched. */
int rfm__names_copy(rfm__names *out, const rfm__mem *mem, char *const *names, size_t n);
void rfm__names_free(rfm__names *names, const rfm__mem *mem);
/* Index of name, or names->n when absent. */
size_t rfm__names_find(const rfm__names *names, const char *name);

/* Each builder fills *out only on success; on failure *out is untouched
 * and err receives the reason. */
int rfm__scheme_preset(rfm__scheme *out, const rfm__mem *mem, int preset, char *err,
                       size_t err_size);
int rfm__scheme_rules(rfm__scheme *out, const rfm__mem *mem, const rfm_rule *rules, size_t n,
                      size_t rule_size, const char *fallback, char *err, size_t err_size);
int rfm__scheme_callback(rfm__scheme *out, const rfm__mem *mem, rfm_segment_fn fn, void *user,
                         rfm_destroy_fn destroy, const char *const *names, size_t n_names,
                         char *err, size_t err_size);
/* Frees the scheme and runs its destroy callback. */
void rfm__scheme_free(rfm__scheme *s, const rfm__mem *mem);

/* Checks the rules fit the bins; err names the first rule that does not. */
int rfm__scheme_check_bins(const rfm__scheme *s, const int bins[3], char *err, size_t err_size);
/* Segment id of every cell, lut[((r-1)*bf + (f-1))*bm + (m-1)]. */
void rfm__scheme_lut(const rfm__scheme *s, const int bins[3], uint8_t *lut);

#endif
