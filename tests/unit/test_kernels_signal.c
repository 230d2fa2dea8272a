/* Hand-computed checks of the signal and misc kernels: DFT (forward,
 * inverse, one-sided, inverse one-sided, and the float32 FFT path), STFT,
 * the Hann / Hamming / Blackman windows, MelWeightMatrix, Det,
 * ReverseSequence and TfIdfVectorizer. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "kernels/misc.h"
#include "kernels/signal.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-5)

START_TEST(dft_forward_real)
{
    /* x = [1, 2, 3, 4] real, one signal: X[k] = sum x[j] e^(-2 pi i jk/4)
     * X0 = 10; X1 = 1 - 2i - 3 + 4i = -2 + 2i; X2 = 1 - 2 + 3 - 4 = -2;
     * X3 = 1 + 2i - 3 - 4i = -2 - 2i. */
    const float x[4] = {1, 2, 3, 4};
    float y[8];
    dlk_dft_params p = {1, 4, 1, 1, 4, 4, 0, 0};
    dlk_dft_f32(&p, x, y);
    ck_assert(NEAR(y[0], 10) && NEAR(y[1], 0));
    ck_assert(NEAR(y[2], -2) && NEAR(y[3], 2));
    ck_assert(NEAR(y[4], -2) && NEAR(y[5], 0));
    ck_assert(NEAR(y[6], -2) && NEAR(y[7], -2));
    /* one-sided: bins 0 .. 4/2 only */
    p.out_n = 3;
    dlk_dft_f32(&p, x, y);
    ck_assert(NEAR(y[0], 10) && NEAR(y[2], -2) && NEAR(y[3], 2) && NEAR(y[4], -2) && NEAR(y[5], 0));
}
END_TEST

START_TEST(dft_inverse_complex)
{
    /* The inverse of the spectrum above (complex input) gives back
     * [1, 2, 3, 4] with zero imaginary parts: (1/4) sum X[k] e^(+2 pi i jk/4).
     * j = 0: (10 - 2 + 2i - 2 - 2 - 2i) / 4 = 4/4 = 1.
     * Length 4 goes through the float32 FFT (radix 4). */
    const float x[8] = {10, 0, -2, 2, -2, 0, -2, -2};
    float y[8];
    dlk_dft_params p = {1, 4, 1, 2, 4, 4, 1, 0};
    dlk_dft_f32(&p, x, y);
    ck_assert(NEAR(y[0], 1) && NEAR(y[2], 2) && NEAR(y[4], 3) && NEAR(y[6], 4));
    ck_assert(NEAR(y[1], 0) && NEAR(y[3], 0) && NEAR(y[5], 0) && NEAR(y[7], 0));
}
END_TEST

START_TEST(dft_inverse_onesided)
{
    /* irfft of bins [10, -2+2i, -2] (length 4): y[t] = (1/4)(X0 + 2 Re(X1 e^(i pi t/2)) + X2 (-1)^t)
     * t = 0: (10 - 4 - 2)/4 = 1; t = 1: (10 + 2 Re((-2+2i) i) + 2)/4 = (10 - 4 + 2)/4 = 2;
     * t = 2: (10 + 4 - 2)/4 = 3; t = 3: (10 + 2 Re((-2+2i)(-i)) + 2)/4 = (10 + 4 + 2)/4 = 4. */
    const float x[6] = {10, 0, -2, 2, -2, 0};
    float y[4];
    dlk_dft_params p = {1, 3, 1, 2, 4, 4, 1, 1};
    dlk_dft_f32(&p, x, y);
    ck_assert(NEAR(y[0], 1) && NEAR(y[1], 2) && NEAR(y[2], 3) && NEAR(y[3], 4));
}
END_TEST

START_TEST(dft_axis_inner)
{
    /* Two interleaved signals (inner 2): x[j][s] = {1,0},{1,1},{1,0},{1,1} over j.
     * Signal 0 = [1, 1, 1, 1]: X = [4, 0, 0, 0]; signal 1 = [0, 1, 0, 1]: X0 = 2,
     * X1 = -i + i = 0 (e^(-i pi/2) = -i, e^(-3i pi/2) = i), X2 = -1 - 1 = -2, X3 = 0. */
    const float x[8] = {1, 0, 1, 1, 1, 0, 1, 1};
    float y[16];
    dlk_dft_params p = {1, 4, 2, 1, 4, 4, 0, 0};
    dlk_dft_f32(&p, x, y);
    /* y is (4, 2, 2): y[k][s][c] */
    ck_assert(NEAR(y[0], 4) && NEAR(y[2], 2));
    ck_assert(NEAR(y[4], 0) && NEAR(y[6], 0) && NEAR(y[7], 0));
    ck_assert(NEAR(y[8], 0) && NEAR(y[10], -2));
}
END_TEST

