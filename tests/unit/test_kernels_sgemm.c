/* The packed matrix product (runtime/kernels/sgemm.h) and the convolution
 * built on it (dlk_conv_gemm_f32 in conv.h), against naive loops that sum
 * in double: random shapes around the micro-kernel's MR x NR and the cache
 * blocks, padded leading dimensions, accumulate vs overwrite, bias, every
 * epilogue kind with and without residual; convolutions of rank 1-3 over
 * groups, kernels, strides, dilations and asymmetric pads. Each case runs
 * with par NULL and with a fake 2-thread dlk_par that runs the shares one
 * after the other and counts how often every item ran (exactly once).
 * CMake builds this file twice: as is (the portable micro-kernel) and,
 * where the compiler takes it, with -march=native (AVX-512 / AVX2). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/gemm.h"
#include "kernels/sgemm.h"

/* ------------------------------------------------------------- helpers */

static uint32_t rng_state = 2024u;

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

/* |got - want| <= tol * max(1, |want|, scale): scale is the sum of |terms|
 * of the dot product, so cancellation does not make the bound too tight. */
static void expect_close(const float *got, const double *want, const double *scale, int64_t n,
                         const char *what)
{
    for (int64_t i = 0; i < n; i++) {
        double s = fabs(want[i]) > 1.0 ? fabs(want[i]) : 1.0;
        if (scale != NULL && scale[i] > s)
            s = scale[i];
        ck_assert_msg(fabs((double)got[i] - want[i]) <= 2e-5 * s, "%s: element %lld is %.8g, expected %.8g",
                      what, (long long)i, (double)got[i], want[i]);
    }
}

/* The fake pool: runs the shares of 2 threads in turn; counts every item. */
typedef struct fake_pool {
    int64_t counts[4096];
    int64_t n;
    dlk_task task;
    void *arg;
} fake_pool;

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
    ck_assert_int_le(n, 4096);
    memset(fp->counts, 0, sizeof fp->counts);
    fp->n = n;
    fp->task = task;
    fp->arg = arg;
    for (int t = 0; t < par->threads; t++) {
        int64_t b, e;
        dlk_parallel_share(n, t, par->threads, &b, &e);
        counting_task(fp, b, e);
    }
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(fp->counts[i] == 1, "item %lld of %lld ran %lld times", (long long)i, (long long)n,
                      (long long)fp->counts[i]);
}

static fake_pool the_pool;

static const dlk_par *par_of(int two_threads, dlk_par *storage)
{
    if (!two_threads)
        return NULL;
    storage->threads = 2;
    storage->run = fake_run;
    storage->pool = &the_pool;
    return storage;
}

/* The epilogue as epilogue.h defines it, in double where it is exact. */
static double ref_act(const dlk_epilogue *e, double v)
{
    switch (e->act) {
    case DLK_ACT_RELU: return v > 0 ? v : 0;
    case DLK_ACT_CLIP: { double m = v < e->alpha ? e->alpha : v; return m > e->beta ? e->beta : m; }
    case DLK_ACT_LEAKY: return v < 0 ? e->alpha * v : v;
    case DLK_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    case DLK_ACT_HARD_SIGMOID: { double h = e->alpha * v + e->beta; return h < 0 ? 0 : h > 1 ? 1 : h; }
    case DLK_ACT_HARD_SWISH: { double h = v / 6.0 + 0.5; return v * (h < 0 ? 0 : h > 1 ? 1 : h); }
    case DLK_ACT_TANH: return tanh(v);
    case DLK_ACT_SILU: return v / (1.0 + exp(-e->alpha * v));
    case DLK_ACT_GELU: return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
    case DLK_ACT_GELU_TANH: return 0.5 * v * (1.0 + tanh(0.79788456080286536 * (v + 0.044715 * v * v * v)));
    default: return v;
    }
}

static double ref_epilogue(const dlk_epilogue *e, double v, const float *r, int64_t i)
{
    if (r != NULL && e->residual == DLK_RES_BEFORE_ACT)
        v += r[i];
    v = ref_act(e, v);
    if (r != NULL && e->residual == DLK_RES_AFTER_ACT)
        v += r[i];
    return v;
}

/* The activations are Lipschitz-1 (or alpha) and smooth: the bound on the
 * sum scales through; sigmoid-like ones shrink it. */
