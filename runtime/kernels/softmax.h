/* Softmax, LogSoftmax and Hardmax over one axis of a tensor viewed as
 * (outer, n, inner): element (o, j, i) is x[(o * n + j) * inner + i] and the
 * normalisation runs over j. Softmax-13 uses the input's own axis; the
 * older versions flatten the input to 2-D at `axis`, which is inner = 1.
 * The row maximum is subtracted before exp so large inputs do not overflow.
 * y may be the same buffer as x: every element is read before it is written. */
#ifndef DLK_SOFTMAX_H
#define DLK_SOFTMAX_H

#include "common.h"
#include "half.h"

/*@ dlk_softmax_f32 : dlk_common */
static void dlk_softmax_f32(const float *x, float *y, int64_t outer, int64_t n, int64_t inner)
{
    int64_t o, i, j;
    if (n <= 0)
        return;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const float *xr = x + o * n * inner + i;
            float *yr = y + o * n * inner + i;
            float m = xr[0];
            double sum = 0.0;   /* double: rows of tens of thousands (vocabularies) */
            float scale;
            for (j = 1; j < n; j++)
                m = xr[j * inner] > m ? xr[j * inner] : m;
            for (j = 0; j < n; j++) {
                const float e = expf(xr[j * inner] - m);
                yr[j * inner] = e;
                sum += e;
            }
            scale = (float)sum;
            for (j = 0; j < n; j++)
                yr[j * inner] /= scale;
        }
    }
}
/*@end*/

/* x - max - log(sum(exp(x - max))) */
/*@ dlk_log_softmax_f32 : dlk_common */
static void dlk_log_softmax_f32(const float *x, float *y, int64_t outer, int64_t n, int64_t inner)
{
    int64_t o, i, j;
    if (n <= 0)
        return;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const float *xr = x + o * n * inner + i;
            float *yr = y + o * n * inner + i;
            float m = xr[0];
            double sum = 0.0;
            float log_sum;
            for (j = 1; j < n; j++)
                m = xr[j * inner] > m ? xr[j * inner] : m;
            for (j = 0; j < n; j++)
                sum += expf(xr[j * inner] - m);
            log_sum = logf((float)sum);
            for (j = 0; j < n; j++)
                yr[j * inner] = (xr[j * inner] - m) - log_sum;
        }
    }
}
/*@end*/

/* 1 at the first maximum of each row (ties go to the lowest index, as
 * numpy's argmax), 0 elsewhere. */
/*@ dlk_hardmax_f32 : dlk_common */
static void dlk_hardmax_f32(const float *x, float *y, int64_t outer, int64_t n, int64_t inner)
{
    int64_t o, i, j;
    if (n <= 0)
        return;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const float *xr = x + o * n * inner + i;
            float *yr = y + o * n * inner + i;
            int64_t best = 0;
            for (j = 1; j < n; j++)
                if (xr[j * inner] > xr[best * inner])
                    best = j;
            for (j = 0; j < n; j++)
                yr[j * inner] = j == best ? 1.0f : 0.0f;
        }
    }
}
/*@end*/

/* float64 twins of the three (the same code on double; sums stay double). */

/*@ dlk_softmax_f64 : dlk_common */
static void dlk_softmax_f64(const double *x, double *y, int64_t outer, int64_t n, int64_t inner)
{
    int64_t o, i, j;
    if (n <= 0)
        return;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const double *xr = x + o * n * inner + i;
            double *yr = y + o * n * inner + i;
            double m = xr[0];
            double sum = 0.0;   /* double: rows of tens of thousands (vocabularies) */
            double scale;
            for (j = 1; j < n; j++)
                m = xr[j * inner] > m ? xr[j * inner] : m;
            for (j = 0; j < n; j++) {
                const double e = exp(xr[j * inner] - m);
                yr[j * inner] = e;
                sum += e;
            }
            scale = sum;
            for (j = 0; j < n; j++)
                yr[j * inner] /= scale;
        }
    }
}
/*@end*/

/*@ dlk_log_softmax_f64 : dlk_common */
static void dlk_log_softmax_f64(const double *x, double *y, int64_t outer, int64_t n, int64_t inner)
{
    int64_t o, i, j;
    if (n <= 0)
        return;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const double *xr = x + o * n * inner + i;
            double *yr = y + o * n * inner + i;
            double m = xr[0];
            double sum = 0.0;
            double log_sum;
            for (j = 1; j < n; j++)
                m = xr[j * inner] > m ? xr[j * inner] : m;
            for (j = 0; j < n; j++)
                sum += exp(xr[j * inner] - m);
            log_sum = log(sum);
            for (j = 0; j < n; j++)
                yr[j * inner] = (xr[j * inner] - m) - log_sum;
        }
    }
}
/*@end*/

/*@ dlk_hardmax_f64 : dlk_common */
static void dlk_hardmax_f64(const double *x, double *y, int64_t outer, int64_t n, int64_t inner)
{
    int64_t o, i, j;
    if (n <= 0)
        return;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const double *xr = x + o * n * inner + i;
            double *yr = y + o * n * inner + i;
            int64_t best = 0;
            for (j = 1; j < n; j++)
                if (xr[j * inner] > xr[best * inner])
                    best = j;
            for (j = 0; j < n; j++)
                yr[j * inner] = j == best ? 1.0 : 0.0;
        }
    }
}
/*@end*/

/*@ dlk_softmax_f16 : dlk_f32_to_f16 dlk_f16_to_f32 */
/* float16 softmax step by step as numpy does it on float16 arrays (which is
 * how the ONNX reference computes it): each of x - max, exp, the row sum
 * (accumulated in float) and the division is rounded to float16. */
static void dlk_softmax_f16(const uint16_t *x, uint16_t *y, int64_t outer, int64_t n, int64_t inner)
{
    int64_t o, i, j;
    if (n <= 0)
        return;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const uint16_t *xr = x + o * n * inner + i;
            uint16_t *yr = y + o * n * inner + i;
            float m = dlk_f16_to_f32(xr[0]), sum = 0.0f, s;
            for (j = 1; j < n; j++) {
                const float v = dlk_f16_to_f32(xr[j * inner]);
                m = v > m ? v : m;
            }
            for (j = 0; j < n; j++) {
                const float t = dlk_f16_to_f32(dlk_f32_to_f16(dlk_f16_to_f32(xr[j * inner]) - m));
                const float e = dlk_f16_to_f32(dlk_f32_to_f16(expf(t)));
                yr[j * inner] = dlk_f32_to_f16(e);
                sum += e;
            }
            s = dlk_f16_to_f32(dlk_f32_to_f16(sum));
            for (j = 0; j < n; j++)
                yr[j * inner] = dlk_f32_to_f16(dlk_f16_to_f32(yr[j * inner]) / s);
        }
    }
}
/*@end*/

#endif
