/* Element-wise binary kernels with numpy broadcasting: Add Sub Mul Div Pow
 * Max Min PRelu, and the final scaling of Mean.
 *
 * Every (op, element type) pair comes in four entry points, one section each,
 * so generated code holds only the ones it calls:
 *   dlk_OP_T(a, b, y, n)           a and b have y's shape
 *   dlk_OP_scalar_a_T(a, b, y, n)  a is one element, b has y's shape
 *   dlk_OP_scalar_b_T(a, b, y, n)  b is one element, a has y's shape
 *   dlk_OP_bcast_T(p, a, b, y)     general broadcast, driven by dlk_binary_params
 * y may be the same buffer as a or b when that operand has y's shape. The
 * bodies are written once, as macros over the element expression of u (from
 * a) and v (from b). */
#ifndef DLK_BINARY_H
#define DLK_BINARY_H

#include "common.h"

/*@ dlk_binary_params : dlk_common */
/* The compiler merges adjacent dims that broadcast alike, so most models reach
 * the kernel with rank 1 or 2. Innermost strides must be 0 or 1. */
typedef struct dlk_binary_params {
    int64_t rank;                     /* output rank, 1..DLK_MAX_RANK */
    int64_t dims[DLK_MAX_RANK];       /* output dims */
    int64_t a_strides[DLK_MAX_RANK];  /* a's element step per output dim; 0 where a is broadcast */
    int64_t b_strides[DLK_MAX_RANK];
} dlk_binary_params;
/*@end*/

/*@ dlk_binary_loops : dlk_common */
#define DLK_BINARY_SAME(NAME, TA, TB, TY, EXPR)                                \
    static void NAME(const TA *a, const TB *b, TY *y, int64_t n)               \
    {                                                                          \
        int64_t i;                                                             \
        for (i = 0; i < n; i++) {                                              \
            const TA u = a[i];                                                 \
            const TB v = b[i];                                                 \
            y[i] = (EXPR);                                                     \
        }                                                                      \
    }

#define DLK_BINARY_SCALAR_A(NAME, TA, TB, TY, EXPR)                            \
    static void NAME(const TA *a, const TB *b, TY *y, int64_t n)               \
    {                                                                          \
        const TA u = a[0];                                                     \
        int64_t i;                                                             \
        for (i = 0; i < n; i++) {                                              \
            const TB v = b[i];                                                 \
            y[i] = (EXPR);                                                     \
        }                                                                      \
    }

#define DLK_BINARY_SCALAR_B(NAME, TA, TB, TY, EXPR)                            \
    static void NAME(const TA *a, const TB *b, TY *y, int64_t n)               \
    {                                                                          \
        const TB v = b[0];                                                     \
        int64_t i;                                                             \
        for (i = 0; i < n; i++) {                                              \
            const TA u = a[i];                                                 \
            y[i] = (EXPR);                                                     \
        }                                                                      \
    }

/* Rows of the last dim, each one of the four loops above (chosen once per
 * row, outside the element loop); an odometer over the outer dims moves the
 * operand pointers by their strides, so no element computes an index. */
#define DLK_BINARY_BCAST(NAME, TA, TB, TY, EXPR)                               \
    static void NAME(const dlk_binary_params *p, const TA *a, const TB *b, TY *y) \
    {                                                                          \
        const int last = (int)p->rank - 1;                                     \
        const int64_t n = p->dims[last];                                       \
        const int64_t sa = p->a_strides[last], sb = p->b_strides[last];        \
        int64_t idx[DLK_MAX_RANK] = {0};                                       \
        int64_t rows = 1, r, i;                                                \
        int k;                                                                 \
        for (k = 0; k < last; k++)                                             \
            rows *= p->dims[k];                                                \
        for (r = 0; r < rows; r++, y += n) {                                   \
            if (sa != 0 && sb != 0) {                                          \
                for (i = 0; i < n; i++) {                                      \
                    const TA u = a[i];                                         \
                    const TB v = b[i];                                         \
                    y[i] = (EXPR);                                             \
                }                                                              \
            } else if (sb != 0) {                                              \
                const TA u = a[0];                                             \
                for (i = 0; i < n; i++) {                                      \
                    const TB v = b[i];                                         \
                    y[i] = (EXPR);                                             \
                }                                                              \
            } else if (sa != 0) {                                              \
                const TB v = b[0];                                             \
                for (i = 0; i < n; i++) {                                      \
                    const TA u = a[i];                                         \
                    y[i] = (EXPR);                                             \
                }                                                              \
            } else {                                                           \
                const TA u = a[0];                                             \
                const TB v = b[0];                                             \
                const TY w = (EXPR);                                           \
                for (i = 0; i < n; i++)                                        \
                    y[i] = w;                                                  \
            }                                                                  \
            for (k = last - 1; k >= 0; k--) {                                  \
                a += p->a_strides[k];                                          \
                b += p->b_strides[k];                                          \
                if (++idx[k] < p->dims[k])                                     \
                    break;                                                     \
                a -= p->a_strides[k] * p->dims[k];                             \
                b -= p->b_strides[k] * p->dims[k];                             \
                idx[k] = 0;                                                    \
            }                                                                  \
        }                                                                      \
    }
