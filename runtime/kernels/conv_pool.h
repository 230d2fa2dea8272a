/* A stem conv and the max pool that reads it, in one kernel (ResNet,
 * Inception v1, DenseNet, SqueezeNet: Conv [-> BN] -> Relu -> MaxPool
 * 3x3/2; not ShuffleNet's 24 channels; taken in by passes/fuse_epilogue.c,
 * fuse-pool).
 *
 * Run apart, the stem's conv (conv.h) stores its whole output (3.2 MB for
 * ResNet-50, past the core's L2), and the pool reads it back from L3. Here
 * each thread computes the conv rows a pool row needs, by channel tiles,
 * into a ring of kh rows blocked by 16 channels (row[(c / 16 ow + ow) 16 +
 * c % 16]: the tiles' sums stored as they are), takes the pool's window maxima over
 * 16 channels at a time while the ring is in cache, and transposes only the
 * pool's output (a quarter of the conv's) to the channel planes. The conv's
 * sums and the maxima are those of dlk_conv_direct_f32 then
 * dlk_maxpool2d_f32: the same bits.
 *
 * The rings live in the scratch tensor (the conv's output size, which the
 * unfused graph held anyway): the thread whose first pool row is r keeps
 * its ring in the scratch's conv rows from r sh - ph on. Items are groups
 * of G = ceil((kh + ph) / sh) pool rows, so two threads' rings never meet.
 * Without AVX-512, or for a conv or pool the fused path does not take, the
 * conv is stored whole in the scratch and pooled from there. */
#ifndef DLK_CONV_POOL_H
#define DLK_CONV_POOL_H

#include "common.h"
#include "conv.h"
#include "parallel.h"
#include "pool.h"

/*@ dlk_conv_maxpool_fits : dlk_conv_direct_fits dlk_pool_params dlk_act16_avx512 */
#define DLK_CONV_MAXPOOL_MAX_K 8   /* pool window rows and columns */
#ifndef DLK_CONV_MAXPOOL_WT
#define DLK_CONV_MAXPOOL_WT 12288   /* floats of weights by blocks (48 KB of stack) */
#endif

/* Whether dlk_conv_maxpool_f32 runs conv p and pool q in one pass (with
 * AVX-512): a conv dlk_conv_direct_f32 runs directly, on the channel tiles
 * (c_out whole blocks of 16, an activation they apply in registers, no
 * residual; the weights by blocks on the stack) and a 2-D max pool of
 * dilation 1 whose window rows fit the ring and whose window and column
 * stride are at most DLK_CONV_MAXPOOL_MAX_K. */
static int dlk_conv_maxpool_fits(const dlk_conv_params *p, const dlk_pool_params *q)
{
    return dlk_conv_direct_fits(p) && p->c_out % 16 == 0 &&
           p->c_out * p->c_in * p->kernel[0] * p->kernel[1] <= DLK_CONV_MAXPOOL_WT && dlk_act16_takes(p->ep.act) &&
           q->rank == 2 && q->n == p->n &&
           q->c == p->c_out && q->in[0] == p->out[0] && q->in[1] == p->out[1] &&
           q->kernel[0] <= DLK_CONV_MAXPOOL_MAX_K && q->kernel[1] <= DLK_CONV_MAXPOOL_MAX_K &&
           q->dilations[0] == 1 && q->dilations[1] == 1 && q->strides[0] >= 1 && q->strides[1] >= 1 &&
           q->strides[1] <= DLK_CONV_MAXPOOL_MAX_K &&
           q->pads[0] < q->kernel[0] && q->pads[1] < q->kernel[1] && q->out[0] >= 1 && q->out[1] >= 1;
}
/*@end*/

/*@ dlk_conv_maxpool_f32 : dlk_conv_maxpool_fits dlk_conv_direct_f32 dlk_maxpool2d_f32 dlk_parallel dlk_lanes16 dlk_transpose16 dlk_act16_avx512 */
#if defined(__AVX512F__)
typedef struct dlk_conv_maxpool_job {
    dlk_conv_direct_job c;
    /* the weights by blocks of 16 output channels, each tap's 16 together
     * (wt[(co / 16) taps 16 + t 16 + co % 16]) */
    const float *wt;
    const dlk_pool_params *q;
    float *ring, *y;
    int64_t group;   /* pool rows per item */
} dlk_conv_maxpool_job;

