/* The element-wise kernels: runtime/kernels/binary.h and unary.h.
 * Expected values are worked out by hand in the comments, or computed here in
 * double precision straight from the ONNX formula with libm. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernels/binary.h"
#include "kernels/unary.h"

/* |got - want| <= tol * max(1, |want|), element by element. */
static void expect_near(const char *what, const float *got, const double *want, int n, double tol)
{
    int i;
    for (i = 0; i < n; i++) {
        double scale = fabs(want[i]) > 1.0 ? fabs(want[i]) : 1.0;
        ck_assert_msg(fabs((double)got[i] - want[i]) <= tol * scale, "%s[%d]: got %.9g, expected %.9g", what, i,
                      (double)got[i], want[i]);
    }
}

static void expect_i64(const char *what, const int64_t *got, const int64_t *want, int n)
{
    int i;
    for (i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "%s[%d]: got %lld, expected %lld", what, i, (long long)got[i],
                      (long long)want[i]);
}

/* ------------------------------------------------------------- binary */

START_TEST(add_same_shape)
{
    const float a[3] = {1, 2, 3}, b[3] = {10, 20, 30};
    const double want[3] = {11, 22, 33};
    float y[3];
    dlk_add_f32(a, b, y, 3);
    expect_near("add", y, want, 3, 0);
}
END_TEST

/* (3,1) + (1,4) -> (3,4): y[i][j] = a[i] + b[j]. */
START_TEST(add_broadcast_column_row)
{
    const float a[3] = {1, 2, 3}, b[4] = {10, 20, 30, 40};
    const double want[12] = {11, 21, 31, 41, /* 1 + b */
                             12, 22, 32, 42, /* 2 + b */
                             13, 23, 33, 43}; /* 3 + b */
    const dlk_binary_params p = {2, {3, 4}, {1, 0}, {0, 1}};
    float y[12];
    dlk_add_bcast_f32(&p, a, b, y);
    expect_near("add (3,1)+(1,4)", y, want, 12, 0);
}
END_TEST

/* (2,3,4) * (4): y[k] = a[k] * b[k % 4], with a[k] = k and b = {1,2,3,4}.
 * Checked both as the compiler emits it (dims 2 and 3 merged: (6,4)) and
 * unmerged at rank 3. */
START_TEST(mul_broadcast_last_dim)
{
    const dlk_binary_params merged = {2, {6, 4}, {4, 1}, {0, 1}};
    const dlk_binary_params rank3 = {3, {2, 3, 4}, {12, 4, 1}, {0, 0, 1}};
    const float b[4] = {1, 2, 3, 4};
    float a[24], y[24];
    double want[24];
    int k;
    for (k = 0; k < 24; k++) {
        a[k] = (float)k;
        want[k] = k * (k % 4 + 1);
    }
    /* spot checks of the formula: 5 * b[1] = 10, 23 * b[3] = 92 */
    ck_assert(want[5] == 10 && want[23] == 92);
    dlk_mul_bcast_f32(&merged, a, b, y);
    expect_near("mul (6,4)", y, want, 24, 0);
    dlk_mul_bcast_f32(&rank3, a, b, y);
    expect_near("mul (2,3,4)", y, want, 24, 0);
}
END_TEST

/* A (2,1,3) + B (1,2,1) -> (2,2,3): broadcast on both sides in the middle.
 * y[i][j][k] = a[i][k] + b[j] with a = {{1,2,3},{4,5,6}}, b = {100, 200}. */
START_TEST(add_broadcast_both_sides)
{
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {100, 200};
    const dlk_binary_params p = {3, {2, 2, 3}, {3, 0, 1}, {0, 1, 0}};
    const double want[12] = {101, 102, 103, 201, 202, 203, 104, 105, 106, 204, 205, 206};
    float y[12];
    dlk_add_bcast_f32(&p, a, b, y);
    expect_near("add (2,1,3)+(1,2,1)", y, want, 12, 0);
}
END_TEST

/* Both operands broadcast over the last dim (a variadic op's first step
 * writes straight into a wider output): (2,1) + (1) -> (2,3). */
