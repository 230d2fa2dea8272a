/* Conv and ConvTranspose kernels (runtime/kernels/conv.h): size formulas
 * (SEED-NOTES §5 T1-T6, T35), hand-computed small cases, and the tiled
 * kernels against naive direct loops on random shapes. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/conv_mean.h"
#include "kernels/conv_pool.h"
#include "kernels/conv_tiles.h"
#include "kernels/threadpool.h"
#include "sequential_pool.h"

/* ------------------------------------------------------------- helpers */

static void expect_floats(const float *got, const float *want, int64_t n, float tol, const char *what)
{
    for (int64_t i = 0; i < n; i++) {
        float err = fabsf(got[i] - want[i]), scale = fabsf(want[i]) > 1.0f ? fabsf(want[i]) : 1.0f;
        ck_assert_msg(err <= tol * scale, "%s: element %lld is %.7g, expected %.7g", what, (long long)i,
                      (double)got[i], (double)want[i]);
    }
}

/* 2-D params with square stride/pad/dilation. */
static dlk_conv_params params2d(int64_t n, int64_t c_in, int64_t c_out, int64_t group, int64_t h,
                                int64_t w, int64_t kh, int64_t kw, int64_t s, int64_t pad, int64_t dil)
{
    dlk_conv_params p;
    memset(&p, 0, sizeof p);
    p.n = n;
    p.c_in = c_in;
    p.c_out = c_out;
    p.group = group;
    p.rank = 2;
    p.in[0] = h;
    p.in[1] = w;
    p.kernel[0] = kh;
    p.kernel[1] = kw;
    for (int a = 0; a < 2; a++) {
        p.strides[a] = s;
        p.dilations[a] = dil;
        p.pads[a] = p.pads[2 + a] = pad;
        p.out[a] = dlk_conv_out_dim(p.in[a], p.kernel[a], s, dil, pad, pad);
    }
    return p;
}

static uint32_t rng_state = 12345u;

static float rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static int64_t rnd_int(int64_t lo, int64_t hi)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return lo + (int64_t)((rng_state >> 8) % (uint32_t)(hi - lo + 1));
}

static float *rnd_array(int64_t n)
{
    float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = rnd();
    return v;
}

/* --------------------------------------------------------- size formulas */

START_TEST(t1_t2_t3_t35_conv_out_dim)
{
    /* T1: Conv2d(16,33,k3,s2) on 50x100: floor(47/2)+1 = 24, floor(97/2)+1 = 49. */
    ck_assert_int_eq(dlk_conv_out_dim(50, 3, 2, 1, 0, 0), 24);
    ck_assert_int_eq(dlk_conv_out_dim(100, 3, 2, 1, 0, 0), 49);
    /* T2: k(3,5) s(2,1) p(4,2): floor((50+8-2-1)/2)+1 = 28; (100+4-4-1)/1+1 = 100. */
    ck_assert_int_eq(dlk_conv_out_dim(50, 3, 2, 1, 4, 4), 28);
    ck_assert_int_eq(dlk_conv_out_dim(100, 5, 1, 1, 2, 2), 100);
    /* T3: + dilation (3,1): floor((50+8-3*2-1)/2)+1 = floor(25.5)+1 = 26. */
    ck_assert_int_eq(dlk_conv_out_dim(50, 3, 2, 3, 4, 4), 26);
    ck_assert_int_eq(dlk_conv_out_dim(100, 5, 1, 1, 2, 2), 100);
    /* T35: stride 1, (k3,p1) and (k5,p2) keep the size: (W-3+2)/1+1 = W. */
    for (int64_t w = 5; w < 40; w++) {
        ck_assert_int_eq(dlk_conv_out_dim(w, 3, 1, 1, 1, 1), w);
        ck_assert_int_eq(dlk_conv_out_dim(w, 5, 1, 1, 2, 2), w);
    }
    /* T20: VALID = floor((I-k)/s)+1: I=10,k=3,s=4 -> floor(7/4)+1 = 2 = ceil((10-3+1)/4). */
    ck_assert_int_eq(dlk_conv_out_dim(10, 3, 4, 1, 0, 0), 2);
}
END_TEST

START_TEST(t5_t6_conv_transpose_out_dim)
{
    /* T5: in 2, k4, s3, p0: (2-1)*3 + 4 = 7. */
    ck_assert_int_eq(dlk_conv_transpose_out_dim(2, 4, 3, 1, 0, 0, 0), 7);
    /* T6: 2 -> 4 with k3 s1 p0: 1*1 + 3 = 4; 3 -> 5 with k3 s2 p1: 2*2 + 3 - 2 = 5. */
    ck_assert_int_eq(dlk_conv_transpose_out_dim(2, 3, 1, 1, 0, 0, 0), 4);
    ck_assert_int_eq(dlk_conv_transpose_out_dim(3, 3, 2, 1, 1, 1, 0), 5);
    /* output_padding 1 and dilation 2: 2*(3-1) + 1 + 2*(3-1) + 1 - 0 = 10. */
    ck_assert_int_eq(dlk_conv_transpose_out_dim(3, 3, 2, 2, 0, 0, 1), 10);
}
END_TEST

START_TEST(same_pads)
{
    int64_t pb, pe;
    /* in 7, k3, s2: out ceil(7/2) = 4, total (4-1)*2 + 3 - 7 = 2 -> 1, 1. */
    dlk_conv_same_pads(7, 3, 2, 1, 1, &pb, &pe);
    ck_assert_int_eq(pb, 1);
    ck_assert_int_eq(pe, 1);
    /* in 8, k3, s2: out 4, total 6 + 3 - 8 = 1: upper puts it at the end, lower at the start. */
    dlk_conv_same_pads(8, 3, 2, 1, 1, &pb, &pe);
    ck_assert_int_eq(pb, 0);
    ck_assert_int_eq(pe, 1);
    dlk_conv_same_pads(8, 3, 2, 1, 0, &pb, &pe);
    ck_assert_int_eq(pb, 1);
    ck_assert_int_eq(pe, 0);
    /* in 5, k1, s3: out 2, total 3 + 1 - 5 = -1 -> no padding. */
    dlk_conv_same_pads(5, 1, 3, 1, 1, &pb, &pe);
    ck_assert_int_eq(pb + pe, 0);
    /* dilation 2, k3 (effective 5), in 6, s1: total 5 + 5 - 6 = 4 -> 2, 2. */
    dlk_conv_same_pads(6, 3, 1, 2, 1, &pb, &pe);
    ck_assert_int_eq(pb, 2);
    ck_assert_int_eq(pe, 2);
}
END_TEST

/* ------------------------------------------------------ hand-computed conv */

START_TEST(conv_2x2_kernel_with_bias)
{
    /* x = 1..9 (3x3), w = [1 2; 3 4], bias 0.5:
     * y00 = 1*1+2*2+3*4+4*5 = 37, y01 = 2+6+15+24 = 47,
     * y10 = 4+10+21+32 = 67,      y11 = 5+12+24+36 = 77. */
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 2, 3, 4}, b[1] = {0.5f}, y[4];
    float want[4] = {37.5f, 47.5f, 67.5f, 77.5f};
    dlk_conv_params p = params2d(1, 1, 1, 1, 3, 3, 2, 2, 1, 0, 1);
    ck_assert_int_eq(p.out[0], 2);
    dlk_conv_gemm_f32(NULL, &p, x, w, b, NULL, y);
    expect_floats(y, want, 4, 0, "2x2 conv");
}
END_TEST