static dlk_epilogue epilogue_of(int kind, int residual)
{
    dlk_epilogue e;
    memset(&e, 0, sizeof e);
    e.act = kind;
    e.residual = residual;
    if (kind == DLK_ACT_CLIP) {
        e.alpha = -0.5f;
        e.beta = 0.75f;
    } else if (kind == DLK_ACT_LEAKY) {
        e.alpha = 0.1f;
    } else if (kind == DLK_ACT_HARD_SIGMOID) {
        e.alpha = 0.2f;
        e.beta = 0.5f;
    } else if (kind == DLK_ACT_SILU) {
        e.alpha = 1.5f;   /* not 1: a kernel that ignored it would pass */
    }
    return e;
}

/* ----------------------------------------------------------- the gemm */

/* Whether check_sgemm also gives B (when not transposed) as a plain matrix
 * (dlk_sgemm_args.b), which products of few rows read in place. */
static int plain_b;

/* One case: C (m x n, ldc) = or += A (m x k, lda) x B (k x n, ldb; or given
 * transposed) + bias, then epilogue e with residual r (ldr). */
static void check_sgemm(int64_t m, int64_t n, int64_t k, int64_t pad, int acc, int trans_b,
                        int with_bias, dlk_epilogue e, int two_threads)
{
    const int64_t lda = k + pad, ldb = (trans_b ? k : n) + pad, ldc = n + pad, ldr = n + 2 * pad;
    const int64_t b_rows = trans_b ? n : k;
    float *a = rnd_array(m * lda), *b = rnd_array(b_rows * ldb), *bias = rnd_array(m);
    float *c = rnd_array(m * ldc), *r = rnd_array(m * ldr), *c0 = malloc((size_t)(m * ldc + 1) * sizeof *c0);
    double *want = malloc((size_t)(m * n + 1) * sizeof *want), *scale = malloc((size_t)(m * n + 1) * sizeof *scale);
    float *got = calloc((size_t)(m * n + 1), sizeof *got);
    const int use_r = e.residual != DLK_RES_NONE;
    dlk_sgemm_rows_b rows = {b, ldb};
    dlk_sgemm_cols_b cols = {b, ldb};
    dlk_sgemm_args g;
    dlk_par par_storage;
    char what[160];
    memcpy(c0, c, (size_t)(m * ldc) * sizeof *c);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = acc ? c0[i * ldc + j] : with_bias ? bias[i] : 0.0, sa = fabs(s);
            for (int64_t p = 0; p < k; p++) {
                double t = (double)a[i * lda + p] * (trans_b ? b[j * ldb + p] : b[p * ldb + j]);
                s += t;
                sa += fabs(t);
            }
            want[i * n + j] = ref_epilogue(&e, s, use_r ? r + i * ldr : NULL, j);
            scale[i * n + j] = sa + (use_r ? fabs(r[i * ldr + j]) : 0.0);
        }
    memset(&g, 0, sizeof g);
    g.m = m;
    g.n = n;
    g.k = k;
    g.a = a;
    g.lda = lda;
    g.pack = trans_b ? dlk_sgemm_pack_cols_f32 : dlk_sgemm_pack_rows_f32;
    g.pack_ctx = trans_b ? (const void *)&cols : (const void *)&rows;
    if (plain_b && !trans_b) {
        g.b = b;
        g.ldb = ldb;
    }
    g.bias = with_bias ? bias : NULL;
    g.acc = acc;
    g.c = c;
    g.ldc = ldc;
    g.ep = &e;
    g.r = use_r ? r : NULL;
    g.ldr = ldr;
    dlk_sgemm_f32(par_of(two_threads, &par_storage), &g);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
            got[i * n + j] = c[i * ldc + j];
    snprintf(what, sizeof what,
             "sgemm m=%lld n=%lld k=%lld pad=%lld acc=%d transB=%d plainB=%d bias=%d act=%d res=%d thr=%d",
             (long long)m, (long long)n, (long long)k, (long long)pad, acc, trans_b, plain_b && !trans_b,
             with_bias, (int)e.act, (int)e.residual, two_threads ? 2 : 1);
    expect_close(got, want, scale, m * n, what);
    /* The padding between rows is never written. */
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = n; j < ldc; j++)
            ck_assert_msg(c[i * ldc + j] == c0[i * ldc + j], "%s: padding (%lld, %lld) was written", what,
                          (long long)i, (long long)j);
    free(a);
    free(b);
    free(bias);
    free(c);
    free(r);
    free(c0);
    free(want);
    free(scale);
    free(got);
}

static const int64_t sizes[] = {1, 2, 7, DLK_SGEMM_MR - 1, DLK_SGEMM_MR, DLK_SGEMM_MR + 1,
                                DLK_SGEMM_NR - 1, DLK_SGEMM_NR + 1, 33, 100, 257};

