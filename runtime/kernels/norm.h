/* BatchNormalization (inference) and LRN, NCHW float32. */
#ifndef DLK_NORM_H
#define DLK_NORM_H

#include "common.h"
#include "epilogue.h"

/*@ dlk_batchnorm_params : dlk_common dlk_epilogue_params */
typedef struct dlk_batchnorm_params {
    int64_t n, c;        /* x is n x c x spatial */
    int64_t spatial;     /* product of the dims after the channel axis */
    float epsilon;
    dlk_epilogue ep;     /* what follows, fused by passes/fuse_epilogue.c */
} dlk_batchnorm_params;
/*@end*/

/*@ dlk_batchnorm_res_f32 : dlk_batchnorm_params dlk_epilogue_f32 */
/* y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel, with the
 * stored running statistics (inference mode). Folded per channel into
 * y = x * a + b so the inner loop is one multiply-add; then the epilogue on
 * the channel's plane while it is in cache (r: the residual, or NULL). */
static void dlk_batchnorm_res_f32(const dlk_batchnorm_params *p, const float *x, const float *scale,
                                  const float *bias, const float *mean, const float *var, const float *r,
                                  float *y)
{
    int64_t img, ch, i, s = p->spatial;
    for (img = 0; img < p->n; img++) {
        for (ch = 0; ch < p->c; ch++) {
            const int64_t off = (img * p->c + ch) * s;
            const float *xc = x + off;
            float *yc = y + off;
            float a = scale[ch] / sqrtf(var[ch] + p->epsilon);
            float b = bias[ch] - mean[ch] * a;
            for (i = 0; i < s; i++)
                yc[i] = xc[i] * a + b;
            dlk_epilogue_f32(&p->ep, yc, r != NULL ? r + off : NULL, s);
        }
    }
}
/*@end*/

/*@ dlk_batchnorm_f32 : dlk_batchnorm_res_f32 */
/* ONNX BatchNormalization without a residual input (the epilogue's activation still applies). */
static void dlk_batchnorm_f32(const dlk_batchnorm_params *p, const float *x, const float *scale,
                              const float *bias, const float *mean, const float *var, float *y)
{
    dlk_batchnorm_res_f32(p, x, scale, bias, mean, var, NULL, y);
}
/*@end*/

/*@ dlk_lrn_params : dlk_common */
typedef struct dlk_lrn_params {
    int64_t n, c;        /* x is n x c x spatial */
    int64_t spatial;
    int64_t size;        /* channels in the window */
    float alpha, beta, bias;
} dlk_lrn_params;
/*@end*/

/*@ dlk_lrn_f32 : dlk_lrn_params */
/* ONNX LRN: y = x / (bias + alpha/size * square_sum)^beta, where square_sum
 * runs over channels [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped
 * to the tensor. y holds the square sums first, so no scratch is needed;
 * y must not overlap x. */
static void dlk_lrn_f32(const dlk_lrn_params *p, const float *x, float *y)
{
    int64_t img, ch, cc, i, s = p->spatial, before = (p->size - 1) / 2, after = p->size / 2;
    float scale = p->alpha / (float)p->size;
    for (img = 0; img < p->n; img++) {
        const float *xi = x + img * p->c * s;
        float *yi = y + img * p->c * s;
        for (ch = 0; ch < p->c; ch++) {
            int64_t c0 = ch - before < 0 ? 0 : ch - before;
            int64_t c1 = ch + after >= p->c ? p->c - 1 : ch + after;
            float *yc = yi + ch * s;
            memset(yc, 0, (size_t)s * sizeof(float));
            for (cc = c0; cc <= c1; cc++) {
                const float *xc = xi + cc * s;
                for (i = 0; i < s; i++)
                    yc[i] += xc[i] * xc[i];
            }
            for (i = 0; i < s; i++)
                yc[i] = xi[ch * s + i] / powf(p->bias + scale * yc[i], p->beta);
        }
    }
}
/*@end*/

#endif