START_TEST(conv_strided_padded)
{
    /* x = 1..9, 3x3 ones, pad 1, stride 2 -> 2x2 output whose windows are
     * centred on (0,0), (0,2), (2,0), (2,2):
     * 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28. */
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[9], y[4], want[4] = {12, 16, 24, 28};
    dlk_conv_params p = params2d(1, 1, 1, 1, 3, 3, 3, 3, 2, 1, 1);
    for (int i = 0; i < 9; i++)
        w[i] = 1;
    ck_assert_int_eq(p.out[0], 2);
    ck_assert_int_eq(p.out[1], 2);
    dlk_conv_gemm_f32(NULL, &p, x, w, NULL, NULL, y);
    expect_floats(y, want, 4, 0, "strided padded conv");
}
END_TEST

START_TEST(conv_dilated)
{
    /* x[r][c] = 4r+c+1 (4x4), 2x2 kernel [1 10; 100 1000], dilation 2 ->
     * effective 3x3, output 2x2: y[i][j] = x[i][j] + 10 x[i][j+2] + 100 x[i+2][j] + 1000 x[i+2][j+2].
     * y00 = 1 + 30 + 900 + 11000 = 11931, y01 = 2 + 40 + 1000 + 12000 = 13042,
     * y10 = 5 + 70 + 1300 + 15000 = 16375, y11 = 6 + 80 + 1400 + 16000 = 17486. */
    float x[16], w[4] = {1, 10, 100, 1000}, y[4], want[4] = {11931, 13042, 16375, 17486};
    dlk_conv_params p = params2d(1, 1, 1, 1, 4, 4, 2, 2, 1, 0, 2);
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    ck_assert_int_eq(p.out[0], 2);
    dlk_conv_gemm_f32(NULL, &p, x, w, NULL, NULL, y);
    expect_floats(y, want, 4, 0, "dilated conv");
}
END_TEST

START_TEST(conv_grouped)
{
    /* x: 1x4x1x3, channel c = [10c, 10c+1, 10c+2]; group 2; W 2x2x1x2:
     * oc0 (channels 0,1) = [[1 2],[3 4]], oc1 (channels 2,3) = [[1 0],[0 -1]].
     * oc0[w] = x0[w] + 2 x0[w+1] + 3 x1[w] + 4 x1[w+1]: w0: 0+2+30+44 = 76, w1: 1+4+33+48 = 86.
     * oc1[w] = x2[w] - x3[w+1]: 20-31 = -11, 21-32 = -11. */
    float x[12], w[8] = {1, 2, 3, 4, 1, 0, 0, -1}, y[4], want[4] = {76, 86, -11, -11};
    dlk_conv_params p = params2d(1, 4, 2, 2, 1, 3, 1, 2, 1, 0, 1);
    for (int c = 0; c < 4; c++)
        for (int i = 0; i < 3; i++)
            x[c * 3 + i] = (float)(10 * c + i);
    dlk_conv_gemm_f32(NULL, &p, x, w, NULL, NULL, y);
    expect_floats(y, want, 4, 0, "grouped conv");
}
END_TEST

START_TEST(conv_depthwise)
{
    /* 3 channels, group 3, x_c = (c+1)*[1 2; 3 4], w_c = 3x3 all (c+1), pad 1.
     * On a 2x2 map every padded 3x3 window covers the whole map, so
     * y_c = (c+1) * 10(c+1) = 10, 40, 90 at every position. */
    float x[12], w[27], y[12], want[12];
    dlk_conv_params p = params2d(1, 3, 3, 3, 2, 2, 3, 3, 1, 1, 1);
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < 4; i++) {
            x[c * 4 + i] = (float)((c + 1) * (i + 1));
            want[c * 4 + i] = (float)(10 * (c + 1) * (c + 1));
        }
        for (int i = 0; i < 9; i++)
            w[c * 9 + i] = (float)(c + 1);
    }
    dlk_conv_gemm_f32(NULL, &p, x, w, NULL, NULL, y);
    expect_floats(y, want, 12, 0, "depthwise conv");
}
END_TEST

START_TEST(conv_1d_and_3d)
{
    /* 1-D: x = [1..5], w = [1, 10], stride 2, pads (1, 0): out floor((5+1-2)/2)+1 = 3,
     * y[o] = x[2o-1] + 10 x[2o]: 0+10 = 10, 2+30 = 32, 4+50 = 54. */
    float x1[5] = {1, 2, 3, 4, 5}, w1[2] = {1, 10}, y1[3], want1[3] = {10, 32, 54};
    /* 3-D: x = 1..8 (2x2x2), kernel 2x1x1 = [1, 10], pads D (1, 0):
     * y[d] = x[d-1] + 10 x[d]: d0 = 10,20,30,40; d1 = 1+50, 2+60, 3+70, 4+80. */
    float x3[8] = {1, 2, 3, 4, 5, 6, 7, 8}, w3[2] = {1, 10}, y3[8];
    float want3[8] = {10, 20, 30, 40, 51, 62, 73, 84};
    dlk_conv_params p;
    memset(&p, 0, sizeof p);
    p.n = p.c_in = p.c_out = p.group = p.rank = 1;
    p.in[0] = 5;
    p.kernel[0] = 2;
    p.strides[0] = 2;
    p.dilations[0] = 1;
    p.pads[0] = 1;
    p.out[0] = dlk_conv_out_dim(5, 2, 2, 1, 1, 0);
    ck_assert_int_eq(p.out[0], 3);
    dlk_conv_gemm_f32(NULL, &p, x1, w1, NULL, NULL, y1);
    expect_floats(y1, want1, 3, 0, "1-D conv");

    memset(&p, 0, sizeof p);
    p.n = p.c_in = p.c_out = p.group = 1;
    p.rank = 3;
    for (int a = 0; a < 3; a++) {
        p.in[a] = 2;
        p.kernel[a] = a == 0 ? 2 : 1;
        p.strides[a] = p.dilations[a] = 1;
        p.out[a] = 2;
    }
    p.pads[0] = 1;
    dlk_conv_gemm_f32(NULL, &p, x3, w3, NULL, NULL, y3);
    expect_floats(y3, want3, 8, 0, "3-D conv");
}
END_TEST

START_TEST(conv_pointwise_is_a_matrix_product)
{
    /* 1x1 conv, 2 -> 3 channels on 2 pixels: y[oc][p] = sum_ic w[oc][ic] x[ic][p] + b[oc].
     * x = [[1 2],[3 4]], w = [[1 0],[0 1],[1 1]], b = [0, 1, -1]:
     * y0 = [1 2], y1 = [3+1 4+1] = [4 5], y2 = [4-1 6-1] = [3 5]. */
    float x[4] = {1, 2, 3, 4}, w[6] = {1, 0, 0, 1, 1, 1}, b[3] = {0, 1, -1}, y[6];
    float want[6] = {1, 2, 4, 5, 3, 5};
    dlk_conv_params p = params2d(1, 2, 3, 1, 1, 2, 1, 1, 1, 0, 1);
    dlk_conv_gemm_f32(NULL, &p, x, w, b, NULL, y);
    expect_floats(y, want, 6, 0, "pointwise conv");
}
END_TEST

/* --------------------------------------------------- hand-computed convT */