START_TEST(sgemm_edge_sizes)
{
    const int n_sizes = (int)(sizeof sizes / sizeof sizes[0]);
    dlk_epilogue none = epilogue_of(DLK_ACT_NONE, DLK_RES_NONE);
    for (int im = 0; im < n_sizes; im++)
        for (int in = 0; in < n_sizes; in++) {
            const int64_t k = sizes[(im * 3 + in) % n_sizes];
            check_sgemm(sizes[im], sizes[in], k, (im + in) % 3, (im + in) % 2, in % 3 == 0, im % 2,
                        none, (im + in) % 4 == 1);
        }
}
END_TEST

START_TEST(sgemm_large_k_and_n_cross_blocks)
{
    dlk_epilogue none = epilogue_of(DLK_ACT_NONE, DLK_RES_NONE);
    /* k over several KC blocks (uneven split), n over several NC blocks. */
    check_sgemm(37, 1000, 3 * DLK_SGEMM_KC + 5, 1, 0, 0, 1, none, 0);
    check_sgemm(37, 1000, 3 * DLK_SGEMM_KC + 5, 1, 1, 0, 0, none, 1);
    check_sgemm(100, 257, 1000, 0, 0, 1, 1, none, 1);
    check_sgemm(64, 3136 / 4, 576, 0, 0, 0, 1, none, 0);
    /* A short k takes blocks wider than NC (here 2048 columns, then the rest). */
    check_sgemm(29, 3000, 20, 1, 0, 0, 1, epilogue_of(DLK_ACT_CLIP, DLK_RES_AFTER_ACT), 0);
    check_sgemm(29, 5000, 20, 0, 1, 1, 0, none, 1);
    /* More rows than columns at 2 threads: the rows are split (a 7x7 layer). */
    check_sgemm(301, 49, 2 * DLK_SGEMM_KC + 7, 0, 0, 0, 1, epilogue_of(DLK_ACT_RELU, DLK_RES_BEFORE_ACT), 1);
    check_sgemm(301, 49, 2 * DLK_SGEMM_KC + 7, 0, 1, 1, 0, none, 1);
    /* n = 1, a matrix-vector product: rows four at a time, then the rest. */
    check_sgemm(1003, 1, 2 * DLK_SGEMM_KC + 9, 0, 0, 0, 1, none, 1);
    check_sgemm(7, 1, 30, 1, 1, 1, 0, epilogue_of(DLK_ACT_RELU, DLK_RES_AFTER_ACT), 0);
    check_sgemm(6, 1, DLK_SGEMM_GEMV_K + 300, 0, 1, 0, 1, none, 1);   /* a column too long to keep whole */
    /* k = 0: the bias (or c) alone. */
    check_sgemm(13, 40, 0, 0, 0, 0, 1, none, 0);
    check_sgemm(13, 40, 0, 2, 1, 0, 0, none, 1);
}
END_TEST

START_TEST(sgemm_every_epilogue)
{
    for (int act = DLK_ACT_NONE; act <= DLK_ACT_GELU_TANH; act++)
        for (int res = DLK_RES_NONE; res <= DLK_RES_AFTER_ACT; res++) {
            dlk_epilogue e = epilogue_of(act, res);
            check_sgemm(DLK_SGEMM_MR + 3, DLK_SGEMM_NR * 2 + 5, 70, 1, 0, 0, 1, e, (act + res) % 2);
        }
}
END_TEST

/* Row ends of 16 + e columns (a 7x7 output: 49 = 32 + 17): with AVX-512 a
 * whole strip's last panel runs its e <= 4 extra columns as dot products
 * over k (dlk_sgemm_micro12e_f32); e = 5 takes the vector kernel again.
 * k below one block and across blocks with a remainder that is not a
 * multiple of 16; rows: two whole strips and a short one; every residual
 * placement, accumulate or bias, 1 and 2 threads. */
START_TEST(sgemm_dot_tail_columns)
{
    const int64_t ks[2] = {37, 2 * DLK_SGEMM_KC + 21};
    for (int64_t e = 1; e <= 5; e++)
        for (int ik = 0; ik < 2; ik++)
            for (int res = DLK_RES_NONE; res <= DLK_RES_AFTER_ACT; res++) {
                dlk_epilogue ep = epilogue_of(res == DLK_RES_NONE ? DLK_ACT_NONE : DLK_ACT_RELU, res);
                check_sgemm(2 * 12 + 5, 32 + 16 + e, ks[ik], (e + res) % 2, res == DLK_RES_AFTER_ACT, 0,
                            res != DLK_RES_AFTER_ACT, ep, (int)(e + ik) % 2);
                check_sgemm(12, 16 + e, ks[ik], 0, 0, (int)e % 2, 1, ep, ik);
            }
}
END_TEST

