/* Hand-computed checks of the transformer-block kernels
 * (runtime/kernels/transformer.h): RotaryEmbedding, SwiGLU,
 * CausalConvWithState, LinearAttention, TensorScatter. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "runtime/kernels/transformer.h"

/* One token, one head of size 4, halves layout, position 1 whose cache row
 * is cos = (0, 1), sin = (1, 0): pair 0 (x0 = 1, x2 = 3) turns by 90 degrees:
 * real = 0*1 - 1*3 = -3, imag = 1*1 + 0*3 = 1; pair 1 (x1 = 2, x3 = 4) not
 * at all: real = 2, imag = 4. Y = (-3, 2, 1, 4). */
START_TEST(test_rotary_halves)
{
    dlk_rotary_params p;
    const float x[4] = {1, 2, 3, 4};
    const float cs[4] = {1, 1, 0, 1}, sn[4] = {0, 0, 1, 0}; /* row 0: identity; row 1: as above */
    const int64_t pos[1] = {1};
    float y[4];
    memset(&p, 0, sizeof p);
    p.batch = p.heads = p.seq = 1, p.head = p.rot_dim = 4;
    p.x_stride[0] = p.x_stride[1] = p.x_stride[2] = 4;
    p.cache_rows = 2;
    dlk_rotary_f32(&p, x, cs, sn, pos, y);
    ck_assert_float_eq(y[0], -3.0f);
    ck_assert_float_eq(y[1], 2.0f);
    ck_assert_float_eq(y[2], 1.0f);
    ck_assert_float_eq(y[3], 4.0f);
}
END_TEST

/* Interleaved, rot_dim 2 of head 4, no position_ids (cache [S=1, 1]):
 * cos = 0, sin = 1 on pair (x0 = 1, x1 = 2): real = -2, imag = 1; x2, x3 pass. */
START_TEST(test_rotary_interleaved_partial)
{
    dlk_rotary_params p;
    const float x[4] = {1, 2, 3, 4}, cs[1] = {0}, sn[1] = {1};
    float y[4];
    memset(&p, 0, sizeof p);
    p.batch = p.heads = p.seq = 1, p.head = 4, p.rot_dim = 2, p.interleaved = 1;
    p.x_stride[0] = p.x_stride[1] = p.x_stride[2] = 4;
    p.cache_stride[1] = 1;
    dlk_rotary_f32(&p, x, cs, sn, NULL, y);
    ck_assert_float_eq(y[0], -2.0f);
    ck_assert_float_eq(y[1], 1.0f);
    ck_assert_float_eq(y[2], 3.0f);
    ck_assert_float_eq(y[3], 4.0f);
}
END_TEST

/* a = 0: sigmoid 0.5, y = 0. a = 2, alpha 0.5: sigmoid(1) = 0.7310586,
 * y = 2 * 0.7310586 * 3 = 4.3863515. */
START_TEST(test_swiglu)
{
    const float a[2] = {0, 2}, b[2] = {5, 3};
    float y[2];
    dlk_swiglu_f32(a, b, y, 2, 0.5f);
    ck_assert_float_eq_tol(y[0], 0.0f, 1e-7f);
    ck_assert_float_eq_tol(y[1], 4.3863515f, 1e-5f);
}
END_TEST

/* float64, alpha 1, a = ln 3: sigmoid(ln 3) = 3 / (1 + 3) = 0.75; b = 4:
 * y = ln 3 * 0.75 * 4 = 3 ln 3 = 3.2958368660043291. */
START_TEST(test_swiglu_f64)
{
    const double a[1] = {1.0986122886681098}, b[1] = {4};
    double y[1];
    dlk_swiglu_f64(a, b, y, 1, 1.0);
    ck_assert_double_eq_tol(y[0], 3.2958368660043291, 1e-12);
}
END_TEST

/* k = 3, one channel, w = (1, 2, 3), x = (1, 1), past = (10, 20), bias 0.5.
 * Sequence 10 20 1 1: y0 = 1*10 + 2*20 + 3*1 + 0.5 = 53.5,
 * y1 = 1*20 + 2*1 + 3*1 + 0.5 = 25.5; present = last two = (1, 1).
 * Without past: sequence 0 0 1 1: y0 = 3, y1 = 2 + 3 = 5; present (1, 1). */
START_TEST(test_causal_conv)
{
    dlk_causal_conv_params p = {1, 1, 2, 3, 0, 0};
    const float x[2] = {1, 1}, w[3] = {1, 2, 3}, past[2] = {10, 20}, bias[1] = {0.5f};
    float y[2], present[2];
    dlk_causal_conv_f32(&p, x, w, bias, past, y, present);
    ck_assert_float_eq(y[0], 53.5f);
    ck_assert_float_eq(y[1], 25.5f);
    ck_assert_float_eq(present[0], 1.0f);
    ck_assert_float_eq(present[1], 1.0f);
    dlk_causal_conv_f32(&p, x, w, NULL, NULL, y, present);
    ck_assert_float_eq(y[0], 3.0f);
    ck_assert_float_eq(y[1], 5.0f);
}
END_TEST