START_TEST(add_broadcast_fill)
{
    const float a[2] = {1, 2}, b[1] = {10};
    const dlk_binary_params p = {2, {2, 3}, {1, 0}, {0, 0}};
    const double want[6] = {11, 11, 11, 12, 12, 12};
    float y[6];
    dlk_add_bcast_f32(&p, a, b, y);
    expect_near("add fill", y, want, 6, 0);
}
END_TEST

START_TEST(scalar_operands)
{
    const float x[3] = {0.5f, 2, -4}, one = 1, four = 4;
    const double sub_want[3] = {0.5, -1, 5};       /* 1 - x */
    const double div_want[3] = {0.125, 0.5, -1};   /* x / 4 */
    const double rdiv_want[3] = {2, 0.5, -0.25};   /* 1 / x */
    float y[3];
    dlk_sub_scalar_a_f32(&one, x, y, 3);
    expect_near("1 - x", y, sub_want, 3, 0);
    dlk_div_scalar_b_f32(x, &four, y, 3);
    expect_near("x / 4", y, div_want, 3, 0);
    dlk_div_scalar_a_f32(&one, x, y, 3);
    expect_near("1 / x", y, rdiv_want, 3, 0);
}
END_TEST

/* C99 integer division truncates toward zero: -7/2 = -3 (not floor's -4). */
START_TEST(int_div_truncates)
{
    const int64_t a[4] = {-7, 7, -7, 7}, b[4] = {2, 2, -2, -2};
    const int64_t want[4] = {-3, 3, 3, -3};
    const int32_t a32[2] = {-7, 9}, two = 2;
    int64_t y[4];
    int32_t y32[2];
    dlk_div_i64(a, b, y, 4);
    expect_i64("div i64", y, want, 4);
    dlk_div_scalar_b_i32(a32, &two, y32, 2);
    ck_assert_int_eq(y32[0], -3);
    ck_assert_int_eq(y32[1], 4);
}
END_TEST

/* Shape arithmetic: batch * channels, and the wrap instead of overflow. */
START_TEST(int_arithmetic)
{
    const int64_t shape[2] = {4, 3}, hw = 49;
    const int64_t big[1] = {INT64_MAX}, one[1] = {1};
    const int64_t want_mul[2] = {196, 147};  /* 4*49, 3*49 */
    const int64_t want_sub[2] = {-45, -46};  /* 4-49, 3-49 */
    int64_t y[2];
    dlk_mul_scalar_b_i64(shape, &hw, y, 2);
    expect_i64("mul i64", y, want_mul, 2);
    dlk_sub_scalar_b_i64(shape, &hw, y, 2);
    expect_i64("sub i64", y, want_sub, 2);
    dlk_add_i64(big, one, y, 1);
    ck_assert(y[0] == INT64_MIN);
}
END_TEST

START_TEST(max_min)
{
    const int64_t a[3] = {-5, 0, 7}, zero = 0;
    const int64_t want_max[3] = {0, 0, 7}, want_min[3] = {-5, 0, 0};
    /* (2,2) max (2): rows {1,5},{3,-2} against {2,2} */
    const float fa[4] = {1, 5, 3, -2}, fb[2] = {2, 2};
    const dlk_binary_params p = {2, {2, 2}, {2, 1}, {0, 1}};
    const double want_f[4] = {2, 5, 3, 2};
    int64_t y[3];
    float fy[4];
    dlk_max_scalar_b_i64(a, &zero, y, 3);
    expect_i64("max i64", y, want_max, 3);
    dlk_min_scalar_a_i64(&zero, a, y, 3);
    expect_i64("min i64", y, want_min, 3);
    dlk_max_bcast_f32(&p, fa, fb, fy);
    expect_near("max f32", fy, want_f, 4, 0);
}
END_TEST

START_TEST(pow_float_and_int_exponent)
{
    const float base[3] = {2, 3, 9}, expo[3] = {3, 2, 0.5f};
    const double want[3] = {8, 9, 3};              /* 2^3, 3^2, sqrt 9 */
    const float two = 2;
    const int64_t iexp[4] = {0, 1, 10, -1};
    const double want_i[4] = {1, 2, 1024, 0.5};    /* 2^0, 2^1, 2^10, 2^-1 */
    float y[4];
    dlk_pow_f32(base, expo, y, 3);
    expect_near("pow", y, want, 3, 1e-6);
    dlk_pow_scalar_a_f32_i64(&two, iexp, y, 4);
    expect_near("pow i64 exponent", y, want_i, 4, 1e-6);
}
END_TEST