/* Larger products with B a plain matrix: with AVX-512 each block's first
 * whole strip reads B in place and packs it for the strips after it (the
 * ragged last panel packed apart), and those strips prefetch the next block.
 * Rows: two to nine strips and a part; columns: one ragged panel, 196 = 6
 * x 32 + 4, several column blocks (600 with k = 300, 1100 with k = 64);
 * k: one and several K blocks. Against the double reference, and bit for
 * bit against the same product with B packed first (same sums, same order). */
static void check_plain_b_same_bits(int64_t m, int64_t n, int64_t k, int two_threads)
{
    float *a = rnd_array(m * k), *b = rnd_array(k * n), *bias = rnd_array(m);
    float *c1 = calloc((size_t)(m * n), sizeof *c1), *c2 = calloc((size_t)(m * n), sizeof *c2);
    dlk_sgemm_rows_b rows = {b, n};
    dlk_epilogue e = epilogue_of(DLK_ACT_RELU, DLK_RES_NONE);
    dlk_sgemm_args g;
    dlk_par par_storage;
    for (int plain = 0; plain < 2; plain++) {
        memset(&g, 0, sizeof g);
        g.m = m;
        g.n = n;
        g.k = k;
        g.a = a;
        g.lda = k;
        g.pack = dlk_sgemm_pack_rows_f32;
        g.pack_ctx = &rows;
        g.b = plain ? b : NULL;
        g.ldb = n;
        g.bias = bias;
        g.c = plain ? c2 : c1;
        g.ldc = n;
        g.ep = &e;
        dlk_sgemm_f32(par_of(two_threads, &par_storage), &g);
    }
    for (int64_t i = 0; i < m * n; i++)
        ck_assert_msg(memcmp(&c1[i], &c2[i], sizeof *c1) == 0,
                      "sgemm m=%lld n=%lld k=%lld thr=%d: B in place %.9g, packed %.9g at (%lld, %lld)",
                      (long long)m, (long long)n, (long long)k, two_threads ? 2 : 1, c2[i], c1[i],
                      (long long)(i / n), (long long)(i % n));
    free(a);
    free(b);
    free(bias);
    free(c1);
    free(c2);
}

START_TEST(sgemm_plain_b_first_strip_packs)
{
    static const int64_t shapes[][3] = {{24, 33, 16},  {29, 196, 300}, {64, 196, 64},  {64, 600, 300},
                                        {100, 97, 600}, {60, 1100, 64}, {112, 49, 513}, {36, 31, 40}};
    plain_b = 1;
    for (int t = 0; t < 8; t++) {
        const int64_t m = shapes[t][0], n = shapes[t][1], k = shapes[t][2];
        dlk_epilogue e = epilogue_of(t % 2 ? DLK_ACT_RELU : DLK_ACT_NONE, t % 3);
        check_sgemm(m, n, k, t % 2, t % 4 == 3, 0, t % 4 != 3, e, t % 2);
        check_plain_b_same_bits(m, n, k, t % 2);
    }
    plain_b = 0;
}
END_TEST

/* B given as a plain matrix too: with AVX-512, products of up to 48 rows
 * and k up to 512 read it in place (8 x 48 tiles, dlk_sgemm_small_task_f32);
 * others (m = 49, k = 513) and other builds still pack it. Rows: one, a
 * partial strip, one, two and six whole strips, five and a part; columns: under one vector,
 * across the 16 / 32 / 48 lane boundaries, several tiles with a ragged
 * last one; every epilogue (fused Relu / Clip / residual in the tile,
 * the others after it), accumulate or bias, padded rows, 1 and 2 threads. */
START_TEST(sgemm_small_m_plain_b)
{
    static const int64_t ms[] = {1, 5, 8, 9, 16, 17, 43, 48, 49}, ns[] = {3, 16, 31, 47, 48, 49, 97, 300};
    static const int64_t ks[] = {1, 13, 64, 300, 512, 513};
    int t = 0;
    plain_b = 1;
    for (int im = 0; im < 9; im++)
        for (int in = 0; in < 8; in++)
            for (int ik = 0; ik < 6; ik++, t++) {
                dlk_epilogue e = epilogue_of(t % (DLK_ACT_GELU_TANH + 1), (t / 3) % 3);
                check_sgemm(ms[im], ns[in], ks[ik], t % 3, t % 2, 0, (t / 2) % 2, e, (t / 5) % 2);
            }
    plain_b = 0;
}
END_TEST

