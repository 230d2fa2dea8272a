/* Reductions over any set of axes (ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/
 * LogSumExp/SumSquare), ArgMax/ArgMin and CumSum. The compiler drops size-1 dims and merges
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

/* The generic reduction: y starts at the op's identity, every x element is
 * mapped (pre: |x|, x*x) and combined into its y element (sum, prod, max,
 * min, log-add-exp), then y is finished (post: /count, sqrt, log). The walk
 * is the one of dlk_reduce_mean_f32: a reduced last dim accumulates in A
 * (double for floats, 64-bit for integers), a kept one combines
 * element-wise. LogSumExp combines in the log domain,
 * logaddexp(a, b) = max + log1p(exp(-|a - b|)), so nothing overflows and y
 * needs no second buffer for a running max. Empty reductions give the
 * identity: 0, 1, lowest, highest, -inf for LogSumExp; log(0) = -inf for
 * LogSum; the mean of nothing is NaN for floats. op (DLK_RED_*) is an
 * argument so the params struct stays the one dlk_reduce_mean_f32 takes.
 * One instantiation per element type. */
/*@ dlk_reduce_define : dlk_reduce_params */
#define DLK_RED_SUM 0
#define DLK_RED_MEAN 1
#define DLK_RED_MAX 2
#define DLK_RED_MIN 3
#define DLK_RED_PROD 4
#define DLK_RED_L1 5
#define DLK_RED_L2 6
#define DLK_RED_LOGSUM 7
#define DLK_RED_LOGSUMEXP 8
#define DLK_RED_SUMSQUARE 9
static double dlk_reduce_logaddexp(double a, double b)
{
    double hi = a > b ? a : b, lo = a > b ? b : a;
    if (lo == -INFINITY)
        return hi;
    return hi + log1p(exp(lo - hi));
}
#define DLK_ABS_SIGNED(v) ((v) < 0 ? -(v) : (v))
#define DLK_ABS_UNSIGNED(v) (v)
#define DLK_REDUCE_DEFINE(S, T, A, LO, HI, ABS, ISF)                                            \
    static A dlk_reduce_pre_##S(int64_t op, T x)                                               \
    {                                                                                          \
        A a = (A)x;                                                                            \
        switch (op) {                                                                          \
        case DLK_RED_L1: return ABS(a);                                                        \
        case DLK_RED_L2: case DLK_RED_SUMSQUARE: return a * a;                                 \
        default: return a;                                                                     \
        }                                                                                      \
    }                                                                                          \
    static A dlk_reduce_comb_##S(int64_t op, A acc, A v)                                       \
    {                                                                                          \
        switch (op) {                                                                          \
        case DLK_RED_MAX: return v > acc ? v : acc;                                            \
        case DLK_RED_MIN: return v < acc ? v : acc;                                            \
        case DLK_RED_PROD: return acc * v;                                                     \
        case DLK_RED_LOGSUMEXP: return (A)dlk_reduce_logaddexp((double)acc, (double)v);        \
        default: return acc + v;                                                               \
        }                                                                                      \
    }                                                                                          \
    static T dlk_reduce_post_##S(int64_t op, A v, int64_t count)                               \
    {                                                                                          \
        switch (op) {                                                                          \
        case DLK_RED_MEAN:                                                                     \
            if (ISF)                                                                           \
                return (T)((double)v / (double)count);                                         \
            return (T)(count > 0 ? v / (A)count : v);                                          \
        case DLK_RED_L2: return (T)sqrt((double)v);                                            \
        case DLK_RED_LOGSUM: return (T)log((double)v);                                         \
        default: return (T)v;                                                                  \
        }                                                                                      \
    }                                                                                          \
    static void dlk_reduce_##S(const dlk_reduce_params *p, int64_t op, const T *x, T *y)       \
    {                                                                                          \
        const int last = (int)p->rank - 1;                                                     \
        const int64_t n = p->dims[last], step = p->out_strides[last];                          \
        const A init = op == DLK_RED_MAX || op == DLK_RED_LOGSUMEXP ? (A)(LO)                  \
                       : op == DLK_RED_MIN ? (A)(HI)                                           \
                       : op == DLK_RED_PROD ? (A)1 : (A)0;                                     \
        int64_t idx[DLK_MAX_RANK] = {0};                                                       \
        int64_t rows = 1, r, i;                                                                \
        T *yr = y;                                                                             \
        int k;                                                                                 \
        for (i = 0; i < p->out_size; i++)                                                      \
            y[i] = (T)init;                                                                    \
        for (k = 0; k < last; k++)                                                             \
            rows *= p->dims[k];                                                                \
        for (r = 0; r < rows; r++, x += n) {                                                   \
            if (step == 0) {                                                                   \
                A acc = (A)yr[0];                                                              \
                for (i = 0; i < n; i++)                                                        \
                    acc = dlk_reduce_comb_##S(op, acc, dlk_reduce_pre_##S(op, x[i]));          \
                yr[0] = (T)acc;                                                                \
            } else {                                                                           \
                for (i = 0; i < n; i++)                                                        \
                    yr[i] = (T)dlk_reduce_comb_##S(op, (A)yr[i], dlk_reduce_pre_##S(op, x[i])); \
            }                                                                                  \
            for (k = last - 1; k >= 0; k--) {                                                  \
                yr += p->out_strides[k];                                                       \
                if (++idx[k] < p->dims[k])                                                     \
                    break;                                                                     \
                yr -= p->out_strides[k] * p->dims[k];                                          \
                idx[k] = 0;                                                                    \
            }                                                                                  \
        }                                                                                      \
        for (i = 0; i < p->out_size; i++)                                                      \
            y[i] = dlk_reduce_post_##S(op, (A)y[i], p->count);                                 \
    }