/* k = 4, length 1 (shorter than k-1 = 3), no past: the sequence is 0 0 0 7,
 * present = (0, 0, 7). SiLU of y = 4*7 = 28: 28 * sigmoid(28) ~ 28 (1 - 7e-13). */
START_TEST(test_causal_conv_short_silu)
{
    dlk_causal_conv_params p = {1, 1, 1, 4, 1, 0};
    const float x[1] = {7}, w[4] = {1, 1, 1, 4};
    float y[1], present[3];
    dlk_causal_conv_f32(&p, x, w, NULL, NULL, y, present);
    ck_assert_float_eq_tol(y[0], 28.0f, 1e-5f);
    ck_assert_float_eq(present[0], 0.0f);
    ck_assert_float_eq(present[1], 0.0f);
    ck_assert_float_eq(present[2], 7.0f);
}
END_TEST

/* float16 rounding (nearest, ties to even) of the conv before the SiLU.
 * Near 1 the float16 spacing is 2^-10: 1 + 2^-11 is a tie -> 1 (even);
 * 1 + 3*2^-11 is a tie between 1 + 2^-10 (odd) and 1 + 2^-9 (even) -> 1.001953125.
 * 65519 -> 65504 (the largest float16); 65520 -> inf. Subnormals are spaced
 * 2^-24: 1.5 * 2^-24 is a tie -> 2 * 2^-24 = 2^-23.
 * Through the kernel: k = 1, w = 1, x = 1 + 2^-12 rounds to 1, y = silu(1)
 * = 1 / (1 + e^-1) = 0.7310585786. */
START_TEST(test_causal_conv_round_f16)
{
    dlk_causal_conv_params p = {1, 1, 1, 1, 1, 1};
    const float x[1] = {1.000244140625f}, w[1] = {1};
    float y[1];
    ck_assert_float_eq(dlk_causal_conv_round_f16_(1.00048828125f), 1.0f);
    ck_assert_float_eq(dlk_causal_conv_round_f16_(1.00146484375f), 1.001953125f);
    ck_assert_float_eq(dlk_causal_conv_round_f16_(65519.0f), 65504.0f);
    ck_assert(isinf(dlk_causal_conv_round_f16_(65520.0f)));
    ck_assert_float_eq(dlk_causal_conv_round_f16_(8.940696716308594e-08f), 1.1920928955078125e-07f);
    dlk_causal_conv_f32(&p, x, w, NULL, NULL, y, NULL);
    ck_assert_float_eq_tol(y[0], 0.7310585786f, 1e-7f);
}
END_TEST

/* dk = dv = 1, one head, scale 1. linear: S1 = 0 + k1*v1 = 2*3 = 6, o1 = q1*S1 = 1*6 = 6;
 * S2 = 6 + 1*4 = 10, o2 = 2*10 = 20. */
START_TEST(test_linear_attention_linear)
{
    dlk_linear_attention_params p;
    const float q[2] = {1, 2}, k[2] = {2, 1}, v[2] = {3, 4};
    float o[2], s[1];
    memset(&p, 0, sizeof p);
    p.batch = 1, p.seq = 2, p.q_heads = p.kv_heads = 1, p.dk = p.dv = 1, p.scale = 1.0f;
    dlk_linear_attention_f32(&p, q, k, v, NULL, NULL, NULL, o, s);
    ck_assert_float_eq(o[0], 6.0f);
    ck_assert_float_eq(o[1], 20.0f);
    ck_assert_float_eq(s[0], 10.0f);
}
END_TEST

/* gated_delta, dk = dv = 1, past S0 = 4, decay g = ln 0.5 (exp = 0.5), beta 0.5,
 * k = 2, v = 10, q = 1, scale 0.5:
 * decayed S = 2; retrieved = S*k = 4; u = 0.5*(10 - 4) = 3; S1 = 2 + 2*3 = 8;
 * o = 0.5 * 1 * 8 = 4. GQA: two query heads (q = 1, 3) share the kv head:
 * o = (4, 0.5*3*8 = 12). */