START_TEST(sgemm_random_shapes)
{
    for (int t = 0; t < 60; t++) {
        int64_t m = rnd_int(1, 70), n = rnd_int(1, 300), k = rnd_int(1, 600);
        dlk_epilogue e = epilogue_of((int)rnd_int(0, DLK_ACT_GELU_TANH), (int)rnd_int(0, 2));
        check_sgemm(m, n, k, rnd_int(0, 3), (int)rnd_int(0, 1), (int)rnd_int(0, 1), (int)rnd_int(0, 1), e,
                    (int)rnd_int(0, 1));
    }
}
END_TEST

/* ------------------------------------------------ Gemm and MatMul ops */

/* dlk_gemm_packed_f32 against dlk_gemm_res_f32 (the plain kernel, itself
 * tested against hand-computed cases in test_kernels_pool_norm_gemm.c):
 * alpha, beta, C broadcast over rows / columns / both / none, transB. */
START_TEST(gemm_packed_matches_plain_kernel)
{
    static const int64_t c_shapes[4][2] = {{1, 1}, {0, 1}, {1, 0}, {0, 0}};   /* c_rs, c_cs as multipliers */
    for (int t = 0; t < 32; t++) {   /* the last 8: one row, a classifier (transB: a matrix-vector product) */
        dlk_gemm_params p;
        const int64_t m = t < 24 ? rnd_int(16, 80) : 1, n = t < 24 ? rnd_int(1, 150) : rnd_int(1, 1100);
        const int64_t k = t < 24 ? rnd_int(1, 300) : rnd_int(1, 700);
        float *a = rnd_array(m * k), *b = rnd_array(k * n), *c = rnd_array(m * n), *r = rnd_array(m * n);
        float *y = rnd_array(m * n), *want = rnd_array(m * n);
        double *wd = malloc((size_t)(m * n) * sizeof *wd);
        dlk_par par_storage;
        memset(&p, 0, sizeof p);
        p.m = m;
        p.n = n;
        p.k = k;
        p.trans_b = t % 2;
        p.alpha = t % 3 == 0 ? 1.0f : 0.5f;
        p.beta = t % 4 == 3 ? 0.0f : 2.0f;
        p.c_rs = c_shapes[t % 4][0] * n;
        p.c_cs = c_shapes[t % 4][1];
        p.ep = epilogue_of(t % 5 == 0 ? DLK_ACT_RELU : DLK_ACT_NONE, t % 3);
        dlk_gemm_res_f32(NULL, &p, a, b, t % 6 == 5 ? NULL : c, p.ep.residual ? r : NULL, want);
        dlk_gemm_packed_f32(par_of(t % 2, &par_storage), &p, a, b, t % 6 == 5 ? NULL : c,
                            p.ep.residual ? r : NULL, y);
        for (int64_t i = 0; i < m * n; i++)
            wd[i] = want[i];
        expect_close(y, wd, NULL, m * n, "gemm packed vs plain");
        free(a);
        free(b);
        free(c);
        free(r);
        free(y);
        free(want);
        free(wd);
    }
}
END_TEST

/* dlk_matmul_packed_f32 against dlk_matmul_res_f32 over a broadcast batch. */
START_TEST(matmul_packed_matches_plain_kernel)
{
    for (int t = 0; t < 8; t++) {
        dlk_matmul_params p;
        const int64_t m = rnd_int(16, 50), n = rnd_int(1, 70), k = rnd_int(1, 90);
        memset(&p, 0, sizeof p);
        p.m = m;
        p.n = n;
        p.k = k;
        p.batch_rank = 2;
        p.batch[0] = 2;
        p.batch[1] = 3;
        p.a_stride[0] = 3 * m * k;      /* a: 2 x 3 x m x k */
        p.a_stride[1] = m * k;
        p.b_stride[0] = 0;              /* b: 3 x k x n, broadcast over axis 0 */
        p.b_stride[1] = k * n;
        p.ep = epilogue_of(t % 2 ? DLK_ACT_TANH : DLK_ACT_NONE, t % 3);
        {
            float *a = rnd_array(6 * m * k), *b = rnd_array(3 * k * n), *r = rnd_array(6 * m * n);
            float *y = rnd_array(6 * m * n), *want = rnd_array(6 * m * n);
            double *wd = malloc((size_t)(6 * m * n) * sizeof *wd);
            dlk_par par_storage;
            dlk_matmul_res_f32(&p, a, b, p.ep.residual ? r : NULL, want);
            dlk_matmul_packed_f32(par_of(t % 2, &par_storage), &p, a, b, p.ep.residual ? r : NULL, y);
            for (int64_t i = 0; i < 6 * m * n; i++)
                wd[i] = want[i];
            expect_close(y, wd, NULL, 6 * m * n, "matmul packed vs plain");
            free(a);
            free(b);
            free(r);
            free(y);
            free(want);
            free(wd);
        }
    }
}
END_TEST

