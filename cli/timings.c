#include "timings.h"

#include "load_pipe.h"

#include <stdio.h>

void timings_print(const timings *t, const options *o, const load_counts *c)
{
    double mb = (double)c->bytes / 1e6;
    int threads = load_threads(o);
    fprintf(stderr, "rfm: timings: reading and parsing %.3f s busy, %.1f MB, %.0f MB/s (%s)\n",
            c->read_busy, mb, c->read_busy > 0 ? mb / c->read_busy : 0.0,
            threads >= 2 ? "the reading thread; ingesting ran alongside"
                         : "one thread, ingesting excluded");
    fprintf(stderr, "rfm: timings: customer ids held as %s\n",
            c->packed_ids ? "numbers (every id was 1 to 16 digits)" : "strings");
    if (!t->loaded)
        return;
    fprintf(stderr, "rfm: timings: loading %.3f s (%.0f MB/s end to end)", t->loaded - t->start,
            t->loaded > t->start ? mb / (t->loaded - t->start) : 0.0);
    if (t->scored)
        fprintf(stderr, ", scoring %.3f s", t->scored - t->loaded);
    if (t->written)
        fprintf(stderr, ", output %.3f s", t->written - t->scored);
    double end = t->written ? t->written : t->scored ? t->scored : t->loaded;
    fprintf(stderr, ", total %.3f s\n", end - t->start);
}
