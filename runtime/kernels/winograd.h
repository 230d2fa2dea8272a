/* Winograd F(4x4, 3x3) convolution, NCHW float32: 2-D, kernel 3x3, stride
 * 1, dilation 1, group 1, any pads (Lavin & Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016).
 *
 * The output is cut into 4x4 tiles (T per image, ragged edge tiles are
 * cropped), each read from a 6x6 input tile (stride 4, zeros in the
 * padding). With d a 6x6 input tile and g a 3x3 filter,
 *     Y = A^T [ (G g G^T) . (B^T d B) ] A        (. : element-wise)
 * so the convolution becomes 36 independent matrix products, one per
 * element xi of the 6x6 transformed tile:
 *     M[xi] (c_out x T) = U[xi] (c_out x c_in) x V[xi] (c_in x T)
 * with U = G g G^T (the weights, transformed once at compile time by
 * dlk_winograd_weights_f32) and V = B^T d B (the input, per run). 36
 * products of c_in multiply-adds per 16 outputs are 2.25 per output and
 * input channel instead of 9: 4x fewer multiplies. The transforms cost
 * O(c_in + c_out) per tile; the rounding error grows to about 1e-5..1e-4
 * of the output's magnitude (the transforms hold factors up to 8 and 1/24).
 *
 * The products run on the packed SGEMM (sgemm.h); threads split the input
 * transform over input channels, the 36 products between them (each runs on
 * one thread) and the output transform over output channels. The output
 * transform adds the bias and applies the fused epilogue (epilogue.h) one
 * finished output row at a time. The transform loops run in blocks of 8
 * with a fixed trip count, which gcc vectorises at -O2. */
#ifndef DLK_WINOGRAD_H
#define DLK_WINOGRAD_H

#include "common.h"
#include "epilogue.h"
#include "parallel.h"
#include "sgemm.h"

/*@ dlk_winograd_params : dlk_common dlk_epilogue_params */
/* in/out: spatial dims (H, W) of x and y; out = in + pad begin + pad end - 2.
 * pads: ONNX order (top, left, bottom, right). ep: the fused epilogue. */
typedef struct dlk_winograd_params {
    int64_t n, c_in, c_out;
    int64_t in[2], out[2];
    int64_t pads[4];
    dlk_epilogue ep;
} dlk_winograd_params;

/* Columns of the transform buffers (one row of tiles must fit with its
 * spare column) and their stride (room for two more values). */
#define DLK_WG_LEN 256
#define DLK_WG_PAD (DLK_WG_LEN + 8)

/* Whether the kernel takes the shape: a row of tiles fits its buffers
 * (output width up to 4 * (DLK_WG_LEN - 1)). */
static int dlk_winograd_fits(const dlk_winograd_params *p)
{
    return (p->out[1] + 3) / 4 + 1 <= DLK_WG_LEN;
}

/*@end*/

/* Outside any section (the compiler sizes the scratch; generated code is
 * handed it): */
/* Columns of V and M: ceil(oh/4) rows of ceil(ow/4) + 1 tiles (see dlk_winograd_f32). */
static int64_t dlk_winograd_columns(const dlk_winograd_params *p)
{
    return ((p->out[0] + 3) / 4) * ((p->out[1] + 3) / 4 + 1);
}

/* Floats of scratch dlk_winograd_f32 needs: V (36 x c_in x columns) then
 * M (36 x c_out x columns); one image at a time. */
static int64_t dlk_winograd_scratch_floats(const dlk_winograd_params *p)
{
    return 36 * dlk_winograd_columns(p) * (p->c_in + p->c_out);
}

/*@ dlk_winograd_weights_f32 : dlk_common */
/* U = G g G^T for every (output, input) channel pair, in double:
 * w (c_out x c_in x 3 x 3) -> u, 36 row-major c_out x c_in matrices
 * (u[(xi*c_out + o)*c_in + i], xi = 6*row + column of the 6x6 tile).
 * G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6;
 *      1/24 -1/12 1/6; 0 0 1]. */