START_TEST(fft_radix_5_3)
{
    /* Inverse of a unit impulse at bin 1, length 15 (factors 3, 5):
     * y[t] = (1/15) e^(2 pi i t/15). */
    float x[30] = {0}, y[30];
    int t;
    dlk_dft_params p = {1, 15, 1, 2, 15, 15, 1, 0};
    x[2] = 1.0f;
    dlk_dft_f32(&p, x, y);
    for (t = 0; t < 15; t++) {
        double a = 2.0 * 3.14159265358979323846 * t / 15.0;
        ck_assert(NEAR(y[2 * t], cos(a) / 15.0) && NEAR(y[2 * t + 1], sin(a) / 15.0));
    }
}
END_TEST

START_TEST(stft_frames)
{
    /* x = [1, 2, 3, 4, 5], frames of 2 every 2 samples: 1 + (5 - 2)/2 = 2 frames
     * ([1,2], [3,4]), one-sided bins 2/2 + 1 = 2: [a+b, a-b]. Window [1, 0.5]:
     * frame 0 -> [1 + 1, 1 - 1] = [2, 0]; frame 1 -> [3 + 2, 3 - 2] = [5, 1]. */
    const float x[5] = {1, 2, 3, 4, 5}, w[2] = {1.0f, 0.5f};
    float y[8];
    dlk_stft_params p = {1, 5, 1, 2, 2, 2, 2};
    dlk_stft_f32(&p, x, w, y);
    ck_assert(NEAR(y[0], 2) && NEAR(y[2], 0) && NEAR(y[4], 5) && NEAR(y[6], 1));
    ck_assert(NEAR(y[1], 0) && NEAR(y[3], 0) && NEAR(y[5], 0) && NEAR(y[7], 0));
    dlk_stft_f32(&p, x, NULL, y);               /* no window: [3, -1], [7, -1] */
    ck_assert(NEAR(y[0], 3) && NEAR(y[2], -1) && NEAR(y[4], 7) && NEAR(y[6], -1));
}
END_TEST

START_TEST(windows)
{
    /* Periodic, n = 4 (N = 4): angles 0, pi/2, pi, 3pi/2.
     * Hann 0.5 - 0.5 cos: 0, 0.5, 1, 0.5.
     * Hamming 25/46 - 21/46 cos: 4/46, 25/46, 1, 25/46.
     * Blackman 0.42 - 0.5 cos a + 0.08 cos 2a: 0, 0.42 - 0.08 = 0.34, 0.42 + 0.5 + 0.08 = 1, 0.34.
     * Symmetric, n = 3 (N = 2): angles 0, pi, 2pi -> Hann 0, 1, 0. */
    float y[4];
    dlk_window_f32(y, 4, 0, 1);
    ck_assert(NEAR(y[0], 0) && NEAR(y[1], 0.5) && NEAR(y[2], 1) && NEAR(y[3], 0.5));
    dlk_window_f32(y, 4, 1, 1);
    ck_assert(NEAR(y[0], 4.0 / 46) && NEAR(y[1], 25.0 / 46) && NEAR(y[2], 1) && NEAR(y[3], 25.0 / 46));
    dlk_window_f32(y, 4, 2, 1);
    ck_assert(NEAR(y[0], 0) && NEAR(y[1], 0.34) && NEAR(y[2], 1) && NEAR(y[3], 0.34));
    dlk_window_f32(y, 3, 0, 0);
    ck_assert(NEAR(y[0], 0) && NEAR(y[1], 1) && NEAR(y[2], 0));
}
END_TEST

START_TEST(mel_weight_matrix)
{
    /* 1 mel bin, dft_length 8 (5 spectrum bins), sample rate 8, 0 .. 4.5 Hz.
     * mel(4.5) = 2595 log10(1 + 4.5/700) = 2595 * 0.0027816 = 7.218; the
     * mel_bins + 2 = 3 edges are 0, 1, 2 steps of 7.218/3 = 2.406 mel:
     * hz = 700 (10^(m/2595) - 1) = 0, 700 * 0.0021372 = 1.496, 700 * 0.0042793 = 2.996;
     * bins floor(9 hz / 8) = 0, floor(1.683) = 1, floor(3.370) = 3. Rising edge
     * 0..1: bin 0 -> 0, bin 1 -> 1; falling 1..3: bin 1 -> (3-1)/2 = 1,
     * bin 2 -> (3-2)/2 = 0.5. Column: [0, 1, 0.5, 0, 0]. */
    float y[5];
    dlk_mel_weight_matrix_f32(y, 1, 8, 8, 0.0f, 4.5f);
    ck_assert(NEAR(y[0], 0) && NEAR(y[1], 1) && NEAR(y[2], 0.5) && NEAR(y[3], 0) && NEAR(y[4], 0));
}
END_TEST

