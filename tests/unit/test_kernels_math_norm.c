/* Kernel checks for the math activations (runtime/kernels/unary.h), Hardmax
 * (softmax.h) and the normalisations (normalize.h). Expected values are
 * worked by hand in the comments. */
#include <check.h>
#include <stdlib.h>

#include "runtime/kernels/normalize.h"
#include "runtime/kernels/softmax.h"
#include "runtime/kernels/unary.h"

#define TOL 1e-5

static void expect(const float *got, const float *want, int n)
{
    int i;
    for (i = 0; i < n; i++)
        ck_assert_msg(fabs((double)got[i] - want[i]) <= TOL, "element %d: got %.8g, want %.8g", i, got[i], want[i]);
}

/* Round-11 rounds halves to even: 0.5->0, 1.5->2, 2.5->2, -1.5->-2, -2.5->-2. */
START_TEST(test_round_half_even)
{
    const float x[6] = {0.5f, 1.5f, 2.5f, -1.5f, -2.5f, 0.4f};
    const float want[6] = {0.0f, 2.0f, 2.0f, -2.0f, -2.0f, 0.0f};
    const double xd[2] = {2.5, 3.5};
    double yd[2];
    float y[6];
    dlk_round_f32(x, y, 6);
    expect(y, want, 6);
    dlk_round_f64(xd, yd, 2);
    ck_assert(yd[0] == 2.0 && yd[1] == 4.0);
}
END_TEST

/* floor(-1.5) = -2, ceil(-1.5) = -1; floor(2.2) = 2, ceil(2.2) = 3. */
START_TEST(test_floor_ceil)
{
    const float x[2] = {-1.5f, 2.2f};
    const float wf[2] = {-2.0f, 2.0f}, wc[2] = {-1.0f, 3.0f};
    float y[2];
    dlk_floor_f32(x, y, 2);
    expect(y, wf, 2);
    dlk_ceil_f32(x, y, 2);
    expect(y, wc, 2);
}
END_TEST

/* softsign: 1/(1+1) = 0.5, -3/(1+3) = -0.75, 0 -> 0. */
START_TEST(test_softsign)
{
    const float x[3] = {1.0f, -3.0f, 0.0f};
    const float want[3] = {0.5f, -0.75f, 0.0f};
    float y[3];
    dlk_softsign_f32(x, y, 3);
    expect(y, want, 3);
}
END_TEST

/* Shrink bias 1.5, lambd 1: -2 < -1 -> -2 + 1.5 = -0.5; 0.5 and -1 are inside
 * [-1, 1] -> 0; 3 > 1 -> 3 - 1.5 = 1.5. */
START_TEST(test_shrink)
{
    const float x[4] = {-2.0f, 0.5f, -1.0f, 3.0f};
    const float want[4] = {-0.5f, 0.0f, 0.0f, 1.5f};
    float y[4];
    dlk_shrink_f32(x, y, 4, 1.5f, 1.0f);
    expect(y, want, 4);
}
END_TEST

/* ThresholdedRelu alpha 1: only x > 1 passes (1 itself gives 0). */
START_TEST(test_thresholded_relu)
{
    const float x[3] = {0.5f, 1.0f, 2.0f};
    const float want[3] = {0.0f, 0.0f, 2.0f};
    float y[3];
    dlk_thresholded_relu_f32(x, y, 3, 1.0f);
    expect(y, want, 3);
}
END_TEST

/* Celu alpha 2: x = -2 -> 2 * (e^-1 - 1) = 2 * (0.36787944 - 1) = -1.26424112;
 * x = 3 -> 3. */
START_TEST(test_celu)
{
    const float x[2] = {-2.0f, 3.0f};
    const float want[2] = {-1.26424112f, 3.0f};
    float y[2];
    dlk_celu_f32(x, y, 2, 2.0f);
    expect(y, want, 2);
}
END_TEST