static void dlk_winograd_weights_f32(int64_t c_out, int64_t c_in, const float *w, float *u)
{
    static const double gm[6][3] = {{0.25, 0.0, 0.0},
                                    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                    {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                    {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                    {0.0, 0.0, 1.0}};
    const int64_t plane = c_out * c_in;
    int64_t o, i;
    int a, b, k, l;
    for (o = 0; o < c_out; o++)
        for (i = 0; i < c_in; i++) {
            const float *g = w + (o * c_in + i) * 9;
            double t[6][3];   /* G g */
            for (a = 0; a < 6; a++)
                for (l = 0; l < 3; l++) {
                    double s = 0.0;
                    for (k = 0; k < 3; k++)
                        s += gm[a][k] * g[k * 3 + l];
                    t[a][l] = s;
                }
            for (a = 0; a < 6; a++)
                for (b = 0; b < 6; b++) {
                    double s = 0.0;
                    for (l = 0; l < 3; l++)
                        s += t[a][l] * gm[b][l];
                    u[(a * 6 + b) * plane + o * c_in + i] = (float)s;
                }
        }
}
/*@end*/

/*@ dlk_winograd_f32 : dlk_winograd_params dlk_sgemm_f32 dlk_sgemm_pack_rows_f32 dlk_epilogue_f32 dlk_parallel */
/* Layout of V and M: tile (ty, tx) is column ty*(tw + 1) + tx of each
 * 36 x channels x th*(tw + 1) matrix: one spare column per tile row. With
 * it every transform runs over whole blocks of tile rows as one flat loop
 * (the columns of tile tx + 1 start where those of tile tx end), and the
 * products multiply the spare columns at no extra cost while they fit in
 * the micro-kernel's last panel (14 x 14 tiles: 210 columns, 7 panels of 32
 * either way). Spare columns hold finite junk and are never written out.
 * Tile rows are transformed DLK_WG_LEN columns at a time in stack buffers,
 * so a row of tiles may not exceed DLK_WG_LEN - 1 tiles
 * (dlk_winograd_fits). */

/* BODY for J in [0, N): blocks of 8 with a fixed trip count, then the rest. */
#define DLK_WG_FOR(J, N, ...)                                                  \
    do {                                                                       \
        int64_t wb_, wk_;                                                      \
        for (wb_ = 0; wb_ + 8 <= (N); wb_ += 8)                                \
            for (wk_ = 0; wk_ < 8; wk_++) {                                    \
                const int64_t J = wb_ + wk_;                                   \
                __VA_ARGS__                                                    \
            }                                                                  \
        for (; wb_ < (N); wb_++) {                                             \
            const int64_t J = wb_;                                             \
            __VA_ARGS__                                                        \
        }                                                                      \
    } while (0)

/* (E0..E5) = B^T (D0..D5); B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0;
 * 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1].
 * All D are read before any E is written (in place is allowed). */
#define DLK_WG_BT(E0, E1, E2, E3, E4, E5, D0, D1, D2, D3, D4, D5)              \
    {                                                                          \
        const float d0_ = (D0), d1_ = (D1), d2_ = (D2), d3_ = (D3);            \
        const float d4_ = (D4), d5_ = (D5);                                    \
        const float t1_ = d4_ - 4.0f * d2_, t2_ = d3_ - 4.0f * d1_;            \
        const float t3_ = d4_ - d2_, t4_ = 2.0f * (d3_ - d1_);                 \
        E0 = 4.0f * d0_ - 5.0f * d2_ + d4_;                                    \
        E1 = t1_ + t2_;                                                        \
        E2 = t1_ - t2_;                                                        \
        E3 = t3_ + t4_;                                                        \
        E4 = t3_ - t4_;                                                        \
        E5 = 4.0f * d1_ - 5.0f * d3_ + d5_;                                    \
    }

/* (O0..O3) = A^T (M0..M5) + ADD; A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0;
 * 0 1 1 4 4 0; 0 1 -1 8 -8 1]. */
#define DLK_WG_AT(O0, O1, O2, O3, M0, M1, M2, M3, M4, M5, ADD)                 \
    {                                                                          \
        const float m0_ = (M0), m1_ = (M1), m2_ = (M2), m3_ = (M3);            \
        const float m4_ = (M4), m5_ = (M5);                                    \
        const float a_ = m1_ + m2_, b_ = m1_ - m2_, c_ = m3_ + m4_, d_ = m3_ - m4_; \
        O0 = m0_ + a_ + c_ + (ADD);                                            \
        O1 = b_ + 2.0f * d_ + (ADD);                                           \
        O2 = a_ + 4.0f * c_ + (ADD);                                           \
        O3 = b_ + 8.0f * d_ + m5_ + (ADD);                                     \
    }

/* The work of one image, shared by the three parallel stages. */
typedef struct dlk_winograd_job {
    const dlk_winograd_params *p;
    const float *x, *u, *b, *r;   /* x, r, y: this image's planes */
    float *y, *v, *m;             /* v: V (36 x c_in x t), m: M (36 x c_out x t) */
    int64_t tw, th, ts, t;        /* tiles per row, tile rows, ts = tw + 1, t = th * ts */
    int64_t rows;                 /* tile rows per block of DLK_WG_LEN columns */
} dlk_winograd_job;

/* The j of 4*j + off in [0, limit), clipped to [0, n): [*lo, *hi). */
static void dlk_winograd_range(int64_t off, int64_t limit, int64_t n, int64_t *lo, int64_t *hi)
{
    int64_t a = off >= 0 ? 0 : (-off + 3) / 4;
    int64_t b = limit - off <= 0 ? 0 : (limit - off - 1) / 4 + 1;
    *lo = a < n ? a : n;
    *hi = b < n ? b : n;
    if (*hi < *lo)
        *hi = *lo;
}

/* Input row iy of plane xp (zeros outside it) split by column phase:
 * dst[q*DLK_WG_PAD + j] = x[iy][4*j + q - left] for j < ts, q < 4. */
static void dlk_winograd_load_row(const dlk_winograd_job *jb, const float *xp, int64_t iy, float *dst)
{
    const dlk_winograd_params *p = jb->p;
    const int64_t w = p->in[1], ts = jb->ts;
    int q;
    for (q = 0; q < 4; q++) {
        float *restrict d = dst + q * DLK_WG_PAD;
        const int64_t off = q - p->pads[1];
        int64_t lo = ts, hi = ts, j;
        if (iy >= 0 && iy < p->in[0])
            dlk_winograd_range(off, w, ts, &lo, &hi);
        for (j = 0; j < lo; j++)
            d[j] = 0.0f;
        if (hi > lo) {
            const float *restrict s = xp + iy * w + off;
            for (j = lo; j < hi; j++)
                d[j] = s[4 * j];
        }
        for (j = hi; j < ts; j++)
            d[j] = 0.0f;
    }
}

/* V of input channel c for tile rows [ty0, ty0 + nty). */
static void dlk_winograd_input_block(const dlk_winograd_job *jb, int64_t c, int64_t ty0, int64_t nty)
{
    const dlk_winograd_params *p = jb->p;
    const float *xp = jb->x + c * p->in[0] * p->in[1];
    const int64_t len = nty * jb->ts, vstride = p->c_in * jb->t;
    float a[6][4][DLK_WG_PAD];
    int64_t t;
    int r, q, k;
    for (r = 0; r < 6; r++)
        for (t = 0; t < nty; t++)
            dlk_winograd_load_row(jb, xp, 4 * (ty0 + t) + r - p->pads[0], &a[r][0][t * jb->ts]);
    /* Down the columns, in place: a[k] = sum_r B^T[k][r] a[r], per phase. */
    for (q = 0; q < 4; q++)
        DLK_WG_FOR(i, len, DLK_WG_BT(a[0][q][i], a[1][q][i], a[2][q][i], a[3][q][i], a[4][q][i], a[5][q][i],
                                     a[0][q][i], a[1][q][i], a[2][q][i], a[3][q][i], a[4][q][i], a[5][q][i]));
    /* Along the rows: columns 4, 5 of tile j are phases 0, 1 of tile j + 1
     * (for the spare column: of the next tile row, or the zeros after the block). */
    for (k = 0; k < 6; k++) {
        float *restrict v0 = jb->v + (6 * k * p->c_in + c) * jb->t + ty0 * jb->ts;
        float *restrict v1 = v0 + vstride, *restrict v2 = v1 + vstride, *restrict v3 = v2 + vstride;
        float *restrict v4 = v3 + vstride, *restrict v5 = v4 + vstride;
        a[k][0][len] = a[k][1][len] = 0.0f;
        DLK_WG_FOR(i, len, DLK_WG_BT(v0[i], v1[i], v2[i], v3[i], v4[i], v5[i], a[k][0][i], a[k][1][i],
                                     a[k][2][i], a[k][3][i], a[k][0][i + 1], a[k][1][i + 1]));
    }
}

/* Input channels [begin, end) of the image into V. */
static void dlk_winograd_input_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_winograd_job *jb = (const dlk_winograd_job *)arg;
    int64_t c, ty;
    for (c = begin; c < end; c++)
        for (ty = 0; ty < jb->th; ty += jb->rows)
            dlk_winograd_input_block(jb, c, ty, jb->th - ty < jb->rows ? jb->th - ty : jb->rows);
}

/* Products [begin, end) of the 36, each on the calling thread. */
static void dlk_winograd_gemm_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_winograd_job *jb = (const dlk_winograd_job *)arg;
    const dlk_winograd_params *p = jb->p;
    int64_t xi;
    for (xi = begin; xi < end; xi++) {
        dlk_sgemm_rows_b vb;
        dlk_sgemm_args g;
        memset(&g, 0, sizeof g);
        vb.b = jb->v + xi * p->c_in * jb->t;
        vb.ldb = jb->t;
        g.m = p->c_out;
        g.n = jb->t;
        g.k = p->c_in;
        g.a = jb->u + xi * p->c_out * p->c_in;
        g.lda = p->c_in;
        g.pack = dlk_sgemm_pack_rows_f32;
        g.pack_ctx = &vb;
        g.c = jb->m + xi * p->c_out * jb->t;
        g.ldc = jb->t;
        dlk_sgemm_f32(NULL, &g);
    }
}