/* ---------------------------------------------------------- convolution */

/* Direct convolution in double: every output, every tap, with bounds. */
static void ref_conv(const dlk_conv_params *p, const float *x, const float *w, const float *b,
                     const float *r, double *y, double *scale)
{
    int64_t r_ = p->rank, icg = p->c_in / p->group, ocg = p->c_out / p->group;
    int64_t in_plane = 1, out_plane = 1, ksize = 1, a;
    for (a = 0; a < r_; a++) {
        in_plane *= p->in[a];
        out_plane *= p->out[a];
        ksize *= p->kernel[a];
    }
    for (int64_t img = 0; img < p->n; img++)
        for (int64_t oc = 0; oc < p->c_out; oc++)
            for (int64_t q = 0; q < out_plane; q++) {
                int64_t o[DLK_MAX_RANK], rest = q, g = oc / ocg, idx = (img * p->c_out + oc) * out_plane + q;
                double s = b != NULL ? b[oc] : 0.0, sa = fabs(s);
                for (a = r_ - 1; a >= 0; a--) {
                    o[a] = rest % p->out[a];
                    rest /= p->out[a];
                }
                for (int64_t ic = 0; ic < icg; ic++)
                    for (int64_t kq = 0; kq < ksize; kq++) {
                        int64_t kk = kq, pos = 0, ok = 1;
                        int64_t kc[DLK_MAX_RANK];
                        for (a = r_ - 1; a >= 0; a--) {
                            kc[a] = kk % p->kernel[a];
                            kk /= p->kernel[a];
                        }
                        for (a = 0; a < r_; a++) {
                            int64_t i = o[a] * p->strides[a] - p->pads[a] + kc[a] * p->dilations[a];
                            ok = ok && i >= 0 && i < p->in[a];
                            pos = pos * p->in[a] + i;
                        }
                        if (ok) {
                            double t = (double)x[(img * p->c_in + g * icg + ic) * in_plane + pos] *
                                       w[(oc * icg + ic) * ksize + kq];
                            s += t;
                            sa += fabs(t);
                        }
                    }
                y[idx] = ref_epilogue(&p->ep, s, r, idx);
                scale[idx] = sa + (r != NULL ? fabs(r[idx]) : 0.0);
            }
}

static void check_conv(const dlk_conv_params *p, int with_bias, int two_threads)
{
    int64_t in_plane = 1, out_plane = 1, ksize = 1;
    for (int64_t a = 0; a < p->rank; a++) {
        in_plane *= p->in[a];
        out_plane *= p->out[a];
        ksize *= p->kernel[a];
    }
    const int64_t nx = p->n * p->c_in * in_plane, ny = p->n * p->c_out * out_plane;
    const int use_r = p->ep.residual != DLK_RES_NONE;
    float *x = rnd_array(nx), *w = rnd_array(p->c_out * (p->c_in / p->group) * ksize);
    float *b = rnd_array(p->c_out), *r = rnd_array(ny), *y = rnd_array(ny);
    double *want = malloc((size_t)(ny + 1) * sizeof *want), *scale = malloc((size_t)(ny + 1) * sizeof *scale);
    dlk_par par_storage;
    char what[200];
    ref_conv(p, x, w, with_bias ? b : NULL, use_r ? r : NULL, want, scale);
    dlk_conv_gemm_f32(par_of(two_threads, &par_storage), p, x, w, with_bias ? b : NULL, use_r ? r : NULL, y);
    snprintf(what, sizeof what,
             "conv rank=%lld n=%lld c=%lld->%lld g=%lld in0=%lld k=%lld,%lld s=%lld d=%lld pads=%lld,%lld/%lld,%lld act=%d res=%d",
             (long long)p->rank, (long long)p->n, (long long)p->c_in, (long long)p->c_out, (long long)p->group,
             (long long)p->in[0], (long long)p->kernel[0], (long long)p->kernel[p->rank - 1],
             (long long)p->strides[0], (long long)p->dilations[0], (long long)p->pads[0],
             (long long)p->pads[p->rank - 1], (long long)p->pads[p->rank], (long long)p->pads[2 * p->rank - 1],
             (int)p->ep.act, (int)p->ep.residual);
    expect_close(y, want, scale, ny, what);
    free(x);
    free(w);
    free(b);
    free(r);
    free(y);
    free(want);
    free(scale);
}