/*@end*/

/* Signed integer +, -, * go through unsigned arithmetic: they wrap as two's
 * complement instead of overflowing, which C leaves undefined. Integer /
 * truncates toward zero (C99), as ONNX's Div does. */

/* ---------------------------------------------------------------- Add */

/*@ dlk_add_f32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_add_f32, float, float, float, u + v)
/*@end*/
/*@ dlk_add_scalar_a_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_add_scalar_a_f32, float, float, float, u + v)
/*@end*/
/*@ dlk_add_scalar_b_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_add_scalar_b_f32, float, float, float, u + v)
/*@end*/
/*@ dlk_add_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_add_bcast_f32, float, float, float, u + v)
/*@end*/

/*@ dlk_add_i64 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_add_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u + (uint64_t)v))
/*@end*/
/*@ dlk_add_scalar_a_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_add_scalar_a_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u + (uint64_t)v))
/*@end*/
/*@ dlk_add_scalar_b_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_add_scalar_b_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u + (uint64_t)v))
/*@end*/
/*@ dlk_add_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_add_bcast_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u + (uint64_t)v))
/*@end*/

/*@ dlk_add_i32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_add_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u + (uint32_t)v))
/*@end*/
/*@ dlk_add_scalar_a_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_add_scalar_a_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u + (uint32_t)v))
/*@end*/
/*@ dlk_add_scalar_b_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_add_scalar_b_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u + (uint32_t)v))
/*@end*/
/*@ dlk_add_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_add_bcast_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u + (uint32_t)v))
/*@end*/

/* ---------------------------------------------------------------- Sub */

/*@ dlk_sub_f32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_sub_f32, float, float, float, u - v)
/*@end*/
/*@ dlk_sub_scalar_a_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_sub_scalar_a_f32, float, float, float, u - v)
/*@end*/
/*@ dlk_sub_scalar_b_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_sub_scalar_b_f32, float, float, float, u - v)
/*@end*/
/*@ dlk_sub_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_sub_bcast_f32, float, float, float, u - v)
/*@end*/

/*@ dlk_sub_i64 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_sub_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u - (uint64_t)v))
/*@end*/
/*@ dlk_sub_scalar_a_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_sub_scalar_a_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u - (uint64_t)v))
/*@end*/
/*@ dlk_sub_scalar_b_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_sub_scalar_b_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u - (uint64_t)v))
/*@end*/
/*@ dlk_sub_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_sub_bcast_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u - (uint64_t)v))
/*@end*/

/*@ dlk_sub_i32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_sub_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u - (uint32_t)v))
/*@end*/
/*@ dlk_sub_scalar_a_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_sub_scalar_a_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u - (uint32_t)v))
/*@end*/
/*@ dlk_sub_scalar_b_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_sub_scalar_b_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u - (uint32_t)v))
/*@end*/
/*@ dlk_sub_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_sub_bcast_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u - (uint32_t)v))
/*@end*/

/* ---------------------------------------------------------------- Mul */

/*@ dlk_mul_f32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_mul_f32, float, float, float, u * v)
/*@end*/
/*@ dlk_mul_scalar_a_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_mul_scalar_a_f32, float, float, float, u * v)
/*@end*/
/*@ dlk_mul_scalar_b_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_mul_scalar_b_f32, float, float, float, u * v)
/*@end*/
/*@ dlk_mul_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mul_bcast_f32, float, float, float, u * v)
/*@end*/

/*@ dlk_mul_i64 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_mul_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u * (uint64_t)v))
/*@end*/
/*@ dlk_mul_scalar_a_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_mul_scalar_a_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u * (uint64_t)v))
/*@end*/
/*@ dlk_mul_scalar_b_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_mul_scalar_b_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u * (uint64_t)v))
/*@end*/
/*@ dlk_mul_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mul_bcast_i64, int64_t, int64_t, int64_t, (int64_t)((uint64_t)u * (uint64_t)v))
/*@end*/