/* Mish(1) = tanh(ln(1 + e)) = tanh(1.31326169) = 0.86509839; Mish(0) = 0.
 * Swish alpha 1 at 2: 2 / (1 + e^-2) = 2 / 1.13533528 = 1.76159416. */
START_TEST(test_mish_swish)
{
    const float x[2] = {1.0f, 0.0f};
    const float wm[2] = {0.86509839f, 0.0f};
    const float xs[1] = {2.0f}, ws[1] = {1.76159416f};
    float y[2];
    dlk_mish_f32(x, y, 2);
    expect(y, wm, 2);
    dlk_swish_f32(xs, y, 1, 1.0f);
    expect(y, ws, 1);
}
END_TEST

/* sin(pi/2) = 1, cos(0) = 1, atan(1) = pi/4 = 0.78539816, acosh(1) = 0,
 * cosh(0) = 1, asinh(0) = 0. */
START_TEST(test_trig)
{
    const float h[1] = {1.57079633f}, z[1] = {0.0f}, o[1] = {1.0f};
    const float one[1] = {1.0f}, zero[1] = {0.0f}, quarter_pi[1] = {0.78539816f};
    float y[1];
    dlk_sin_f32(h, y, 1);
    expect(y, one, 1);
    dlk_cos_f32(z, y, 1);
    expect(y, one, 1);
    dlk_atan_f32(o, y, 1);
    expect(y, quarter_pi, 1);
    dlk_acosh_f32(o, y, 1);
    expect(y, zero, 1);
    dlk_cosh_f32(z, y, 1);
    expect(y, one, 1);
    dlk_asinh_f32(z, y, 1);
    expect(y, zero, 1);
}
END_TEST

/* Hardmax over the middle dim of (1, 4, 2): column 0 is [1, 3, 3, 2], whose
 * first maximum is j = 1 (ties go low); column 1 is [5, 0, 0, 0] -> j = 0. */
START_TEST(test_hardmax)
{
    const float x[8] = {1, 5, 3, 0, 3, 0, 2, 0};
    const float want[8] = {0, 1, 1, 0, 0, 0, 0, 0};
    float y[8];
    dlk_hardmax_f32(x, y, 1, 4, 2);
    expect(y, want, 8);
}
END_TEST

/* Row [1, 2, 3, 4]: mean 2.5, var (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25,
 * eps 0: inv = 1 / sqrt(1.25) = 0.89442719; normalised
 * [-1.5, -0.5, 0.5, 1.5] * inv = [-1.34164079, -0.44721360, 0.44721360, 1.34164079];
 * scale 2, bias 1 (broadcast from one element): 2 y + 1. */
START_TEST(test_layer_norm)
{
    const float x[4] = {1, 2, 3, 4};
    const float scale[1] = {2.0f}, bias[1] = {1.0f};
    const float want[4] = {-1.68328157f, 0.10557281f, 1.89442719f, 3.68328157f};
    const float wmean[1] = {2.5f}, winv[1] = {0.89442719f};
    float y[4], mean[1], inv[1];
    dlk_layer_norm_f32(x, scale, bias, y, mean, inv, 1, 4, 1, 1, 0.0f);
    expect(y, want, 4);
    expect(mean, wmean, 1);
    expect(inv, winv, 1);
}
END_TEST

/* Row [3, 4]: mean square (9 + 16) / 2 = 12.5, rms = 3.53553391;
 * y = [0.84852814, 1.13137085] * scale [1, 2] = [0.84852814, 2.26274170]. */
START_TEST(test_rms_norm)
{
    const float x[2] = {3, 4}, scale[2] = {1, 2};
    const float want[2] = {0.84852814f, 2.26274170f};
    float y[2];
    dlk_rms_norm_f32(x, scale, y, 1, 2, 2, 0.0f);
    expect(y, want, 2);
}
END_TEST

/* One group over 2 channels x 2 positions [1, 2 | 3, 4]: the statistics of
 * test_layer_norm, normalised [-1.34164079, -0.44721360 | 0.44721360, 1.34164079].
 * Per channel (scale [1, 2], bias [0, 1]): [-1.34164079, -0.44721360 | 1.89442719, 3.68328157].
 * Per group (scale [3], bias [0]): 3 times the normalised values. */
