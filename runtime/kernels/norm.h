/* BatchNormalization (inference) and LRN, NCHW float32. */
#ifndef DLK_NORM_H
#define DLK_NORM_H

#include "common.h"
#include "epilogue.h"
#include "parallel.h"

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

/*@ dlk_lrn_f32 : dlk_lrn_params dlk_parallel */
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

typedef struct dlk_lrn_task {
    const dlk_lrn_params *p;
    const float *x;
    float *y;
} dlk_lrn_task;

/* y = x / d^beta, d = bias + alpha/size * (sum of squares), in place over
 * y (which holds the sums). beta = 0.75 (AlexNet, GoogLeNet, ZFNet) is
 * d^(1/2) d^(1/4): two square roots instead of powf's log and exp. */
static void dlk_lrn_scale_f32(const dlk_lrn_params *p, const float *x, float *y, int64_t s)
{
    const float scale = p->alpha / (float)p->size;
    int64_t i = 0;
    if (p->beta != 0.75f) {
        for (i = 0; i < s; i++)
            y[i] = x[i] / powf(p->bias + scale * y[i], p->beta);
        return;
    }
#if defined(__AVX512F__)
    for (; i + 16 <= s; i += 16) {
        const __m512 d = _mm512_fmadd_ps(_mm512_set1_ps(scale), _mm512_loadu_ps(y + i), _mm512_set1_ps(p->bias));
        const __m512 r = _mm512_sqrt_ps(d);
        _mm512_storeu_ps(y + i, _mm512_div_ps(_mm512_loadu_ps(x + i), _mm512_mul_ps(r, _mm512_sqrt_ps(r))));
    }
#endif
    for (; i < s; i++) {
        const float d = p->bias + scale * y[i], r = sqrtf(d);
        y[i] = x[i] / (r * sqrtf(r));
    }
}

/* Items are (image, channel) planes. */
static void dlk_lrn_run_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_lrn_task *t = (const dlk_lrn_task *)arg;
    const dlk_lrn_params *p = t->p;
    int64_t item, cc, i, s = p->spatial, before = (p->size - 1) / 2, after = p->size / 2;
    for (item = begin; item < end; item++) {
        const int64_t img = item / p->c, ch = item % p->c;
        const int64_t c0 = ch - before < 0 ? 0 : ch - before, c1 = ch + after >= p->c ? p->c - 1 : ch + after;
        const float *xi = t->x + img * p->c * s;
        float *yc = t->y + item * s;
        memset(yc, 0, (size_t)s * sizeof(float));
        for (cc = c0; cc <= c1; cc++) {
            const float *xc = xi + cc * s;
            for (i = 0; i < s; i++)
                yc[i] += xc[i] * xc[i];
        }
        dlk_lrn_scale_f32(p, xi + ch * s, yc, s);
    }
}

/* ONNX LRN across channels; y must not overlap x. Planes are split over par. */
static void dlk_lrn_f32(const dlk_par *par, const dlk_lrn_params *p, const float *x, float *y)
{
    dlk_lrn_task t;
    t.p = p;
    t.x = x;
    t.y = y;
    dlk_parallel_for(par, dlk_lrn_run_f32, &t, p->n * p->c);
}
/*@end*/

#endif
