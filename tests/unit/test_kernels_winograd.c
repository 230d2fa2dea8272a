/* Winograd F(4x4, 3x3) and F(2x2, 3x3) convolution (runtime/kernels/winograd.h) against a
 * direct 3x3 convolution written here that sums in double: random shapes
 * (odd and tiny planes 1..20, planes wider than one transform block, pads 0
 * and 1, asymmetric too, channel counts 1..40, batch 1 and 2), with and
 * without bias, with Relu or Clip and a residual (before / after the activation),
 * with par NULL and a fake 2-thread dlk_par that runs the shares one after
 * the other and counts every item. The weight transform alone is checked
 * on hand-computed values.
 *
 * Tolerance: F(4,3) multiplies by transform constants up to 8 and 1/24, so
 * it loses more than a plain dot product: the error is measured relative to
 * the largest |y| of the case (for Clip, of the sums before it); the worst
 * seen over these cases is about
 * 1e-6 .. 1e-5 (printed by the test), the bound is 1e-4. F(2,3) has only
 * +-1 and 1/2 in its transforms and stays near 1e-7.
 * CMake builds this file twice: as is and with -march=native. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/winograd.h"

static uint32_t rng_state = 77u;

static uint32_t rnd_u32(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

static float rnd(void)
{
    return (float)(rnd_u32() & 0xffff) / 32768.0f - 1.0f;
}

static int64_t rnd_int(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd_u32() % (uint32_t)(hi - lo + 1));
}

static float *rnd_array(int64_t n)
{
    float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = rnd();
    return v;
}

/* The fake pool: runs the shares of 2 threads in turn; counts every item. */
typedef struct fake_pool {
    int64_t counts[256];
    int64_t n;
    dlk_task task;
    void *arg;
} fake_pool;

static fake_pool the_pool;

static void counting_task(void *arg, int64_t begin, int64_t end)
{
    fake_pool *fp = arg;
    for (int64_t i = begin; i < end; i++)
        fp->counts[i]++;
    fp->task(fp->arg, begin, end);
}

static void fake_run(const dlk_par *par, dlk_task task, void *arg, int64_t n)
{
    fake_pool *fp = par->pool;
    ck_assert_int_le(n, 256);
    memset(fp->counts, 0, sizeof fp->counts);
    fp->n = n;
    fp->task = task;
    fp->arg = arg;
    for (int t = 0; t < par->threads; t++) {
        int64_t b, e;
        dlk_parallel_share(n, t, par->threads, &b, &e);
        if (e > b)
            counting_task(fp, b, e);
    }
    for (int64_t i = 0; i < n; i++)
        ck_assert_int_eq(fp->counts[i], 1);
}

/* ----------------------------------------------------------- reference */

typedef struct wg_case {
    int64_t n, c_in, c_out, h, w, pads[4];
    int bias, act, residual;
    int m;     /* output tile: 4 or 2 */
    int u16;   /* U by blocks of 16 output channels (the channel-tile products; c_out a multiple of 32) */
} wg_case;

/* The Clip cases' bounds: narrow enough that both clamp many outputs. */
#define WG_CLIP_LO -0.25
#define WG_CLIP_HI 0.5

/* The largest |value| the reference saw before its activation: errors are
 * measured against it (a Clip's outputs are smaller than the sums whose
 * rounding they carry). */
static double ref_pre_max;

/* y = act(conv + b [+ r]) [+ r], in double, then rounded. */
static void reference(const wg_case *c, int64_t oh, int64_t ow, const float *x, const float *w,
                      const float *b, const float *r, double *y)
{
    ref_pre_max = 0;
    for (int64_t img = 0; img < c->n; img++)
        for (int64_t o = 0; o < c->c_out; o++)
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    const int64_t at = ((img * c->c_out + o) * oh + oy) * ow + ox;
                    double s = b != NULL ? b[o] : 0.0;
                    for (int64_t i = 0; i < c->c_in; i++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int64_t iy = oy + ky - c->pads[0], ix = ox + kx - c->pads[1];
                                if (iy >= 0 && iy < c->h && ix >= 0 && ix < c->w)
                                    s += (double)x[((img * c->c_in + i) * c->h + iy) * c->w + ix] *
                                         w[((o * c->c_in + i) * 3 + ky) * 3 + kx];
                            }
                    if (r != NULL && c->residual == DLK_RES_BEFORE_ACT)
                        s += r[at];
                    ref_pre_max = fmax(ref_pre_max, fabs(s));
                    if (c->act == DLK_ACT_RELU && s < 0)
                        s = 0;
                    else if (c->act == DLK_ACT_CLIP)
                        s = s < WG_CLIP_LO ? WG_CLIP_LO : s > WG_CLIP_HI ? WG_CLIP_HI : s;
                    if (r != NULL && c->residual == DLK_RES_AFTER_ACT)
                        s += r[at];
                    y[at] = s;
                }
}