/* PRelu with a per-channel slope (C,1,1) on X (1,2,2,2): the compiler drops
 * N=1 and merges H,W, giving (2 channels, 4 pixels) with slope stride (1, 0).
 * Channel 0 slope 0.1: {-1, 2, -3, 4} -> {-0.1, 2, -0.3, 4}
 * Channel 1 slope 0.2: {-10, 20, 0, -5} -> {-2, 20, 0, -1} */
START_TEST(prelu_per_channel)
{
    const float x[8] = {-1, 2, -3, 4, -10, 20, 0, -5}, slope[2] = {0.1f, 0.2f};
    const dlk_binary_params p = {2, {2, 4}, {4, 1}, {1, 0}};
    const double want[8] = {-0.1, 2, -0.3, 4, -2, 20, 0, -1};
    float y[8];
    dlk_prelu_bcast_f32(&p, x, slope, y);
    expect_near("prelu", y, want, 8, 1e-6);
}
END_TEST

/* y may be operand a's buffer (in-place residual add). */
START_TEST(add_in_place)
{
    float y[4] = {1, 2, 3, 4};
    const float b[2] = {10, 20};
    const dlk_binary_params p = {2, {2, 2}, {2, 1}, {0, 1}};
    const double want[4] = {11, 22, 13, 24};
    dlk_add_bcast_f32(&p, y, b, y);
    expect_near("in place", y, want, 4, 0);
}
END_TEST

START_TEST(mean_divide)
{
    const float sum[3] = {3, 6, 10};
    const double want[3] = {1, 2, 10.0 / 3.0};
    float y[3];
    dlk_mean_divide_f32(sum, y, 3, 3.0f);
    expect_near("mean", y, want, 3, 1e-7);
}
END_TEST

/* -------------------------------------------------------------- unary */

#define N_PTS 5
static const float pts[N_PTS] = {-3.0f, -1.0f, 0.0f, 0.5f, 2.0f};

/* Run a kernel over pts and compare with want(x) computed in double. */
static void check_unary(const char *what, const float *y, double (*want)(double), double tol)
{
    double w[N_PTS];
    int i;
    for (i = 0; i < N_PTS; i++)
        w[i] = want(pts[i]);
    expect_near(what, y, w, N_PTS, tol);
}

static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double ref_softplus(double x) { return log(1.0 + exp(x)); }
static double ref_gelu(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }
static double ref_gelu_tanh(double x)
{
    return 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}
static double ref_hard_swish(double x) { return x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5)); }
static double ref_elu(double x) { return x < 0 ? exp(x) - 1.0 : x; }           /* alpha 1 */
static double ref_selu(double x)
{
    const double alpha = 1.67326319217681884765625, gamma = 1.05070102214813232421875;
    return x > 0 ? gamma * x : gamma * (alpha * exp(x) - alpha);
}
static double ref_reciprocal(double x) { return 1.0 / x; }

START_TEST(activations_at_points)
{
    float y[N_PTS];
    dlk_sigmoid_f32(pts, y, N_PTS);
    check_unary("sigmoid", y, ref_sigmoid, 1e-6);
    dlk_tanh_f32(pts, y, N_PTS);
    check_unary("tanh", y, tanh, 1e-6);
    dlk_softplus_f32(pts, y, N_PTS);
    check_unary("softplus", y, ref_softplus, 1e-6);
    dlk_gelu_f32(pts, y, N_PTS);
    check_unary("gelu", y, ref_gelu, 1e-6);
    dlk_gelu_tanh_f32(pts, y, N_PTS);
    check_unary("gelu tanh", y, ref_gelu_tanh, 1e-6);
    dlk_hard_swish_f32(pts, y, N_PTS);
    check_unary("hard swish", y, ref_hard_swish, 1e-6);
    dlk_elu_f32(pts, y, N_PTS, 1.0f);
    check_unary("elu", y, ref_elu, 1e-6);
    dlk_selu_f32(pts, y, N_PTS, 1.67326319217681884765625f, 1.05070102214813232421875f);
    check_unary("selu", y, ref_selu, 1e-6);
    dlk_erf_f32(pts, y, N_PTS);
    check_unary("erf", y, erf, 1e-6);
    dlk_exp_f32(pts, y, N_PTS);
    check_unary("exp", y, exp, 1e-6);
    dlk_abs_f32(pts, y, N_PTS);
    check_unary("abs", y, fabs, 0);
}
END_TEST