START_TEST(t5_conv_transpose_2x2_to_7x7)
{
    /* x = [1 2; 3 4], 4x4 ones kernel, stride 3: input (i,j) adds x[i][j] to
     * rows 3i..3i+3 x cols 3j..3j+3, so row/col 3 is shared:
     * y[0][0] = 1, y[0][3] = 1+2 = 3, y[3][0] = 1+3 = 4, y[3][3] = 10,
     * y[6][6] = 4, y[2][5] = 2; the total is 16 * (1+2+3+4) = 160. */
    float x[4] = {1, 2, 3, 4}, w[16], y[49], sum = 0;
    dlk_conv_params p = params2d(1, 1, 1, 1, 2, 2, 4, 4, 3, 0, 1);
    for (int i = 0; i < 16; i++)
        w[i] = 1;
    p.out[0] = p.out[1] = dlk_conv_transpose_out_dim(2, 4, 3, 1, 0, 0, 0);
    ck_assert_int_eq(p.out[0], 7);
    dlk_conv_transpose_f32(&p, x, w, NULL, y);
    ck_assert_float_eq(y[0 * 7 + 0], 1);
    ck_assert_float_eq(y[0 * 7 + 3], 3);
    ck_assert_float_eq(y[3 * 7 + 0], 4);
    ck_assert_float_eq(y[3 * 7 + 3], 10);
    ck_assert_float_eq(y[6 * 7 + 6], 4);
    ck_assert_float_eq(y[2 * 7 + 5], 2);
    for (int i = 0; i < 49; i++)
        sum += y[i];
    ck_assert_float_eq(sum, 160);
}
END_TEST

START_TEST(conv_transpose_output_padding_and_bias)
{
    /* x = [1 2; 3 4], 3x3 ones, stride 2, output_padding 1: out 2*1 + 1 + 3 = 6.
     * Input (i,j) covers rows 2i..2i+2, cols 2j..2j+2; row and col 5 get only
     * the bias 0.5. y[0][0] = 1.5, y[2][2] = 10.5, y[4][4] = 4.5, y[2][0] = 1+3+.5 = 4.5. */
    float x[4] = {1, 2, 3, 4}, w[9], b[1] = {0.5f}, y[36];
    dlk_conv_params p = params2d(1, 1, 1, 1, 2, 2, 3, 3, 2, 0, 1);
    for (int i = 0; i < 9; i++)
        w[i] = 1;
    p.out[0] = p.out[1] = dlk_conv_transpose_out_dim(2, 3, 2, 1, 0, 0, 1);
    ck_assert_int_eq(p.out[0], 6);
    dlk_conv_transpose_f32(&p, x, w, b, y);
    ck_assert_float_eq(y[0], 1.5f);
    ck_assert_float_eq(y[2 * 6 + 2], 10.5f);
    ck_assert_float_eq(y[4 * 6 + 4], 4.5f);
    ck_assert_float_eq(y[2 * 6 + 0], 4.5f);
    for (int i = 0; i < 6; i++) {
        ck_assert_float_eq(y[5 * 6 + i], 0.5f);
        ck_assert_float_eq(y[i * 6 + 5], 0.5f);
    }
}
END_TEST

START_TEST(conv_transpose_1d_pads_and_negative_pads)
{
    /* x = [1 2 3], w = [1 10 100], stride 2, pads (1,1): out 2*2 + 3 - 2 = 5;
     * input i writes o = 2i - 1 + k: y = [10, 100+2, 20, 200+3, 30]. */
    float x[3] = {1, 2, 3}, w[3] = {1, 10, 100}, y[5], want[5] = {10, 102, 20, 203, 30};
    /* x = [1 2], w = [1 1], stride 1, pads (0, -1) (output_shape 4 > natural 3):
     * y = [1, 1+2, 2, 0] + bias 0.25. */
    float x2[2] = {1, 2}, w2[2] = {1, 1}, b2[1] = {0.25f}, y2[4], want2[4] = {1.25f, 3.25f, 2.25f, 0.25f};
    dlk_conv_params p;
    memset(&p, 0, sizeof p);
    p.n = p.c_in = p.c_out = p.group = p.rank = 1;
    p.in[0] = 3;
    p.kernel[0] = 3;
    p.strides[0] = 2;
    p.dilations[0] = 1;
    p.pads[0] = p.pads[1] = 1;
    p.out[0] = dlk_conv_transpose_out_dim(3, 3, 2, 1, 1, 1, 0);
    ck_assert_int_eq(p.out[0], 5);
    dlk_conv_transpose_f32(&p, x, w, NULL, y);
    expect_floats(y, want, 5, 0, "1-D conv transpose");

    p.in[0] = 2;
    p.kernel[0] = 2;
    p.strides[0] = 1;
    p.pads[0] = 0;
    p.pads[1] = -1;
    p.out[0] = dlk_conv_transpose_out_dim(2, 2, 1, 1, 0, -1, 0);
    ck_assert_int_eq(p.out[0], 4);
    dlk_conv_transpose_f32(&p, x2, w2, b2, y2);
    expect_floats(y2, want2, 4, 0, "conv transpose, negative pad");
}
END_TEST

/* --------------------------------------------- against naive direct loops */

/* Direct convolution with a bounds check per tap: the definition. Any rank
 * is embedded in 3-D with leading axes of size 1. */
typedef struct geom3 {
    int64_t in[3], out[3], k[3], s[3], d[3], pb[3];
} geom3;

static geom3 to3(const dlk_conv_params *p)
{
    geom3 g;
    int64_t lead = 3 - p->rank;
    for (int a = 0; a < 3; a++) {
        int64_t i = a - lead;
        g.in[a] = i >= 0 ? p->in[i] : 1;
        g.out[a] = i >= 0 ? p->out[i] : 1;
        g.k[a] = i >= 0 ? p->kernel[i] : 1;
        g.s[a] = i >= 0 ? p->strides[i] : 1;
        g.d[a] = i >= 0 ? p->dilations[i] : 1;
        g.pb[a] = i >= 0 ? p->pads[i] : 0;
    }
    return g;
}

static void naive_conv(const dlk_conv_params *p, const float *x, const float *w, const float *b, float *y)
{
    geom3 g = to3(p);
    int64_t icg = p->c_in / p->group, ocg = p->c_out / p->group;
    int64_t ip = g.in[0] * g.in[1] * g.in[2], op = g.out[0] * g.out[1] * g.out[2], ks = g.k[0] * g.k[1] * g.k[2];
    for (int64_t n = 0; n < p->n; n++)
        for (int64_t oc = 0; oc < p->c_out; oc++)
            for (int64_t o0 = 0; o0 < g.out[0]; o0++)
                for (int64_t o1 = 0; o1 < g.out[1]; o1++)
                    for (int64_t o2 = 0; o2 < g.out[2]; o2++) {
                        double acc = b ? b[oc] : 0;
                        for (int64_t ic = 0; ic < icg; ic++)
                            for (int64_t k0 = 0; k0 < g.k[0]; k0++)
                                for (int64_t k1 = 0; k1 < g.k[1]; k1++)
                                    for (int64_t k2 = 0; k2 < g.k[2]; k2++) {
                                        int64_t i0 = o0 * g.s[0] - g.pb[0] + k0 * g.d[0];
                                        int64_t i1 = o1 * g.s[1] - g.pb[1] + k1 * g.d[1];
                                        int64_t i2 = o2 * g.s[2] - g.pb[2] + k2 * g.d[2];
                                        int64_t c = (oc / ocg) * icg + ic;
                                        if (i0 < 0 || i0 >= g.in[0] || i1 < 0 || i1 >= g.in[1] || i2 < 0 || i2 >= g.in[2])
                                            continue;
                                        acc += (double)x[(n * p->c_in + c) * ip + (i0 * g.in[1] + i1) * g.in[2] + i2] *
                                               w[(oc * icg + ic) * ks + (k0 * g.k[1] + k1) * g.k[2] + k2];
                                    }
                        y[(n * p->c_out + oc) * op + (o0 * g.out[1] + o1) * g.out[2] + o2] = (float)acc;
                    }
}

/* Transposed convolution by its definition: every input element scatters
 * through every kernel tap. */
