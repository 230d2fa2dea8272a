/* The softmax and reduce kernels: runtime/kernels/softmax.h and reduce.h.
 * Inputs are chosen so the expected values can be worked out by hand. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernels/reduce.h"
#include "kernels/softmax.h"

static void expect_near(const char *what, const float *got, const double *want, int n, double tol)
{
    int i;
    for (i = 0; i < n; i++)
        ck_assert_msg(fabs((double)got[i] - want[i]) <= tol, "%s[%d]: got %.9g, expected %.9g", what, i,
                      (double)got[i], want[i]);
}

/* Sum of the n elements at x[start + j * stride]. */
static double fiber_sum(const float *x, int start, int n, int stride)
{
    double s = 0;
    int j;
    for (j = 0; j < n; j++)
        s += x[start + j * stride];
    return s;
}

/* ------------------------------------------------------------ softmax */

/* A 2x3x4 tensor, x[i][j][k] = log(k + 1) + 50 * (3i + j): along k the
 * exponentials are proportional to 1, 2, 3, 4 (sum 10), so every row is
 * {0.1, 0.2, 0.3, 0.4} whatever its offset. Offsets up to 250 overflow
 * expf unless the row max is subtracted first. Softmax-13, axis = -1:
 * outer 6, n 4, inner 1. */
START_TEST(softmax_last_axis)
{
    float x[24], y[24];
    double want[24];
    int r, k;
    for (r = 0; r < 6; r++)
        for (k = 0; k < 4; k++) {
            x[r * 4 + k] = (float)(log(k + 1.0) + 50.0 * r);
            want[r * 4 + k] = (k + 1) / 10.0;
        }
    dlk_softmax_f32(x, y, 6, 4, 1);
    expect_near("softmax axis -1", y, want, 24, 1e-4);
    for (r = 0; r < 6; r++)
        ck_assert_msg(fabs(fiber_sum(y, r * 4, 4, 1) - 1.0) < 1e-6, "row %d does not sum to 1", r);
}
END_TEST

/* Softmax-13 with axis = 1 on 2x3x4: outer 2, n 3, inner 4.
 * x[i][j][k] = log(j + 1) + k - i: along j the exponentials are
 * proportional to 1, 2, 3, so y[i][j][k] = (j + 1) / 6 for every i, k. */
START_TEST(softmax_middle_axis)
{
    float x[24], y[24];
    double want[24];
    int i, j, k;
    for (i = 0; i < 2; i++)
        for (j = 0; j < 3; j++)
            for (k = 0; k < 4; k++) {
                x[(i * 3 + j) * 4 + k] = (float)(log(j + 1.0) + k - i);
                want[(i * 3 + j) * 4 + k] = (j + 1) / 6.0;
            }
    dlk_softmax_f32(x, y, 2, 3, 4);
    expect_near("softmax axis 1", y, want, 24, 1e-6);
    for (i = 0; i < 2; i++)
        for (k = 0; k < 4; k++)
            ck_assert(fabs(fiber_sum(y, i * 12 + k, 3, 4) - 1.0) < 1e-6);
}
END_TEST

/* Softmax-1..12 with axis = 1 on 2x3x4 coerces to 2-D (2, 12): outer 2,
 * n 12, inner 1. x[i][m] = log(m + 1) for the flattened m = 4j + k, so
 * y[i][m] = (m + 1) / (1 + 2 + ... + 12) = (m + 1) / 78. */
START_TEST(softmax_legacy_flatten)
{
    float x[24], y[24];
    double want[24];
    int i, m;
    for (i = 0; i < 2; i++)
        for (m = 0; m < 12; m++) {
            x[i * 12 + m] = (float)log(m + 1.0);
            want[i * 12 + m] = (m + 1) / 78.0;
        }
    dlk_softmax_f32(x, y, 2, 12, 1);
    expect_near("softmax opset 11 axis 1", y, want, 24, 1e-6);
    ck_assert(fabs(fiber_sum(y, 0, 12, 1) - 1.0) < 1e-6);
    ck_assert(fabs(fiber_sum(y, 12, 12, 1) - 1.0) < 1e-6);
}
END_TEST

/* LogSoftmax is log of the above: log(0.1) .. log(0.4) along the last axis,
 * log((j + 1) / 6) along the middle one. */
START_TEST(log_softmax)
{
    float x[24], y[24];
    double want[24];
    int r, j, k;
    for (r = 0; r < 6; r++)
        for (k = 0; k < 4; k++) {
            x[r * 4 + k] = (float)(log(k + 1.0) + 50.0 * r);
            want[r * 4 + k] = log((k + 1) / 10.0);
        }
    dlk_log_softmax_f32(x, y, 6, 4, 1);
    expect_near("log softmax axis -1", y, want, 24, 1e-4);
    for (r = 0; r < 2; r++)
        for (j = 0; j < 3; j++)
            for (k = 0; k < 4; k++) {
                x[(r * 3 + j) * 4 + k] = (float)(log(j + 1.0) + k - r);
                want[(r * 3 + j) * 4 + k] = log((j + 1) / 6.0);
            }
    dlk_log_softmax_f32(x, y, 2, 3, 4);
    expect_near("log softmax axis 1", y, want, 24, 1e-6);
}
END_TEST

/* In place, and a row of equal values gives the uniform distribution. */
START_TEST(softmax_in_place_uniform)
{
    float x[8] = {7, 7, 7, 7, -1000, -1000, -1000, -1000};
    const double want[8] = {0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25};
    dlk_softmax_f32(x, x, 2, 4, 1);
    expect_near("softmax in place", x, want, 8, 1e-7);
}
END_TEST

