/* Hand-computed checks of dlk_attention_f32 (runtime/kernels/attention.h).
 * Most cases use head size 1 and scale 1 (scale_sqrt 1), one query q = 1 and
 * keys k0 = 0, k1 = ln 3: the scores are 0 and ln 3, the softmax is
 * (1, 3) / 4 = (0.25, 0.75), and with values v0 = 4, v1 = 8 the output is
 * 0.25*4 + 0.75*8 = 7. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "runtime/kernels/attention.h"

#define LN3 1.0986122886681098f

/* One batch, one head, head sizes 1, all layouts [1, 1, S, 1]. */
static dlk_attention_params params_1x1(int64_t q_len, int64_t kv_len)
{
    dlk_attention_params p;
    memset(&p, 0, sizeof p);
    p.batch = p.q_heads = p.kv_heads = 1;
    p.q_len = q_len;
    p.kv_len = kv_len;
    p.head = p.v_head = 1;
    p.q_stride[0] = q_len, p.q_stride[1] = q_len, p.q_stride[2] = 1;
    p.k_stride[0] = kv_len, p.k_stride[1] = kv_len, p.k_stride[2] = 1;
    p.v_stride[0] = kv_len, p.v_stride[1] = kv_len, p.v_stride[2] = 1;
    p.y_stride[0] = q_len, p.y_stride[1] = q_len, p.y_stride[2] = 1;
    p.left_window = p.right_window = -1;
    p.scale_sqrt = 1.0f;
    return p;
}

START_TEST(test_plain_and_mode3)
{
    dlk_attention_params p = params_1x1(1, 2);
    const float q[1] = {1}, k[2] = {0, LN3}, v[2] = {4, 8};
    float y[1], qk[2];
    p.qk_mode = 3;
    dlk_attention_f32(&p, q, k, v, NULL, NULL, NULL, NULL, NULL, y, NULL, NULL, qk);
    ck_assert_float_eq_tol(y[0], 7.0f, 1e-5f);
    ck_assert_float_eq_tol(qk[0], 0.25f, 1e-6f);
    ck_assert_float_eq_tol(qk[1], 0.75f, 1e-6f);
}
END_TEST

/* Queries q0 = q1 = 1. Causal: q0 sees only k0 (y = v0 = 4); q1 sees both (7). */
START_TEST(test_causal)
{
    dlk_attention_params p = params_1x1(2, 2);
    const float q[2] = {1, 1}, k[2] = {0, LN3}, v[2] = {4, 8};
    float y[2];
    p.is_causal = 1;
    dlk_attention_f32(&p, q, k, v, NULL, NULL, NULL, NULL, NULL, y, NULL, NULL, NULL);
    ck_assert_float_eq_tol(y[0], 4.0f, 1e-6f);
    ck_assert_float_eq_tol(y[1], 7.0f, 1e-5f);
}
END_TEST

/* Bool mask [2, 2]: row 0 allows k0 only (y = 4); row 1 allows nothing, so
 * its output and mode-3 probabilities are zero, not NaN. */
START_TEST(test_bool_mask_fully_masked)
{
    dlk_attention_params p = params_1x1(2, 2);
    const float q[2] = {1, 1}, k[2] = {0, LN3}, v[2] = {4, 8};
    const uint8_t mask[4] = {1, 0, 0, 0};
    float y[2], qk[4];
    p.mask_len = 2;
    p.mask_stride[2] = 2, p.mask_stride[3] = 1;
    p.qk_mode = 3;
    dlk_attention_f32(&p, q, k, v, NULL, mask, NULL, NULL, NULL, y, NULL, NULL, qk);
    ck_assert_float_eq_tol(y[0], 4.0f, 1e-6f);
    ck_assert_float_eq(y[1], 0.0f);
    ck_assert_float_eq(qk[2], 0.0f);
    ck_assert_float_eq(qk[3], 0.0f);
}
END_TEST

/* Float mask (0, ln 3) on scores (0, 0): probabilities (0.25, 0.75), y = 7;
 * mode 2 reports the biased scores (0, ln 3). */