/* A conv of rank r whose axes share kernel k, stride s, dilation d;
 * pads differ per axis and side (asymmetric), within the kernel's extent. */
static dlk_conv_params conv_params(int64_t rank, int64_t n, int64_t c_in, int64_t c_out, int64_t group,
                                   const int64_t *in, int64_t k, int64_t s, int64_t d, const int64_t *pb,
                                   const int64_t *pe)
{
    dlk_conv_params p;
    memset(&p, 0, sizeof p);
    p.n = n;
    p.c_in = c_in;
    p.c_out = c_out;
    p.group = group;
    p.rank = rank;
    for (int64_t a = 0; a < rank; a++) {
        p.in[a] = in[a];
        p.kernel[a] = k;
        p.strides[a] = s;
        p.dilations[a] = d;
        p.pads[a] = pb[a];
        p.pads[rank + a] = pe[a];
        p.out[a] = dlk_conv_out_dim(in[a], k, s, d, pb[a], pe[a]);
    }
    return p;
}

START_TEST(conv_2d_all_combinations)
{
    static const int64_t kernels[] = {1, 3, 5, 7}, strides[] = {1, 2, 3}, dils[] = {1, 2}, groups[] = {1, 2, 4};
    int t = 0;
    for (int ik = 0; ik < 4; ik++)
        for (int is = 0; is < 3; is++)
            for (int id = 0; id < 2; id++)
                for (int ig = 0; ig < 3; ig++, t++) {
                    const int64_t k = kernels[ik], g = groups[ig], ext = dils[id] * (k - 1) + 1;
                    int64_t in[2] = {ext + rnd_int(0, 9), ext + rnd_int(0, 12)};
                    int64_t pb[2] = {rnd_int(0, k / 2 + 1), rnd_int(0, k / 2)};
                    int64_t pe[2] = {rnd_int(0, k / 2), rnd_int(0, k / 2 + 1)};
                    dlk_conv_params p;
                    if (t % 5 == 0)
                        pb[0] = pb[1] = pe[0] = pe[1] = 0;
                    p = conv_params(2, 1 + t % 2, g * rnd_int(1, 5), g * rnd_int(1, 15), g, in, k, strides[is],
                                    dils[id], pb, pe);
                    if (t % 3 == 1)
                        p.ep = epilogue_of(DLK_ACT_RELU, DLK_RES_BEFORE_ACT);
                    else if (t % 3 == 2)
                        p.ep = epilogue_of(DLK_ACT_LEAKY, DLK_RES_NONE);
                    check_conv(&p, t % 2, t % 4 >= 2);
                }
}
END_TEST

START_TEST(conv_1d_and_3d)
{
    for (int t = 0; t < 24; t++) {
        const int64_t k = (int64_t[]){1, 3, 5, 7}[t % 4], s = 1 + t % 3, d = 1 + (t / 3) % 2;
        const int64_t g = (int64_t[]){1, 2, 4}[t % 3], ext = d * (k - 1) + 1;
        int64_t in1[1] = {ext + rnd_int(0, 40)}, pb1[1] = {rnd_int(0, k / 2 + 1)}, pe1[1] = {rnd_int(0, k / 2)};
        int64_t in3[3] = {ext + rnd_int(0, 3), ext + rnd_int(0, 3), ext + rnd_int(0, 4)};
        int64_t pb3[3] = {rnd_int(0, k / 2), 0, rnd_int(0, k / 2 + 1)}, pe3[3] = {0, rnd_int(0, k / 2), 1};
        dlk_conv_params p1 = conv_params(1, 1, g * rnd_int(1, 6), g * rnd_int(1, 20), g, in1, k, s, d, pb1, pe1);
        dlk_conv_params p3 = conv_params(3, 1, g * rnd_int(1, 3), g * rnd_int(1, 14), g, in3, k < 5 ? k : 3, s,
                                         d, pb3, pe3);
        if (t % 2)
            p1.ep = p3.ep = epilogue_of(DLK_ACT_CLIP, DLK_RES_AFTER_ACT);
        check_conv(&p1, t % 3 != 0, t % 2);
        check_conv(&p3, t % 3 != 1, (t + 1) % 2);
    }
}
END_TEST