START_TEST(test_group_norm)
{
    const float x[4] = {1, 2, 3, 4};
    const float sc[2] = {1, 2}, bi[2] = {0, 1}, sg[1] = {3}, bg[1] = {0};
    const float wc[4] = {-1.34164079f, -0.44721360f, 1.89442719f, 3.68328157f};
    const float wg[4] = {-4.02492236f, -1.34164079f, 1.34164079f, 4.02492236f};
    float y[4];
    dlk_group_norm_f32(x, sc, bi, y, 1, 2, 1, 2, 0, 0.0f);
    expect(y, wc, 4);
    dlk_group_norm_f32(x, sg, bg, y, 1, 2, 1, 2, 1, 0.0f);
    expect(y, wg, 4);
}
END_TEST

/* Instance norm = one group per channel: [1, 3] has mean 2, var 1 -> [-1, 1];
 * [10, 20] has mean 15, var 25 -> [-1, 1]; scale 1, bias 0. */
START_TEST(test_instance_norm)
{
    const float x[4] = {1, 3, 10, 20}, sc[2] = {1, 1}, bi[2] = {0, 0};
    const float want[4] = {-1, 1, -1, 1};
    float y[4];
    dlk_group_norm_f32(x, sc, bi, y, 1, 2, 2, 2, 0, 0.0f);
    expect(y, want, 4);
}
END_TEST

/* L2 of [3, 4] is 5 -> [0.6, 0.8]; L1 of [1, -3] is 4 -> [0.25, -0.75];
 * a zero row stays 0. */
START_TEST(test_lp_norm)
{
    const float x2[2] = {3, 4}, x1[2] = {1, -3}, x0[2] = {0, 0};
    const float w2[2] = {0.6f, 0.8f}, w1[2] = {0.25f, -0.75f}, w0[2] = {0, 0};
    float y[2];
    dlk_lp_norm_f32(x2, y, 1, 2, 1, 2);
    expect(y, w2, 2);
    dlk_lp_norm_f32(x1, y, 1, 2, 1, 1);
    expect(y, w1, 2);
    dlk_lp_norm_f32(x0, y, 1, 2, 1, 2);
    expect(y, w0, 2);
}
END_TEST

/* MVN over axis 0 of [[1, 2], [3, 6]]: column [1, 3] has mean 2, std 1 ->
 * [-1, 1]; column [2, 6] has mean 4, std 2 -> [-1, 1]. Row-major result
 * [-1, -1, 1, 1] (the 1e-9 added to std is below the tolerance). */
START_TEST(test_mvn)
{
    dlk_mvn_params p;
    const float x[4] = {1, 2, 3, 6};
    const float want[4] = {-1, -1, 1, 1};
    float y[4];
    memset(&p, 0, sizeof p);
    p.rank = 2;
    p.dims[0] = 2;
    p.dims[1] = 2;
    p.reduce[0] = 1;
    dlk_mvn_f32(&p, x, y);
    expect(y, want, 4);
}
END_TEST

static Suite *math_norm_suite(void)
{
    Suite *s = suite_create("kernels_math_norm");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_round_half_even);
    tcase_add_test(tc, test_floor_ceil);
    tcase_add_test(tc, test_softsign);
    tcase_add_test(tc, test_shrink);
    tcase_add_test(tc, test_thresholded_relu);
    tcase_add_test(tc, test_celu);
    tcase_add_test(tc, test_mish_swish);
    tcase_add_test(tc, test_trig);
    tcase_add_test(tc, test_hardmax);
    tcase_add_test(tc, test_layer_norm);
    tcase_add_test(tc, test_rms_norm);
    tcase_add_test(tc, test_group_norm);
    tcase_add_test(tc, test_instance_norm);
    tcase_add_test(tc, test_lp_norm);
    tcase_add_test(tc, test_mvn);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(math_norm_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
