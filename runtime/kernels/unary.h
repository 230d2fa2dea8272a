/* Element-wise unary kernels: activations and math functions over n
 * contiguous elements. One section per function, so generated code holds
 * only what the model calls. y may be the same buffer as x.
 * Formulas follow the ONNX operator definitions; attribute values arrive as
 * trailing float arguments. */
#ifndef DLK_UNARY_H
#define DLK_UNARY_H

#include "common.h"

/*@ dlk_relu_f32 : dlk_common */
static void dlk_relu_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
/*@end*/

/*@ dlk_leaky_relu_f32 : dlk_common */
static void dlk_leaky_relu_f32(const float *x, float *y, int64_t n, float alpha)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] < 0.0f ? alpha * x[i] : x[i];
}
/*@end*/

/* min > max gives max everywhere, as Clip-13 specifies (Min(max, Max(x, min))). */
/*@ dlk_clip_f32 : dlk_common */
static void dlk_clip_f32(const float *x, float *y, int64_t n, float lo, float hi)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        const float v = x[i] < lo ? lo : x[i];
        y[i] = v > hi ? hi : v;
    }
}
/*@end*/

/*@ dlk_clip_rt : dlk_common */
/* Clip-11 and later: the bounds are one-element tensors that may be computed
 * at run time, so they come as pointers; NULL means no bound. As in numpy's
 * clip, min is applied first, so min > max gives max everywhere. */
#define DLK_CLIP_RT(NAME, T)                                                      \
    static void NAME(const T *x, const T *lo, const T *hi, T *y, int64_t n)      \
    {                                                                             \
        int64_t i;                                                                \
        for (i = 0; i < n; i++) {                                                 \
            T v = x[i];                                                           \
            if (lo != NULL && v < *lo)                                            \
                v = *lo;                                                          \
            if (hi != NULL && v > *hi)                                            \
                v = *hi;                                                          \
            y[i] = v;                                                             \
        }                                                                         \
    }
/*@end*/

/*@ dlk_clip_rt_f32 : dlk_clip_rt */
DLK_CLIP_RT(dlk_clip_rt_f32, float)
/*@end*/

/*@ dlk_clip_rt_f64 : dlk_clip_rt */
DLK_CLIP_RT(dlk_clip_rt_f64, double)
/*@end*/

/*@ dlk_clip_rt_i8 : dlk_clip_rt */
DLK_CLIP_RT(dlk_clip_rt_i8, int8_t)
/*@end*/

/*@ dlk_clip_rt_i16 : dlk_clip_rt */
DLK_CLIP_RT(dlk_clip_rt_i16, int16_t)
/*@end*/

/*@ dlk_clip_rt_i32 : dlk_clip_rt */
DLK_CLIP_RT(dlk_clip_rt_i32, int32_t)
/*@end*/

/*@ dlk_clip_rt_i64 : dlk_clip_rt */
DLK_CLIP_RT(dlk_clip_rt_i64, int64_t)
/*@end*/

/*@ dlk_clip_rt_u8 : dlk_clip_rt */
DLK_CLIP_RT(dlk_clip_rt_u8, uint8_t)
/*@end*/

/*@ dlk_clip_rt_u16 : dlk_clip_rt */
DLK_CLIP_RT(dlk_clip_rt_u16, uint16_t)
/*@end*/

/*@ dlk_clip_rt_u32 : dlk_clip_rt */
DLK_CLIP_RT(dlk_clip_rt_u32, uint32_t)
/*@end*/

/*@ dlk_clip_rt_u64 : dlk_clip_rt */
DLK_CLIP_RT(dlk_clip_rt_u64, uint64_t)
/*@end*/

/* 1 / (1 + e^-x); for x below about -88 e^-x is inf and y is 0, not NaN. */
/*@ dlk_sigmoid_f32 : dlk_common */
static void dlk_sigmoid_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
}
/*@end*/

/* max(0, min(1, alpha * x + beta)) */
/*@ dlk_hard_sigmoid_f32 : dlk_common */
static void dlk_hard_sigmoid_f32(const float *x, float *y, int64_t n, float alpha, float beta)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        const float v = alpha * x[i] + beta;
        const float lo = v < 0.0f ? 0.0f : v;
        y[i] = lo > 1.0f ? 1.0f : lo;
    }
}
/*@end*/

/* x * HardSigmoid(x) with alpha 1/6, beta 0.5 (HardSwish-14). */
/*@ dlk_hard_swish_f32 : dlk_common */
static void dlk_hard_swish_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        const float v = x[i] * (1.0f / 6.0f) + 0.5f;
        const float lo = v < 0.0f ? 0.0f : v;
        y[i] = x[i] * (lo > 1.0f ? 1.0f : lo);
    }
}
/*@end*/