/* Values worked out by hand. */
START_TEST(activations_by_hand)
{
    const float x[4] = {-2, 0, 1, 4};
    float y[4];
    /* Relu: max(x, 0) */
    const double relu[4] = {0, 0, 1, 4};
    /* LeakyRelu alpha .01: -2 * .01 = -0.02 */
    const double leaky[4] = {-0.02, 0, 1, 4};
    /* HardSigmoid alpha .2 beta .5: -2 -> 0.1, 0 -> 0.5, 1 -> 0.7, 4 -> 1.3 clipped to 1 */
    const double hsig[4] = {0.1, 0.5, 0.7, 1};
    /* HardSwish x * clip(x/6 + .5): -2 -> -2 * 1/6, 0 -> 0, 1 -> 2/3, 4 -> 4 * 1 */
    const double hswish[4] = {-1.0 / 3.0, 0, 2.0 / 3.0, 4};
    /* Sqrt, Reciprocal, Neg on {1, 4} parts */
    const float pos[3] = {1, 4, 0.25f};
    const double sq[3] = {1, 2, 0.5}, rec[3] = {1, 0.25, 4};
    dlk_relu_f32(x, y, 4);
    expect_near("relu", y, relu, 4, 0);
    dlk_leaky_relu_f32(x, y, 4, 0.01f);
    expect_near("leaky relu", y, leaky, 4, 1e-7);
    dlk_hard_sigmoid_f32(x, y, 4, 0.2f, 0.5f);
    expect_near("hard sigmoid", y, hsig, 4, 1e-7);
    dlk_hard_swish_f32(x, y, 4);
    expect_near("hard swish", y, hswish, 4, 1e-7);
    dlk_sqrt_f32(pos, y, 3);
    expect_near("sqrt", y, sq, 3, 0);
    dlk_reciprocal_f32(pos, y, 3);
    expect_near("reciprocal", y, rec, 3, 0);
    {
        const double neg[4] = {2, 0, -1, -4};
        dlk_neg_f32(x, y, 4);
        expect_near("neg", y, neg, 4, 0);
    }
    {
        /* Log(e) = 1, Log(1) = 0 */
        const float e[2] = {2.718281828f, 1};
        const double want[2] = {1, 0};
        dlk_log_f32(e, y, 2);
        expect_near("log", y, want, 2, 1e-6);
    }
}
END_TEST

/* SEED-NOTES T34: sigmoid'(0) = s(1-s) = 0.25 is its maximum; tanh'(x) =
 * 1 - tanh^2 is 1.0 at 0 and 0.0099 at |x| = 3. T33: GELU(1) = Phi(1) =
 * 0.8413, and the 1.702 sigmoid approximation sigma(1.702) = 0.8458 lies
 * within 0.5% of it. */
START_TEST(seed_notes_t33_t34)
{
    const float x[3] = {0, 3, -3};
    const float one = 1, approx_arg = 1.702f;
    float s[3], t[3], g, approx;
    dlk_sigmoid_f32(x, s, 1);
    ck_assert_float_eq_tol(s[0] * (1 - s[0]), 0.25f, 1e-7f);
    dlk_tanh_f32(x, t, 3);
    ck_assert_float_eq_tol(1 - t[0] * t[0], 1.0f, 1e-7f);
    ck_assert_float_eq_tol(1 - t[1] * t[1], 0.0099f, 1e-4f);
    ck_assert_float_eq_tol(1 - t[2] * t[2], 0.0099f, 1e-4f);
    dlk_gelu_f32(&one, &g, 1);
    ck_assert_float_eq_tol(g, 0.8413f, 1e-4f);
    dlk_sigmoid_f32(&approx_arg, &approx, 1);
    ck_assert_float_eq_tol(approx, 0.8458f, 1e-4f);
    ck_assert(fabsf(approx - g) / g < 0.006f);
}
END_TEST