/* Channel tiles: NB blocks of 16 output channels (along the vectors) x P
 * output pixels from column ow0 of conv row y, blocked by 16 channels
 * (y[(c / 16 ow_n + ow) 16 + c % 16]), each tap's input value broadcast to
 * the NB blocks and its NB weight vectors loaded once for the P pixels:
 * loads of 2 vectors and 12 broadcasts per 24 multiply-adds. The
 * activation (Relu, Clip, Sigmoid, SiLU: lane by lane) is applied before
 * the store. Each output sums the bias and then the taps in k order, as
 * dlk_conv_direct_f32 does: the same bits. Pixels past the row are
 * computed (their inputs are in the ring line) and not stored. */
DLK_CONV_DIRECT_INLINE void dlk_conv_maxpool_tile(const dlk_conv_maxpool_job *m, const float *const *tap, int64_t co,
                                                  int64_t ow0, float *y, const int NB, const int P)
{
    const dlk_conv_params *p = m->c.p;
    const int64_t taps = p->c_in * p->kernel[0] * p->kernel[1];
    const int64_t n = p->out[1] - ow0 < P ? p->out[1] - ow0 : P;
    const float *wt = m->wt + co * taps;
    __m512 acc[2][12];
    int bl, q;
    int64_t t;
    DLK_UNROLL_TILE
    for (bl = 0; bl < NB; bl++) {
        const __m512 b = m->c.b != NULL ? _mm512_loadu_ps(m->c.b + co + 16 * bl) : _mm512_setzero_ps();
        DLK_UNROLL_TILE
        for (q = 0; q < P; q++)
            acc[bl][q] = b;
    }
    for (t = 0; t < taps; t++) {
        const float *s = tap[t] + ow0;
        __m512 wv[2];
        DLK_UNROLL_TILE
        for (bl = 0; bl < NB; bl++)
            wv[bl] = _mm512_loadu_ps(wt + (bl * taps + t) * 16);
        DLK_UNROLL_TILE
        for (q = 0; q < P; q++) {
            const __m512 xv = _mm512_set1_ps(s[q]);
            DLK_UNROLL_TILE
            for (bl = 0; bl < NB; bl++)
                acc[bl][q] = _mm512_fmadd_ps(xv, wv[bl], acc[bl][q]);
        }
    }
    DLK_UNROLL_TILE
    for (bl = 0; bl < NB; bl++) {
        float *yb = y + ((co / 16 + bl) * p->out[1] + ow0) * 16;
        DLK_UNROLL_TILE
        for (q = 0; q < P; q++)
            if (q < n)
                _mm512_storeu_ps(yb + 16 * q, dlk_act16_avx512(&p->ep, acc[bl][q]));
    }
}

/* The weights by blocks (dlk_conv_maxpool_job.wt). */
static void dlk_conv_maxpool_blocks(const dlk_conv_params *p, const float *w, float *wt)
{
    const int64_t taps = p->c_in * p->kernel[0] * p->kernel[1];
    int64_t co, t;
    for (co = 0; co < p->c_out; co++)
        for (t = 0; t < taps; t++)
            wt[(co / 16 * taps + t) * 16 + co % 16] = w[co * taps + t];
}

/* One conv row into y (blocked by channels) by channel tiles: 32 channels
 * x 12 pixels, then the row's last pixels in a tile of 4, 8 or 12 (every
 * tile start a multiple of 4, so no tap reads past its ring line, whose
 * length is a multiple of 16 past the taps' reach), 16 channels at a time
 * for a last odd block. */
static void dlk_conv_maxpool_conv_row(const dlk_conv_maxpool_job *m, const float *const *tap, float *y)
{
    const int64_t ow_n = m->c.p->out[1], c_out = m->c.p->c_out;
    int64_t co, ow0;
    for (co = 0; co < c_out; co += 32) {
        const int nb2 = c_out - co >= 32;
        for (ow0 = 0; ow0 < ow_n; ow0 += 12) {
            const int64_t rest = ow_n - ow0;
            if (nb2 && rest > 8)
                dlk_conv_maxpool_tile(m, tap, co, ow0, y, 2, 12);
            else if (nb2 && rest > 4)
                dlk_conv_maxpool_tile(m, tap, co, ow0, y, 2, 8);
            else if (nb2)
                dlk_conv_maxpool_tile(m, tap, co, ow0, y, 2, 4);
            else if (rest > 8)
                dlk_conv_maxpool_tile(m, tap, co, ow0, y, 1, 12);
            else if (rest > 4)
                dlk_conv_maxpool_tile(m, tap, co, ow0, y, 1, 8);
            else
                dlk_conv_maxpool_tile(m, tap, co, ow0, y, 1, 4);
        }
    }
}