/*@ dlk_tanh_f32 : dlk_common */
static void dlk_tanh_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = tanhf(x[i]);
}
/*@end*/

/* alpha * (e^x - 1) for x < 0; expm1f keeps precision near 0. */
/*@ dlk_elu_f32 : dlk_common */
static void dlk_elu_f32(const float *x, float *y, int64_t n, float alpha)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] < 0.0f ? alpha * expm1f(x[i]) : x[i];
}
/*@end*/

/* gamma * x for x > 0, gamma * (alpha * e^x - alpha) otherwise. */
/*@ dlk_selu_f32 : dlk_common */
static void dlk_selu_f32(const float *x, float *y, int64_t n, float alpha, float gamma)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? gamma * x[i] : gamma * (alpha * expf(x[i]) - alpha);
}
/*@end*/

/* log(1 + e^x) written as max(x, 0) + log1p(e^-|x|): the exponential never
 * overflows, and for large x the result is x. */
/*@ dlk_softplus_f32 : dlk_common */
static void dlk_softplus_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        const float pos = x[i] > 0.0f ? x[i] : 0.0f;
        y[i] = pos + log1pf(expf(-fabsf(x[i])));
    }
}
/*@end*/

/* Gelu-20, approximate="none": 0.5 x (1 + erf(x / sqrt 2)). */
/*@ dlk_gelu_f32 : dlk_common */
static void dlk_gelu_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}
/*@end*/

/* Gelu-20, approximate="tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
/*@ dlk_gelu_tanh_f32 : dlk_common */
static void dlk_gelu_tanh_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        const float v = x[i];
        y[i] = 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)));
    }
}
/*@end*/

/*@ dlk_erf_f32 : dlk_common */
static void dlk_erf_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = erff(x[i]);
}
/*@end*/

/*@ dlk_exp_f32 : dlk_common */
static void dlk_exp_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = expf(x[i]);
}
/*@end*/

/*@ dlk_log_f32 : dlk_common */
static void dlk_log_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = logf(x[i]);
}
/*@end*/

/*@ dlk_sqrt_f32 : dlk_common */
static void dlk_sqrt_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = sqrtf(x[i]);
}
/*@end*/

/*@ dlk_reciprocal_f32 : dlk_common */
static void dlk_reciprocal_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = 1.0f / x[i];
}
/*@end*/

/*@ dlk_neg_f32 : dlk_common */
static void dlk_neg_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = -x[i];
}
/*@end*/

/*@ dlk_abs_f32 : dlk_common */
static void dlk_abs_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = fabsf(x[i]);
}
/*@end*/

/* Integer negation goes through unsigned arithmetic so that the most
 * negative value wraps to itself (as two's complement hardware does)
 * instead of overflowing, which C leaves undefined. */

/*@ dlk_neg_i64 : dlk_common */
static void dlk_neg_i64(const int64_t *x, int64_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int64_t)(0u - (uint64_t)x[i]);
}
/*@end*/

/*@ dlk_abs_i64 : dlk_common */
static void dlk_abs_i64(const int64_t *x, int64_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] < 0 ? (int64_t)(0u - (uint64_t)x[i]) : x[i];
}
/*@end*/

/*@ dlk_neg_i32 : dlk_common */
static void dlk_neg_i32(const int32_t *x, int32_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int32_t)(0u - (uint32_t)x[i]);
}
/*@end*/

/*@ dlk_abs_i32 : dlk_common */
static void dlk_abs_i32(const int32_t *x, int32_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] < 0 ? (int32_t)(0u - (uint32_t)x[i]) : x[i];
}
/*@end*/

/* ---- math functions (issue 3) ---- */

/*@ dlk_floor_f32 : dlk_common */
static void dlk_floor_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = floorf(x[i]);
}
/*@end*/

/*@ dlk_ceil_f32 : dlk_common */
static void dlk_ceil_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = ceilf(x[i]);
}
/*@end*/

/*@ dlk_sin_f32 : dlk_common */
static void dlk_sin_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = sinf(x[i]);
}
/*@end*/

/*@ dlk_cos_f32 : dlk_common */
static void dlk_cos_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = cosf(x[i]);
}
/*@end*/

/*@ dlk_tan_f32 : dlk_common */
static void dlk_tan_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = tanf(x[i]);
}
/*@end*/

/*@ dlk_asin_f32 : dlk_common */
static void dlk_asin_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = asinf(x[i]);
}
/*@end*/

/*@ dlk_acos_f32 : dlk_common */
static void dlk_acos_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = acosf(x[i]);
}
/*@end*/

/*@ dlk_atan_f32 : dlk_common */
static void dlk_atan_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = atanf(x[i]);
}
/*@end*/

/*@ dlk_sinh_f32 : dlk_common */
static void dlk_sinh_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = sinhf(x[i]);
}
/*@end*/