/*@end*/

/*@ dlk_reduce_f32 : dlk_reduce_define */
DLK_REDUCE_DEFINE(f32, float, double, -INFINITY, INFINITY, DLK_ABS_SIGNED, 1)
/*@end*/

/*@ dlk_reduce_f64 : dlk_reduce_define */
DLK_REDUCE_DEFINE(f64, double, double, -INFINITY, INFINITY, DLK_ABS_SIGNED, 1)
/*@end*/

/*@ dlk_reduce_i32 : dlk_reduce_define */
DLK_REDUCE_DEFINE(i32, int32_t, int64_t, INT32_MIN, INT32_MAX, DLK_ABS_SIGNED, 0)
/*@end*/

/*@ dlk_reduce_i64 : dlk_reduce_define */
DLK_REDUCE_DEFINE(i64, int64_t, int64_t, INT64_MIN, INT64_MAX, DLK_ABS_SIGNED, 0)
/*@end*/

/*@ dlk_reduce_i8 : dlk_reduce_define */
DLK_REDUCE_DEFINE(i8, int8_t, int64_t, INT8_MIN, INT8_MAX, DLK_ABS_SIGNED, 0)
/*@end*/

/*@ dlk_reduce_u8 : dlk_reduce_define */
DLK_REDUCE_DEFINE(u8, uint8_t, uint64_t, 0, UINT8_MAX, DLK_ABS_UNSIGNED, 0)
/*@end*/

/* bool is stored as uint8_t 0/1; only Max/Min take it, so highest is 1. */
/*@ dlk_reduce_bool : dlk_reduce_define */
DLK_REDUCE_DEFINE(bool, uint8_t, uint64_t, 0, 1, DLK_ABS_UNSIGNED, 0)
/*@end*/

/* ArgMax/ArgMin along one axis of x seen as (outer, n, inner): the first
 * best index, or the last one with select_last. y is (outer, inner) int64. */
/*@ dlk_arg_params : dlk_common */
typedef struct dlk_arg_params {
    int64_t outer, n, inner;
    int64_t is_min;             /* 0: ArgMax, 1: ArgMin */
    int64_t select_last;        /* ties go to the last index */
} dlk_arg_params;
/*@end*/

/*@ dlk_arg_define : dlk_arg_params */
#define DLK_ARG_DEFINE(S, T)                                                                   \
    static void dlk_arg_##S(const dlk_arg_params *p, const T *x, int64_t *y)                   \
    {                                                                                          \
        int64_t o, i, j;                                                                       \
        for (o = 0; o < p->outer; o++)                                                         \
            for (j = 0; j < p->inner; j++) {                                                   \
                const T *xs = x + o * p->n * p->inner + j;                                     \
                T best = xs[0];                                                                \
                int64_t at = 0;                                                                \
                for (i = 1; i < p->n; i++) {                                                   \
                    T v = xs[i * p->inner];                                                    \
                    int better = p->is_min ? v < best : v > best;                              \
                    if (better || (p->select_last && v == best)) {                             \
                        best = v;                                                              \
                        at = i;                                                                \
                    }                                                                          \
                }                                                                              \
                y[o * p->inner + j] = at;                                                      \
            }                                                                                  \
    }
/*@end*/

/*@ dlk_arg_f32 : dlk_arg_define */
DLK_ARG_DEFINE(f32, float)
/*@end*/

/*@ dlk_arg_f64 : dlk_arg_define */
DLK_ARG_DEFINE(f64, double)
/*@end*/

