/* Matrix products: ONNX Gemm and MatMul, and the accumulating core that the
 * convolutions (conv.h) run their im2col tiles through.
 *
 * The core is i-k-j: each row of y is updated by four rows of b at a time,
 * so one load/store of y serves four multiply-adds. Inner loops run over
 * fixed chunks of 8 with restrict pointers because gcc -O2 (its "very cheap"
 * vectoriser cost model) only vectorises loops whose trip count needs no
 * scalar epilogue and no alias check. The scalar tail starts at an explicit
 * n8 = n - n % 8: written as `for (; j < n; j++)` after the chunks, gcc -O2
 * warns (-Waggressive-loop-optimizations) once the params are constants. */
#ifndef DLK_GEMM_H
#define DLK_GEMM_H

#include "common.h"
#include "epilogue.h"
#include "sgemm.h"

/*@ dlk_gemm_acc_f32 : dlk_common */
/* Cache blocks: a KC x NC panel of b (128 KB) stays in L2 while the rows of
 * a stream over it. */
#define DLK_GEMM_KC 128
#define DLK_GEMM_NC 256

/* y[0:n] += a[0]*b[0:n] + a[1]*b[ldb:] + a[2]*b[2*ldb:] + a[3]*b[3*ldb:] */
static void dlk_gemm_row4_f32(float *restrict y, const float *restrict b, int64_t ldb,
                              const float *a, int64_t n)
{
    const float *restrict b1 = b + ldb, *restrict b2 = b + 2 * ldb, *restrict b3 = b + 3 * ldb;
    float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    int64_t j, n8 = n - n % 8;
    int t;
    for (j = 0; j < n8; j += 8)
        for (t = 0; t < 8; t++)
            y[j + t] += a0 * b[j + t] + a1 * b1[j + t] + a2 * b2[j + t] + a3 * b3[j + t];
    for (j = n8; j < n; j++)
        y[j] += a0 * b[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
}

/* y[0:n] += a0*b[0:n] */
static void dlk_gemm_row1_f32(float *restrict y, const float *restrict b, float a0, int64_t n)
{
    int64_t j, n8 = n - n % 8;
    int t;
    for (j = 0; j < n8; j += 8)
        for (t = 0; t < 8; t++)
            y[j + t] += a0 * b[j + t];
    for (j = n8; j < n; j++)
        y[j] += a0 * b[j];
}

/* y[i*ldy + j] += sum_k a[i*a_rs + k*a_cs] * b[k*ldb + j] for i < m, j < n.
 * a may be read transposed (a_rs = 1); b's rows must be contiguous. y must
 * not overlap a or b. */
static void dlk_gemm_acc_f32(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_rs,
                             int64_t a_cs, const float *b, int64_t ldb, float *y, int64_t ldy)
{
    int64_t j0, k0, i, kk;
    float a4[4];
    for (j0 = 0; j0 < n; j0 += DLK_GEMM_NC) {
        int64_t nn = n - j0 < DLK_GEMM_NC ? n - j0 : DLK_GEMM_NC;
        for (k0 = 0; k0 < k; k0 += DLK_GEMM_KC) {
            int64_t k1 = k - k0 < DLK_GEMM_KC ? k : k0 + DLK_GEMM_KC;
            int64_t k4 = k1 - (k1 - k0) % 4;
            for (i = 0; i < m; i++) {
                const float *ar = a + i * a_rs;
                float *yr = y + i * ldy + j0;
                for (kk = k0; kk < k4; kk += 4) {
                    a4[0] = ar[kk * a_cs];
                    a4[1] = ar[(kk + 1) * a_cs];
                    a4[2] = ar[(kk + 2) * a_cs];
                    a4[3] = ar[(kk + 3) * a_cs];
                    dlk_gemm_row4_f32(yr, b + kk * ldb + j0, ldb, a4, nn);
                }
                for (kk = k4; kk < k1; kk++)
                    dlk_gemm_row1_f32(yr, b + kk * ldb + j0, ar[kk * a_cs], nn);
            }
        }
    }
}
/*@end*/

/*@ dlk_gemm_dot_acc_f32 : dlk_common */
/* sum_k a[k] * b[k]: eight partial sums, so the loop vectorises and the
 * summation order is fixed (the folded constant and the generated code agree). */
static float dlk_gemm_dot_f32(const float *restrict a, const float *restrict b, int64_t k)
{
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s;
    int64_t i, k8 = k - k % 8;
    int t;
    for (i = 0; i < k8; i += 8)
        for (t = 0; t < 8; t++)
            acc[t] += a[i + t] * b[i + t];
    s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (i = k8; i < k; i++)
        s += a[i] * b[i];
    return s;
}

/* y[i*ldy + j] += sum_k a[i*a_rs + k*a_cs] * bt[j*ldbt + k]: b given
 * transposed (Gemm transB=1, the usual fully connected layer). Blocks of
 * b's rows sized to stay in L2 are reused by every row of a. A transposed
 * a (a_cs != 1, rare with transB) takes a plain loop. */
static void dlk_gemm_dot_acc_f32(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_rs,
                                 int64_t a_cs, const float *bt, int64_t ldbt, float *y, int64_t ldy)
{
    int64_t jb = k > 0 && k < 32768 ? 32768 / k : 1;
    int64_t j0, i, j, kk;
    for (j0 = 0; j0 < n; j0 += jb) {
        int64_t j1 = n - j0 < jb ? n : j0 + jb;
        for (i = 0; i < m; i++) {
            const float *ar = a + i * a_rs;
            for (j = j0; j < j1; j++) {
                const float *br = bt + j * ldbt;
                float s = 0.0f;
                if (a_cs == 1) {
                    s = dlk_gemm_dot_f32(ar, br, k);
                } else {
                    for (kk = 0; kk < k; kk++)
                        s += ar[kk * a_cs] * br[kk];
                }
                y[i * ldy + j] += s;
            }
        }
    }
}
/*@end*/

/*@ dlk_gemm_params : dlk_common dlk_epilogue_params */
typedef struct dlk_gemm_params {
    int64_t m, n, k;         /* y is m x n; op(a) is m x k; op(b) is k x n */
    int64_t trans_a, trans_b;
    float alpha, beta;
    int64_t c_rs, c_cs;      /* c's strides over y's rows and columns; 0 where c broadcasts */
    dlk_epilogue ep;         /* fused epilogue (epilogue.h); all zero: none */
} dlk_gemm_params;
/*@end*/

/*@ dlk_gemm_res_f32 : dlk_gemm_params dlk_gemm_acc_f32 dlk_gemm_dot_acc_f32 dlk_epilogue_f32 dlk_parallel */
/* The transB product y += a x bt^T over column blocks of 64: the work items
 * of a fully connected layer (m of 1 or a few rows) for the threads. */
typedef struct dlk_gemm_dot_task {
    int64_t m, n, k, a_rs, a_cs;
    const float *a, *bt;
    float *y;
} dlk_gemm_dot_task;

static void dlk_gemm_dot_run_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_gemm_dot_task *t = (const dlk_gemm_dot_task *)arg;
    const int64_t j0 = begin * 64, j1 = end * 64 < t->n ? end * 64 : t->n;
    dlk_gemm_dot_acc_f32(t->m, j1 - j0, t->k, t->a, t->a_rs, t->a_cs, t->bt + j0 * t->k, t->k, t->y + j0, t->n);
}

