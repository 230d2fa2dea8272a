/* Hand-computed checks of the RNN / GRU / LSTM kernel (runtime/kernels/rnn.h).
 * Sizes are 1 (hidden and input) and the activations are picked (Relu,
 * Affine with alpha 0 = a constant gate) so every value is exact. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "kernels/rnn.h"

static dlk_rnn_params params(int64_t kind, int64_t seq, int64_t batch, int64_t dirs)
{
    dlk_rnn_params p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.seq = seq;
    p.batch = batch;
    p.input = 1;
    p.hidden = 1;
    p.dirs = dirs;
    for (int i = 0; i < 6; i++)
        p.act[i] = DLK_RNN_RELU;
    return p;
}

/* f = Affine(alpha 0, beta 0.5): every sigmoid-type gate is the constant 0.5. */
static void half_gates(dlk_rnn_params *p)
{
    for (int d = 0; d < 2; d++) {
        p->act[3 * d] = DLK_RNN_AFFINE;
        p->alpha[3 * d] = 0.0f;
        p->beta[3 * d] = 0.5f;
    }
}

START_TEST(rnn_forward_reverse_clip)
{
    /* h_t = relu(x_t * 1 + h_{t-1} * 0.5), x = [1, 2]:
     * forward h1 = 1, h2 = 2 + 0.5 = 2.5; reverse h(t=1) = 2, h(t=0) = 1 + 1 = 2;
     * clip 1.5: h1 = 1, h2 = clip(2.5) = 1.5. */
    float x[2] = {1, 2}, w[1] = {1}, r[1] = {0.5f}, y[2], yh[1];
    dlk_rnn_params p = params(0, 2, 1, 1);
    dlk_rnn_f32(&p, x, w, r, NULL, NULL, NULL, NULL, NULL, y, yh, NULL);
    ck_assert_float_eq(y[0], 1.0f);
    ck_assert_float_eq(y[1], 2.5f);
    ck_assert_float_eq(yh[0], 2.5f);
    p.reverse = 1;
    dlk_rnn_f32(&p, x, w, r, NULL, NULL, NULL, NULL, NULL, y, yh, NULL);
    ck_assert_float_eq(y[0], 2.0f);
    ck_assert_float_eq(y[1], 2.0f);
    ck_assert_float_eq(yh[0], 2.0f);
    p.reverse = 0;
    p.clip = 1.5f;
    dlk_rnn_f32(&p, x, w, r, NULL, NULL, NULL, NULL, NULL, y, yh, NULL);
    ck_assert_float_eq(y[1], 1.5f);
}
END_TEST

START_TEST(rnn_tanh_bias_initial)
{
    /* h1 = tanh(0.25 * 1 + 0.5 * h0 + Wb 0.1 + Rb 0.15), h0 = 0.2: tanh(0.6). */
    float x[1] = {0.25f}, w[1] = {1}, r[1] = {0.5f}, b[2] = {0.1f, 0.15f}, h0[1] = {0.2f}, yh[1];
    dlk_rnn_params p = params(0, 1, 1, 1);
    p.act[0] = DLK_RNN_TANH;
    dlk_rnn_f32(&p, x, w, r, b, NULL, h0, NULL, NULL, NULL, yh, NULL);
    ck_assert_float_eq_tol(yh[0], 0.53704957f, 1e-6f);
}
END_TEST

START_TEST(rnn_bidirectional_layout1)
{
    /* Both directions W = 1, R = 0.5, Relu, x = [1, 2] (batch 1, layout 1):
     * forward [1, 2.5], backward [2, 2] (see the first test). Y is
     * [batch, seq, dirs, H] = t0: (1, 2), t1: (2.5, 2); Y_h [batch, dirs, H] = (2.5, 2). */
    float x[2] = {1, 2}, w[2] = {1, 1}, r[2] = {0.5f, 0.5f}, y[4], yh[2];
    dlk_rnn_params p = params(0, 2, 1, 2);
    p.layout = 1;
    dlk_rnn_f32(&p, x, w, r, NULL, NULL, NULL, NULL, NULL, y, yh, NULL);
    ck_assert_float_eq(y[0], 1.0f);
    ck_assert_float_eq(y[1], 2.0f);
    ck_assert_float_eq(y[2], 2.5f);
    ck_assert_float_eq(y[3], 2.0f);
    ck_assert_float_eq(yh[0], 2.5f);
    ck_assert_float_eq(yh[1], 2.0f);
}
END_TEST

START_TEST(rnn_sequence_lens)
{
    /* Batch 2 (layout 0: x[t][b]), lens {1, 2}, Relu, W 1, R 0.5.
     * Row 0: x = 1 -> h = 1, and Y at t=1 stays 0. Row 1: x = 3, 4 -> 3, 4 + 1.5 = 5.5. */
    float x[4] = {1, 3, 100, 4}, w[1] = {1}, r[1] = {0.5f}, y[4], yh[2];
    int32_t lens[2] = {1, 2};
    dlk_rnn_params p = params(0, 2, 2, 1);
    dlk_rnn_f32(&p, x, w, r, NULL, lens, NULL, NULL, NULL, y, yh, NULL);
    ck_assert_float_eq(y[0], 1.0f);
    ck_assert_float_eq(y[1], 3.0f);
    ck_assert_float_eq(y[2], 0.0f);
    ck_assert_float_eq(y[3], 5.5f);
    ck_assert_float_eq(yh[0], 1.0f);
    ck_assert_float_eq(yh[1], 5.5f);
}
END_TEST