START_TEST(test_float_mask_mode2)
{
    dlk_attention_params p = params_1x1(1, 2);
    const float q[1] = {1}, k[2] = {0, 0}, v[2] = {4, 8}, mask[2] = {0, LN3};
    float y[1], qk[2];
    p.mask_len = 2;
    p.mask_stride[3] = 1;
    p.qk_mode = 2;
    dlk_attention_f32(&p, q, k, v, mask, NULL, NULL, NULL, NULL, y, NULL, NULL, qk);
    ck_assert_float_eq_tol(y[0], 7.0f, 1e-5f);
    ck_assert_float_eq_tol(qk[0], 0.0f, 1e-7f);
    ck_assert_float_eq_tol(qk[1], LN3, 1e-6f);
}
END_TEST

/* Past cache: past k0 = 0 / v0 = 4, new k1 = ln 3 / v1 = 8. present is the
 * concatenation; the result is the plain case's 7. */
START_TEST(test_past_present)
{
    dlk_attention_params p = params_1x1(1, 2);
    const float q[1] = {1}, pk[1] = {0}, pv[1] = {4}, k[1] = {LN3}, v[1] = {8};
    float y[1], prk[2], prv[2];
    p.past_len = 1;
    p.k_stride[0] = p.k_stride[1] = 1;
    p.v_stride[0] = p.v_stride[1] = 1;
    dlk_attention_f32(&p, q, k, v, NULL, NULL, pk, pv, NULL, y, prk, prv, NULL);
    ck_assert_float_eq_tol(y[0], 7.0f, 1e-5f);
    ck_assert_float_eq(prk[0], 0.0f);
    ck_assert_float_eq(prk[1], LN3);
    ck_assert_float_eq(prv[0], 4.0f);
    ck_assert_float_eq(prv[1], 8.0f);
}
END_TEST

/* GQA in the 3-D layout: 2 query heads share 1 kv head; Q is [1, 1, 2]
 * (hidden = 2 heads x 1). Head 0 has q = 1 (y = 7); head 1 has q = 0, so
 * both scores are 0 and y = (4 + 8) / 2 = 6. Y is [1, 1, 2] = (7, 6).
 * softcap 100 changes ln 3 by ~1e-5 relative (tanh(x) ~ x - x^3/3). */
START_TEST(test_gqa_3d_softcap)
{
    dlk_attention_params p = params_1x1(1, 2);
    const float q[2] = {1, 0}, k[2] = {0, LN3}, v[2] = {4, 8};
    float y[2];
    p.q_heads = 2;
    p.q_stride[0] = 2, p.q_stride[1] = 1, p.q_stride[2] = 2;
    p.y_stride[0] = 2, p.y_stride[1] = 1, p.y_stride[2] = 2;
    p.softcap = 100.0f;
    dlk_attention_f32(&p, q, k, v, NULL, NULL, NULL, NULL, NULL, y, NULL, NULL, NULL);
    ck_assert_float_eq_tol(y[0], 7.0f, 1e-3f);
    ck_assert_float_eq_tol(y[1], 6.0f, 1e-6f);
}
END_TEST

/* nonpad_kv_seqlen = 1 of 2 keys: only k0 counts, y = 4. Causal offset is
 * nonpad - q_len = 0, which allows k0 for the single query. */
START_TEST(test_nonpad)
{
    dlk_attention_params p = params_1x1(1, 2);
    const float q[1] = {1}, k[2] = {0, LN3}, v[2] = {4, 8};
    const int64_t nonpad[1] = {1};
    float y[1];
    p.is_causal = 1;
    dlk_attention_f32(&p, q, k, v, NULL, NULL, NULL, NULL, nonpad, y, NULL, NULL, NULL);
    ck_assert_float_eq_tol(y[0], 4.0f, 1e-6f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_attention");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, test_plain_and_mode3);
    tcase_add_test(tc, test_causal);
    tcase_add_test(tc, test_bool_mask_fully_masked);
    tcase_add_test(tc, test_float_mask_mode2);
    tcase_add_test(tc, test_past_present);
    tcase_add_test(tc, test_gqa_3d_softcap);
    tcase_add_test(tc, test_nonpad);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