/*@ dlk_mul_i32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_mul_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u * (uint32_t)v))
/*@end*/
/*@ dlk_mul_scalar_a_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_mul_scalar_a_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u * (uint32_t)v))
/*@end*/
/*@ dlk_mul_scalar_b_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_mul_scalar_b_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u * (uint32_t)v))
/*@end*/
/*@ dlk_mul_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mul_bcast_i32, int32_t, int32_t, int32_t, (int32_t)((uint32_t)u * (uint32_t)v))
/*@end*/

/* ---------------------------------------------------------------- Div */

/*@ dlk_div_f32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_div_f32, float, float, float, u / v)
/*@end*/
/*@ dlk_div_scalar_a_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_div_scalar_a_f32, float, float, float, u / v)
/*@end*/
/*@ dlk_div_scalar_b_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_div_scalar_b_f32, float, float, float, u / v)
/*@end*/
/*@ dlk_div_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_div_bcast_f32, float, float, float, u / v)
/*@end*/

/*@ dlk_div_i64 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_div_i64, int64_t, int64_t, int64_t, u / v)
/*@end*/
/*@ dlk_div_scalar_a_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_div_scalar_a_i64, int64_t, int64_t, int64_t, u / v)
/*@end*/
/*@ dlk_div_scalar_b_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_div_scalar_b_i64, int64_t, int64_t, int64_t, u / v)
/*@end*/
/*@ dlk_div_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_div_bcast_i64, int64_t, int64_t, int64_t, u / v)
/*@end*/

/*@ dlk_div_i32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_div_i32, int32_t, int32_t, int32_t, u / v)
/*@end*/
/*@ dlk_div_scalar_a_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_div_scalar_a_i32, int32_t, int32_t, int32_t, u / v)
/*@end*/
/*@ dlk_div_scalar_b_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_div_scalar_b_i32, int32_t, int32_t, int32_t, u / v)
/*@end*/
/*@ dlk_div_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_div_bcast_i32, int32_t, int32_t, int32_t, u / v)
/*@end*/

/* ---------------------------------------------------------------- Max */

/*@ dlk_max_f32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_max_f32, float, float, float, u > v ? u : v)
/*@end*/
/*@ dlk_max_scalar_a_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_max_scalar_a_f32, float, float, float, u > v ? u : v)
/*@end*/
/*@ dlk_max_scalar_b_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_max_scalar_b_f32, float, float, float, u > v ? u : v)
/*@end*/
/*@ dlk_max_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_max_bcast_f32, float, float, float, u > v ? u : v)
/*@end*/

/*@ dlk_max_i64 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_max_i64, int64_t, int64_t, int64_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_scalar_a_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_max_scalar_a_i64, int64_t, int64_t, int64_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_scalar_b_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_max_scalar_b_i64, int64_t, int64_t, int64_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_max_bcast_i64, int64_t, int64_t, int64_t, u > v ? u : v)
/*@end*/

/*@ dlk_max_i32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_max_i32, int32_t, int32_t, int32_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_scalar_a_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_max_scalar_a_i32, int32_t, int32_t, int32_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_scalar_b_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_max_scalar_b_i32, int32_t, int32_t, int32_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_max_bcast_i32, int32_t, int32_t, int32_t, u > v ? u : v)
/*@end*/

/* ---------------------------------------------------------------- Min */

/*@ dlk_min_f32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_min_f32, float, float, float, u < v ? u : v)
/*@end*/
/*@ dlk_min_scalar_a_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_min_scalar_a_f32, float, float, float, u < v ? u : v)
/*@end*/
/*@ dlk_min_scalar_b_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_min_scalar_b_f32, float, float, float, u < v ? u : v)
/*@end*/
/*@ dlk_min_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_min_bcast_f32, float, float, float, u < v ? u : v)
/*@end*/

/*@ dlk_min_i64 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_min_i64, int64_t, int64_t, int64_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_scalar_a_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_min_scalar_a_i64, int64_t, int64_t, int64_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_scalar_b_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_min_scalar_b_i64, int64_t, int64_t, int64_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_min_bcast_i64, int64_t, int64_t, int64_t, u < v ? u : v)
/*@end*/

/*@ dlk_min_i32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_min_i32, int32_t, int32_t, int32_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_scalar_a_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_min_scalar_a_i32, int32_t, int32_t, int32_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_scalar_b_i32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_min_scalar_b_i32, int32_t, int32_t, int32_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_min_bcast_i32, int32_t, int32_t, int32_t, u < v ? u : v)
/*@end*/

/* ---------------------------------------------------------------- Pow */