static void naive_conv_transpose(const dlk_conv_params *p, const float *x, const float *w, const float *b,
                                 float *y)
{
    geom3 g = to3(p);
    int64_t icg = p->c_in / p->group, ocg = p->c_out / p->group;
    int64_t ip = g.in[0] * g.in[1] * g.in[2], op = g.out[0] * g.out[1] * g.out[2], ks = g.k[0] * g.k[1] * g.k[2];
    double *acc = calloc((size_t)(p->n * p->c_out * op), sizeof *acc);
    for (int64_t n = 0; n < p->n; n++)
        for (int64_t ci = 0; ci < p->c_in; ci++)
            for (int64_t i0 = 0; i0 < g.in[0]; i0++)
                for (int64_t i1 = 0; i1 < g.in[1]; i1++)
                    for (int64_t i2 = 0; i2 < g.in[2]; i2++)
                        for (int64_t oc = 0; oc < ocg; oc++)
                            for (int64_t k0 = 0; k0 < g.k[0]; k0++)
                                for (int64_t k1 = 0; k1 < g.k[1]; k1++)
                                    for (int64_t k2 = 0; k2 < g.k[2]; k2++) {
                                        int64_t o0 = i0 * g.s[0] - g.pb[0] + k0 * g.d[0];
                                        int64_t o1 = i1 * g.s[1] - g.pb[1] + k1 * g.d[1];
                                        int64_t o2 = i2 * g.s[2] - g.pb[2] + k2 * g.d[2];
                                        int64_t c = (ci / icg) * ocg + oc;
                                        if (o0 < 0 || o0 >= g.out[0] || o1 < 0 || o1 >= g.out[1] || o2 < 0 || o2 >= g.out[2])
                                            continue;
                                        acc[(n * p->c_out + c) * op + (o0 * g.out[1] + o1) * g.out[2] + o2] +=
                                            (double)x[(n * p->c_in + ci) * ip + (i0 * g.in[1] + i1) * g.in[2] + i2] *
                                            w[(ci * ocg + oc) * ks + (k0 * g.k[1] + k1) * g.k[2] + k2];
                                    }
    for (int64_t i = 0; i < p->n * p->c_out * op; i++)
        y[i] = (float)(acc[i] + (b ? b[(i / op) % p->c_out] : 0));
    free(acc);
}

/* Random geometry: rank 1..3, groups, strides, dilations, asymmetric pads;
 * sizes cross the 64-pixel and 64-row tiles. */
static dlk_conv_params random_params(int transpose)
{
    dlk_conv_params p;
    int64_t groups[4] = {1, 1, 2, 3};
    memset(&p, 0, sizeof p);
    p.rank = rnd_int(1, 3);
    p.group = groups[rnd_int(0, 3)];
    p.n = rnd_int(1, 2);
    p.c_in = p.group * rnd_int(1, 5);
    p.c_out = p.group * rnd_int(1, 4);
    for (int a = 0; a < p.rank; a++) {
        int64_t keff;
        p.in[a] = rnd_int(1, p.rank == 1 ? 150 : p.rank == 2 ? 19 : 7);
        p.kernel[a] = rnd_int(1, 4);
        p.strides[a] = rnd_int(1, 3);
        p.dilations[a] = rnd_int(1, 2);
        keff = p.dilations[a] * (p.kernel[a] - 1) + 1;
        p.pads[a] = rnd_int(0, keff - 1);
        p.pads[p.rank + a] = rnd_int(0, keff - 1);
        if (transpose) {
            p.out[a] = dlk_conv_transpose_out_dim(p.in[a], p.kernel[a], p.strides[a], p.dilations[a],
                                                  p.pads[a], p.pads[p.rank + a], rnd_int(0, p.strides[a] - 1));
            if (p.out[a] < 1) {
                p.pads[a] = p.pads[p.rank + a] = 0;
                p.out[a] = dlk_conv_transpose_out_dim(p.in[a], p.kernel[a], p.strides[a], p.dilations[a], 0, 0, 0);
            }
        } else {
            if (p.in[a] + p.pads[a] + p.pads[p.rank + a] < keff)
                p.in[a] = keff;
            p.out[a] = dlk_conv_out_dim(p.in[a], p.kernel[a], p.strides[a], p.dilations[a], p.pads[a],
                                        p.pads[p.rank + a]);
        }
    }
    return p;
}

static int64_t prod(const int64_t *v, int64_t n)
{
    int64_t r = 1;
    for (int64_t i = 0; i < n; i++)
        r *= v[i];
    return r;
}

static void compare_random(int transpose, int cases)
{
    for (int t = 0; t < cases; t++) {
        dlk_conv_params p = random_params(transpose);
        int64_t ks = prod(p.kernel, p.rank);
        int64_t nx = p.n * p.c_in * prod(p.in, p.rank), ny = p.n * p.c_out * prod(p.out, p.rank);
        int64_t nw = transpose ? p.c_in * (p.c_out / p.group) * ks : p.c_out * (p.c_in / p.group) * ks;
        float *x = rnd_array(nx), *w = rnd_array(nw), *b = rnd_array(p.c_out);
        float *y = rnd_array(ny), *want = rnd_array(ny);
        char what[160];
        float *bias = t % 2 ? b : NULL;
        snprintf(what, sizeof what, "%s case %d (rank %lld, group %lld, c %lld->%lld)",
                 transpose ? "ConvTranspose" : "Conv", t, (long long)p.rank, (long long)p.group,
                 (long long)p.c_in, (long long)p.c_out);
        if (transpose) {
            dlk_conv_transpose_f32(&p, x, w, bias, y);
            naive_conv_transpose(&p, x, w, bias, want);
        } else {
            dlk_conv_gemm_f32(NULL, &p, x, w, bias, NULL, y);
            naive_conv(&p, x, w, bias, want);
        }
        expect_floats(y, want, ny, 1e-5f, what);
        free(x);
        free(w);
        free(b);
        free(y);
        free(want);
    }
}

START_TEST(conv_matches_direct_loops)
{
    compare_random(0, 300);
}
END_TEST

START_TEST(conv_transpose_matches_scatter_loops)
{
    compare_random(1, 300);
}
END_TEST

START_TEST(conv_large_channels_cross_tiles)
{
    /* 70 input channels x 3x3 = 630 kernel-rows (10 row tiles), 11x13 = 143
     * pixels (3 pixel tiles), padded and strided on one axis. */
    dlk_conv_params p = params2d(1, 70, 9, 1, 11, 13, 3, 3, 1, 1, 1);
    int64_t nx = 70 * 11 * 13, nw = 9 * 70 * 9, ny;
    float *x, *w, *b, *y, *want;
    p.strides[1] = 2;
    p.out[1] = dlk_conv_out_dim(13, 3, 2, 1, 1, 1);
    ny = 9 * p.out[0] * p.out[1];
    x = rnd_array(nx);
    w = rnd_array(nw);
    b = rnd_array(9);
    y = rnd_array(ny);
    want = rnd_array(ny);
    dlk_conv_gemm_f32(NULL, &p, x, w, b, NULL, y);
    naive_conv(&p, x, w, b, want);
    expect_floats(y, want, ny, 1e-5f, "70-channel conv");
    free(x);
    free(w);
    free(b);
    free(y);
    free(want);
}
END_TEST