/*@ dlk_arg_i32 : dlk_arg_define */
DLK_ARG_DEFINE(i32, int32_t)
/*@end*/

/*@ dlk_arg_i64 : dlk_arg_define */
DLK_ARG_DEFINE(i64, int64_t)
/*@end*/

/*@ dlk_arg_i8 : dlk_arg_define */
DLK_ARG_DEFINE(i8, int8_t)
/*@end*/

/*@ dlk_arg_u8 : dlk_arg_define */
DLK_ARG_DEFINE(u8, uint8_t)
/*@end*/

/* CumSum (and CumProd) along one axis. The axis may be a run-time tensor (int64 or int32;
 * pass the one there is, NULL for the other) since it does not change the
 * shape; with both NULL, p->axis is used. An axis out of range copies x. */
/*@ dlk_cumsum_params : dlk_common */
typedef struct dlk_cumsum_params {
    int64_t rank;
    int64_t dims[DLK_MAX_RANK];
    int64_t axis;               /* when no axis tensor is passed */
    int64_t exclusive, reverse;
} dlk_cumsum_params;
/*@end*/

/*@ dlk_cumsum_define : dlk_cumsum_params */
#define DLK_CUM_DEFINE(NAME, T, INIT, OP)                                                      \
    static void NAME(const dlk_cumsum_params *p, const T *x, const int64_t *axis64,            \
                     const int32_t *axis32, T *y)                                              \
    {                                                                                          \
        int64_t axis = axis64 ? axis64[0] : axis32 ? (int64_t)axis32[0] : p->axis;             \
        int64_t outer = 1, n = 1, inner = 1, o, i, j, k;                                       \
        if (axis < 0)                                                                          \
            axis += p->rank;                                                                   \
        for (k = 0; k < p->rank; k++) {                                                        \
            if (k < axis)                                                                      \
                outer *= p->dims[k];                                                           \
            else if (k == axis)                                                                \
                n = p->dims[k];                                                                \
            else                                                                               \
                inner *= p->dims[k];                                                           \
        }                                                                                      \
        if (axis < 0 || axis >= p->rank) {                                                     \
            memcpy(y, x, (size_t)(outer * n * inner) * sizeof *y);                             \
            return;                                                                            \
        }                                                                                      \
        for (o = 0; o < outer; o++)                                                            \
            for (j = 0; j < inner; j++) {                                                      \
                const T *xs = x + o * n * inner + j;                                           \
                T *ys = y + o * n * inner + j;                                                 \
                T acc = INIT;                                                                  \
                for (i = 0; i < n; i++) {                                                      \
                    int64_t at = (p->reverse ? n - 1 - i : i) * inner;                         \
                    T v = xs[at];                                                              \
                    if (p->exclusive) {                                                        \
                        ys[at] = acc;                                                          \
                        acc = (T)(acc OP v);                                                   \
                    } else {                                                                   \
                        acc = (T)(acc OP v);                                                   \
                        ys[at] = acc;                                                          \
                    }                                                                          \
                }                                                                              \
            }                                                                                  \
    }
/* CumSum and CumProd (opset 26) share the scan; INIT is OP's identity. */
#define DLK_CUMSUM_DEFINE(S, T) DLK_CUM_DEFINE(dlk_cumsum_##S, T, 0, +)
#define DLK_CUMPROD_DEFINE(S, T) DLK_CUM_DEFINE(dlk_cumprod_##S, T, 1, *)
/*@end*/

/*@ dlk_cumsum_f32 : dlk_cumsum_define */
DLK_CUMSUM_DEFINE(f32, float)
/*@end*/

/*@ dlk_cumsum_f64 : dlk_cumsum_define */
DLK_CUMSUM_DEFINE(f64, double)
/*@end*/

/*@ dlk_cumsum_i32 : dlk_cumsum_define */
DLK_CUMSUM_DEFINE(i32, int32_t)
/*@end*/

/*@ dlk_cumsum_i64 : dlk_cumsum_define */
DLK_CUMSUM_DEFINE(i64, int64_t)
/*@end*/

/*@ dlk_cumprod_f32 : dlk_cumsum_define */
DLK_CUMPROD_DEFINE(f32, float)
/*@end*/

/*@ dlk_cumprod_f64 : dlk_cumsum_define */
DLK_CUMPROD_DEFINE(f64, double)
/*@end*/

/*@ dlk_cumprod_i32 : dlk_cumsum_define */
DLK_CUMPROD_DEFINE(i32, int32_t)
/*@end*/

/*@ dlk_cumprod_i64 : dlk_cumsum_define */
DLK_CUMPROD_DEFINE(i64, int64_t)
/*@end*/

#endif