/*@ dlk_pow_f32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_pow_f32, float, float, float, powf(u, v))
/*@end*/
/*@ dlk_pow_scalar_a_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_pow_scalar_a_f32, float, float, float, powf(u, v))
/*@end*/
/*@ dlk_pow_scalar_b_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_pow_scalar_b_f32, float, float, float, powf(u, v))
/*@end*/
/*@ dlk_pow_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_pow_bcast_f32, float, float, float, powf(u, v))
/*@end*/

/* A float base with an int64 exponent (Pow-12 and later allow it). */
/*@ dlk_pow_f32_i64 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_pow_f32_i64, float, int64_t, float, powf(u, (float)v))
/*@end*/
/*@ dlk_pow_scalar_a_f32_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_pow_scalar_a_f32_i64, float, int64_t, float, powf(u, (float)v))
/*@end*/
/*@ dlk_pow_scalar_b_f32_i64 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_pow_scalar_b_f32_i64, float, int64_t, float, powf(u, (float)v))
/*@end*/
/*@ dlk_pow_bcast_f32_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_pow_bcast_f32_i64, float, int64_t, float, powf(u, (float)v))
/*@end*/

/* ---------------------------------------------------------------- PRelu */

/* y = x for x >= 0, slope * x otherwise; a is X, b is slope. */
/*@ dlk_prelu_f32 : dlk_binary_loops */
DLK_BINARY_SAME(dlk_prelu_f32, float, float, float, u < 0.0f ? u * v : u)
/*@end*/
/*@ dlk_prelu_scalar_a_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_A(dlk_prelu_scalar_a_f32, float, float, float, u < 0.0f ? u * v : u)
/*@end*/
/*@ dlk_prelu_scalar_b_f32 : dlk_binary_loops */
DLK_BINARY_SCALAR_B(dlk_prelu_scalar_b_f32, float, float, float, u < 0.0f ? u * v : u)
/*@end*/
/*@ dlk_prelu_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_prelu_bcast_f32, float, float, float, u < 0.0f ? u * v : u)
/*@end*/

/* ------------------------------------------------ more element types */

/* float64 and the 8/16-bit and unsigned integer types come with the general
 * entry point only (the compiler routes every call of these through it):
 * rarely used, they are not worth four sections each. 8- and 16-bit results
 * are computed in int and converted back, which wraps as two's complement. */