START_TEST(conv_wide_image_cross_blocks)
{
    /* 41 x 37 input, 40 channels x 3x3 = 360 kernel-rows (two K blocks of
     * the packed product), stride (1, 2), dilation (2, 1), pads begin (0, 2)
     * end (1, 0): 38 x 19 = 722 output pixels, several column blocks and a
     * ragged last panel; every output row starts mid-panel. */
    dlk_conv_params p = params2d(1, 40, 13, 1, 41, 37, 3, 3, 1, 0, 1);
    int64_t nx = 40 * 41 * 37, nw = 13 * 40 * 9, ny;
    float *x, *w, *b, *y, *want;
    p.strides[1] = 2;
    p.dilations[0] = 2;
    p.pads[1] = 2;
    p.pads[2] = 1;
    for (int a = 0; a < 2; a++)
        p.out[a] = dlk_conv_out_dim(p.in[a], 3, p.strides[a], p.dilations[a], p.pads[a], p.pads[2 + a]);
    ck_assert_int_eq(p.out[0], 38);   /* (41 + 0 + 1 - 2*2 - 1) / 1 + 1 */
    ck_assert_int_eq(p.out[1], 19);   /* (37 + 2 + 0 - 2 - 1) / 2 + 1 */
    ny = 13 * p.out[0] * p.out[1];
    x = rnd_array(nx);
    w = rnd_array(nw);
    b = rnd_array(13);
    y = rnd_array(ny);
    want = rnd_array(ny);
    dlk_conv_gemm_f32(NULL, &p, x, w, b, NULL, y);
    naive_conv(&p, x, w, b, want);
    expect_floats(y, want, ny, 1e-5f, "41x37 conv");
    free(x);
    free(w);
    free(b);
    free(y);
    free(want);
}
END_TEST

/* A pointwise conv of n images, c_in -> c_out channels in `group` groups
 * over h x w pixels, against the naive conv of its prologue's output:
 * kind 0 none (dlk_conv_gemm_f32), 1 x s (a per-channel Mul), 2 x s + t,
 * 3 max(x s + t, 0) (dlk_conv_gemm_prologue_f32). */
static void check_pointwise(int kind, int64_t n, int64_t c_in, int64_t c_out, int64_t group, int64_t h, int64_t w,
                            const dlk_par *par, const char *what)
{
    dlk_conv_params p = params2d(n, c_in, c_out, group, h, w, 1, 1, 1, 0, 1);
    const int64_t nx = n * c_in * h * w, nw = c_out * (c_in / group), ny = n * c_out * h * w;
    float *x = rnd_array(nx), *wt = rnd_array(nw), *b = rnd_array(c_out), *sc = rnd_array(c_in);
    float *sh = rnd_array(c_in), *xp = rnd_array(nx), *y = rnd_array(ny), *want = rnd_array(ny);
    for (int64_t i = 0; i < nx; i++) {
        const int64_t c = (i / (h * w)) % c_in;
        const float v = kind == 0 ? x[i] : kind == 1 ? x[i] * sc[c] : x[i] * sc[c] + sh[c];
        xp[i] = kind == 3 && v < 0.0f ? 0.0f : v;
    }
    if (kind == 0)
        dlk_conv_gemm_f32(par, &p, x, wt, b, NULL, y);
    else
        dlk_conv_gemm_prologue_f32(par, &p, x, wt, b, NULL, sc, kind == 1 ? NULL : sh, kind == 3, y);
    naive_conv(&p, xp, wt, b, want);
    expect_floats(y, want, ny, 1e-5f, what);
    free(x);
    free(wt);
    free(b);
    free(sc);
    free(sh);
    free(xp);
    free(y);
    free(want);
}

START_TEST(conv_pointwise_prologue)
{
    /* 2 images, groups 1 and 2, 300 input channels (two K blocks) over
     * 17 x 23 = 391 pixels (two column blocks and a ragged panel); group 1
     * also on 2 threads (20 rows: the columns are split). The scale alone
     * (kind 1) with AVX-512: 20 rows read x in place, the scale folded into
     * the kernel's copy of the weights (dlk_sgemm_args.b_scale). */
    const dlk_par two = {2, sequential_run, NULL};
    for (int kind = 1; kind <= 3; kind++)
        for (int64_t group = 1; group <= 2; group++) {
            check_pointwise(kind, 2, 300, 20, group, 17, 23, NULL, "prologue");
            if (group == 1)
                check_pointwise(kind, 2, 300, 20, 1, 17, 23, &two, "prologue, 2 threads");
        }
    /* one pixel (a squeeze-excitation's convs): the matrix-vector path, its
     * column read in place with the scale, or packed with shift / Relu */
    for (int kind = 0; kind <= 3; kind++) {
        check_pointwise(kind, 1, 300, 70, 1, 1, 1, NULL, "prologue, one pixel");
        check_pointwise(kind, 2, 48, 300, 1, 1, 1, &two, "prologue, one pixel, 2 threads");
    }
}
END_TEST

/* Two threads split a pointwise conv's rows when packing its B is cheap (a
 * copy or a per-channel scale) and it has few columns for its rows (64
 * output channels over 17 x 11 = 187 pixels: dlk_sgemm_f32's cheap_pack
 * rule), and its columns with a shift or Relu prologue. */
START_TEST(conv_pointwise_rows_split_two_threads)
{
    const dlk_par two = {2, sequential_run, NULL};
    for (int kind = 0; kind <= 3; kind++)
        check_pointwise(kind, 1, 150, 64, 1, 17, 11, &two, "pointwise conv, 2 threads");
}
END_TEST

/* Every activation kind the conv kernels apply in registers or after the store. */
static const int64_t test_acts[6] = {DLK_ACT_NONE, DLK_ACT_RELU,  DLK_ACT_CLIP,
                                     DLK_ACT_SILU, DLK_ACT_LEAKY, DLK_ACT_SIGMOID};

/* The activation kind `act` with its parameters (Clip's bounds, LeakyRelu's
 * slope) and the residual mode `residual`. */
static void set_epilogue(dlk_conv_params *p, int64_t act, int64_t residual)
{
    p->ep.act = act;
    p->ep.alpha = act == DLK_ACT_CLIP ? -0.5f : act == DLK_ACT_LEAKY ? 0.1f : 1.0f;
    p->ep.beta = 0.75f;
    p->ep.residual = residual;
}

/* what: a 2-D conv's shape and epilogue for a failure message, after the
 * kernel's name. */
static void describe_conv(char *what, size_t size, const char *kernel, const dlk_conv_params *p, int threads)
{
    snprintf(what, size,
             "%s %lld images %lld->%lld %lldx%lld k%lldx%lld s%lldx%lld d%lldx%lld pads %lld %lld %lld %lld "
             "act %lld res %lld, threads %d",
             kernel, (long long)p->n, (long long)p->c_in, (long long)p->c_out, (long long)p->in[0],
             (long long)p->in[1], (long long)p->kernel[0], (long long)p->kernel[1], (long long)p->strides[0],
             (long long)p->strides[1], (long long)p->dilations[0], (long long)p->dilations[1], (long long)p->pads[0],
             (long long)p->pads[1], (long long)p->pads[2], (long long)p->pads[3], (long long)p->ep.act,
             (long long)p->ep.residual, threads);
}

/* want = the naive conv, then its epilogue plane by plane (res: the residual or NULL). */
static void naive_conv_epilogue(const dlk_conv_params *p, const float *x, const float *w, const float *b,
                                const float *res, float *want)
{
    const int64_t plane = p->out[0] * p->out[1], ny = p->n * p->c_out * plane;
    naive_conv(p, x, w, b, want);
    for (int64_t q = 0; q < ny; q += plane)
        dlk_epilogue_f32(&p->ep, want + q, res != NULL ? res + q : NULL, plane);
}

/* dlk_conv_direct_f32 (stems: few input channels) against the naive loops
 * followed by the epilogue: random 2-D shapes it takes (1-4 input
 * channels, kernels up to 7 x 7, row strides 1-3, column strides 1-4,
 * uneven pads, output rows of 16 to 130 values: 1 to 9 vectors, so tiles
 * of every width and rows cut in 2 chunks; channel counts leaving 1 or 2
 * channels past the last whole tile), every activation kind it applies in
 * registers or after the store, a residual before and after it, 1 and 2
 * images, 1 and 2 threads (the second share starts mid-image: its ring
 * starts empty); then a conv it does not take (5 input channels: the
 * packed product). */