/*@ dlk_cosh_f32 : dlk_common */
static void dlk_cosh_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = coshf(x[i]);
}
/*@end*/

/*@ dlk_asinh_f32 : dlk_common */
static void dlk_asinh_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = asinhf(x[i]);
}
/*@end*/

/*@ dlk_acosh_f32 : dlk_common */
static void dlk_acosh_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = acoshf(x[i]);
}
/*@end*/

/*@ dlk_atanh_f32 : dlk_common */
static void dlk_atanh_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = atanhf(x[i]);
}
/*@end*/

/* Round-11: halves go to the even neighbour, which is rint under the default rounding mode. */
/*@ dlk_round_f32 : dlk_common */
static void dlk_round_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = rintf(x[i]);
}
/*@end*/

/* x / (1 + |x|) */
/*@ dlk_softsign_f32 : dlk_common */
static void dlk_softsign_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] / (1.0f + fabsf(x[i]));
}
/*@end*/

/* x * tanh(softplus(x)); softplus as in dlk_softplus_f32 so that it never overflows. */
/*@ dlk_mish_f32 : dlk_common */
static void dlk_mish_f32(const float *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        const float pos = x[i] > 0.0f ? x[i] : 0.0f;
        y[i] = x[i] * tanhf(pos + log1pf(expf(-fabsf(x[i]))));
    }
}
/*@end*/

/* max(0, x) + min(0, alpha * (e^(x/alpha) - 1)) */
/*@ dlk_celu_f32 : dlk_common */
static void dlk_celu_f32(const float *x, float *y, int64_t n, float alpha)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : alpha * expm1f(x[i] / alpha);
}
/*@end*/

/* x for x > alpha, 0 otherwise. */
/*@ dlk_thresholded_relu_f32 : dlk_common */
static void dlk_thresholded_relu_f32(const float *x, float *y, int64_t n, float alpha)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] > alpha ? x[i] : 0.0f;
}
/*@end*/

/* Swish-24: x * sigmoid(alpha * x). */
/*@ dlk_swish_f32 : dlk_common */
static void dlk_swish_f32(const float *x, float *y, int64_t n, float alpha)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] / (1.0f + expf(-alpha * x[i]));
}
/*@end*/

/* x + bias for x < -lambd, x - bias for x > lambd, 0 between. */
/*@ dlk_shrink_f32 : dlk_common */
static void dlk_shrink_f32(const float *x, float *y, int64_t n, float bias, float lambd)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] < -lambd ? x[i] + bias : x[i] > lambd ? x[i] - bias : 0.0f;
}
/*@end*/

/* ---- float64 versions (double models, e.g. the expanded ReduceLogSumExp) ---- */

/*@ dlk_relu_f64 : dlk_common */
static void dlk_relu_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] > 0.0 ? x[i] : 0.0;
}
/*@end*/

/*@ dlk_sigmoid_f64 : dlk_common */
static void dlk_sigmoid_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = 1.0 / (1.0 + exp(-x[i]));
}
/*@end*/

/*@ dlk_tanh_f64 : dlk_common */
static void dlk_tanh_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = tanh(x[i]);
}
/*@end*/

/*@ dlk_exp_f64 : dlk_common */
static void dlk_exp_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = exp(x[i]);
}
/*@end*/

/*@ dlk_log_f64 : dlk_common */
static void dlk_log_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = log(x[i]);
}
/*@end*/

/*@ dlk_sqrt_f64 : dlk_common */
static void dlk_sqrt_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = sqrt(x[i]);
}
/*@end*/

/*@ dlk_reciprocal_f64 : dlk_common */
static void dlk_reciprocal_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = 1.0 / x[i];
}
/*@end*/

/*@ dlk_neg_f64 : dlk_common */
static void dlk_neg_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = -x[i];
}
/*@end*/

/*@ dlk_abs_f64 : dlk_common */
static void dlk_abs_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = fabs(x[i]);
}
/*@end*/

/*@ dlk_erf_f64 : dlk_common */
static void dlk_erf_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = erf(x[i]);
}
/*@end*/

/*@ dlk_floor_f64 : dlk_common */
static void dlk_floor_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = floor(x[i]);
}
/*@end*/

/*@ dlk_ceil_f64 : dlk_common */
static void dlk_ceil_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = ceil(x[i]);
}
/*@end*/

/*@ dlk_round_f64 : dlk_common */
static void dlk_round_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = rint(x[i]);
}
/*@end*/

/*@ dlk_sin_f64 : dlk_common */
static void dlk_sin_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = sin(x[i]);
}
/*@end*/

/*@ dlk_cos_f64 : dlk_common */
static void dlk_cos_f64(const double *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = cos(x[i]);
}
/*@end*/

#endif
