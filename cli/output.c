#include "output.h"
#include "clv_cmd.h"
#include "line_buf.h"
#include "load_pipe.h"
#include "numeric_key.h"
#include "score_lines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void format_money(int64_t minor, int scale, char *buf, size_t cap)
{
    /* via the magnitude as unsigned, so INT64_MIN prints too */
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    uint64_t unit = 1;
    for (int i = 0; i < scale; i++)
        unit *= 10;
    if (scale == 0)
        snprintf(buf, cap, "%s%llu", minor < 0 ? "-" : "", (unsigned long long)mag);
    else
        snprintf(buf, cap, "%s%llu.%0*llu", minor < 0 ? "-" : "", (unsigned long long)(mag / unit),
                 scale, (unsigned long long)(mag % unit));
}

/* num / den rounded half to even, exactly. */
static int64_t div_half_even(int64_t num, uint64_t den)
{
    uint64_t mag = num < 0 ? (uint64_t)0 - (uint64_t)num : (uint64_t)num;
    uint64_t q = mag / den, r = mag % den;
    if (r > den - r || (r == den - r && (q & 1)))
        q++;
    return num < 0 ? -(int64_t)q : (int64_t)q;
}

/* A median of integers is k or k + 0.5 (exact in a double below 2^52):
 * rounds it half to even. */
static int64_t round_median(double x)
{
    double f = floor(x);
    int64_t k = (int64_t)f;
    if (x - f == 0.5)
        return (k & 1) ? k + 1 : k;
    return x - f > 0.5 ? k + 1 : k;
}

void format_day(int64_t day, char *buf, size_t cap)
{
    /* civil date from days since 1970-01-01, by 400-year eras */
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    snprintf(buf, cap, "%04lld-%02lld-%02lld", (long long)y, (long long)m, (long long)d);
}