START_TEST(conv_direct_few_channels)
{
    const dlk_par two = {2, sequential_run, NULL};
    for (int it = 0; it < 70; it++) {
        dlk_conv_params p;
        memset(&p, 0, sizeof p);
        p.n = rnd_int(1, 2);
        p.c_in = it == 69 ? 5 : rnd_int(1, 4);
        /* whole blocks of 16 (the stems' counts) or not */
        p.c_out = it % 3 == 0 ? 16 * rnd_int(1, 4) : rnd_int(1, 20);
        p.group = 1;
        p.rank = 2;
        p.kernel[0] = rnd_int(1, 7);
        p.kernel[1] = rnd_int(1, 7);
        p.strides[0] = rnd_int(1, 3);
        p.strides[1] = rnd_int(1, 4);
        p.dilations[0] = p.dilations[1] = 1;
        for (int a = 0; a < 4; a++)
            p.pads[a] = rnd_int(0, 3);
        p.in[0] = rnd_int(p.kernel[0] > 1 ? p.kernel[0] : 1, 20);
        {   /* an output row of 16 .. 130 values */
            const int64_t ow = rnd_int(16, 130);
            p.in[1] = (ow - 1) * p.strides[1] + p.kernel[1] - p.pads[1] - p.pads[3];
            if (p.in[1] < 1)
                p.in[1] = 1;
        }
        for (int a = 0; a < 2; a++)
            p.out[a] = dlk_conv_out_dim(p.in[a], p.kernel[a], p.strides[a], 1, p.pads[a], p.pads[2 + a]);
        if (p.out[0] < 1 || p.out[1] < 16 || (it != 69 && !dlk_conv_direct_fits(&p))) {
            it--;   /* the pads ate the plane, or its rows overflow the ring: draw again */
            continue;
        }
        set_epilogue(&p, test_acts[it % 6], (it / 5) % 3);
        ck_assert_int_eq(dlk_conv_direct_fits(&p), it != 69);
        {
            const int64_t nx = p.n * p.c_in * p.in[0] * p.in[1], ny = p.n * p.c_out * p.out[0] * p.out[1];
            float *x = rnd_array(nx), *w = rnd_array(p.c_out * p.c_in * p.kernel[0] * p.kernel[1]);
            float *b = it % 4 == 3 ? NULL : rnd_array(p.c_out), *res = p.ep.residual ? rnd_array(ny) : NULL;
            float *y = rnd_array(ny), *want = rnd_array(ny);
            char what[200];
            naive_conv_epilogue(&p, x, w, b, res, want);
            describe_conv(what, sizeof what, "direct conv", &p, 1 + it % 2);
            dlk_conv_direct_f32(it % 2 ? &two : NULL, &p, x, w, b, res, y);
            expect_floats(y, want, ny, 2e-5f, what);
            free(x);
            free(w);
            free(b);
            free(res);
            free(y);
            free(want);
        }
    }
}
END_TEST

/* dlk_conv_tiles_f32 (weights reordered by dlk_conv_tiles_weights_f32)
 * against the naive loops and the epilogue: random 2-D convs it takes (32
 * or 64 output channels, 5-40 input channels, kernels 1x2 to 7x7, strides
 * 1-3, dilations 1-2, uneven pads, output rows 1 to 40 wide: the two-row
 * tiles of narrow planes, each fast tile width 7..14 and the others, rows
 * cut in several tiles), every activation kind, a residual before and after
 * it, with and without a bias, 1 and 2 images, 1 and 2 threads (shares
 * starting mid-pair and mid-row). */
START_TEST(conv_tiles_match_direct_loops)
{
    const dlk_par two = {2, sequential_run, NULL};
    for (int it = 0; it < 60; it++) {
        dlk_conv_params p;
        memset(&p, 0, sizeof p);
        p.n = rnd_int(1, 2);
        p.c_in = rnd_int(5, 40);
        p.c_out = 32 * rnd_int(1, 2);
        p.group = 1;
        p.rank = 2;
        p.kernel[0] = rnd_int(1, 7);
        p.kernel[1] = rnd_int(p.kernel[0] == 1 ? 2 : 1, 7);
        for (int a = 0; a < 2; a++) {
            p.strides[a] = rnd_int(1, 3);
            p.dilations[a] = it % 5 == 4 ? 2 : 1;
            p.pads[a] = rnd_int(0, 3);
            p.pads[2 + a] = rnd_int(0, 3);
        }
        {   /* output rows of 1 .. 40 values */
            const int64_t ow = it < 14 ? it + 1 : rnd_int(1, 40), oh = rnd_int(1, 9);
            p.in[0] = (oh - 1) * p.strides[0] + (p.kernel[0] - 1) * p.dilations[0] + 1 - p.pads[0] - p.pads[2];
            p.in[1] = (ow - 1) * p.strides[1] + (p.kernel[1] - 1) * p.dilations[1] + 1 - p.pads[1] - p.pads[3];
        }
        if (p.in[0] < 1 || p.in[1] < 1) {
            it--;   /* the pads ate the plane: draw again */
            continue;
        }
        for (int a = 0; a < 2; a++)
            p.out[a] = dlk_conv_out_dim(p.in[a], p.kernel[a], p.strides[a], p.dilations[a], p.pads[a], p.pads[2 + a]);
        set_epilogue(&p, test_acts[it % 6], (it / 6) % 3);
        ck_assert(dlk_conv_tiles_fits(&p));
        {
            const int64_t k = p.c_in * p.kernel[0] * p.kernel[1];
            const int64_t nx = p.n * p.c_in * p.in[0] * p.in[1], ny = p.n * p.c_out * p.out[0] * p.out[1];
            float *x = rnd_array(nx), *w = rnd_array(p.c_out * k), *wt = rnd_array(p.c_out * k);
            float *b = it % 4 == 3 ? NULL : rnd_array(p.c_out), *res = p.ep.residual ? rnd_array(ny) : NULL;
            float *y = rnd_array(ny), *want = rnd_array(ny), *scratch = rnd_array(dlk_conv_tiles_scratch(&p));
            char what[200];
            naive_conv_epilogue(&p, x, w, b, res, want);
            dlk_conv_tiles_weights_f32(p.c_out, k, w, wt);
            describe_conv(what, sizeof what, "conv tiles", &p, 1 + it % 2);
            dlk_conv_tiles_f32(it % 2 ? &two : NULL, &p, x, wt, b, res, y, scratch);
            expect_floats(y, want, ny, 1e-4f, what);   /* sums of up to 1960 products */
            free(x);
            free(w);
            free(wt);
            free(b);
            free(res);
            free(y);
            free(want);
            free(scratch);
        }
    }
}
END_TEST

/* Tiles of 16 output channels are not taken, nor groups. */
START_TEST(conv_tiles_fit)
{
    dlk_conv_params p = params2d(1, 8, 32, 1, 9, 9, 3, 3, 1, 1, 1);
    ck_assert(dlk_conv_tiles_fits(&p));
    p.c_out = 48;
    ck_assert(!dlk_conv_tiles_fits(&p));
    p = params2d(1, 8, 32, 2, 9, 9, 3, 3, 1, 1, 1);
    ck_assert(!dlk_conv_tiles_fits(&p));
    p = params2d(1, 8, 32, 1, 20, 20, 9, 9, 1, 1, 1);
    ck_assert(!dlk_conv_tiles_fits(&p));
}
END_TEST