/* ONNX Gemm: y = alpha * op(a) op(b) + beta * c, c optional (NULL) and
 * broadcast through c_rs/c_cs. a is m x k (k x m if trans_a), b is k x n
 * (n x k if trans_b). Then the fused epilogue p->ep on each row, with the
 * residual r (m x n, or NULL). */
static void dlk_gemm_res_f32(const dlk_par *par, const dlk_gemm_params *p, const float *a, const float *b,
                             const float *c, const float *r, float *y)
{
    int64_t m = p->m, n = p->n, i, j;
    int64_t a_rs = p->trans_a ? 1 : p->k, a_cs = p->trans_a ? p->m : 1;
    memset(y, 0, (size_t)(m * n) * sizeof(float));
    if (p->trans_b) {
        dlk_gemm_dot_task t;
        t.m = m;
        t.n = n;
        t.k = p->k;
        t.a_rs = a_rs;
        t.a_cs = a_cs;
        t.a = a;
        t.bt = b;
        t.y = y;
        dlk_parallel_for(par, dlk_gemm_dot_run_f32, &t, (n + 63) / 64);
    } else {
        dlk_gemm_acc_f32(m, n, p->k, a, a_rs, a_cs, b, n, y, n);
    }
    /* onnxruntime skips c when beta is 0; so do we (0 * inf would be NaN). */
    if (c != NULL && p->beta != 0.0f) {
        for (i = 0; i < m; i++)
            for (j = 0; j < n; j++)
                y[i * n + j] = p->alpha * y[i * n + j] + p->beta * c[i * p->c_rs + j * p->c_cs];
    } else if (p->alpha != 1.0f) {
        for (i = 0; i < m * n; i++)
            y[i] *= p->alpha;
    }
    if (p->ep.act != DLK_ACT_NONE || r != NULL)
        for (i = 0; i < m; i++)
            dlk_epilogue_f32(&p->ep, y + i * n, r != NULL ? r + i * n : NULL, n);
}
/*@end*/