/* RFC 4180: quote a field holding the delimiter, a quote or a line break. */
static void put_field(const char *s, size_t len, FILE *out)
{
    if (!memchr(s, ',', len) && !memchr(s, '"', len) && !memchr(s, '\n', len) &&
        !memchr(s, '\r', len)) {
        fwrite(s, 1, len, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

/* The columns every per-customer line starts with, without the line
 * break (history, BTYD and CLV columns follow). */
static void write_core_line(FILE *out, const rfm_customer *c, const char *seg, int scale)
{
    /* key + 3 numbers of at most 21 bytes + money + 3 scores + commas */
    char line[LINE_FIELD_ROOM(RFM_KEY_MAX) + 512], digits[NUMERIC_KEY_DIGITS];
    const char *key = c->key;
    size_t key_len = c->key_len, seg_len = strlen(seg);
    if (!key) {
        key_len = numeric_key_unpack(c->key_u64, digits);
        key = digits;
    }
    if (LINE_FIELD_ROOM(key_len) + LINE_FIELD_ROOM(seg_len) + 200 > sizeof line) {
        /* a segment name too long for the line buffer */
        char money[40];
        put_field(key, key_len, out);
        format_money(c->monetary, scale, money, sizeof money);
        fprintf(out, ",%lld,%llu,%s,%d,%d,%d,", (long long)c->recency_days,
                (unsigned long long)c->frequency, money, c->r, c->f, c->m);
        put_field(seg, seg_len, out);
        return;
    }
    char *p = line_field(line, key, key_len);
    p = line_scores(p, c->recency_days, c->frequency, c->monetary, scale, c->r, c->f, c->m);
    *p++ = ',';
    p = line_field(p, seg, seg_len);
    fwrite(line, 1, (size_t)(p - line), out);
}

int write_customers(rfm_ctx *ctx, const options *o, FILE *out)
{
    size_t customers = 0;
    if (rfm_counts(ctx, &customers, NULL, NULL) != RFM_OK)
        return -1;
    const int history = o->state || o->transitions;
    const int core_only = !history && !o->btyd && !o->clv; /* the line ends with the core */
    fputs("customer_id,recency_days,frequency,monetary,r,f,m,segment", out);
    fputs(history ? ",previous_segment,segment_since" : "", out);
    fputs(o->btyd ? ",btyd_frequency,btyd_recency,btyd_T,btyd_monetary" : "", out);
    if (o->clv)
        clv_customer_header(out);
    fputc('\n', out);
    if (core_only)
        return write_score_list(ctx, out, o->scale, load_threads(o)) || ferror(out) ? -1 : 0;
    for (size_t i = 0; i < customers; i++) {
        rfm_customer c = {.size = sizeof c};
        if (rfm_customer_at(ctx, i, &c) != RFM_OK)
            return -1;
        if (!c.scored)
            continue;
        write_core_line(out, &c, rfm_segment_name(ctx, c.segment), o->scale);
        if (history) {
            const char *prev =
                c.previous_segment < 0 ? "new" : rfm_previous_segment_name(ctx, c.previous_segment);
            char since[16];
            format_day(c.segment_since, since, sizeof since);
            fputc(',', out);
            put_field(prev, strlen(prev), out);
            fprintf(out, ",%s", since);
        }
        if (o->btyd) {
            double unit = pow(10.0, o->scale);
            fprintf(out, ",%llu,%lld,%lld,", (unsigned long long)c.btyd_frequency,
                    (long long)c.btyd_recency, (long long)c.btyd_T);
            if (isnan(c.btyd_monetary))
                fputs("NaN", out);
            else
                fprintf(out, "%.*f", o->scale + 2, c.btyd_monetary / unit);
        }
        if (o->clv && clv_customer_columns(ctx, o->clv, i, o->scale, out))
            return -1;
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}

typedef struct summary_row {
    const char *name;
    rfm_segment_stats st;
    char share[32], monetary[40], avg[40], aov[40], median_monetary[40];
} summary_row;

static int summary_row_get(rfm_ctx *ctx, const options *o, int id, summary_row *row)
{
    size_t scored = 0;
    row->name = rfm_segment_name(ctx, id);
    row->st.size = sizeof row->st;
    if (rfm_counts(ctx, NULL, &scored, NULL) != RFM_OK ||
        rfm_segment_stats_get(ctx, id, &row->st) != RFM_OK)
        return -1;
    const rfm_segment_stats *st = &row->st;
    int64_t share = st->customers ? div_half_even((int64_t)(st->customers * 10000), scored) : 0;
    snprintf(row->share, sizeof row->share, "%lld.%04lld", (long long)(share / 10000),
             (long long)(share % 10000));
    format_money(st->monetary, o->scale, row->monetary, sizeof row->monetary);
    format_money(st->customers ? div_half_even(st->monetary, st->customers) : 0, o->scale, row->avg,
                 sizeof row->avg);
    format_money(st->purchases ? div_half_even(st->monetary, st->purchases) : 0, o->scale, row->aov,
                 sizeof row->aov);
    format_money(round_median(st->median_monetary), o->scale, row->median_monetary,
                 sizeof row->median_monetary);
    return 0;
}

/* Every segment of the scheme in id order; the fallback only when used. */
static int shown(const summary_row *row, int id, size_t n)
{
    return (size_t)id + 1 < n || row->st.customers > 0;
}

int write_summary_csv(rfm_ctx *ctx, const options *o, FILE *out)
{
    const int history = o->state || o->transitions;
    size_t channels = o->channels ? rfm_channel_count(ctx) : 0;
    fputs("segment,customers,share,purchases,monetary,avg_monetary,avg_order_value,"
          "median_recency_days,median_frequency,median_monetary",
          out);
    if (history)
        fputs(",previous_customers,change", out);
    for (size_t ch = 0; ch < channels; ch++) {
        const char *name = rfm_channel_name(ctx, (int)ch);
        fprintf(out, ",reach_%s,reach_%s_share", name, name);
    }
    if (o->clv)
        clv_summary_header(out);
    fputc('\n', out);
    size_t n = rfm_segment_count(ctx);
    for (int id = 0; (size_t)id < n; id++) {
        summary_row row;
        if (summary_row_get(ctx, o, id, &row))
            return -1;
        if (!shown(&row, id, n))
            continue;
        put_field(row.name, strlen(row.name), out);
        fprintf(out, ",%llu,%s,%llu,%s,%s,%s,%.1f,%.1f,%s", (unsigned long long)row.st.customers,
                row.share, (unsigned long long)row.st.purchases, row.monetary, row.avg, row.aov,
                row.st.median_recency, row.st.median_frequency, row.median_monetary);
        if (history)
            fprintf(out, ",%llu,%lld", (unsigned long long)row.st.previous_customers,
                    (long long)row.st.change);
        for (size_t ch = 0; ch < channels; ch++) {
            uint64_t reach = 0;
            if (rfm_reach(ctx, id, (int)ch, &reach, NULL) != RFM_OK)
                return -1;
            int64_t share =
                row.st.customers ? div_half_even((int64_t)(reach * 10000), row.st.customers) : 0;
            fprintf(out, ",%llu,%lld.%04lld", (unsigned long long)reach, (long long)(share / 10000),
                    (long long)(share % 10000));
        }
        if (o->clv && clv_summary_columns(o->clv, id, o->scale, out))
            return -1;
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}

int write_summary_table(rfm_ctx *ctx, const options *o, FILE *out)
{
    size_t n = rfm_segment_count(ctx);
    fprintf(out, "%-22s %10s %7s %10s %16s %12s %10s %9s\n", "segment", "customers", "share",
            "purchases", "monetary", "avg", "AOV", "med.rec.");
    for (int id = 0; (size_t)id < n; id++) {
        summary_row row;
        if (summary_row_get(ctx, o, id, &row))
            return -1;
        if (!shown(&row, id, n))
            continue;
        double pct = 100.0 * atof(row.share);
        fprintf(out, "%-22s %10llu %6.2f%% %10llu %16s %12s %10s %9.1f\n", row.name,
                (unsigned long long)row.st.customers, pct, (unsigned long long)row.st.purchases,
                row.monetary, row.avg, row.aov, row.st.median_recency);
    }
    return ferror(out) ? -1 : 0;
}

int write_transitions(rfm_ctx *ctx, FILE *out)
{
    size_t rows = 0, cols = 0;
    if (rfm_transitions(ctx, NULL, 0, &rows, &cols) != RFM_OK)
        return -1;
    uint64_t *m = calloc(rows * cols, sizeof *m);
    if (!m || rfm_transitions(ctx, m, rows * cols, &rows, &cols) != RFM_OK) {
        free(m);
        return -1;
    }
    fputs("from,to,customers\n", out);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            if (!m[r * cols + c])
                continue;
            const char *from = r + 1 == rows ? "new" : rfm_previous_segment_name(ctx, (int)r);
            const char *to = rfm_segment_name(ctx, (int)c);
            put_field(from, strlen(from), out);
            fputc(',', out);
            put_field(to, strlen(to), out);
            fprintf(out, ",%llu\n", (unsigned long long)m[r * cols + c]);
        }
    free(m);
    return ferror(out) ? -1 : 0;
}