/* add: the element types beyond float32/int32/int64, general entry only */
/*@ dlk_add_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_add_bcast_f64, double, double, double, u + v)
/*@end*/
/*@ dlk_add_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_add_bcast_i8, int8_t, int8_t, int8_t, (int8_t)(u + v))
/*@end*/
/*@ dlk_add_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_add_bcast_i16, int16_t, int16_t, int16_t, (int16_t)(u + v))
/*@end*/
/*@ dlk_add_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_add_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u + v))
/*@end*/
/*@ dlk_add_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_add_bcast_u16, uint16_t, uint16_t, uint16_t, (uint16_t)(u + v))
/*@end*/
/*@ dlk_add_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_add_bcast_u32, uint32_t, uint32_t, uint32_t, u + v)
/*@end*/
/*@ dlk_add_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_add_bcast_u64, uint64_t, uint64_t, uint64_t, u + v)
/*@end*/
/* sub: the element types beyond float32/int32/int64, general entry only */
/*@ dlk_sub_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_sub_bcast_f64, double, double, double, u - v)
/*@end*/
/*@ dlk_sub_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_sub_bcast_i8, int8_t, int8_t, int8_t, (int8_t)(u - v))
/*@end*/
/*@ dlk_sub_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_sub_bcast_i16, int16_t, int16_t, int16_t, (int16_t)(u - v))
/*@end*/
/*@ dlk_sub_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_sub_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u - v))
/*@end*/
/*@ dlk_sub_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_sub_bcast_u16, uint16_t, uint16_t, uint16_t, (uint16_t)(u - v))
/*@end*/
/*@ dlk_sub_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_sub_bcast_u32, uint32_t, uint32_t, uint32_t, u - v)
/*@end*/
/*@ dlk_sub_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_sub_bcast_u64, uint64_t, uint64_t, uint64_t, u - v)
/*@end*/
/* mul: the element types beyond float32/int32/int64, general entry only */
/*@ dlk_mul_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mul_bcast_f64, double, double, double, u * v)
/*@end*/
/*@ dlk_mul_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mul_bcast_i8, int8_t, int8_t, int8_t, (int8_t)(u * v))
/*@end*/
/*@ dlk_mul_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mul_bcast_i16, int16_t, int16_t, int16_t, (int16_t)(u * v))
/*@end*/
/*@ dlk_mul_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mul_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u * v))
/*@end*/
/*@ dlk_mul_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mul_bcast_u16, uint16_t, uint16_t, uint16_t, (uint16_t)((uint32_t)u * v))
/*@end*/
/*@ dlk_mul_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mul_bcast_u32, uint32_t, uint32_t, uint32_t, u * v)
/*@end*/
/*@ dlk_mul_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mul_bcast_u64, uint64_t, uint64_t, uint64_t, u * v)
/*@end*/
/* div: the element types beyond float32/int32/int64, general entry only */
/*@ dlk_div_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_div_bcast_f64, double, double, double, u / v)
/*@end*/
/*@ dlk_div_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_div_bcast_i8, int8_t, int8_t, int8_t, (int8_t)(u / v))
/*@end*/
/*@ dlk_div_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_div_bcast_i16, int16_t, int16_t, int16_t, (int16_t)(u / v))
/*@end*/
/*@ dlk_div_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_div_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u / v))
/*@end*/
/*@ dlk_div_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_div_bcast_u16, uint16_t, uint16_t, uint16_t, (uint16_t)(u / v))
/*@end*/
/*@ dlk_div_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_div_bcast_u32, uint32_t, uint32_t, uint32_t, u / v)
/*@end*/
/*@ dlk_div_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_div_bcast_u64, uint64_t, uint64_t, uint64_t, u / v)
/*@end*/
/* max: the element types beyond float32/int32/int64, general entry only */
/*@ dlk_max_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_max_bcast_f64, double, double, double, u > v ? u : v)
/*@end*/
/*@ dlk_max_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_max_bcast_i8, int8_t, int8_t, int8_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_max_bcast_i16, int16_t, int16_t, int16_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_max_bcast_u8, uint8_t, uint8_t, uint8_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_max_bcast_u16, uint16_t, uint16_t, uint16_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_max_bcast_u32, uint32_t, uint32_t, uint32_t, u > v ? u : v)
/*@end*/
/*@ dlk_max_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_max_bcast_u64, uint64_t, uint64_t, uint64_t, u > v ? u : v)
/*@end*/
/* min: the element types beyond float32/int32/int64, general entry only */
/*@ dlk_min_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_min_bcast_f64, double, double, double, u < v ? u : v)
/*@end*/
/*@ dlk_min_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_min_bcast_i8, int8_t, int8_t, int8_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_min_bcast_i16, int16_t, int16_t, int16_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_min_bcast_u8, uint8_t, uint8_t, uint8_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_min_bcast_u16, uint16_t, uint16_t, uint16_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_min_bcast_u32, uint32_t, uint32_t, uint32_t, u < v ? u : v)
/*@end*/
/*@ dlk_min_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_min_bcast_u64, uint64_t, uint64_t, uint64_t, u < v ? u : v)
/*@end*/
/* pow: double, and the mixed base/exponent types of Pow-12 and later.
 * Integer bases go through double pow and truncate, as numpy's casts do. */
/*@ dlk_pow_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_pow_bcast_f64, double, double, double, pow(u, v))
/*@end*/
/*@ dlk_pow_bcast_f32_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_pow_bcast_f32_i32, float, int32_t, float, powf(u, (float)v))
/*@end*/
/*@ dlk_pow_bcast_f32_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_pow_bcast_f32_u32, float, uint32_t, float, powf(u, (float)v))
/*@end*/
/*@ dlk_pow_bcast_f32_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_pow_bcast_f32_u64, float, uint64_t, float, powf(u, (float)v))
/*@end*/
/*@ dlk_pow_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_pow_bcast_i32, int32_t, int32_t, int32_t, (int32_t)pow((double)u, (double)v))
/*@end*/
/*@ dlk_pow_bcast_i32_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_pow_bcast_i32_f32, int32_t, float, int32_t, (int32_t)pow((double)u, (double)v))
/*@end*/
/*@ dlk_pow_bcast_i64_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_pow_bcast_i64_f32, int64_t, float, int64_t, (int64_t)pow((double)u, (double)v))
/*@end*/
/*@ dlk_pow_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_pow_bcast_i64, int64_t, int64_t, int64_t, (int64_t)pow((double)u, (double)v))
/*@end*/

/* ---------------------------------------------------------------- Mean */

/* Mean is a chain of broadcasting adds followed by this division: the
 * spec's sum / count, rounded once (a multiplication by 1/count rounds twice). */
/*@ dlk_mean_divide_f32 : dlk_common */
static void dlk_mean_divide_f32(const float *x, float *y, int64_t n, float count)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = x[i] / count;
}
/*@end*/

#endif