/*@ dlk_gemm_f32 : dlk_gemm_res_f32 */
/* ONNX Gemm without a residual input (the epilogue's activation still applies). */
static void dlk_gemm_f32(const dlk_par *par, const dlk_gemm_params *p, const float *a, const float *b,
                         const float *c, float *y)
{
    dlk_gemm_res_f32(par, p, a, b, c, NULL, y);
}
/*@end*/

/*@ dlk_gemm_packed_f32 : dlk_gemm_params dlk_sgemm_f32 dlk_sgemm_pack_rows_f32 dlk_sgemm_pack_cols_f32 dlk_epilogue_f32 */
/* ONNX Gemm as dlk_gemm_res_f32 computes it, the product through the
 * packed micro-kernels of sgemm.h, split over par (NULL: one thread). a must
 * not be transposed (trans_a 0); b may be (trans_b 1: packed a column at a
 * time). alpha, beta, c and the epilogue then run row by row. */
static void dlk_gemm_packed_f32(const dlk_par *par, const dlk_gemm_params *p, const float *a,
                                const float *b, const float *c, const float *r, float *y)
{
    int64_t m = p->m, n = p->n, i, j;
    dlk_sgemm_rows_b rows;
    dlk_sgemm_cols_b cols;
    dlk_sgemm_args g;
    rows.b = b;
    rows.ldb = n;
    cols.bt = b;
    cols.ldbt = p->k;
    memset(&g, 0, sizeof g);
    g.m = m;
    g.n = n;
    g.k = p->k;
    g.a = a;
    g.lda = p->k;
    g.pack = p->trans_b ? dlk_sgemm_pack_cols_f32 : dlk_sgemm_pack_rows_f32;
    g.pack_ctx = p->trans_b ? (const void *)&cols : (const void *)&rows;
    g.c = y;
    g.ldc = n;
    if (m == 1 && p->trans_b) {
        /* A classifier (one row times the n x k weights transposed): as
         * y^T = b a^T, a matrix-vector product reading the weights' rows in
         * place, where packing them into panels cost more than the product. */
        rows.b = a;
        rows.ldb = 1;
        g.m = n;
        g.n = 1;
        g.a = b;
        g.pack = dlk_sgemm_pack_rows_f32;
        g.pack_ctx = &rows;
        g.ldc = 1;
    }
    dlk_sgemm_f32(par, &g);
    if (c != NULL && p->beta != 0.0f) {
        for (i = 0; i < m; i++)
            for (j = 0; j < n; j++)
                y[i * n + j] = p->alpha * y[i * n + j] + p->beta * c[i * p->c_rs + j * p->c_cs];
    } else if (p->alpha != 1.0f) {
        for (i = 0; i < m * n; i++)
            y[i] *= p->alpha;
    }
    if (p->ep.act != DLK_ACT_NONE || r != NULL)
        for (i = 0; i < m; i++)
            dlk_epilogue_f32(&p->ep, y + i * n, r != NULL ? r + i * n : NULL, n);
}
/*@end*/

/*@ dlk_matmul_params : dlk_common dlk_epilogue_params */
typedef struct dlk_matmul_params {
    int64_t m, n, k;                       /* each product: (m x k) (k x n) */
    int64_t batch_rank;                    /* broadcast batch axes of y */
    int64_t batch[DLK_MAX_RANK];           /* y's batch dims */
    int64_t a_stride[DLK_MAX_RANK];        /* a's matrix stride per batch axis; 0: broadcast */
    int64_t b_stride[DLK_MAX_RANK];
    dlk_epilogue ep;                       /* fused epilogue (float32 only); all zero: none */
} dlk_matmul_params;
/*@end*/

/*@ dlk_matmul_walk : dlk_matmul_params */
/* The batch walk every matmul kernel shares: dlk_matmul_first zeroes idx
 * and returns 0 when the batch is empty; dlk_matmul_next steps idx (last
 * axis fastest) and a's and b's offsets to the next product, returning 0
 * after the last one. */
static int dlk_matmul_first(const dlk_matmul_params *p, int64_t *idx)
{
    int64_t ax;
    for (ax = 0; ax < p->batch_rank; ax++) {
        idx[ax] = 0;
        if (p->batch[ax] == 0)
            return 0;
    }
    return 1;
}

