/* Einsum as one general strided sum of products. The compiler resolves the
 * equation into labels (output labels first, then the summed ones), each
 * with a size and, per input, a stride: 0 where the input lacks the label or
 * broadcasts it, the sum of the strides where a label repeats in one input
 * (so "ii->i" walks the diagonal). The kernel then loops over all labels. */
#ifndef DLK_EINSUM_H
#define DLK_EINSUM_H

#include "common.h"

/*@ dlk_einsum_params : dlk_common */
#define DLK_EINSUM_MAX_INPUTS 4
#define DLK_EINSUM_MAX_LABELS 16
typedef struct dlk_einsum_params {
    int64_t n_inputs;
    int64_t n_labels;            /* all labels ... */
    int64_t n_out;               /* ... of which the first n_out index the output, row-major */
    int64_t sizes[DLK_EINSUM_MAX_LABELS];
    int64_t strides[DLK_EINSUM_MAX_INPUTS * DLK_EINSUM_MAX_LABELS];   /* [input][label] */
} dlk_einsum_params;

/* Steps the odometer over labels [first, last) (the last one fastest),
 * keeping each input's offset in step. */
static void dlk_einsum_step(const dlk_einsum_params *p, int64_t first, int64_t last, int64_t *idx,
                            int64_t *off)
{
    int64_t a, k;
    for (a = last - 1; a >= first; a--) {
        idx[a]++;
        for (k = 0; k < p->n_inputs; k++)
            off[k] += p->strides[k * DLK_EINSUM_MAX_LABELS + a];
        if (idx[a] < p->sizes[a])
            return;
        for (k = 0; k < p->n_inputs; k++)
            off[k] -= p->strides[k * DLK_EINSUM_MAX_LABELS + a] * p->sizes[a];
        idx[a] = 0;
    }
}
/*@end*/

/*@ dlk_einsum_define : dlk_einsum_params */
/* y[out labels] = sum over the summed labels of the product of the inputs
 * (up to four; unused ones NULL). */
#define DLK_EINSUM_DEFINE(S, T)                                                                    \
    static void dlk_einsum_##S(const dlk_einsum_params *p, const T *x0, const T *x1, const T *x2, \
                               const T *x3, T *y)                                                 \
    {                                                                                              \
        const T *x[DLK_EINSUM_MAX_INPUTS];                                                         \
        int64_t idx[DLK_EINSUM_MAX_LABELS], off[DLK_EINSUM_MAX_INPUTS] = {0, 0, 0, 0};             \
        int64_t n_y = 1, n_sum = 1, a, o, s, k;                                                    \
        x[0] = x0;                                                                                 \
        x[1] = x1;                                                                                 \
        x[2] = x2;                                                                                 \
        x[3] = x3;                                                                                 \
        for (a = 0; a < p->n_labels; a++) {                                                        \
            idx[a] = 0;                                                                            \
            if (a < p->n_out)                                                                      \
                n_y *= p->sizes[a];                                                                \
            else                                                                                   \
                n_sum *= p->sizes[a];                                                              \
        }                                                                                          \
        for (o = 0; o < n_y; o++) {                                                                \
            T acc = 0;                                                                             \
            for (s = 0; s < n_sum; s++) {                                                          \
                T prod = 1;                                                                        \
                for (k = 0; k < p->n_inputs; k++)                                                  \
                    prod = (T)(prod * x[k][off[k]]);                                               \
                acc = (T)(acc + prod);                                                             \
                dlk_einsum_step(p, p->n_out, p->n_labels, idx, off);                               \
            }                                                                                      \
            y[o] = acc;                                                                            \
            dlk_einsum_step(p, 0, p->n_out, idx, off);                                             \
        }                                                                                          \
    }
/*@end*/

/*@ dlk_einsum_f32 : dlk_einsum_define */
DLK_EINSUM_DEFINE(f32, float)
/*@end*/

/*@ dlk_einsum_f64 : dlk_einsum_define */
DLK_EINSUM_DEFINE(f64, double)
/*@end*/

/*@ dlk_einsum_i32 : dlk_einsum_define */
DLK_EINSUM_DEFINE(i32, int32_t)
/*@end*/

/*@ dlk_einsum_i64 : dlk_einsum_define */
DLK_EINSUM_DEFINE(i64, int64_t)
/*@end*/

#endif
