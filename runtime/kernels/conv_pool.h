/* A stem conv and the max pool that reads it, in one kernel (ResNet,
 * Inception v1, DenseNet, SqueezeNet, ShuffleNet: Conv [-> BN] -> Relu ->
 * MaxPool 3x3/2; taken in by passes/fuse_epilogue.c, fuse-pool).
 *
 * Run apart, the stem's channel tiles (conv.h) transpose every tile of 32
 * channels x 12 pixels to the channel planes and store the whole output
 * (3.2 MB for ResNet-50, past the core's L2), and the pool reads it back
 * from L3. Here each thread computes the conv rows a pool row needs into a
 * ring of kh rows blocked by 16 channels (row[(c / 16 ow + ow) 16 + c % 16]:
 * the tiles' sums stored as they are), takes the pool's window maxima over
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

/*@ dlk_conv_maxpool_fits : dlk_conv_direct_fits dlk_pool_params */
#define DLK_CONV_MAXPOOL_MAX_K 8   /* pool window rows and columns */

/* Whether dlk_conv_maxpool_f32 runs conv p and pool q in one pass (with
 * AVX-512): a direct conv on the channel tiles (conv.h: c_out whole blocks
 * of 16, an activation they apply in registers, no residual) and a 2-D max
 * pool of stride >= 1 and dilation 1 whose window rows fit the ring. */
static int dlk_conv_maxpool_fits(const dlk_conv_params *p, const dlk_pool_params *q)
{
    return dlk_conv_direct_fits(p) && dlk_conv_direct_lanes_fit(p, NULL) && q->rank == 2 && q->n == p->n &&
           q->c == p->c_out && q->in[0] == p->out[0] && q->in[1] == p->out[1] &&
           q->kernel[0] <= DLK_CONV_MAXPOOL_MAX_K && q->kernel[1] <= DLK_CONV_MAXPOOL_MAX_K &&
           q->dilations[0] == 1 && q->dilations[1] == 1 && q->strides[0] >= 1 && q->strides[1] >= 1 &&
           q->pads[0] < q->kernel[0] && q->pads[1] < q->kernel[1] && q->out[0] >= 1 && q->out[1] >= 1;
}
/*@end*/

/*@ dlk_conv_maxpool_f32 : dlk_conv_maxpool_fits dlk_conv_direct_f32 dlk_maxpool2d_f32 dlk_parallel dlk_lanes16 dlk_transpose16 */
#if defined(__AVX512F__)
typedef struct dlk_conv_maxpool_job {
    dlk_conv_direct_job c;
    const dlk_pool_params *q;
    float *ring, *y;
    int64_t group;   /* pool rows per item */
} dlk_conv_maxpool_job;

/* Pool row of output channels [16 cb, 16 cb + 16) from the nr ring rows in
 * rows (its window's valid conv rows), ow_n conv columns: the window's
 * maxima in the order dlk_maxpool2d_row_avx512 takes them (each column's
 * rows first, then the columns left to right; the loaded value is max's
 * first operand, so a NaN never wins and a column's maximum is never NaN:
 * max(u, -inf) is u), 16 pool columns transposed to the
 * channel planes at a time. y: the pool row of channel 16 cb; plane: the
 * pool output's plane size. */
static void dlk_conv_maxpool_row(const dlk_pool_params *q, const float *const *rows, int64_t nr, int64_t cb,
                                 float *y, int64_t plane)
{
    const int64_t ow_n = q->in[1], pw_n = q->out[1], kw = q->kernel[1], sw = q->strides[1], pl = q->pads[1];
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    int64_t j0, j, k, r, l;
    for (j0 = 0; j0 < pw_n; j0 += 16) {
        const int64_t m = pw_n - j0 < 16 ? pw_n - j0 : 16;
        __m512 v[16];
        for (j = 0; j < 16; j++) {
            __m512 acc = ninf;
            for (k = 0; k < kw && j < m; k++) {
                const int64_t col = (j0 + j) * sw - pl + k;
                __m512 u = ninf;
                if (col < 0 || col >= ow_n)
                    continue;
                for (r = 0; r < nr; r++)
                    u = _mm512_max_ps(_mm512_loadu_ps(rows[r] + (cb * ow_n + col) * 16), u);
                acc = _mm512_max_ps(u, acc);
            }
            v[j] = acc;
        }
        dlk_transpose16(v);
        for (l = 0; l < 16; l++)
            _mm512_mask_storeu_ps(y + l * plane + j0, dlk_lanes16(0, m), v[l]);
    }
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
    const int64_t plane = q->out[0] * q->out[1];
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
            if (next < lo)
                next = lo;
            for (; next < hi; next++) {
                dlk_conv_direct_taps(&m->c, img, next, &ring, tap);
                dlk_conv_direct_lanes_row(&m->c, tap, dlk_conv_maxpool_slot(m, img, base, next), NULL, 1);
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
        float wt[DLK_CONV_DIRECT_WT];
        dlk_conv_maxpool_job m;
        const int64_t group = (q->kernel[0] + q->pads[0] + q->strides[0] - 1) / q->strides[0];
        m.c.p = p;
        m.c.x = x;
        m.c.w = w;
        m.c.b = b;
        m.c.r = NULL;
        m.c.y = NULL;
        m.c.wt = wt;
        m.q = q;
        m.ring = scratch;
        m.y = y;
        m.group = group;
        dlk_conv_direct_blocks(p, w, wt);
        dlk_parallel_for(par, dlk_conv_maxpool_rows_f32, &m, p->n * ((q->out[0] + group - 1) / group));
        return;
#endif
    }
    dlk_conv_direct_f32(par, p, x, w, b, NULL, scratch);
    dlk_maxpool2d_f32(par, q, scratch, y);
}
/*@end*/

#endif