/* Output row oy of channel o from z (z[l][tx] is column 4*tx + l of the
 * tile row), cropped to the output width, then the epilogue. */
static void dlk_winograd_put_row(const dlk_winograd_job *jb, int64_t o, int64_t oy, float z[4][DLK_WG_PAD],
                                 int64_t at)
{
    const dlk_winograd_params *p = jb->p;
    const int64_t ow = p->out[1], full = ow / 4, off = (o * p->out[0] + oy) * ow;
    float *restrict yr = jb->y + off;
    int64_t j, l;
    for (j = 0; j < full; j++)
        for (l = 0; l < 4; l++)
            yr[4 * j + l] = z[l][at + j];
    for (l = 0; 4 * full + l < ow; l++)
        yr[4 * full + l] = z[l][at + full];
    if (p->ep.act != DLK_ACT_NONE || jb->r != NULL)
        dlk_epilogue_f32(&p->ep, yr, jb->r != NULL ? jb->r + off : NULL, ow);
}

/* Output channel o for tile rows [ty0, ty0 + nty): the output transform
 * plus the bias. */
static void dlk_winograd_output_block(const dlk_winograd_job *jb, int64_t o, int64_t ty0, int64_t nty)
{
    const dlk_winograd_params *p = jb->p;
    const int64_t len = nty * jb->ts, mstride = p->c_out * jb->t;
    const float bias = jb->b != NULL ? jb->b[o] : 0.0f;
    float s[6][4][DLK_WG_PAD], z[4][4][DLK_WG_PAD];
    int64_t t, a;
    int k, l;
    /* Along the rows: s[k] = A^T (M[6k .. 6k+5]). */
    for (k = 0; k < 6; k++) {
        const float *restrict m0 = jb->m + (6 * k * p->c_out + o) * jb->t + ty0 * jb->ts;
        const float *restrict m1 = m0 + mstride, *restrict m2 = m1 + mstride, *restrict m3 = m2 + mstride;
        const float *restrict m4 = m3 + mstride, *restrict m5 = m4 + mstride;
        DLK_WG_FOR(i, len, DLK_WG_AT(s[k][0][i], s[k][1][i], s[k][2][i], s[k][3][i], m0[i], m1[i], m2[i],
                                     m3[i], m4[i], m5[i], 0.0f));
    }
    /* Down the columns: z[a][l] = sum_k A^T[a][k] s[k][l] + bias. */
    for (l = 0; l < 4; l++)
        DLK_WG_FOR(i, len, DLK_WG_AT(z[0][l][i], z[1][l][i], z[2][l][i], z[3][l][i], s[0][l][i], s[1][l][i],
                                     s[2][l][i], s[3][l][i], s[4][l][i], s[5][l][i], bias));
    for (t = 0; t < nty; t++)
        for (a = 0; a < 4 && 4 * (ty0 + t) + a < p->out[0]; a++)
            dlk_winograd_put_row(jb, o, 4 * (ty0 + t) + a, z[a], t * jb->ts);
}