/* Pool row of output channels [16 cb, 16 cb + 16) from the nr ring rows in
 * rows (its window's valid conv rows), ow_n conv columns: the window's
 * maxima in the order dlk_maxpool2d_row_avx512 takes them (each column's
 * rows first, then the columns left to right; the loaded value is max's
 * first operand, so a NaN never wins and a column's maximum is never NaN:
 * max(u, -inf) is u), 16 pool columns transposed to the channel planes at
 * a time. Each column's maximum over the rows is taken once into cm (-inf
 * for a padding column, which leaves a window's maximum as it is), not
 * once per window that holds it. y: the pool row of channel 16 cb; plane:
 * the pool output's plane size. NR, KW: nr and the window's width when
 * constant (3 x 3 pools), else 0. */
DLK_CONV_DIRECT_INLINE void dlk_conv_maxpool_row_k(const dlk_pool_params *q, const float *const *rows, int64_t nr,
                                                   int64_t cb, float *y, int64_t plane, const int NR, const int KW)
{
    const int64_t ow_n = q->in[1], pw_n = q->out[1], kw = KW ? KW : q->kernel[1], sw = q->strides[1];
    const int64_t n_r = NR ? NR : nr, pl = q->pads[1];
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    __m512 cm[16 * DLK_CONV_MAXPOOL_MAX_K];
    int64_t j0, j, k, r, l, i;
    for (j0 = 0; j0 < pw_n; j0 += 16) {
        const int64_t m = pw_n - j0 < 16 ? pw_n - j0 : 16, c0 = j0 * sw - pl, nc = (m - 1) * sw + kw;
        __m512 v[16];
        for (i = 0; i < nc; i++) {
            const int64_t at = (cb * ow_n + c0 + i) * 16;
            __m512 u = ninf;
            if (c0 + i >= 0 && c0 + i < ow_n)
                for (r = 0; r < n_r; r++)
                    u = _mm512_max_ps(_mm512_loadu_ps(rows[r] + at), u);
            cm[i] = u;
        }
        for (j = 0; j < m; j++) {
            __m512 acc = ninf;
            for (k = 0; k < kw; k++)
                acc = _mm512_max_ps(cm[j * sw + k], acc);
            v[j] = acc;
        }
        for (; j < 16; j++)
            v[j] = ninf;
        dlk_transpose16(v);
        for (l = 0; l < 16; l++)
            _mm512_mask_storeu_ps(y + l * plane + j0, dlk_lanes16(0, m), v[l]);
    }
}

static void dlk_conv_maxpool_row(const dlk_pool_params *q, const float *const *rows, int64_t nr, int64_t cb,
                                 float *y, int64_t plane)
{
    if (q->kernel[1] == 3 && nr == 3)
        dlk_conv_maxpool_row_k(q, rows, nr, cb, y, plane, 3, 3);
    else
        dlk_conv_maxpool_row_k(q, rows, nr, cb, y, plane, 0, 0);
}

/* Conv row i of image img in its thread's ring, which starts at conv row
 * base: kh slots, row i in slot (i - base) % kh. */
static float *dlk_conv_maxpool_slot(const dlk_conv_maxpool_job *m, int64_t img, int64_t base, int64_t i)
{
    const int64_t oh_n = m->c.p->out[0], kh = m->q->kernel[0];
    return m->ring + (img * oh_n + base + (i - base) % kh) * m->c.p->c_out * m->c.p->out[1];
}

