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

/*@ dlk_batchnorm_res_f32 : dlk_batchnorm_params dlk_epilogue_f32 dlk_parallel */
typedef struct dlk_batchnorm_task {
    const dlk_batchnorm_params *p;
    const float *x, *scale, *bias, *mean, *var, *r;
    float *y;
} dlk_batchnorm_task;

/* Items are (image, channel) planes: y = x * a + b with a = scale /
 * sqrt(var + epsilon), b = bias - mean * a, in blocks of 8 (gcc -O2
 * vectorises them), then the epilogue on the plane while it is in cache. */
static void dlk_batchnorm_run_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_batchnorm_task *t = (const dlk_batchnorm_task *)arg;
    const dlk_batchnorm_params *p = t->p;
    const int64_t s = p->spatial, s8 = s - s % 8;
    int64_t item, i, k;
    for (item = begin; item < end; item++) {
        const int64_t ch = item % p->c, off = item * s;
        const float *xc = t->x + off;
        float *yc = t->y + off;
        const float a = t->scale[ch] / sqrtf(t->var[ch] + p->epsilon), b = t->bias[ch] - t->mean[ch] * a;
        for (i = 0; i < s8; i += 8)
            for (k = 0; k < 8; k++)
                yc[i + k] = xc[i + k] * a + b;
        for (i = s8; i < s; i++)
            yc[i] = xc[i] * a + b;
        dlk_epilogue_f32(&p->ep, yc, t->r != NULL ? t->r + off : NULL, s);
    }
}

/* y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel, with the
 * stored running statistics (inference mode), then the fused epilogue (r:
 * the residual, or NULL). Planes are split over par. */
static void dlk_batchnorm_res_f32(const dlk_par *par, const dlk_batchnorm_params *p, const float *x,
                                  const float *scale, const float *bias, const float *mean, const float *var,
                                  const float *r, float *y)
{
    dlk_batchnorm_task t;
    t.p = p;
    t.x = x;
    t.scale = scale;
    t.bias = bias;
    t.mean = mean;
    t.var = var;
    t.r = r;
    t.y = y;
    dlk_parallel_for(par, dlk_batchnorm_run_f32, &t, p->n * p->c);
}
/*@end*/

/*@ dlk_batchnorm_f32 : dlk_batchnorm_res_f32 */
/* ONNX BatchNormalization without a residual input (the epilogue's activation still applies). */
static void dlk_batchnorm_f32(const dlk_par *par, const dlk_batchnorm_params *p, const float *x,
                              const float *scale, const float *bias, const float *mean, const float *var, float *y)
{
    dlk_batchnorm_res_f32(par, p, x, scale, bias, mean, var, NULL, y);
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
 * d^(1/2) d^(1/4): two square roots instead of powf's log and exp (with
 * AVX-512, dlk_lrn_run_f32 does this in registers and leaves only a
 * plane's last values, fewer than 16, to this loop). */
static void dlk_lrn_scale_f32(const dlk_lrn_params *p, const float *x, float *y, int64_t s)
{
    const float scale = p->alpha / (float)p->size;
    int64_t i = 0;
    if (p->beta != 0.75f) {
        for (i = 0; i < s; i++)
            y[i] = x[i] / powf(p->bias + scale * y[i], p->beta);
        return;
    }
    for (; i < s; i++) {
        const float d = p->bias + scale * y[i], r = sqrtf(d);
        y[i] = x[i] / (r * sqrtf(r));
    }
}

/* Items are (image, channel) planes. The window's squares are summed into
 * y, then scaled. With AVX-512 and beta 0.75 a block of 16 pixels is
 * summed and scaled in registers (the same additions in the same order), so
 * the plane is written once instead of once per channel of the window plus
 * once to scale it: GoogLeNet's 192 x 56 x 56 LRN 0.65 -> 0.34 ms (one
 * core); the rest of the plane and other betas go the general way. */
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
        int64_t done = 0;
#if defined(__AVX512F__)
        if (p->beta == 0.75f) {
            const __m512 scale = _mm512_set1_ps(p->alpha / (float)p->size), bias = _mm512_set1_ps(p->bias);
            for (; done + 16 <= s; done += 16) {
                __m512 sum = _mm512_setzero_ps(), d, r;
                for (cc = c0; cc <= c1; cc++) {
                    const __m512 v = _mm512_loadu_ps(xi + cc * s + done);
                    sum = _mm512_add_ps(sum, _mm512_mul_ps(v, v));
                }
                d = _mm512_fmadd_ps(scale, sum, bias);
                r = _mm512_sqrt_ps(d);
                _mm512_storeu_ps(yc + done,
                                 _mm512_div_ps(_mm512_loadu_ps(xi + ch * s + done), _mm512_mul_ps(r, _mm512_sqrt_ps(r))));
            }
        }
#endif
        if (done == s)
            continue;
        memset(yc + done, 0, (size_t)(s - done) * sizeof(float));
        for (cc = c0; cc <= c1; cc++) {
            const float *xc = xi + cc * s;
            for (i = done; i < s; i++)
                yc[i] += xc[i] * xc[i];
        }
        dlk_lrn_scale_f32(p, xi + ch * s + done, yc + done, s - done);
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