/* Runs one case with par NULL and 2 fake threads; returns the worst error
 * relative to max |y|. */
static double run_case(const wg_case *c)
{
    dlk_winograd_params p;
    dlk_par par2 = {2, fake_run, &the_pool};
    int64_t oh = c->h + c->pads[0] + c->pads[2] - 2, ow = c->w + c->pads[1] + c->pads[3] - 2;
    int64_t ny = c->n * c->c_out * oh * ow, i;
    float *x = rnd_array(c->n * c->c_in * c->h * c->w), *w = rnd_array(c->c_out * c->c_in * 9);
    float *b = c->bias ? rnd_array(c->c_out) : NULL, *r = c->residual ? rnd_array(ny) : NULL;
    float *u = malloc((size_t)((c->m + 2) * (c->m + 2) * c->c_out * c->c_in) * sizeof(float));
    float *y = malloc((size_t)ny * sizeof(float));
    double *want = malloc((size_t)ny * sizeof(double)), scale = 0, worst = 0;
    float *scratch;
    int t;
    memset(&p, 0, sizeof p);
    p.n = c->n;
    p.c_in = c->c_in;
    p.c_out = c->c_out;
    p.in[0] = c->h;
    p.in[1] = c->w;
    p.out[0] = oh;
    p.out[1] = ow;
    memcpy(p.pads, c->pads, sizeof p.pads);
    p.m = c->m;
    p.u16 = c->u16;
    p.ep.act = c->act;
    p.ep.residual = c->residual;
    if (c->act == DLK_ACT_CLIP) {
        p.ep.alpha = (float)WG_CLIP_LO;
        p.ep.beta = (float)WG_CLIP_HI;
    }
    ck_assert(dlk_winograd_fits(&p));
    scratch = malloc((size_t)dlk_winograd_scratch_floats(&p) * sizeof(float));
    dlk_winograd_weights_f32(c->m, c->c_out, c->c_in, w, u);
    if (c->u16) {
        const int64_t nu = (c->m + 2) * (c->m + 2) * c->c_out * c->c_in;
        float *rows = malloc((size_t)nu * sizeof(float));
        memcpy(rows, u, (size_t)nu * sizeof(float));
        dlk_winograd_weights16_f32((c->m + 2) * (c->m + 2), c->c_out, c->c_in, rows, u);
        free(rows);
    }
    reference(c, oh, ow, x, w, b, r, want);
    for (i = 0; i < ny; i++)
        scale = fmax(scale, fabs(want[i]));
    if (c->act == DLK_ACT_CLIP)
        scale = fmax(scale, ref_pre_max);
    if (scale < 1e-3)
        scale = 1e-3;
    for (t = 0; t < 2; t++) {
        for (i = 0; i < ny; i++)
            y[i] = NAN;
        dlk_winograd_f32(t ? &par2 : NULL, &p, x, u, b, r, y, scratch);
        for (i = 0; i < ny; i++) {
            double e = fabs((double)y[i] - want[i]) / scale;
            ck_assert_msg(e <= 1e-4, "m %d u16 %d n %d c_in %d c_out %d %dx%d pads %d %d %d %d act %d res %d threads %d: "
                          "y[%d] = %.8g, expected %.8g", c->m, c->u16, (int)c->n, (int)c->c_in, (int)c->c_out,
                          (int)c->h, (int)c->w, (int)c->pads[0], (int)c->pads[1], (int)c->pads[2], (int)c->pads[3],
                          c->act, c->residual, t + 1, (int)i, (double)y[i], want[i]);
            worst = fmax(worst, e);
        }
    }
    free(x);
    free(w);
    free(b);
    free(r);
    free(u);
    free(y);
    free(want);
    free(scratch);
    return worst;
}

/* --------------------------------------------------------------- tests */