/* Items: (image, group of job->group pool rows). */
static void dlk_conv_maxpool_rows_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_conv_maxpool_job *m = (const dlk_conv_maxpool_job *)arg;
    const dlk_conv_params *p = m->c.p;
    const dlk_pool_params *q = m->q;
    const int64_t oh_n = p->out[0], kh = q->kernel[0];
    const int64_t sh = q->strides[0], ph = q->pads[0], ph_n = q->out[0], groups = (ph_n + m->group - 1) / m->group;
    const int64_t plane = q->out[0] * q->out[1], bytes = q->out[1] * (int64_t)sizeof(float);   /* a pool row's */
    dlk_conv_direct_ring ring;
    const float *tap[DLK_CONV_DIRECT_TAPS], *rows[DLK_CONV_MAXPOOL_MAX_K];
    int64_t item, img = -1, base = 0, next = 0;   /* conv rows [base, next) of image img are done */
    ring.img = -1;
    ring.have = 0;
    for (item = begin; item < end; item++) {
        const int64_t g = item % groups, r_end = (g + 1) * m->group < ph_n ? (g + 1) * m->group : ph_n;
        int64_t r;
        if (item / groups != img) {
            img = item / groups;
            base = next = g * m->group * sh - ph > 0 ? g * m->group * sh - ph : 0;
        }
        for (r = g * m->group; r < r_end; r++) {
            const int64_t lo = r * sh - ph > 0 ? r * sh - ph : 0, hi = r * sh - ph + kh < oh_n ? r * sh - ph + kh : oh_n;
            int64_t i, cb;
            /* This pool row's lines in every channel plane, asked for
             * (PREFETCHW) before its conv rows: in a model the pool's output
             * is not in cache, and its c_out streams of stores missed (one
             * thread, --profile, alternated runs: SqueezeNet's stem + pool
             * 0.40-0.42 -> 0.375-0.388 ms, ResNet-50's 1.35-1.41 ->
             * 1.27-1.30). */
            for (i = 0; i < p->c_out; i++) {
                const char *yl = (const char *)(m->y + (img * p->c_out + i) * plane + r * q->out[1]);
                int64_t o;
                for (o = 0; o < bytes; o += 64)
                    _mm_prefetch(yl + o, _MM_HINT_ET0);
                _mm_prefetch(yl + bytes - 1, _MM_HINT_ET0);
            }
            if (next < lo)
                next = lo;
            for (; next < hi; next++) {
                dlk_conv_direct_taps(&m->c, img, next, &ring, tap);
                dlk_conv_maxpool_conv_row(m, tap, dlk_conv_maxpool_slot(m, img, base, next));
            }
            for (i = lo; i < hi; i++)
                rows[i - lo] = dlk_conv_maxpool_slot(m, img, base, i);
            for (cb = 0; cb < p->c_out / 16; cb++)
                dlk_conv_maxpool_row(q, rows, hi - lo, cb, m->y + (img * p->c_out + 16 * cb) * plane + r * q->out[1],
                                     plane);
        }
    }
}
#endif

/* Conv p (dlk_conv_direct_f32's arguments, no residual) then MaxPool q
 * (dlk_maxpool2d_f32's; q->in is p->out) into y; scratch: the conv's
 * output size in floats. */
DLK_NOINLINE static void dlk_conv_maxpool_f32(const dlk_par *par, const dlk_conv_params *p,
                                              const dlk_pool_params *q, const float *x, const float *w,
                                              const float *b, float *y, float *scratch)
{
    if (dlk_conv_maxpool_fits(p, q)) {
#if defined(__AVX512F__)
        float wt[DLK_CONV_MAXPOOL_WT];
        dlk_conv_maxpool_job m;
        const int64_t group = (q->kernel[0] + q->pads[0] + q->strides[0] - 1) / q->strides[0];
        m.c.p = p;
        m.c.x = x;
        m.c.w = w;
        m.c.b = b;
        m.c.r = NULL;
        m.c.y = NULL;
        m.c.act_in_regs = 1;
        m.wt = wt;
        m.q = q;
        m.ring = scratch;
        m.y = y;
        m.group = group;
        dlk_conv_maxpool_blocks(p, w, wt);
        dlk_parallel_for(par, dlk_conv_maxpool_rows_f32, &m, p->n * ((q->out[0] + group - 1) / group));
        return;
#endif
    }
    dlk_conv_direct_f32(par, p, x, w, b, NULL, scratch);
    dlk_maxpool2d_f32(par, q, scratch, y);
}
/*@end*/

#endif
