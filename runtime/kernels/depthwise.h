/* Depthwise 2-D convolution (MobileNet, EfficientNet, ShuffleNet): a Conv
 * whose group count equals its input channels, so every output channel reads
 * one input plane. As a grouped GEMM each group is a 1-row matrix product,
 * all overhead; here each output row is summed tap by tap straight from the
 * input rows, the inner loop running along the row with no bounds checks
 * (the valid span of each tap is computed once per row). Channels are
 * independent work items for the threads. The fused epilogue runs on each
 * finished plane while it is in cache. */
#ifndef DLK_DEPTHWISE_H
#define DLK_DEPTHWISE_H

#include "common.h"
#include "conv.h"
#include "epilogue.h"
#include "parallel.h"

/*@ dlk_depthwise_f32 : dlk_conv_params dlk_conv_range dlk_epilogue_f32 dlk_parallel */
/* y[0:n] += w * x[0:n], in fixed blocks so gcc -O2 vectorises it. */
static void dlk_depthwise_axpy_f32(float *restrict y, const float *restrict x, float w, int64_t n)
{
    int64_t i, k, n8 = n - n % 8;
    for (i = 0; i < n8; i += 8)
        for (k = 0; k < 8; k++)
            y[i + k] += w * x[i + k];
    for (i = n8; i < n; i++)
        y[i] += w * x[i];
}

/* y[0:n] += w * x[0:n*s:s] */
static void dlk_depthwise_axpy_strided_f32(float *restrict y, const float *restrict x, int64_t s, float w,
                                           int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] += w * x[i * s];
}

/* One output plane: channel oc of one image; x points at its input plane. */
static void dlk_depthwise_plane_f32(const dlk_conv_params *p, const float *x, const float *w, float bias,
                                    const float *r, float *y)
{
    const int64_t ih_n = p->in[0], iw_n = p->in[1], oh_n = p->out[0], ow_n = p->out[1];
    const int64_t kh_n = p->kernel[0], kw_n = p->kernel[1], sh = p->strides[0], sw = p->strides[1];
    int64_t oh, kh, kw, o;
    for (oh = 0; oh < oh_n; oh++) {
        float *yr = y + oh * ow_n;
        for (o = 0; o < ow_n; o++)
            yr[o] = bias;
        for (kh = 0; kh < kh_n; kh++) {
            const int64_t ih = oh * sh - p->pads[0] + kh * p->dilations[0];
            if (ih < 0 || ih >= ih_n)
                continue;
            for (kw = 0; kw < kw_n; kw++) {
                const int64_t off = kw * p->dilations[1] - p->pads[1];
                const float *xr = x + ih * iw_n;
                int64_t lo, hi;
                dlk_conv_range(off, sw, iw_n, ow_n, &lo, &hi);
                if (hi <= lo)
                    continue;
                if (sw == 1)
                    dlk_depthwise_axpy_f32(yr + lo, xr + lo + off, w[kh * kw_n + kw], hi - lo);
                else
                    dlk_depthwise_axpy_strided_f32(yr + lo, xr + lo * sw + off, sw, w[kh * kw_n + kw], hi - lo);
            }
        }
    }
    dlk_epilogue_f32(&p->ep, y, r, oh_n * ow_n);
}

typedef struct dlk_depthwise_task {
    const dlk_conv_params *p;
    const float *x, *w, *b, *r;
    float *y;
} dlk_depthwise_task;

/* Items are (image, output channel) planes. */
static void dlk_depthwise_run_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_depthwise_task *t = (const dlk_depthwise_task *)arg;
    const dlk_conv_params *p = t->p;
    const int64_t in_plane = p->in[0] * p->in[1], out_plane = p->out[0] * p->out[1];
    const int64_t ksize = p->kernel[0] * p->kernel[1], per_group = p->c_out / p->group;
    int64_t item;
    for (item = begin; item < end; item++) {
        const int64_t img = item / p->c_out, oc = item % p->c_out, ic = oc / per_group;
        const int64_t y_off = (img * p->c_out + oc) * out_plane;
        dlk_depthwise_plane_f32(p, t->x + (img * p->c_in + ic) * in_plane, t->w + oc * ksize,
                                t->b != NULL ? t->b[oc] : 0.0f, t->r != NULL ? t->r + y_off : NULL, t->y + y_off);
    }
}

/* ONNX Conv with rank 2 and group == c_in (each output channel reads the
 * input channel oc / (c_out / group)); r is the residual or NULL. y must not
 * overlap x or r. */
static void dlk_depthwise_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                              const float *b, const float *r, float *y)
{
    dlk_depthwise_task t;
    t.p = p;
    t.x = x;
    t.w = w;
    t.b = b;
    t.r = r;
    t.y = y;
    dlk_parallel_for(par, dlk_depthwise_run_f32, &t, p->n * p->c_out);
}
/*@end*/

#endif