/* ---------------------------------------------------------- ReduceMean */

/* x is 2x3x4 with x[i][j][k] = 12i + 4j + k = 0..23. keepdims only changes
 * the output's shape (the compiler's business), not its data, so each case
 * stands for both keepdims=1 and keepdims=0. The params are those the
 * compiler emits: size-1 dims dropped, like neighbours merged. */
static void fill_iota(float *x, int n)
{
    int i;
    for (i = 0; i < n; i++)
        x[i] = (float)i;
}

/* axes {2}: mean over k of 12i + 4j + k = 12i + 4j + 1.5; output (2,3,1)
 * with keepdims, (2,3) without. Dims (2,3) merge: (6, 4). */
START_TEST(reduce_mean_last_axis)
{
    const dlk_reduce_params p = {2, {6, 4}, {1, 0}, 6, 4};
    const double want[6] = {1.5, 5.5, 9.5, 13.5, 17.5, 21.5};
    float x[24], y[6];
    fill_iota(x, 24);
    dlk_reduce_mean_f32(&p, x, y);
    expect_near("mean axes {2}", y, want, 6, 0);
}
END_TEST

/* axes {1}: mean over j of 12i + 4j + k = 12i + k + (0 + 4 + 8) / 3;
 * output (2,1,4) or (2,4). */
START_TEST(reduce_mean_middle_axis)
{
    const dlk_reduce_params p = {3, {2, 3, 4}, {4, 0, 1}, 8, 3};
    const double want[8] = {4, 5, 6, 7, 16, 17, 18, 19};
    float x[24], y[8];
    fill_iota(x, 24);
    dlk_reduce_mean_f32(&p, x, y);
    expect_near("mean axes {1}", y, want, 8, 0);
}
END_TEST

/* axes {0}: mean over i of 12i + m (m = 4j + k) = m + 6; output (1,3,4) or
 * (3,4). Dims (3,4) merge: (2, 12). */
START_TEST(reduce_mean_first_axis)
{
    const dlk_reduce_params p = {2, {2, 12}, {0, 1}, 12, 2};
    double want[12];
    float x[24], y[12];
    int m;
    for (m = 0; m < 12; m++)
        want[m] = m + 6;
    fill_iota(x, 24);
    dlk_reduce_mean_f32(&p, x, y);
    expect_near("mean axes {0}", y, want, 12, 0);
}
END_TEST

/* axes {0, 2}, not adjacent: mean over i, k of 12i + 4j + k = 4j + 6 + 1.5;
 * output (1,3,1) or (3). */
START_TEST(reduce_mean_outer_axes)
{
    const dlk_reduce_params p = {3, {2, 3, 4}, {0, 1, 0}, 3, 8};
    const double want[3] = {7.5, 11.5, 15.5};
    float x[24], y[3];
    fill_iota(x, 24);
    dlk_reduce_mean_f32(&p, x, y);
    expect_near("mean axes {0,2}", y, want, 3, 0);
}
END_TEST

/* No axes: every element, (0 + 23) / 2 = 11.5; output (1,1,1) or a scalar. */
START_TEST(reduce_mean_all)
{
    const dlk_reduce_params p = {1, {24}, {0}, 1, 24};
    const double want[1] = {11.5};
    float x[24], y[1];
    fill_iota(x, 24);
    dlk_reduce_mean_f32(&p, x, y);
    expect_near("mean all", y, want, 1, 0);
}
END_TEST

/* A GlobalAveragePool-like mean over H, W of (1, 2, 100, 100) with a large
 * offset: the double row accumulator keeps it exact to float precision.
 * Channel c holds 1000 + c + (pixel % 2) * 0.5, mean 1000 + c + 0.25. */
START_TEST(reduce_mean_spatial_precision)
{
    enum { HW = 100 * 100 };
    static float x[2 * HW];
    const dlk_reduce_params p = {2, {2, HW}, {1, 0}, 2, HW};
    const double want[2] = {1000.25, 1001.25};
    float y[2];
    int c, i;
    for (c = 0; c < 2; c++)
        for (i = 0; i < HW; i++)
            x[c * HW + i] = 1000.0f + (float)c + (float)(i % 2) * 0.5f;
    dlk_reduce_mean_f32(&p, x, y);
    expect_near("mean spatial", y, want, 2, 0);
}
END_TEST

static Suite *softmax_reduce_suite(void)
{
    Suite *s = suite_create("kernels_softmax_reduce");
    TCase *sm = tcase_create("softmax");
    TCase *rd = tcase_create("reduce");
    tcase_add_test(sm, softmax_last_axis);
    tcase_add_test(sm, softmax_middle_axis);
    tcase_add_test(sm, softmax_legacy_flatten);
    tcase_add_test(sm, log_softmax);
    tcase_add_test(sm, softmax_in_place_uniform);
    tcase_add_test(rd, reduce_mean_last_axis);
    tcase_add_test(rd, reduce_mean_middle_axis);
    tcase_add_test(rd, reduce_mean_first_axis);
    tcase_add_test(rd, reduce_mean_outer_axes);
    tcase_add_test(rd, reduce_mean_all);
    tcase_add_test(rd, reduce_mean_spatial_precision);
    suite_add_tcase(s, sm);
    suite_add_tcase(s, rd);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(softmax_reduce_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