/* Output channels [begin, end) of the image. */
static void dlk_winograd_output_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_winograd_job *jb = (const dlk_winograd_job *)arg;
    int64_t o, ty;
    for (o = begin; o < end; o++)
        for (ty = 0; ty < jb->th; ty += jb->rows)
            dlk_winograd_output_block(jb, o, ty, jb->th - ty < jb->rows ? jb->th - ty : jb->rows);
}

/* y (n x c_out x out) = conv(x, w) + b (NULL: none), then the epilogue
 * p->ep with residual r (y's shape, or NULL). u: the transformed weights
 * (dlk_winograd_weights_f32); scratch: dlk_winograd_scratch_floats(p)
 * floats. Needs dlk_winograd_fits(p). Work is split over par (NULL: one
 * thread). */
static void dlk_winograd_f32(const dlk_par *par, const dlk_winograd_params *p, const float *x,
                             const float *u, const float *b, const float *r, float *y, float *scratch)
{
    const int64_t in_img = p->c_in * p->in[0] * p->in[1], out_img = p->c_out * p->out[0] * p->out[1];
    dlk_winograd_job jb;
    int64_t img;
    if (out_img <= 0 || !dlk_winograd_fits(p))
        return;
    jb.p = p;
    jb.u = u;
    jb.b = b;
    jb.tw = (p->out[1] + 3) / 4;
    jb.th = (p->out[0] + 3) / 4;
    jb.ts = jb.tw + 1;
    jb.t = jb.th * jb.ts;
    jb.rows = DLK_WG_LEN / jb.ts;
    jb.v = scratch;
    jb.m = scratch + 36 * p->c_in * jb.t;
    for (img = 0; img < p->n; img++) {
        jb.x = x + img * in_img;
        jb.y = y + img * out_img;
        jb.r = r != NULL ? r + img * out_img : NULL;
        dlk_parallel_for(par, dlk_winograd_input_task, &jb, p->c_in);
        dlk_parallel_for(par, dlk_winograd_gemm_task, &jb, 36);
        dlk_parallel_for(par, dlk_winograd_output_task, &jb, p->c_out);
    }
}
#undef DLK_WG_FOR
#undef DLK_WG_BT
#undef DLK_WG_AT
/*@end*/

#endif