/* dlk_conv_mean_f32 (a pointwise conv's channels' means) against the
 * naive conv, its activation and the mean in double: random pointwise
 * convs (1-70 input channels; 1-80 output channels, whole blocks of 16 and
 * 32 and last blocks of 1-15; planes of 1 to 400 pixels: under one tile of
 * 14, whole tiles, every leftover 1-13), every activation the kernel takes,
 * with and without a bias, 1 and 2 images, on 1, 2 and 3 threads. */
START_TEST(conv_mean_matches_naive)
{
    static const int64_t acts[5] = {DLK_ACT_NONE, DLK_ACT_RELU, DLK_ACT_CLIP, DLK_ACT_SILU, DLK_ACT_SIGMOID};
    const dlk_par two = {2, sequential_run, NULL}, three = {3, sequential_run, NULL};
    for (int it = 0; it < 120; it++) {
        const int64_t hw = it < 30 ? it + 1 : rnd_int(1, 400), n = rnd_int(1, 2), c_in = rnd_int(1, 70);
        const int64_t c_out = it % 7 == 0 ? 16 * rnd_int(1, 4) : rnd_int(1, 80);
        dlk_conv_params p = params2d(n, c_in, c_out, 1, 1, hw, 1, 1, 1, 0, 1);
        set_epilogue(&p, acts[it % 5], 0);
        ck_assert(dlk_conv_mean_fits(&p));
        {
            const int64_t nx = p.n * p.c_in * hw, ny = p.n * p.c_out * hw;
            float *x = rnd_array(nx), *w = rnd_array(p.c_out * p.c_in), *wt = rnd_array(p.c_out * p.c_in);
            float *b = it % 4 == 3 ? NULL : rnd_array(p.c_out), *full = rnd_array(ny);
            float *y = rnd_array(p.n * p.c_out), *want = rnd_array(p.n * p.c_out);
            char what[200];
            naive_conv_epilogue(&p, x, w, b, NULL, full);
            for (int64_t c = 0; c < p.n * p.c_out; c++) {
                double sum = 0.0;
                for (int64_t q = 0; q < hw; q++)
                    sum += full[c * hw + q];
                want[c] = (float)(sum / (double)hw);
            }
            dlk_conv_tiles_weights_f32(p.c_out, p.c_in, w, wt);
            describe_conv(what, sizeof what, "conv mean", &p, 1 + it % 3);
            dlk_conv_mean_f32(it % 3 == 1 ? &two : it % 3 == 2 ? &three : NULL, &p, x, wt, b, y);
            expect_floats(y, want, p.n * p.c_out, 1e-4f, what);
            free(x);
            free(w);
            free(wt);
            free(b);
            free(full);
            free(y);
            free(want);
        }
    }
}
END_TEST

/* The kernel takes pointwise convs of group 1 with an activation it
 * applies in registers and no residual. */
START_TEST(conv_mean_fit)
{
    dlk_conv_params p = params2d(1, 8, 40, 1, 13, 13, 1, 1, 1, 0, 1);
    ck_assert(dlk_conv_mean_fits(&p));
    set_epilogue(&p, DLK_ACT_LEAKY, 0);
    ck_assert(!dlk_conv_mean_fits(&p));
    set_epilogue(&p, DLK_ACT_RELU, DLK_RES_BEFORE_ACT);
    ck_assert(!dlk_conv_mean_fits(&p));
    p = params2d(1, 8, 40, 1, 13, 13, 3, 3, 1, 1, 1);
    ck_assert(!dlk_conv_mean_fits(&p));
    p = params2d(1, 8, 40, 2, 13, 13, 1, 1, 1, 0, 1);
    ck_assert(!dlk_conv_mean_fits(&p));
    p = params2d(1, 8, 40, 1, 13, 13, 1, 1, 2, 0, 1);
    ck_assert(!dlk_conv_mean_fits(&p));
}
END_TEST

/* The max pool of y (planes of h x w, pool q) by its definition: -inf,
 * then every valid tap's value if greater (a NaN never wins). */
static void naive_maxpool(const dlk_pool_params *q, const float *y, float *z)
{
    for (int64_t pl = 0; pl < q->n * q->c; pl++)
        for (int64_t r = 0; r < q->out[0]; r++)
            for (int64_t c = 0; c < q->out[1]; c++) {
                float m = -INFINITY;
                for (int64_t i = 0; i < q->kernel[0]; i++)
                    for (int64_t j = 0; j < q->kernel[1]; j++) {
                        const int64_t yr = r * q->strides[0] - q->pads[0] + i * q->dilations[0];
                        const int64_t yc = c * q->strides[1] - q->pads[1] + j * q->dilations[1];
                        if (yr >= 0 && yr < q->in[0] && yc >= 0 && yc < q->in[1] &&
                            y[(pl * q->in[0] + yr) * q->in[1] + yc] > m)
                            m = y[(pl * q->in[0] + yr) * q->in[1] + yc];
                    }
                z[(pl * q->out[0] + r) * q->out[1] + c] = m;
            }
}

/* dlk_conv_maxpool_f32 (a stem conv and the MaxPool after it) against the
 * naive conv, its activation and the naive pool, and bit for bit against
 * dlk_conv_direct_f32 then the naive pool: random stems it fuses (1-4
 * input channels, 16-64 output channels, kernels up to 7 x 7, strides 1-3,
 * every activation the channel tiles apply), pools of 1-5 x 1-5 with
 * strides 1-3, pads below the window and ceil mode or not, 1 and 2 images,
 * on 1, 2 and 3 threads (shares of one group of pool rows, mid-image,
 * across images: the threads' rings must not meet in the scratch); then
 * ones it runs apart (24 output channels, a dilated pool, LeakyRelu). */
