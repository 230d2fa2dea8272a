/* Quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
 * MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv.
 *
 * Integer tensors are passed as void pointers with their ONNX element type
 * code (2 uint8, 3 int8, 4 uint16, 5 int16, 6 int32), so one kernel serves
 * every integer type; these ops are rare and small, so the per-element
 * switch costs little. Rounding is half to even, done by hand so it does
 * not depend on the floating-point rounding mode. The arithmetic follows the
 * ONNX reference implementation: x / scale in float32, requantisation of
 * integer accumulators in double (numpy's int32 * float32). */
#ifndef DLK_QUANT_H
#define DLK_QUANT_H

#include "common.h"

/*@ dlk_quant_util : dlk_common */
/* ONNX type codes of the integer types handled here. */
#define DLK_Q_UINT8 2
#define DLK_Q_INT8 3
#define DLK_Q_UINT16 4
#define DLK_Q_INT16 5
#define DLK_Q_INT32 6

static int32_t dlk_quant_load(int64_t t, const void *p, int64_t i)
{
    switch (t) {
    case DLK_Q_UINT8: return ((const uint8_t *)p)[i];
    case DLK_Q_INT8: return ((const int8_t *)p)[i];
    case DLK_Q_UINT16: return ((const uint16_t *)p)[i];
    case DLK_Q_INT16: return ((const int16_t *)p)[i];
    default: return ((const int32_t *)p)[i];
    }
}

/* v rounded half to even; NaN gives 0. */
static double dlk_quant_rint(double v)
{
    double r, f;
    if (v != v)
        return 0.0;
    r = floor(v);
    f = v - r;
    if (f > 0.5 || (f == 0.5 && fmod(r, 2.0) != 0.0))
        r += 1.0;
    return r;
}

/* Store the integer-valued v into p[i], saturated to type t's range. */
static void dlk_quant_store(int64_t t, void *p, int64_t i, double v)
{
    double lo, hi;
    switch (t) {
    case DLK_Q_UINT8: lo = 0.0; hi = 255.0; break;
    case DLK_Q_INT8: lo = -128.0; hi = 127.0; break;
    case DLK_Q_UINT16: lo = 0.0; hi = 65535.0; break;
    case DLK_Q_INT16: lo = -32768.0; hi = 32767.0; break;
    default: lo = -2147483648.0; hi = 2147483647.0; break;
    }
    if (v != v)
        v = 0.0;
    v = v < lo ? lo : v > hi ? hi : v;
    switch (t) {
    case DLK_Q_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case DLK_Q_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case DLK_Q_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case DLK_Q_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    default: ((int32_t *)p)[i] = (int32_t)v; break;
    }
}
/*@end*/

/*@ dlk_quant_params : dlk_common */
/* x viewed as (outer, axis_len, inner); the scale / zero point element of
 * x's element (o, c, i) is o*s_outer + (c / block)*s_axis + i*s_inner
 * (all strides 0: per tensor; block = 1: per axis). */
typedef struct dlk_quant_params {
    int64_t outer, axis_len, inner, block;
    int64_t s_outer, s_axis, s_inner;
    int64_t q_type;          /* the integer side's type code */
} dlk_quant_params;
/*@end*/

/*@ dlk_quantize_f32 : dlk_quant_params dlk_quant_util */
/* y = saturate(rint(x / scale) + zp); zp may be NULL (0). */
static void dlk_quantize_f32(const dlk_quant_params *p, const float *x, const float *scale,
                             const void *zp, void *y)
{
    int64_t o, c, i, e = 0;
    for (o = 0; o < p->outer; o++)
        for (c = 0; c < p->axis_len; c++)
            for (i = 0; i < p->inner; i++, e++) {
                int64_t s = o * p->s_outer + (c / p->block) * p->s_axis + i * p->s_inner;
                float q = x[e] / scale[s];
                double z = zp != NULL ? (double)dlk_quant_load(p->q_type, zp, s) : 0.0;
                dlk_quant_store(p->q_type, y, e, dlk_quant_rint((double)q) + z);
            }
}
/*@end*/