/* Large magnitudes must not give inf or NaN. */
START_TEST(activations_extremes)
{
    const float x[2] = {-100, 100};
    float y[2];
    dlk_sigmoid_f32(x, y, 2);
    ck_assert_float_eq_tol(y[0], 0.0f, 1e-30f);
    ck_assert_float_eq(y[1], 1.0f);
    dlk_softplus_f32(x, y, 2);
    ck_assert(y[0] >= 0 && y[0] < 1e-40f);   /* log(1 + e^-100) ~ 3.7e-44 */
    ck_assert_float_eq(y[1], 100.0f);        /* large x: x itself */
    dlk_elu_f32(x, y, 2, 1.0f);
    ck_assert_float_eq(y[0], -1.0f);
    dlk_gelu_f32(x, y, 2);
    ck_assert_float_eq(y[0], 0.0f);
    ck_assert_float_eq(y[1], 100.0f);
}
END_TEST

START_TEST(clip_bounds)
{
    const float x[5] = {-5, 0, 0.5f, 6, 9};
    const double relu6[5] = {0, 0, 0.5, 6, 6};
    const double lo_only[5] = {-1, 0, 0.5, 6, 9};   /* max absent: FLT_MAX */
    const double crossed[5] = {1, 1, 1, 1, 1};      /* min 2 > max 1: max everywhere (Clip-13) */
    float y[5];
    dlk_clip_f32(x, y, 5, 0, 6);
    expect_near("clip 0..6", y, relu6, 5, 0);
    dlk_clip_f32(x, y, 5, -1, 3.402823466e+38f);
    expect_near("clip -1..", y, lo_only, 5, 0);
    dlk_clip_f32(x, y, 5, 2, 1);
    expect_near("clip crossed", y, crossed, 5, 0);
}
END_TEST

START_TEST(int_neg_abs)
{
    const int64_t x[4] = {-3, 0, 5, INT64_MIN};
    const int64_t neg[4] = {3, 0, -5, INT64_MIN};   /* -MIN wraps to MIN */
    const int64_t abs_[4] = {3, 0, 5, INT64_MIN};
    const int32_t x32[2] = {-7, 7};
    int64_t y[4];
    int32_t y32[2];
    dlk_neg_i64(x, y, 4);
    expect_i64("neg i64", y, neg, 4);
    dlk_abs_i64(x, y, 4);
    expect_i64("abs i64", y, abs_, 4);
    dlk_abs_i32(x32, y32, 2);
    ck_assert_int_eq(y32[0], 7);
    ck_assert_int_eq(y32[1], 7);
    dlk_neg_i32(x32, y32, 2);
    ck_assert_int_eq(y32[0], 7);
    ck_assert_int_eq(y32[1], -7);
}
END_TEST

START_TEST(unary_in_place)
{
    float x[3] = {-1, 2, -3};
    const double relu[3] = {0, 2, 0};
    dlk_relu_f32(x, x, 3);
    expect_near("relu in place", x, relu, 3, 0);
}
END_TEST

static Suite *elementwise_suite(void)
{
    Suite *s = suite_create("kernels_elementwise");
    TCase *bin = tcase_create("binary");
    TCase *un = tcase_create("unary");
    tcase_add_test(bin, add_same_shape);
    tcase_add_test(bin, add_broadcast_column_row);
    tcase_add_test(bin, mul_broadcast_last_dim);
    tcase_add_test(bin, add_broadcast_both_sides);
    tcase_add_test(bin, add_broadcast_fill);
    tcase_add_test(bin, scalar_operands);
    tcase_add_test(bin, int_div_truncates);
    tcase_add_test(bin, int_arithmetic);
    tcase_add_test(bin, max_min);
    tcase_add_test(bin, pow_float_and_int_exponent);
    tcase_add_test(bin, prelu_per_channel);
    tcase_add_test(bin, add_in_place);
    tcase_add_test(bin, mean_divide);
    tcase_add_test(un, activations_at_points);
    tcase_add_test(un, activations_by_hand);
    tcase_add_test(un, seed_notes_t33_t34);
    tcase_add_test(un, activations_extremes);
    tcase_add_test(un, clip_bounds);
    tcase_add_test(un, int_neg_abs);
    tcase_add_test(un, unary_in_place);
    suite_add_tcase(s, bin);
    suite_add_tcase(s, un);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(elementwise_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