/* U for a filter g of all ones and for g = e(1,1) (only the centre 1):
 * U = G g G^T, so for all ones U[a][b] = (sum_k G[a][k]) (sum_l G[b][l])
 * with the row sums of G: 1/4, -1/2, -1/6, 1/24+1/12+1/6 = 7/24,
 * 1/24-1/12+1/6 = 1/8, 1. For the centre: U[a][b] = G[a][1] G[b][1] with
 * column 1 of G: 0, -1/6, 1/6, 1/12, -1/12, 0. */
START_TEST(test_weights_hand)
{
    static const double rows[6] = {0.25, -0.5, -1.0 / 6, 7.0 / 24, 0.125, 1.0};
    static const double mid[6] = {0.0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0.0};
    float w[2 * 9], u[36 * 2];
    for (int k = 0; k < 9; k++) {
        w[k] = 1.0f;             /* output channel 0: all ones */
        w[9 + k] = k == 4;       /* output channel 1: the centre */
    }
    dlk_winograd_weights_f32(4, 2, 1, w, u);
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++) {
            ck_assert_double_eq_tol(u[(a * 6 + b) * 2 + 0], rows[a] * rows[b], 1e-7);
            ck_assert_double_eq_tol(u[(a * 6 + b) * 2 + 1], mid[a] * mid[b], 1e-7);
        }
}
END_TEST

/* F(2x2): G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], row sums 1, 3/2,
 * 1/2, 1; column 1: 0, 1/2, -1/2, 0. U[a][b] as above with these. */
START_TEST(test_weights_hand_f2)
{
    static const double rows[4] = {1.0, 1.5, 0.5, 1.0};
    static const double mid[4] = {0.0, 0.5, -0.5, 0.0};
    float w[2 * 9], u[16 * 2];
    for (int k = 0; k < 9; k++) {
        w[k] = 1.0f;
        w[9 + k] = k == 4;
    }
    dlk_winograd_weights_f32(2, 2, 1, w, u);
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            ck_assert_double_eq_tol(u[(a * 4 + b) * 2 + 0], rows[a] * rows[b], 1e-7);
            ck_assert_double_eq_tol(u[(a * 4 + b) * 2 + 1], mid[a] * mid[b], 1e-7);
        }
}
END_TEST

/* A 1-channel 4x4 plane, all-ones filter, pads 1: each output is the sum
 * of its 3x3 neighbourhood inside the plane. x[i][j] = 4i + j: y[0][0] =
 * x00+x01+x10+x11 = 0+1+4+5 = 10; y[1][1] = sum of rows 0..2, cols 0..2 =
 * (0+1+2)+(4+5+6)+(8+9+10) = 45; y[3][3] = x22+x23+x32+x33 = 10+11+14+15 = 50. */
START_TEST(test_hand_sums)
{
    dlk_winograd_params p;
    float x[16], w[9], u[36], y[16], scratch[256];
    const int m = _i == 0 ? 4 : 2;
    memset(&p, 0, sizeof p);
    p.m = m;
    p.n = p.c_in = p.c_out = 1;
    p.in[0] = p.in[1] = p.out[0] = p.out[1] = 4;
    p.pads[0] = p.pads[1] = p.pads[2] = p.pads[3] = 1;
    ck_assert_int_le(dlk_winograd_scratch_floats(&p), 256);
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    for (int k = 0; k < 9; k++)
        w[k] = 1.0f;
    dlk_winograd_weights_f32(m, 1, 1, w, u);
    dlk_winograd_f32(NULL, &p, x, u, NULL, NULL, y, scratch);
    ck_assert_double_eq_tol(y[0], 10.0, 1e-4);
    ck_assert_double_eq_tol(y[5], 45.0, 1e-4);
    ck_assert_double_eq_tol(y[15], 50.0, 1e-4);
}
END_TEST

/* Random shapes against the double reference: F(4x4) and F(2x2), 1-40
 * channels, planes up to 20 x 20 with pads 0-1, every epilogue; a third of
 * them with 32 or 64 outputs and U by blocks of 16 (the channel-tile
 * products: tile columns 1 to 100, whole tiles of 14 and every leftover). */