START_TEST(conv_pointwise_and_network_shapes)
{
    /* 1x1 stride 1 unpadded (B is x itself), 1x1 stride 2, and ResNet-like
     * 3x3 layers whose planes cross several NC blocks. */
    const int64_t z[3] = {0, 0, 0}, one[2] = {1, 1};
    int64_t in_a[2] = {14, 14}, in_b[2] = {28, 28}, in_c[2] = {30, 23};
    dlk_conv_params p = conv_params(2, 1, 40, 70, 1, in_a, 1, 1, 1, z, z);
    p.ep = epilogue_of(DLK_ACT_RELU, DLK_RES_BEFORE_ACT);
    check_conv(&p, 1, 0);
    check_conv(&p, 1, 1);
    p = conv_params(2, 2, 24, 36, 2, in_b, 1, 2, 1, z, z);
    check_conv(&p, 0, 1);
    p = conv_params(2, 1, 32, 29, 1, in_c, 3, 1, 1, one, one);
    p.ep = epilogue_of(DLK_ACT_RELU, DLK_RES_NONE);
    check_conv(&p, 1, 0);
    check_conv(&p, 1, 1);
    p = conv_params(2, 1, 3, 16, 1, in_b, 7, 2, 1, (const int64_t[]){3, 3}, (const int64_t[]){3, 3});
    check_conv(&p, 1, 1);
}
END_TEST

/* A NaN in row 0 of A makes row 0 of C NaN; the epilogue then decides, as
 * the scalar formulas do (epilogue.h): Relu "v > 0 ? v : 0" gives 0, Clip's
 * clamp keeps the NaN. Row 1 is 1 x 2 (k of 1): 2 -> Relu 2, Clip 0.75. */
START_TEST(sgemm_nan_through_epilogue)
{
    static const int acts[2] = {DLK_ACT_RELU, DLK_ACT_CLIP};
    for (int t = 0; t < 2; t++) {
        float a[2] = {NAN, 1.0f}, b[40], c[80];
        dlk_sgemm_rows_b rb;
        dlk_sgemm_args g;
        dlk_epilogue e = epilogue_of(acts[t], DLK_RES_NONE);
        for (int j = 0; j < 40; j++)
            b[j] = 2.0f;
        rb.b = b;
        rb.ldb = 40;
        memset(&g, 0, sizeof g);
        g.m = 2;
        g.n = 40;
        g.k = 1;
        g.a = a;
        g.lda = 1;
        g.pack = dlk_sgemm_pack_rows_f32;
        g.pack_ctx = &rb;
        g.c = c;
        g.ldc = 40;
        g.ep = &e;
        dlk_sgemm_f32(NULL, &g);
        for (int j = 0; j < 40; j++) {
            if (acts[t] == DLK_ACT_RELU)
                ck_assert_msg(c[j] == 0.0f, "Relu(NaN) at column %d is %g, expected 0", j, (double)c[j]);
            else
                ck_assert_msg(isnan(c[j]), "Clip(NaN) at column %d is %g, expected NaN", j, (double)c[j]);
            ck_assert_msg(c[40 + j] == (acts[t] == DLK_ACT_RELU ? 2.0f : 0.75f), "row 1 column %d is %g", j,
                          (double)c[40 + j]);
        }
    }
}
END_TEST

static Suite *sgemm_suite(void)
{
    Suite *s = suite_create("kernels_sgemm");
    TCase *tc = tcase_create("sgemm");
    tcase_add_test(tc, sgemm_edge_sizes);
    tcase_add_test(tc, sgemm_large_k_and_n_cross_blocks);
    tcase_add_test(tc, sgemm_every_epilogue);
    tcase_add_test(tc, sgemm_nan_through_epilogue);
    tcase_add_test(tc, sgemm_random_shapes);
    tcase_add_test(tc, sgemm_small_m_plain_b);
    tcase_add_test(tc, sgemm_plain_b_first_strip_packs);
    tcase_add_test(tc, sgemm_dot_tail_columns);
    tcase_add_test(tc, gemm_packed_matches_plain_kernel);
    tcase_add_test(tc, matmul_packed_matches_plain_kernel);
    tcase_add_test(tc, conv_2d_all_combinations);
    tcase_add_test(tc, conv_1d_and_3d);
    tcase_add_test(tc, conv_pointwise_and_network_shapes);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sgemm_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