START_TEST(conv_maxpool_fused)
{
    const dlk_par two = {2, sequential_run, NULL}, three = {3, sequential_run, NULL};
    static const int64_t acts[] = {DLK_ACT_NONE, DLK_ACT_RELU, DLK_ACT_CLIP, DLK_ACT_SILU, DLK_ACT_SIGMOID};
    for (int it = 0; it < 60; it++) {
        const int apart = it >= 54;
        dlk_conv_params p;
        dlk_pool_params q;
        memset(&p, 0, sizeof p);
        memset(&q, 0, sizeof q);
        p.n = rnd_int(1, 2);
        p.c_in = rnd_int(1, 4);
        p.c_out = it == 54 || it == 55 ? 24 : 16 * rnd_int(1, 4);
        p.group = 1;
        p.rank = 2;
        for (int a = 0; a < 2; a++) {
            p.kernel[a] = rnd_int(1, 7);
            p.strides[a] = rnd_int(1, 3);
            p.dilations[a] = 1;
            p.pads[a] = rnd_int(0, p.kernel[a] - 1);
            p.pads[2 + a] = rnd_int(0, p.kernel[a] - 1);
            p.in[a] = rnd_int(p.kernel[a], 40);
            p.out[a] = dlk_conv_out_dim(p.in[a], p.kernel[a], p.strides[a], 1, p.pads[a], p.pads[2 + a]);
        }
        set_epilogue(&p, it == 56 || it == 57 ? DLK_ACT_LEAKY : acts[it % 5], DLK_RES_NONE);
        q.n = p.n;
        q.c = p.c_out;
        q.rank = 2;
        for (int a = 0; a < 2; a++) {
            q.in[a] = p.out[a];
            q.kernel[a] = rnd_int(1, 5);
            q.strides[a] = rnd_int(1, 3);
            q.dilations[a] = it >= 58 ? 2 : 1;
            q.pads[a] = rnd_int(0, q.kernel[a] - 1);
            q.pads[2 + a] = rnd_int(0, q.kernel[a] - 1);
            q.out[a] = dlk_pool_out_dim(q.in[a], q.kernel[a], q.strides[a], q.dilations[a], q.pads[a], q.pads[2 + a],
                                        it % 2);
        }
        if (!dlk_conv_direct_fits(&p) || q.out[0] < 1 || q.out[1] < 1 || dlk_conv_maxpool_fits(&p, &q) == apart) {
            it--;   /* a conv the direct kernel does not take, a pool of nothing, or not the kind wanted: again */
            continue;
        }
        {
            const int64_t ny = p.n * p.c_out * p.out[0] * p.out[1], nz = q.n * q.c * q.out[0] * q.out[1];
            const int64_t plane = p.out[0] * p.out[1];
            const dlk_par *par = it % 3 == 0 ? NULL : it % 3 == 1 ? &two : &three;
            float *x = rnd_array(p.n * p.c_in * p.in[0] * p.in[1]);
            float *w = rnd_array(p.c_out * p.c_in * p.kernel[0] * p.kernel[1]);
            float *b = it % 4 == 3 ? NULL : rnd_array(p.c_out), *y = rnd_array(ny), *scratch = rnd_array(ny);
            float *z = rnd_array(nz), *want = rnd_array(nz), *same = rnd_array(nz);
            char what[240];
            snprintf(what, sizeof what,
                     "conv + max pool %lld images %lld->%lld %lldx%lld k%lldx%lld s%lldx%lld act %lld, pool "
                     "k%lldx%lld s%lldx%lld d%lld pads %lld %lld %lld %lld -> %lldx%lld, threads %d%s",
                     (long long)p.n, (long long)p.c_in, (long long)p.c_out, (long long)p.in[0], (long long)p.in[1],
                     (long long)p.kernel[0], (long long)p.kernel[1], (long long)p.strides[0],
                     (long long)p.strides[1], (long long)p.ep.act, (long long)q.kernel[0], (long long)q.kernel[1],
                     (long long)q.strides[0], (long long)q.strides[1], (long long)q.dilations[0], (long long)q.pads[0],
                     (long long)q.pads[1], (long long)q.pads[2], (long long)q.pads[3], (long long)q.out[0],
                     (long long)q.out[1], par == NULL ? 1 : par->threads, apart ? " (run apart)" : "");
            naive_conv(&p, x, w, b, y);
            for (int64_t i = 0; i < ny; i += plane)
                dlk_epilogue_f32(&p.ep, y + i, NULL, plane);
            naive_maxpool(&q, y, want);
            dlk_conv_maxpool_f32(par, &p, &q, x, w, b, z, scratch);
            expect_floats(z, want, nz, 2e-5f, what);
            dlk_conv_direct_f32(NULL, &p, x, w, b, NULL, y);
            naive_maxpool(&q, y, same);
            ck_assert_msg(memcmp(z, same, (size_t)nz * sizeof *z) == 0, "%s: not the bits of the conv then the pool",
                          what);
            free(x);
            free(w);
            free(b);
            free(y);
            free(scratch);
            free(z);
            free(want);
            free(same);
        }
    }
}
END_TEST

/* The same on real threads (the pool of threadpool.h), where two threads'
 * rings in the scratch would race: a ResNet-like stem and pool (3 -> 32,
 * 7x7/2, then 3x3/2 pad 1) on 2 and 4 threads, 20 runs each, bit for bit
 * against one thread. */
START_TEST(conv_maxpool_threads)
{
    dlk_conv_params p;
    dlk_pool_params q;
    memset(&p, 0, sizeof p);
    memset(&q, 0, sizeof q);
    p.n = 2;
    p.c_in = 3;
    p.c_out = 32;
    p.group = 1;
    p.rank = 2;
    q.n = 2;
    q.c = 32;
    q.rank = 2;
    for (int a = 0; a < 2; a++) {
        p.in[a] = 75;
        p.kernel[a] = 7;
        p.strides[a] = 2;
        p.dilations[a] = 1;
        p.pads[a] = p.pads[2 + a] = 3;
        p.out[a] = q.in[a] = 38;
        q.kernel[a] = 3;
        q.strides[a] = 2;
        q.dilations[a] = 1;
        q.pads[a] = q.pads[2 + a] = 1;
        q.out[a] = 19;
    }
    p.ep.act = DLK_ACT_RELU;
    ck_assert(dlk_conv_maxpool_fits(&p, &q));
    {
        const int64_t ny = 2 * 32 * 38 * 38, nz = 2 * 32 * 19 * 19;
        float *x = rnd_array(2 * 3 * 75 * 75), *w = rnd_array(32 * 3 * 49), *b = rnd_array(32);
        float *scratch = rnd_array(ny), *want = rnd_array(nz), *z = rnd_array(nz);
        dlk_conv_maxpool_f32(NULL, &p, &q, x, w, b, want, scratch);
        for (int threads = 2; threads <= 4; threads += 2) {
            dlk_threadpool pool;
            dlk_par par;
            ck_assert_int_eq(dlk_threadpool_init(&pool, threads), 0);
            par.threads = pool.threads;
            par.run = dlk_threadpool_par_run;
            par.pool = &pool;
            for (int run = 0; run < 20; run++) {
                memset(z, 0, (size_t)nz * sizeof *z);
                dlk_conv_maxpool_f32(&par, &p, &q, x, w, b, z, scratch);
                ck_assert_msg(memcmp(z, want, (size_t)nz * sizeof *z) == 0,
                              "conv + max pool on %d threads, run %d: not the bits of one thread", threads, run);
            }
            dlk_threadpool_free(&pool);
        }
        free(x);
        free(w);
        free(b);
        free(scratch);
        free(want);
        free(z);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_conv");
    TCase *sizes = tcase_create("sizes"), *conv = tcase_create("conv"), *convt = tcase_create("conv_transpose");
    tcase_add_test(sizes, t1_t2_t3_t35_conv_out_dim);
    tcase_add_test(sizes, t5_t6_conv_transpose_out_dim);
    tcase_add_test(sizes, same_pads);
    tcase_add_test(conv, conv_2x2_kernel_with_bias);
    tcase_add_test(conv, conv_strided_padded);
    tcase_add_test(conv, conv_dilated);
    tcase_add_test(conv, conv_grouped);
    tcase_add_test(conv, conv_depthwise);
    tcase_add_test(conv, conv_1d_and_3d);
    tcase_add_test(conv, conv_pointwise_is_a_matrix_product);
    tcase_add_test(conv, conv_matches_direct_loops);
    tcase_add_test(conv, conv_large_channels_cross_tiles);
    tcase_add_test(conv, conv_wide_image_cross_blocks);
    tcase_add_test(conv, conv_pointwise_prologue);
    tcase_add_test(conv, conv_pointwise_rows_split_two_threads);
    tcase_add_test(conv, conv_direct_few_channels);
    tcase_add_test(conv, conv_maxpool_fused);
    tcase_add_test(conv, conv_maxpool_threads);
    tcase_add_test(conv, conv_tiles_match_direct_loops);
    tcase_add_test(conv, conv_tiles_fit);
    tcase_add_test(conv, conv_mean_matches_naive);
    tcase_add_test(conv, conv_mean_fit);
    tcase_add_test(convt, t5_conv_transpose_2x2_to_7x7);
    tcase_add_test(convt, conv_transpose_output_padding_and_bias);
    tcase_add_test(convt, conv_transpose_1d_pads_and_negative_pads);
    tcase_add_test(convt, conv_transpose_matches_scatter_loops);
    suite_add_tcase(s, sizes);
    suite_add_tcase(s, conv);
    suite_add_tcase(s, convt);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