/*@ dlk_dequantize_f32 : dlk_quant_params dlk_quant_util */
/* y = (float(x) - float(zp)) * scale; zp may be NULL (0). */
static void dlk_dequantize_f32(const dlk_quant_params *p, const void *x, const float *scale,
                               const void *zp, float *y)
{
    int64_t o, c, i, e = 0;
    for (o = 0; o < p->outer; o++)
        for (c = 0; c < p->axis_len; c++)
            for (i = 0; i < p->inner; i++, e++) {
                int64_t s = o * p->s_outer + (c / p->block) * p->s_axis + i * p->s_inner;
                float z = zp != NULL ? (float)dlk_quant_load(p->q_type, zp, s) : 0.0f;
                y[e] = ((float)dlk_quant_load(p->q_type, x, e) - z) * scale[s];
            }
}
/*@end*/

/*@ dlk_dynamic_quantize_f32 : dlk_quant_util */
/* DynamicQuantizeLinear (uint8): the range [min(0, min x), max(0, max x)]
 * maps onto [0, 255]. */
static void dlk_dynamic_quantize_f32(int64_t n, const float *x, uint8_t *y, float *y_scale,
                                     uint8_t *y_zp)
{
    float lo = 0.0f, hi = 0.0f, scale, zpf;
    double zp;
    int64_t i;
    for (i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    scale = (hi == lo ? 1.0f : hi - lo) / 255.0f;
    zpf = 0.0f - lo / scale;
    zpf = zpf < 0.0f ? 0.0f : zpf > 255.0f ? 255.0f : zpf;
    zp = dlk_quant_rint((double)zpf);
    for (i = 0; i < n; i++) {
        float q = x[i] / scale;
        dlk_quant_store(DLK_Q_UINT8, y, i, dlk_quant_rint((double)q) + zp);
    }
    *y_scale = scale;
    *y_zp = (uint8_t)zp;
}
/*@end*/

/*@ dlk_qmatmul_params : dlk_common */
typedef struct dlk_qmatmul_params {
    int64_t m, n, k;                       /* each product: (m x k) (k x n) */
    int64_t batch_rank;
    int64_t batch[DLK_MAX_RANK];
    int64_t a_stride[DLK_MAX_RANK];        /* matrix stride per batch axis; 0: broadcast */
    int64_t b_stride[DLK_MAX_RANK];
    int64_t a_type, b_type, y_type;        /* type codes */
    int64_t a_zp_rows, b_zp_cols;          /* 1: zero point per row of a / column of b */
} dlk_qmatmul_params;
/*@end*/

/*@ dlk_qmatmul_acc : dlk_qmatmul_params dlk_quant_util */
/* sum_k (a[i,k] - a_zp) * (b[k,j] - b_zp) of one product; zero points may be NULL. */
static int32_t dlk_qmatmul_dot(const dlk_qmatmul_params *p, const void *a, int64_t a_off,
                               const void *a_zp, const void *b, int64_t b_off, const void *b_zp,
                               int64_t i, int64_t j)
{
    int32_t za = a_zp != NULL ? dlk_quant_load(p->a_type, a_zp, p->a_zp_rows ? i : 0) : 0;
    int32_t zb = b_zp != NULL ? dlk_quant_load(p->b_type, b_zp, p->b_zp_cols ? j : 0) : 0;
    int32_t acc = 0;
    int64_t kk;
    for (kk = 0; kk < p->k; kk++)
        acc += (dlk_quant_load(p->a_type, a, a_off + i * p->k + kk) - za) *
               (dlk_quant_load(p->b_type, b, b_off + kk * p->n + j) - zb);
    return acc;
}

/* Calls back per output element with its accumulator: MatMulInteger stores
 * it, QLinearMatMul requantises it. y index runs over the batch, row-major. */
static void dlk_qmatmul_run(const dlk_qmatmul_params *p, const void *a, const void *a_zp,
                            const void *b, const void *b_zp, void *y, double mult, double y_zp,
                            int requant)
{
    int64_t idx[DLK_MAX_RANK];
    int64_t r = p->batch_rank, a_off = 0, b_off = 0, e = 0, ax, i, j;
    for (ax = 0; ax < r; ax++) {
        idx[ax] = 0;
        if (p->batch[ax] == 0)
            return;
    }
    for (;;) {
        for (i = 0; i < p->m; i++)
            for (j = 0; j < p->n; j++, e++) {
                int32_t acc = dlk_qmatmul_dot(p, a, a_off, a_zp, b, b_off, b_zp, i, j);
                if (requant)
                    dlk_quant_store(p->y_type, y, e, dlk_quant_rint((double)acc * mult + y_zp));
                else
                    ((int32_t *)y)[e] = acc;
            }
        for (ax = r - 1; ax >= 0; ax--) {
            a_off += p->a_stride[ax];
            b_off += p->b_stride[ax];
            if (++idx[ax] < p->batch[ax])
                break;
            a_off -= p->a_stride[ax] * p->batch[ax];
            b_off -= p->b_stride[ax] * p->batch[ax];
            idx[ax] = 0;
        }
        if (ax < 0)
            break;
    }
}
/*@end*/

/*@ dlk_matmul_integer : dlk_qmatmul_acc */
static void dlk_matmul_integer(const dlk_qmatmul_params *p, const void *a, const void *b,
                               const void *a_zp, const void *b_zp, int32_t *y)
{
    dlk_qmatmul_run(p, a, a_zp, b, b_zp, y, 1.0, 0.0, 0);
}
/*@end*/

/*@ dlk_qlinear_matmul_f32 : dlk_qmatmul_acc */
/* y = saturate(rint(acc * (a_scale * b_scale / y_scale)) + y_zp); the
 * scales are per tensor, y_zp may be NULL. */
static void dlk_qlinear_matmul_f32(const dlk_qmatmul_params *p, const void *a,
                                   const float *a_scale, const void *a_zp, const void *b,
                                   const float *b_scale, const void *b_zp, const float *y_scale,
                                   const void *y_zp, void *y)
{
    float mult = a_scale[0] * b_scale[0] / y_scale[0];
    double z = y_zp != NULL ? (double)dlk_quant_load(p->y_type, y_zp, 0) : 0.0;
    dlk_qmatmul_run(p, a, a_zp, b, b_zp, y, (double)mult, z, 1);
}
/*@end*/

/*@ dlk_qconv_params : dlk_common */
/* ConvInteger / QLinearConv geometry (as dlk_conv_params) and types. */
typedef struct dlk_qconv_params {
    int64_t n, c_in, c_out, group;
    int64_t rank;                        /* spatial rank */
    int64_t in[DLK_MAX_RANK];
    int64_t out[DLK_MAX_RANK];
    int64_t kernel[DLK_MAX_RANK];
    int64_t strides[DLK_MAX_RANK];
    int64_t dilations[DLK_MAX_RANK];
    int64_t pads[2 * DLK_MAX_RANK];      /* all begins, then all ends */
    int64_t x_type, w_type, y_type;
    int64_t w_zp_per_channel, w_scale_per_channel;
} dlk_qconv_params;
/*@end*/

/*@ dlk_qconv_acc : dlk_qconv_params dlk_quant_util */
/* The accumulator of output element (b, m, out pixel q): sum over the
 * group's input channels and the kernel window of (x - x_zp)(w - w_zp[m]);
 * padding contributes 0 (x - x_zp is padded, as in the reference). */
static int32_t dlk_qconv_dot(const dlk_qconv_params *p, const void *x, int32_t xz, const void *w,
                             int32_t wz, int64_t b, int64_t m, int64_t q)
{
    int64_t oc[DLK_MAX_RANK], kc[DLK_MAX_RANK];
    int64_t r = p->rank, cg = p->c_in / p->group, mg = p->c_out / p->group;
    int64_t g = m / mg, ksize = 1, in_size = 1, ci, kq, a, t;
    int32_t acc = 0;
    for (a = r - 1, t = q; a >= 0; a--) {
        oc[a] = t % p->out[a];
        t /= p->out[a];
        ksize *= p->kernel[a];
        in_size *= p->in[a];
    }
    for (ci = 0; ci < cg; ci++) {
        int64_t x_base = (b * p->c_in + g * cg + ci) * in_size;
        int64_t w_base = (m * cg + ci) * ksize;
        for (kq = 0; kq < ksize; kq++) {
            int64_t off = 0, inside = 1;
            for (a = r - 1, t = kq; a >= 0; a--) {
                kc[a] = t % p->kernel[a];
                t /= p->kernel[a];
            }
            for (a = 0; a < r; a++) {
                int64_t pos = oc[a] * p->strides[a] + kc[a] * p->dilations[a] - p->pads[a];
                if (pos < 0 || pos >= p->in[a]) {
                    inside = 0;
                    break;
                }
                off = off * p->in[a] + pos;
            }
            if (inside)
                acc += (dlk_quant_load(p->x_type, x, x_base + off) - xz) *
                       (dlk_quant_load(p->w_type, w, w_base + kq) - wz);
        }
    }
    return acc;
}

static int64_t dlk_qconv_pixels(const dlk_qconv_params *p)
{
    int64_t a, s = 1;
    for (a = 0; a < p->rank; a++)
        s *= p->out[a];
    return s;
}
/*@end*/

/*@ dlk_conv_integer : dlk_qconv_acc */
/* ConvInteger: int32 y; zero points may be NULL. */
static void dlk_conv_integer(const dlk_qconv_params *p, const void *x, const void *w,
                             const void *x_zp, const void *w_zp, int32_t *y)
{
    int64_t pix = dlk_qconv_pixels(p), b, m, q, e = 0;
    int32_t xz = x_zp != NULL ? dlk_quant_load(p->x_type, x_zp, 0) : 0;
    for (b = 0; b < p->n; b++)
        for (m = 0; m < p->c_out; m++) {
            int32_t wz = w_zp != NULL ? dlk_quant_load(p->w_type, w_zp, p->w_zp_per_channel ? m : 0) : 0;
            for (q = 0; q < pix; q++, e++)
                y[e] = dlk_qconv_dot(p, x, xz, w, wz, b, m, q);
        }
}
/*@end*/

/*@ dlk_qlinear_conv_f32 : dlk_qconv_acc */
/* QLinearConv: y = saturate(rint((acc + bias[m]) * x_scale * w_scale[m] / y_scale) + y_zp);
 * bias (int32) and y_zp may be NULL. */
static void dlk_qlinear_conv_f32(const dlk_qconv_params *p, const void *x, const float *x_scale,
                                 const void *x_zp, const void *w, const float *w_scale,
                                 const void *w_zp, const float *y_scale, const void *y_zp,
                                 const int32_t *bias, void *y)
{
    int64_t pix = dlk_qconv_pixels(p), b, m, q, e = 0;
    int32_t xz = x_zp != NULL ? dlk_quant_load(p->x_type, x_zp, 0) : 0;
    double yz = y_zp != NULL ? (double)dlk_quant_load(p->y_type, y_zp, 0) : 0.0;
    for (b = 0; b < p->n; b++)
        for (m = 0; m < p->c_out; m++) {
            int32_t wz = w_zp != NULL ? dlk_quant_load(p->w_type, w_zp, p->w_zp_per_channel ? m : 0) : 0;
            float mult = x_scale[0] * w_scale[p->w_scale_per_channel ? m : 0] / y_scale[0];
            for (q = 0; q < pix; q++, e++) {
                int32_t acc = dlk_qconv_dot(p, x, xz, w, wz, b, m, q) + (bias != NULL ? bias[m] : 0);
                dlk_quant_store(p->y_type, y, e, dlk_quant_rint((double)acc * (double)mult + yz));
            }
        }
}
/*@end*/

#endif
