/* The epilogue's activations (runtime/kernels/epilogue.h) against double
 * precision formulas over [-90, 90] and at the edges, on runs of every
 * length 0..40 (the SIMD paths' masked tails). CMake builds this file three times:
 * portable, and with -march=native, where Sigmoid and SiLU take the AVX-512
 * exp (3.5e-7 relative error measured over [-90, 90]; checked here at 4e-7,
 * and within 1e-30 where the result underflows), and -march=native with
 * the other reciprocal (below). */
#include <check.h>
#include <math.h>
#include <stdlib.h>

/* CMake's third build takes the reciprocal epilogue.h would not pick on
 * this machine (division on AMD cores, VRCP14PS and a Newton step
 * elsewhere), so both are tested wherever the tests run. */
#if defined(DLK_TEST_OTHER_RECIPROCAL)
#if defined(__SSE4A__)
#define DLK_SIGMOID_DIV 0
#else
#define DLK_SIGMOID_DIV 1
#endif
#endif
#include "kernels/epilogue.h"

/* The kernels compute alpha * v in float; so does the reference (that
 * rounding, amplified by exp, is the formula's, not the kernel's error). */
static double want_of(int64_t act, double v, double alpha)
{
    double s = 1.0 / (1.0 + exp(-(double)((float)alpha * (float)v)));
    return act == DLK_ACT_SILU ? v * s : s;
}

static void check_act(int64_t act, float alpha)
{
    enum { N = 4001 };
    static float y[N];
    dlk_epilogue e = {0, 0, 0.0f, 0.0f};
    e.act = act;
    e.alpha = alpha;
    for (int i = 0; i < N; i++)
        y[i] = -90.0f + 180.0f * (float)i / (N - 1);
    dlk_epilogue_f32(&e, y, NULL, N);
    for (int i = 0; i < N; i++) {
        double v = (double)(-90.0f + 180.0f * (float)i / (N - 1));
        double w = want_of(act, v, alpha);
        ck_assert_msg(fabs(y[i] - w) <= 4e-7 * fabs(w) + 1e-30, "act %d alpha %g: f(%g) = %.9g, want %.9g", (int)act,
                      (double)alpha, v, (double)y[i], w);
    }
}

START_TEST(sigmoid_and_silu_accuracy)
{
    check_act(DLK_ACT_SIGMOID, 1.0f);
    check_act(DLK_ACT_SILU, 1.0f);
    check_act(DLK_ACT_SILU, 1.702f);   /* Swish with alpha: x sigmoid(1.702 x), the GELU approximation */
}
END_TEST

/* NaN stays NaN and the infinities give the limits, on both paths (the
 * AVX-512 one clamps its exp's argument, which must not turn a NaN into a
 * number: Sigmoid(NaN) once came out as 1). Each value sits in a run of 40
 * so the vector loop, not only the tail, sees it. */
START_TEST(sigmoid_and_silu_special_values)
{
    const float nan = (float)NAN, inf = (float)INFINITY;
    for (int silu = 0; silu < 2; silu++)
        for (int at = 0; at < 40; at += 13) {
            float y[40];
            dlk_epilogue e = {0, 0, 1.0f, 0.0f};
            e.act = silu ? DLK_ACT_SILU : DLK_ACT_SIGMOID;
            for (int i = 0; i < 40; i++)
                y[i] = 0.5f;
            y[at] = nan;
            y[(at + 1) % 40] = inf;
            y[(at + 2) % 40] = -inf;
            dlk_epilogue_f32(&e, y, NULL, 40);
            ck_assert_msg(isnan(y[at]), "act %d: f(NaN) = %g at %d", (int)e.act, (double)y[at], at);
            if (silu) {
                ck_assert_msg(isinf(y[(at + 1) % 40]) && y[(at + 1) % 40] > 0, "SiLU(inf) = %g", (double)y[(at + 1) % 40]);
            } else {
                ck_assert_msg(y[(at + 1) % 40] == 1.0f, "Sigmoid(inf) = %g", (double)y[(at + 1) % 40]);
                ck_assert_msg(fabs(y[(at + 2) % 40]) <= 1e-30, "Sigmoid(-inf) = %g", (double)y[(at + 2) % 40]);
            }
            ck_assert_msg(fabs(y[(at + 3) % 40] - want_of(e.act, 0.5, 1.0)) <= 4e-7, "f(0.5) = %g", (double)y[(at + 3) % 40]);
        }
}
END_TEST

/* Every run length, so the masked tails and the scalar remainders are hit;
 * values outside the run stay untouched. */
START_TEST(every_length)
{
    static const int64_t acts[] = {DLK_ACT_RELU, DLK_ACT_CLIP, DLK_ACT_LEAKY, DLK_ACT_SIGMOID, DLK_ACT_SILU,
                                   DLK_ACT_HARD_SWISH};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
        for (int n = 0; n <= 40; n++) {
            float y[48];
            dlk_epilogue e = {0, 0, 0.0f, 0.0f};
            e.act = acts[a];
            e.alpha = acts[a] == DLK_ACT_CLIP ? -0.5f : acts[a] == DLK_ACT_SILU ? 1.0f : 0.1f;
            e.beta = 0.5f;
            for (int i = 0; i < 48; i++)
                y[i] = (float)(i % 7) - 3.0f;
            dlk_epilogue_f32(&e, y, NULL, n);
            for (int i = 0; i < 48; i++) {
                double v = (double)(i % 7) - 3.0, w = v;
                if (i < n) {
                    if (e.act == DLK_ACT_RELU)
                        w = v > 0 ? v : 0;
                    else if (e.act == DLK_ACT_CLIP)
                        w = v < -0.5 ? -0.5 : v > 0.5 ? 0.5 : v;
                    else if (e.act == DLK_ACT_LEAKY)
                        w = v < 0 ? 0.1 * v : v;
                    else if (e.act == DLK_ACT_HARD_SWISH)
                        w = v * fmin(1.0, fmax(0.0, v / 6.0 + 0.5));
                    else
                        w = want_of(e.act, v, 1.0);
                }
                ck_assert_msg(fabs(y[i] - w) <= 4e-7 * fabs(w) + 1e-7, "act %d n %d: y[%d] = %.9g, want %.9g",
                              (int)e.act, n, i, (double)y[i], w);
            }
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_epilogue");
    TCase *tc = tcase_create("epilogue");
    tcase_add_test(tc, sigmoid_and_silu_accuracy);
    tcase_add_test(tc, sigmoid_and_silu_special_values);
    tcase_add_test(tc, every_length);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