START_TEST(det)
{
    /* det [[1,2],[3,4]] = 4 - 6 = -2; det [[0,1],[1,0]] = -1 (needs the pivot swap);
     * det [[2,0,0],[0,3,0],[1,1,4]] = 2*3*4 = 24 (triangular); singular [[1,2],[2,4]] = 0. */
    const float a[12] = {1, 2, 3, 4, 0, 1, 1, 0, 1, 2, 2, 4};
    const float b[9] = {2, 0, 0, 0, 3, 0, 1, 1, 4};
    float y[3];
    dlk_det_f32(a, y, 3, 2);
    ck_assert(NEAR(y[0], -2) && NEAR(y[1], -1) && NEAR(y[2], 0));
    dlk_det_f32(b, y, 1, 3);
    ck_assert(NEAR(y[0], 24));
}
END_TEST

START_TEST(reverse_sequence)
{
    /* time axis 1 (batch major), x = [[0,1,2,3],[4,5,6,7]], lens [3, 1]:
     * [[2,1,0,3],[4,5,6,7]]. Time axis 0: x^T layout, lens [4, 2] ->
     * column 0 reversed fully, column 1 its first 2. */
    const float x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const int64_t lens[2] = {3, 1}, lens2[2] = {4, 2};
    float y[8];
    dlk_reverse_sequence_params p = {2, 4, 1, 4, 1};
    dlk_reverse_sequence(&p, x, lens, y);
    ck_assert(y[0] == 2 && y[1] == 1 && y[2] == 0 && y[3] == 3);
    ck_assert(y[4] == 4 && y[5] == 5 && y[6] == 6 && y[7] == 7);
    /* time axis 0: x is (4 steps, 2 batch): step t = [2t, 2t+1] */
    p.d0 = 4; p.d1 = 2; p.time_axis = 0;
    dlk_reverse_sequence(&p, x, lens2, y);
    /* batch 0: 0,2,4,6 -> 6,4,2,0; batch 1: 1,3,5,7 -> 3,1,5,7 */
    ck_assert(y[0] == 6 && y[2] == 4 && y[4] == 2 && y[6] == 0);
    ck_assert(y[1] == 3 && y[3] == 1 && y[5] == 5 && y[7] == 7);
}
END_TEST

START_TEST(tfidf)
{
    /* Pool: unigrams [5, 6] (ids 1, 2 -> columns 0, 1), bigram [5, 6] (id 3 -> column 2).
     * x = [5, 6, 7, 5, 6]: unigram 5 twice, 6 twice, bigram (5,6) twice with skip 0;
     * with max_skip 1 also (5,7)? no such bigram; distance 2: (5,7),(6,5),(7,6) none.
     * TF: [2, 2, 2]. TFIDF with weights [1, 0.5, 0.25]: [2, 1, 0.5]. IDF: [1, 0.5, 0.25]. */
    dlk_tfidf_params *p = calloc(1, sizeof *p);
    const int64_t x[5] = {5, 6, 7, 5, 6};
    const int32_t x32[5] = {5, 6, 7, 5, 6};
    float y[3];
    ck_assert_ptr_nonnull(p);
    p->rows = 1; p->cols = 5; p->out_size = 3; p->min_gram = 1; p->max_gram = 2; p->max_skip = 1;
    p->mode = 1; p->n_grams = 3;
    p->pool[0] = 5; p->pool[1] = 6; p->pool[2] = 5; p->pool[3] = 6;
    p->start[0] = 0; p->size[0] = 1; p->out[0] = 0;
    p->start[1] = 1; p->size[1] = 1; p->out[1] = 1;
    p->start[2] = 2; p->size[2] = 2; p->out[2] = 2;
    dlk_tfidf_i64(p, x, y);
    ck_assert(y[0] == 2 && y[1] == 2 && y[2] == 2);
    p->mode = 3; p->n_weights = 3; p->weights[0] = 1.0f; p->weights[1] = 0.5f; p->weights[2] = 0.25f;
    dlk_tfidf_i32(p, x32, y);
    ck_assert(y[0] == 2 && y[1] == 1 && y[2] == 0.5f);
    p->mode = 2;
    dlk_tfidf_i64(p, x, y);
    ck_assert(y[0] == 1 && y[1] == 0.5f && y[2] == 0.25f);
    /* min_gram 2: unigrams no longer count (n-gram list built without them). */
    p->mode = 1; p->n_weights = 0; p->min_gram = 2; p->n_grams = 1;
    p->start[0] = 2; p->size[0] = 2; p->out[0] = 2;
    dlk_tfidf_i64(p, x, y);
    ck_assert(y[0] == 0 && y[1] == 0 && y[2] == 2);
    free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_signal");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, dft_forward_real);
    tcase_add_test(tc, dft_inverse_complex);
    tcase_add_test(tc, dft_inverse_onesided);
    tcase_add_test(tc, dft_axis_inner);
    tcase_add_test(tc, fft_radix_5_3);
    tcase_add_test(tc, stft_frames);
    tcase_add_test(tc, windows);
    tcase_add_test(tc, mel_weight_matrix);
    tcase_add_test(tc, det);
    tcase_add_test(tc, reverse_sequence);
    tcase_add_test(tc, tfidf);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