START_TEST(test_linear_attention_gated_delta_gqa)
{
    dlk_linear_attention_params p;
    const float q[2] = {1, 3}, k[1] = {2}, v[1] = {10}, past[1] = {4}, g[1] = {-0.69314718f}, beta[1] = {0.5f};
    float o[2], s[1];
    memset(&p, 0, sizeof p);
    p.batch = 1, p.seq = 1, p.q_heads = 2, p.kv_heads = 1, p.dk = p.dv = 1;
    p.gated = p.delta = 1, p.decay_width = 1, p.beta_width = 1, p.scale = 0.5f;
    dlk_linear_attention_f32(&p, q, k, v, past, g, beta, o, s);
    ck_assert_float_eq_tol(s[0], 8.0f, 1e-5f);
    ck_assert_float_eq_tol(o[0], 4.0f, 1e-5f);
    ck_assert_float_eq_tol(o[1], 12.0f, 1e-5f);
}
END_TEST

/* dk = 2, dv = 1, delta only, per-key dims: S0 = (1, 2)^T, k = (1, 1), v = 5,
 * beta 1: retrieved = 1 + 2 = 3, u = 2, S1 = (3, 4); q = (1, 0), scale 1: o = 3. */
START_TEST(test_linear_attention_delta_dk2)
{
    dlk_linear_attention_params p;
    const float q[2] = {1, 0}, k[2] = {1, 1}, v[1] = {5}, past[2] = {1, 2}, beta[1] = {1};
    float o[1], s[2];
    memset(&p, 0, sizeof p);
    p.batch = p.seq = p.q_heads = p.kv_heads = 1, p.dk = 2, p.dv = 1;
    p.delta = 1, p.beta_width = 1, p.scale = 1.0f;
    dlk_linear_attention_f32(&p, q, k, v, past, NULL, beta, o, s);
    ck_assert_float_eq(s[0], 3.0f);
    ck_assert_float_eq(s[1], 4.0f);
    ck_assert_float_eq(o[0], 3.0f);
}
END_TEST

/* Cache [2 batches, 3 positions, 1]; update [2, 2, 1] = (1, 2 | 3, 4);
 * write_indices (1, 2). Linear: batch 0 writes positions 1, 2 -> (0, 1, 2);
 * batch 1 writes 2 and skips 3 (outside) -> (0, 0, 3).
 * Circular: batch 1 writes 2 and 3 % 3 = 0 -> (4, 0, 3). */
START_TEST(test_tensor_scatter)
{
    dlk_tensor_scatter_params p = {2, 2, 3, 2, 1, sizeof(float), 0};
    const float past[6] = {0}, upd[4] = {1, 2, 3, 4};
    const int64_t idx[2] = {1, 2};
    float out[6];
    dlk_tensor_scatter(&p, past, upd, idx, out);
    ck_assert_float_eq(out[0], 0.0f);
    ck_assert_float_eq(out[1], 1.0f);
    ck_assert_float_eq(out[2], 2.0f);
    ck_assert_float_eq(out[3], 0.0f);
    ck_assert_float_eq(out[4], 0.0f);
    ck_assert_float_eq(out[5], 3.0f);
    p.circular = 1;
    dlk_tensor_scatter(&p, past, upd, idx, out);
    ck_assert_float_eq(out[3], 4.0f);
    ck_assert_float_eq(out[4], 0.0f);
    ck_assert_float_eq(out[5], 3.0f);
}
END_TEST

/* int64 elements and no write_indices: positions 0.. of each prefix.
 * Cache [1, 2 (axis), 2] = 9s, update [1, 1, 2] = (5, 6) -> (5, 6, 9, 9). */
START_TEST(test_tensor_scatter_i64_no_indices)
{
    dlk_tensor_scatter_params p = {1, 1, 2, 1, 2, sizeof(int64_t), 0};
    const int64_t past[4] = {9, 9, 9, 9}, upd[2] = {5, 6};
    int64_t out[4];
    dlk_tensor_scatter(&p, past, upd, NULL, out);
    ck_assert_int_eq(out[0], 5);
    ck_assert_int_eq(out[1], 6);
    ck_assert_int_eq(out[2], 9);
    ck_assert_int_eq(out[3], 9);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_transformer");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, test_rotary_halves);
    tcase_add_test(tc, test_rotary_interleaved_partial);
    tcase_add_test(tc, test_swiglu);
    tcase_add_test(tc, test_swiglu_f64);
    tcase_add_test(tc, test_causal_conv);
    tcase_add_test(tc, test_causal_conv_short_silu);
    tcase_add_test(tc, test_causal_conv_round_f16);
    tcase_add_test(tc, test_linear_attention_linear);
    tcase_add_test(tc, test_linear_attention_gated_delta_gqa);
    tcase_add_test(tc, test_linear_attention_delta_dk2);
    tcase_add_test(tc, test_tensor_scatter);
    tcase_add_test(tc, test_tensor_scatter_i64_no_indices);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