START_TEST(gru_reset_modes)
{
    /* z = r = 0.5 (constant f), g = Relu, W = [z 0, r 0, h 1], R = [0, 0, 2],
     * B = [Wb 0 0 0, Rb 0 0 1], x = [1, 2], h0 = 0.
     * linear_before_reset 0: ht = relu(x + (r*h)*2 + 1):
     *   step 1: relu(1 + 0 + 1) = 2, h = 0.5*2 + 0.5*0 = 1
     *   step 2: relu(2 + 0.5*1*2 + 1) = 4, h = 2 + 0.5 = 2.5
     * linear_before_reset 1: ht = relu(x + r*(h*2 + 1)):
     *   step 1: relu(1 + 0.5*1) = 1.5, h = 0.75
     *   step 2: relu(2 + 0.5*(1.5 + 1)) = 3.25, h = 1.625 + 0.375 = 2 */
    float x[2] = {1, 2}, w[3] = {0, 0, 1}, r[3] = {0, 0, 2}, b[6] = {0, 0, 0, 0, 0, 1}, y[2], yh[1];
    dlk_rnn_params p = params(1, 2, 1, 1);
    half_gates(&p);
    dlk_rnn_f32(&p, x, w, r, b, NULL, NULL, NULL, NULL, y, yh, NULL);
    ck_assert_float_eq(y[0], 1.0f);
    ck_assert_float_eq(y[1], 2.5f);
    ck_assert_float_eq(yh[0], 2.5f);
    p.linear_before_reset = 1;
    dlk_rnn_f32(&p, x, w, r, b, NULL, NULL, NULL, NULL, y, yh, NULL);
    ck_assert_float_eq(y[0], 0.75f);
    ck_assert_float_eq(yh[0], 2.0f);
}
END_TEST

START_TEST(lstm_basic)
{
    /* i = o = f = 0.5 (constant f), g = h = Relu, W = [i 0, o 0, f 0, c 1], R = 0, x = [2, 4]:
     *   step 1: c~ = 2, C = 0.5*0 + 0.5*2 = 1, H = 0.5*1 = 0.5
     *   step 2: c~ = 4, C = 0.5*1 + 0.5*4 = 2.5, H = 1.25
     * input_forget (f = 1 - i = 0.5) gives the same. */
    float x[2] = {2, 4}, w[4] = {0, 0, 0, 1}, r[4] = {0, 0, 0, 0}, y[2], yh[1], yc[1];
    dlk_rnn_params p = params(2, 2, 1, 1);
    half_gates(&p);
    dlk_rnn_f32(&p, x, w, r, NULL, NULL, NULL, NULL, NULL, y, yh, yc);
    ck_assert_float_eq(y[0], 0.5f);
    ck_assert_float_eq(y[1], 1.25f);
    ck_assert_float_eq(yh[0], 1.25f);
    ck_assert_float_eq(yc[0], 2.5f);
    p.input_forget = 1;
    dlk_rnn_f32(&p, x, w, r, NULL, NULL, NULL, NULL, NULL, NULL, yh, yc);
    ck_assert_float_eq(yh[0], 1.25f);
    ck_assert_float_eq(yc[0], 2.5f);
}
END_TEST

START_TEST(lstm_peepholes)
{
    /* f = Affine(1, 0) (identity), g = h = Relu, W = [0, 0, 0, 1], R = 0,
     * Wb = [i 0.5, o 0.5, f 0, c 0], P = [pi 0, po 1, pf 0.5], C0 = 1, x = 2:
     *   i = 0.5 + 0*1 = 0.5, f = 0 + 0.5*1 = 0.5, c~ = 2, C = 0.5 + 1 = 1.5,
     *   o = 0.5 + 1*1.5 = 2 (peephole on the new C), H = 2 * 1.5 = 3. */
    float x[1] = {2}, w[4] = {0, 0, 0, 1}, r[4] = {0}, b[8] = {0.5f, 0.5f, 0, 0, 0, 0, 0, 0};
    float pp[3] = {0, 1, 0.5f}, c0[1] = {1}, yh[1], yc[1];
    dlk_rnn_params p = params(2, 1, 1, 1);
    p.act[0] = DLK_RNN_AFFINE;
    p.alpha[0] = 1.0f;
    dlk_rnn_f32(&p, x, w, r, b, NULL, NULL, c0, pp, NULL, yh, yc);
    ck_assert_float_eq(yc[0], 1.5f);
    ck_assert_float_eq(yh[0], 3.0f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_rnn");
    TCase *tc = tcase_create("rnn");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, rnn_forward_reverse_clip);
    tcase_add_test(tc, rnn_tanh_bias_initial);
    tcase_add_test(tc, rnn_bidirectional_layout1);
    tcase_add_test(tc, rnn_sequence_lens);
    tcase_add_test(tc, gru_reset_modes);
    tcase_add_test(tc, lstm_basic);
    tcase_add_test(tc, lstm_peepholes);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