START_TEST(test_random_shapes)
{
    double worst[2] = {0, 0};
    for (int it = 0; it < 120; it++) {
        wg_case c;
        memset(&c, 0, sizeof c);
        c.m = it < 60 ? 4 : 2;
        c.n = rnd_int(1, 2);
        c.c_in = rnd_int(1, 40);
        c.c_out = rnd_int(1, 40);
        if (it % 3 == 1) {   /* U by blocks of 16: the channel-tile products */
            c.c_out = 32 * rnd_int(1, 2);
            c.u16 = 1;
        }
        for (int k = 0; k < 4; k++)
            c.pads[k] = it % 3 == 0 ? rnd_int(0, 1) : (it % 3 == 1 ? 1 : 0);
        c.h = rnd_int(3 - c.pads[0] - c.pads[2] > 1 ? 3 - c.pads[0] - c.pads[2] : 1, 20);
        c.w = rnd_int(3 - c.pads[1] - c.pads[3] > 1 ? 3 - c.pads[1] - c.pads[3] : 1, 20);
        c.bias = (int)rnd_int(0, 1);
        c.act = it % 3 == 2 ? DLK_ACT_CLIP : rnd_int(0, 1) ? DLK_ACT_RELU : DLK_ACT_NONE;
        c.residual = (int)rnd_int(0, 2);
        worst[c.m == 2] = fmax(worst[c.m == 2], run_case(&c));
    }
    printf("winograd random shapes: worst error of max |y|: F(4x4) %.3g, F(2x2) %.3g\n", worst[0], worst[1]);
}
END_TEST

/* Planes whose tile rows span several transform blocks (DLK_WG_LEN columns)
 * and a 1-wide / 1-high output. */
START_TEST(test_large_and_thin)
{
    static const int64_t hw[][2] = {{3, 300}, {70, 70}, {40, 129}, {3, 3}, {20, 1}};
    double worst = 0;
    for (size_t i = 0; i < 2 * sizeof hw / sizeof hw[0]; i++) {
        wg_case c;
        memset(&c, 0, sizeof c);
        c.m = i % 2 ? 2 : 4;
        c.n = 1;
        c.c_in = 3;
        c.c_out = 5;
        c.h = hw[i / 2][0];
        c.w = hw[i / 2][1];
        c.pads[0] = c.pads[2] = 1;
        c.pads[1] = c.pads[3] = hw[i / 2][1] == 1 ? 1 : (int64_t)(i / 2 % 2);
        c.bias = 1;
        c.act = DLK_ACT_RELU;
        c.residual = DLK_RES_BEFORE_ACT;
        worst = fmax(worst, run_case(&c));
    }
    printf("winograd large/thin planes: worst error %.3g of max |y|\n", worst);
}
END_TEST

/* Several bands of tile rows (dlk_winograd_band): 130x130, 64 -> 64
 * channels. F(4x4): V and M of a tile row 36 x 128 x 34 floats = 612 KB,
 * 10 MB / 612 KB = 16 rows a band (>= 256 / 34 columns), 33 rows as
 * 33 / 16 = 2 bands of ceil(33 / 2) = 17, 16; F(2x2): 16 x 128 x 66 floats
 * = 528 KB, 19 rows, 65 rows as 65 / 19 = 3 bands of 22, 22, 21. */
START_TEST(test_bands)
{
    double worst = 0;
    for (int m = 2; m <= 4; m += 2) {
        wg_case c;
        dlk_winograd_params p;
        memset(&c, 0, sizeof c);
        c.m = m;
        c.n = 1;
        c.c_in = c.c_out = 64;
        c.h = c.w = 130;
        c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1;
        c.bias = 1;
        c.act = DLK_ACT_RELU;
        memset(&p, 0, sizeof p);
        p.m = m;
        p.c_in = p.c_out = 64;
        p.in[0] = p.in[1] = p.out[0] = p.out[1] = 130;
        ck_assert_int_eq((int)dlk_winograd_band(&p), m == 4 ? 17 : 22);
        worst = fmax(worst, run_case(&c));
    }
    printf("winograd bands: worst error %.3g of max |y|\n", worst);
}
END_TEST

static Suite *winograd_suite(void)
{
    Suite *s = suite_create("kernels_winograd");
    TCase *tc = tcase_create("winograd");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_weights_hand);
    tcase_add_test(tc, test_weights_hand_f2);
    tcase_add_loop_test(tc, test_hand_sums, 0, 2);
    tcase_add_test(tc, test_random_shapes);
    tcase_add_test(tc, test_large_and_thin);
    tcase_add_test(tc, test_bands);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(winograd_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
