/* TopK along one axis of x seen as (outer, n, inner): the k largest (or
 * smallest) elements of each line, best first, and their int64 indices.
 * Equal values keep index order (the lower index first), as onnxruntime
 * does. No scratch: each line's list is kept sorted in the outputs
 * themselves by insertion, O(n * k) per line. */
#ifndef DLK_TOPK_H
#define DLK_TOPK_H

#include "common.h"

/*@ dlk_topk_params : dlk_common */
typedef struct dlk_topk_params {
    int64_t outer, n, inner;
    int64_t k;                  /* 0..n */
    int64_t largest;            /* 1: largest first; 0: smallest first */
} dlk_topk_params;
/*@end*/

/* A later element enters the list only if strictly better than an entry,
 * so ties stay in index order. Entry m of a line lives at m * inner. */
/*@ dlk_topk_define : dlk_topk_params */
#define DLK_TOPK_DEFINE(S, T)                                                                  \
    static void dlk_topk_##S(const dlk_topk_params *p, const T *x, T *vals, int64_t *idx)      \
    {                                                                                          \
        const int64_t n = p->n, k = p->k, inner = p->inner;                                    \
        int64_t o, j, i, m, t, have;                                                           \
        for (o = 0; o < p->outer; o++)                                                         \
            for (j = 0; j < inner; j++) {                                                      \
                const T *xs = x + o * n * inner + j;                                           \
                T *vs = vals + o * k * inner + j;                                              \
                int64_t *is = idx + o * k * inner + j;                                         \
                for (have = 0, i = 0; i < n && k > 0; i++) {                                   \
                    T v = xs[i * inner];                                                       \
                    m = have < k ? have : k;                                                   \
                    while (m > 0 && (p->largest ? v > vs[(m - 1) * inner]                      \
                                                : v < vs[(m - 1) * inner]))                    \
                        m--;                                                                   \
                    if (m >= k)                                                                \
                        continue;                                                              \
                    if (have < k)                                                              \
                        have++;                                                                \
                    for (t = have - 1; t > m; t--) {                                           \
                        vs[t * inner] = vs[(t - 1) * inner];                                   \
                        is[t * inner] = is[(t - 1) * inner];                                   \
                    }                                                                          \
                    vs[m * inner] = v;                                                         \
                    is[m * inner] = i;                                                         \
                }                                                                              \
            }                                                                                  \
    }
/*@end*/

/*@ dlk_topk_f32 : dlk_topk_define */
DLK_TOPK_DEFINE(f32, float)
/*@end*/

/*@ dlk_topk_f64 : dlk_topk_define */
DLK_TOPK_DEFINE(f64, double)
/*@end*/

/*@ dlk_topk_i32 : dlk_topk_define */
DLK_TOPK_DEFINE(i32, int32_t)
/*@end*/

/*@ dlk_topk_i64 : dlk_topk_define */
DLK_TOPK_DEFINE(i64, int64_t)
/*@end*/

/*@ dlk_topk_u64 : dlk_topk_define */
DLK_TOPK_DEFINE(u64, uint64_t)
/*@end*/

/*@ dlk_topk_u8 : dlk_topk_define */
DLK_TOPK_DEFINE(u8, uint8_t)
/*@end*/

/*@ dlk_topk_i8 : dlk_topk_define */
DLK_TOPK_DEFINE(i8, int8_t)
/*@end*/

#endif