static int dlk_matmul_next(const dlk_matmul_params *p, int64_t *idx, int64_t *a_off, int64_t *b_off)
{
    int64_t ax;
    for (ax = p->batch_rank - 1; ax >= 0; ax--) {
        *a_off += p->a_stride[ax];
        *b_off += p->b_stride[ax];
        if (++idx[ax] < p->batch[ax])
            return 1;
        *a_off -= p->a_stride[ax] * p->batch[ax];
        *b_off -= p->b_stride[ax] * p->batch[ax];
        idx[ax] = 0;
    }
    return 0;
}
/*@end*/

/*@ dlk_matmul_res_f32 : dlk_matmul_walk dlk_gemm_acc_f32 dlk_epilogue_f32 */
/* numpy matmul over broadcast batch axes (1-D operands are promoted to
 * matrices by the compiler, which only changes m, n and the strides), then
 * the fused epilogue p->ep on each row with the residual res (y's shape, or NULL). */
static void dlk_matmul_res_f32(const dlk_matmul_params *p, const float *a, const float *b,
                               const float *res, float *y)
{
    int64_t idx[DLK_MAX_RANK];
    int64_t mn = p->m * p->n, a_off = 0, b_off = 0, i;
    if (!dlk_matmul_first(p, idx))
        return;
    do {
        memset(y, 0, (size_t)mn * sizeof(float));
        dlk_gemm_acc_f32(p->m, p->n, p->k, a + a_off, p->k, 1, b + b_off, p->n, y, p->n);
        if (p->ep.act != DLK_ACT_NONE || res != NULL)
            for (i = 0; i < p->m; i++)
                dlk_epilogue_f32(&p->ep, y + i * p->n, res != NULL ? res + i * p->n : NULL, p->n);
        y += mn;
        if (res != NULL)
            res += mn;
    } while (dlk_matmul_next(p, idx, &a_off, &b_off));
}
/*@end*/

/*@ dlk_matmul_f32 : dlk_matmul_res_f32 */
/* numpy matmul without a residual input (the epilogue's activation still applies). */
static void dlk_matmul_f32(const dlk_matmul_params *p, const float *a, const float *b, float *y)
{
    dlk_matmul_res_f32(p, a, b, NULL, y);
}
/*@end*/

/*@ dlk_matmul_packed_f32 : dlk_matmul_walk dlk_sgemm_f32 dlk_sgemm_pack_rows_f32 */
/* dlk_matmul_res_f32 through the packed micro-kernels of sgemm.h: each
 * product of the batch split over par (NULL: one thread), the epilogue
 * p->ep (residual res, y's shape, or NULL) on every finished tile. */
static void dlk_matmul_packed_f32(const dlk_par *par, const dlk_matmul_params *p, const float *a,
                                  const float *b, const float *res, float *y)
{
    int64_t idx[DLK_MAX_RANK];
    int64_t mn = p->m * p->n, a_off = 0, b_off = 0;
    dlk_sgemm_rows_b rows;
    dlk_sgemm_args g;
    if (!dlk_matmul_first(p, idx))
        return;
    memset(&g, 0, sizeof g);
    g.m = p->m;
    g.n = p->n;
    g.k = p->k;
    g.lda = p->k;
    g.pack = dlk_sgemm_pack_rows_f32;
    g.pack_ctx = &rows;
    g.ldc = g.ldr = p->n;
    g.ep = &p->ep;
    rows.ldb = p->n;
    do {
        g.a = a + a_off;
        rows.b = b + b_off;
        g.c = y;
        g.r = res;
        dlk_sgemm_f32(par, &g);
        y += mn;
        if (res != NULL)
            res += mn;
    } while (dlk_matmul_next(p, idx, &a_off, &b_off));
}
/*@end*/

/*@ dlk_matmul_f64 : dlk_matmul_walk */
/* The float64 matmul: the same batch walk, a plain i-k-j loop. */
static void dlk_matmul_f64(const dlk_matmul_params *p, const double *a, const double *b, double *y)
{
    int64_t idx[DLK_MAX_RANK];
    int64_t mn = p->m * p->n, a_off = 0, b_off = 0, i, j, q;
    if (!dlk_matmul_first(p, idx))
        return;
    do {
        for (i = 0; i < p->m; i++) {
            double *yr = y + i * p->n;
            for (j = 0; j < p->n; j++)
                yr[j] = 0.0;
            for (q = 0; q < p->k; q++) {
                const double av = a[a_off + i * p->k + q];
                const double *br = b + b_off + q * p->n;
                for (j = 0; j < p->n; j++)
                    yr[j] += av * br[j];
            }
        }
        y += mn;
    } while (dlk_matmul_next(p, idx, &a_off, &b_off));
}
/*@end*/

#endif
