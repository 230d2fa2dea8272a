/* Reductions over any set of axes. The compiler drops size-1 dims and merges
 * adjacent dims that are both reduced or both kept, so GlobalAveragePool-like
 * means arrive as (rows, n) with the last dim reduced, and a mean over the
 * channels of NCHW as (N, C, HW) with the middle dim reduced.
 * y must not overlap x. */
#ifndef DLK_REDUCE_H
#define DLK_REDUCE_H

#include "common.h"

/*@ dlk_reduce_params : dlk_common */
typedef struct dlk_reduce_params {
    int64_t rank;                       /* 1..DLK_MAX_RANK */
    int64_t dims[DLK_MAX_RANK];         /* input dims */
    int64_t out_strides[DLK_MAX_RANK];  /* y's element step per input dim; 0 on reduced dims */
    int64_t out_size;                   /* elements of y */
    int64_t count;                      /* input elements that meet in each y element */
} dlk_reduce_params;
/*@end*/

/* Rows of the last dim: a reduced last dim is summed in double and added to
 * one y element; a kept one is added element-wise to a row of y. An odometer
 * over the outer dims moves the y pointer; x is read once, in order. */
/*@ dlk_reduce_mean_f32 : dlk_reduce_params */
static void dlk_reduce_mean_f32(const dlk_reduce_params *p, const float *x, float *y)
{
    const int last = (int)p->rank - 1;
    const int64_t n = p->dims[last], step = p->out_strides[last];
    const float count = (float)p->count;
    int64_t idx[DLK_MAX_RANK] = {0};
    int64_t rows = 1, r, i;
    float *yr = y;
    int k;
    for (i = 0; i < p->out_size; i++)
        y[i] = 0.0f;
    for (k = 0; k < last; k++)
        rows *= p->dims[k];
    for (r = 0; r < rows; r++, x += n) {
        if (step == 0) {
            double sum = 0.0;
            for (i = 0; i < n; i++)
                sum += x[i];
            yr[0] += (float)sum;
        } else {
            for (i = 0; i < n; i++)
                yr[i] += x[i];
        }
        for (k = last - 1; k >= 0; k--) {
            yr += p->out_strides[k];
            if (++idx[k] < p->dims[k])
                break;
            yr -= p->out_strides[k] * p->dims[k];
            idx[k] = 0;
        }
    }
    for (i = 0; i < p->out_size; i++)
        y[i] /= count;
}
/*@end*/

#endif
