/* A cache hint that compilers without one may ignore: the code around it
 * is plain C11 either way, and the hint never changes a result. */
#ifndef RFM_PREFETCH_H
#define RFM_PREFETCH_H

#if defined(__GNUC__) || defined(__clang__)
#define RFM__PREFETCH(p) __builtin_prefetch((p), 0, 3)
#else
#define RFM__PREFETCH(p) ((void)(p))
#endif

#endif
