/* Kernels of the internal ops that the optimizing passes make out of
 * several ONNX nodes (passes/fuse_conv1x1.c). Float32, NCHW, 2-D spatial.
 *
 * DepthwisePointwiseConv: a depthwise conv (group == channels), an optional
 * Relu/Clip, a 1x1 conv and an optional Relu/Clip, computed tile by tile:
 * a tile of the depthwise output (64 channels x 64 output pixels, 16 KB on
 * the stack) is made and at once multiplied into the pointwise output by
 * the gemm core, so the depthwise result never goes to memory. The
 * pointwise sums run in the same order as Conv's 1x1 path (gemm.h groups of
 * four within blocks that are multiples of four), so only the depthwise
 * part may round differently from the unfused nodes. */
#ifndef DLK_FUSED_CONV_H
#define DLK_FUSED_CONV_H

#include "common.h"
#include "conv.h"
#include "gemm.h"

/*@ dlk_dwpw_params : dlk_common */
/* Activations: 0 none, 1 Relu, 2 Clip(lo, hi). in/out: spatial dims of
 * x and y; kernel, strides, dilations, pads are the depthwise conv's. */
typedef struct dlk_dwpw_params {
    int64_t n, c, c_out;
    int64_t in[2], out[2], kernel[2], strides[2], dilations[2];
    int64_t pads[4];                     /* ONNX order: begins, then ends */
    int64_t act1, act2;                  /* after the depthwise, after the pointwise */
    float lo1, hi1, lo2, hi2;
} dlk_dwpw_params;

#ifndef DLK_DWPW_TILE_P
#define DLK_DWPW_TILE_P 64
#endif
/* A multiple of 4 (see the file comment). */
#ifndef DLK_DWPW_TILE_C
#define DLK_DWPW_TILE_C 64
#endif

/* y[0:n] = act(y[0:n]), the formulas of dlk_relu_f32 / dlk_clip_f32. */
static void dlk_dwpw_act_f32(float *y, int64_t n, int64_t act, float lo, float hi)
{
    int64_t i;
    if (act == 1)
        for (i = 0; i < n; i++)
            y[i] = y[i] > 0.0f ? y[i] : 0.0f;
    else if (act == 2)
        for (i = 0; i < n; i++) {
            const float v = y[i] < lo ? lo : y[i];
            y[i] = v > hi ? hi : v;
        }
}

/*@end*/

/*@ dlk_dwpw_depthwise_f32 : dlk_dwpw_params dlk_conv_range */
/* tile[ci][j] = act1(depthwise output of channel c0+ci at output pixel
 * p0+j) for ci < nc, j < np. x points at one image. Works along runs of
 * one output row, so the inner loop has no bounds checks. */
static void dlk_dwpw_depthwise_f32(const dlk_dwpw_params *p, const float *x, const float *w,
                                   const float *b, int64_t c0, int64_t nc, int64_t p0, int64_t np,
                                   float *tile)
{
    int64_t in_plane = p->in[0] * p->in[1], ksize = p->kernel[0] * p->kernel[1], ci, j;
    int64_t s1 = p->strides[1];
    for (ci = 0; ci < nc; ci++) {
        const int64_t c = c0 + ci;
        const float *xc = x + c * in_plane, *wc = w + c * ksize;
        float *t = tile + ci * DLK_DWPW_TILE_P, bias = b != NULL ? b[c] : 0.0f;
        int64_t pix = p0, end = p0 + np;
        for (j = 0; j < np; j++)
            t[j] = bias;
        while (pix < end) {
            int64_t oh = pix / p->out[1], o0 = pix % p->out[1], len = p->out[1] - o0, kh, kw;
            float *tr = t + (pix - p0);   /* tr[o - o0] is output column o of this row */
            if (len > end - pix)
                len = end - pix;
            for (kh = 0; kh < p->kernel[0]; kh++) {
                int64_t ih = oh * p->strides[0] - p->pads[0] + kh * p->dilations[0];
                const float *xr;
                if (ih < 0 || ih >= p->in[0])
                    continue;
                xr = xc + ih * p->in[1];
                for (kw = 0; kw < p->kernel[1]; kw++) {
                    int64_t off = kw * p->dilations[1] - p->pads[1], lo, hi, o;
                    const float wv = wc[kh * p->kernel[1] + kw];
                    dlk_conv_range(off, s1, p->in[1], o0 + len, &lo, &hi);
                    if (lo < o0)
                        lo = o0;
                    for (o = lo; o < hi; o++)
                        tr[o - o0] += wv * xr[o * s1 + off];
                }
            }
            pix += len;
        }
        dlk_dwpw_act_f32(t, np, p->act1, p->lo1, p->hi1);
    }
}
/*@end*/

/*@ dlk_dwpw_conv_f32 : dlk_dwpw_params dlk_dwpw_depthwise_f32 dlk_gemm_acc_f32 */
/* x: n x c x in, dw_w: c x 1 x kernel, dw_b: c or NULL, pw_w: c_out x c
 * (x 1 x 1), pw_b: c_out or NULL, y: n x c_out x out. */
static void dlk_dwpw_conv_f32(const dlk_dwpw_params *p, const float *x, const float *dw_w,
                              const float *dw_b, const float *pw_w, const float *pw_b, float *y)
{
    float tile[DLK_DWPW_TILE_C * DLK_DWPW_TILE_P];
    int64_t in_plane = p->in[0] * p->in[1], out_plane = p->out[0] * p->out[1];
    int64_t img, p0, c0, co, j;
    for (img = 0; img < p->n; img++) {
        const float *xi = x + img * p->c * in_plane;
        float *yi = y + img * p->c_out * out_plane;
        for (p0 = 0; p0 < out_plane; p0 += DLK_DWPW_TILE_P) {
            int64_t np = out_plane - p0 < DLK_DWPW_TILE_P ? out_plane - p0 : DLK_DWPW_TILE_P;
            for (co = 0; co < p->c_out; co++) {
                float bias = pw_b != NULL ? pw_b[co] : 0.0f, *yr = yi + co * out_plane + p0;
                for (j = 0; j < np; j++)
                    yr[j] = bias;
            }
            for (c0 = 0; c0 < p->c; c0 += DLK_DWPW_TILE_C) {
                int64_t nc = p->c - c0 < DLK_DWPW_TILE_C ? p->c - c0 : DLK_DWPW_TILE_C;
                dlk_dwpw_depthwise_f32(p, xi, dw_w, dw_b, c0, nc, p0, np, tile);
                dlk_gemm_acc_f32(p->c_out, np, nc, pw_w + c0, p->c, 1, tile, DLK_DWPW_TILE_P,
                                 yi + p0, out_plane);
            }
            if (p->act2 != 0)
                for (co = 0; co < p->c_out; co++)
                    dlk_dwpw_act_f32(yi + co * out_plane + p0, np, p->act2, p->lo2, p->hi2);
        }
    }
}
/*@end*/

#endif
