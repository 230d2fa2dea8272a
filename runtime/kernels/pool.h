/* MaxPool, AveragePool (any spatial rank) and the global pools, NCHW float32.
 *
 * A window pool runs one output row (the last spatial axis) at a time and
 * one kernel tap at a time: the tap's valid output range along the row is
 * computed first (dlk_conv_range), so the inner loop is a plain strided
 * max/add with no bounds checks. */
#ifndef DLK_POOL_H
#define DLK_POOL_H

#include "common.h"
#include "conv.h"
#include "parallel.h"

/*@ dlk_pool_out_dim : dlk_common */
/* Output size along one axis. Floor mode is the convolution formula. Ceil
 * mode rounds up but, as PyTorch and onnxruntime do, drops a last window
 * that would start in the end padding: if (out-1)*s >= in + pb, out -= 1. */
static int64_t dlk_pool_out_dim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe,
                                int ceil_mode)
{
    int64_t span = in + pb + pe - d * (k - 1) - 1, out;
    if (span < 0)
        return 0;
    out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (out - 1) * s >= in + pb)
        out--;
    return out;
}
/*@end*/

/*@ dlk_pool_params : dlk_common */
typedef struct dlk_pool_params {
    int64_t n, c;
    int64_t rank;                        /* spatial rank */
    int64_t in[DLK_MAX_RANK];
    int64_t out[DLK_MAX_RANK];
    int64_t kernel[DLK_MAX_RANK];
    int64_t strides[DLK_MAX_RANK];
    int64_t dilations[DLK_MAX_RANK];
    int64_t pads[2 * DLK_MAX_RANK];      /* ONNX order: all begins, then all ends */
    int64_t count_include_pad;           /* AveragePool */
    int64_t storage_order;               /* MaxPool indices: 0 row-major, 1 column-major */
} dlk_pool_params;
/*@end*/

/*@ dlk_pool_tap : dlk_pool_params dlk_conv_range */
/* Where kernel tap k of output row `row` (flat index over the outer output
 * axes) reads: returns 0 if the tap is in the padding of an outer axis,
 * else the offset of the first valid input element (*src), the valid output
 * range [*lo, *hi) along the row, and the tap's position offset along the
 * last axis (*off: input position = o*s + off). coord[] receives the input
 * coordinates of the outer axes. */
static int dlk_pool_tap(const dlk_pool_params *p, int64_t row, int64_t k, int64_t *src, int64_t *lo,
                        int64_t *hi, int64_t *off, int64_t *coord)
{
    int64_t r = p->rank, last = r - 1, a, oc[DLK_MAX_RANK], kc[DLK_MAX_RANK], stride = 1, base = 0;
    dlk_conv_unflatten(row, p->out, last, oc);
    dlk_conv_unflatten(k, p->kernel, r, kc);
    for (a = last - 1; a >= 0; a--) {
        coord[a] = oc[a] * p->strides[a] - p->pads[a] + kc[a] * p->dilations[a];
        if (coord[a] < 0 || coord[a] >= p->in[a])
            return 0;
        stride *= p->in[a + 1];
        base += coord[a] * stride;
    }
    *off = kc[last] * p->dilations[last] - p->pads[last];
    dlk_conv_range(*off, p->strides[last], p->in[last], p->out[last], lo, hi);
    *src = base + *lo * p->strides[last] + *off;
    return *hi > *lo;
}
/*@end*/

/*@ dlk_pool_max_row_f32 : dlk_common */
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
/* y[i] = max(y[i], x[i*s]) for i < n (a NaN in x leaves y). Stride 2 (the
 * usual 3x3/2 pool) with AVX-512 loads 32 values and keeps the even ones;
 * it stops while the second load stays inside x[0 .. 2(n-1)]. */
static void dlk_pool_max_row_f32(float *restrict y, const float *restrict x, int64_t s, int64_t n)
{
    int64_t i = 0, n8;
    int t;
#if defined(__AVX512F__)
    if (s == 2) {
        const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        for (; i + 16 < n; i += 16) {
            const __m512 v = _mm512_permutex2var_ps(_mm512_loadu_ps(x + 2 * i), even,
                                                    _mm512_loadu_ps(x + 2 * i + 16));
            _mm512_storeu_ps(y + i, _mm512_max_ps(v, _mm512_loadu_ps(y + i)));
        }
    }
#endif
    n8 = i + (n - i) - (n - i) % 8;
    for (; i < n8; i += 8)
        for (t = 0; t < 8; t++)
            y[i + t] = x[(i + t) * s] > y[i + t] ? x[(i + t) * s] : y[i + t];
    for (i = n8; i < n; i++)
        y[i] = x[i * s] > y[i] ? x[i * s] : y[i];
}
/*@end*/

/*@ dlk_maxpool_f32 : dlk_pool_tap dlk_pool_max_row_f32 */
/* The flat index of input element (plane, coord[0..last), pos) as ONNX
 * MaxPool's Indices output gives it: row-major, or column-major over the
 * spatial axes when storage_order is 1. */
static int64_t dlk_maxpool_index(const dlk_pool_params *p, int64_t plane, const int64_t *coord,
                                 int64_t pos)
{
    int64_t r = p->rank, last = r - 1, a, idx = 0, stride = 1;
    if (p->storage_order) {
        for (a = 0; a < last; a++) {
            idx += coord[a] * stride;
            stride *= p->in[a];
        }
        idx += pos * stride;
        stride *= p->in[last];
    } else {
        for (a = 0; a < last; a++)
            idx = idx * p->in[a] + coord[a];
        idx = idx * p->in[last] + pos;
        for (a = 0; a < r; a++)
            stride *= p->in[a];
    }
    return plane * stride + idx;
}

/* ONNX MaxPool; indices (the optional second output, int64) may be NULL.
 * Ties keep the first element in window order, as onnxruntime does. */
static void dlk_maxpool_f32(const dlk_pool_params *p, const float *x, float *y, int64_t *indices)
{
    int64_t r = p->rank, last = r - 1, in_plane = 1, out_plane = 1, ksize = 1, rows, a;
    int64_t plane, row, k, i, src, lo, hi, off, coord[DLK_MAX_RANK];
    for (a = 0; a < r; a++) {
        in_plane *= p->in[a];
        out_plane *= p->out[a];
        ksize *= p->kernel[a];
    }
    if (out_plane == 0)
        return;
    rows = out_plane / p->out[last];
    for (plane = 0; plane < p->n * p->c; plane++) {
        const float *xp = x + plane * in_plane;
        for (row = 0; row < rows; row++) {
            float *yr = y + plane * out_plane + row * p->out[last];
            int64_t *ir = indices != NULL ? indices + plane * out_plane + row * p->out[last] : NULL;
            for (i = 0; i < p->out[last]; i++) {
                yr[i] = -INFINITY;
                if (ir != NULL)
                    ir[i] = -1;
            }
            for (k = 0; k < ksize; k++) {
                if (!dlk_pool_tap(p, row, k, &src, &lo, &hi, &off, coord))
                    continue;
                if (ir == NULL) {
                    dlk_pool_max_row_f32(yr + lo, xp + src, p->strides[last], hi - lo);
                    continue;
                }
                for (i = lo; i < hi; i++) {
                    float v = xp[src + (i - lo) * p->strides[last]];
                    if (v > yr[i]) {
                        yr[i] = v;
                        ir[i] = dlk_maxpool_index(p, plane, coord, i * p->strides[last] + off);
                    }
                }
            }
        }
    }
}
/*@end*/

/*@ dlk_pool2d_task : dlk_pool_params dlk_conv_range dlk_lanes16 */
/* A 2-D pool's work for the threads (items: planes), with the column taps
 * worked out once per call instead of once per row and tap: tap kw reads
 * input column o*s + off[kw], valid for outputs o in [lo[kw], hi[kw]).
 * With AVX-512, for a width stride of 1 or 2 and output rows of at most
 * DLK_POOL2D_MAX_BLOCKS blocks of 16 (simd set), also the masks of the
 * 16-value loads of block q and tap kw (m1: the next 16, stride 2). */
#define DLK_POOL2D_MAX_KW 16
#define DLK_POOL2D_MAX_BLOCKS 32

typedef struct dlk_pool2d_task {
    const dlk_pool_params *p;
    const float *x;
    float *y;
    int64_t lo[DLK_POOL2D_MAX_KW], hi[DLK_POOL2D_MAX_KW], off[DLK_POOL2D_MAX_KW];
    int simd;
#if defined(__AVX512F__)
    __mmask16 m0[DLK_POOL2D_MAX_BLOCKS][DLK_POOL2D_MAX_KW], m1[DLK_POOL2D_MAX_BLOCKS][DLK_POOL2D_MAX_KW];
#endif
} dlk_pool2d_task;

/* p->rank == 2 and p->kernel[1] <= DLK_POOL2D_MAX_KW. */
static void dlk_pool2d_task_init(dlk_pool2d_task *t, const dlk_pool_params *p, const float *x, float *y)
{
    int64_t kw;
    t->p = p;
    t->x = x;
    t->y = y;
    t->simd = 0;
    for (kw = 0; kw < p->kernel[1]; kw++) {
        t->off[kw] = kw * p->dilations[1] - p->pads[1];
        dlk_conv_range(t->off[kw], p->strides[1], p->in[1], p->out[1], &t->lo[kw], &t->hi[kw]);
    }
#if defined(__AVX512F__)
    t->simd = p->strides[1] <= 2 && p->out[1] <= 16 * DLK_POOL2D_MAX_BLOCKS;
    if (t->simd) {
        const int64_t sw = p->strides[1], blocks = (p->out[1] + 15) / 16;
        int64_t q;
        for (q = 0; q < blocks; q++)
            for (kw = 0; kw < p->kernel[1]; kw++) {
                t->m0[q][kw] = dlk_lanes16(q * 16 * sw + t->off[kw], p->in[1]);
                t->m1[q][kw] = dlk_lanes16(q * 16 * sw + t->off[kw] + 16, p->in[1]);
            }
    }
#endif
}
/*@end*/

/*@ dlk_maxpool2d_f32 : dlk_pool2d_task dlk_pool_max_row_f32 dlk_row16 dlk_parallel */
/* 2-D MaxPool without indices (the usual one), planes split over the
 * threads. Same results as dlk_maxpool_f32. */
#define DLK_MAXPOOL2D_MAX_KW DLK_POOL2D_MAX_KW
#define DLK_MAXPOOL2D_MAX_KH 32   /* the vector path's window rows */

#if defined(__AVX512F__)
/* The max over the pool window's valid rows of the 16 input columns from
 * c0 (lanes outside the row read as -inf). The loaded value is max's first
 * operand, so a NaN in x never replaces the accumulator. */
static inline __m512 dlk_maxpool2d_cols16(const float *const *rows, int64_t nr, int64_t c0, int64_t n)
{
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    __m512 acc = ninf;
    int64_t r;
    if (c0 >= 0 && c0 + 16 <= n) {
        for (r = 0; r < nr; r++)
            acc = _mm512_max_ps(_mm512_loadu_ps(rows[r] + c0), acc);
    } else {
        const __mmask16 m = dlk_lanes16(c0, n);
        for (r = 0; r < nr; r++)
            acc = _mm512_max_ps(_mm512_mask_loadu_ps(ninf, m, rows[r] + c0), acc);
    }
    return acc;
}

/* One output row from its window's nr valid input rows. Called with
 * constant nr, kw_n and sw for 3x3 windows of stride 1 or 2 (all but the
 * padded edge rows), so the row and tap loops unroll: on SqueezeNet's
 * 256 x 27 x 27 pool the loops' compares and branches took more time than
 * the maxima. */
static inline void dlk_maxpool2d_row_avx512(const float *const *rows, int64_t nr, int64_t kw_n, int64_t sw,
                                            int64_t pl, int64_t iw_n, int64_t ow_n, float *yr)
{
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i even = _mm512_add_epi32(lane, lane), odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const int64_t blocks = (ow_n + 15) / 16;
    int64_t q, k;
    if (sw == 2) {
        __m512 a = dlk_maxpool2d_cols16(rows, nr, -pl, iw_n), b = dlk_maxpool2d_cols16(rows, nr, 16 - pl, iw_n);
        __m512 e = _mm512_permutex2var_ps(a, even, b), o = _mm512_permutex2var_ps(a, odd, b);
        for (q = 0; q < blocks; q++) {
            const __mmask16 m = dlk_lanes16(q * 16, ow_n);
            __m512 en, on, acc = e;
            a = dlk_maxpool2d_cols16(rows, nr, 32 * q + 32 - pl, iw_n);
            b = dlk_maxpool2d_cols16(rows, nr, 32 * q + 48 - pl, iw_n);
            en = _mm512_permutex2var_ps(a, even, b);
            on = _mm512_permutex2var_ps(a, odd, b);
            for (k = 1; k < kw_n; k++) {
                const __m512i sh = _mm512_add_epi32(lane, _mm512_set1_epi32((int)(k / 2)));
                acc = _mm512_max_ps(k % 2 ? _mm512_permutex2var_ps(o, sh, on) : _mm512_permutex2var_ps(e, sh, en),
                                    acc);
            }
            _mm512_mask_storeu_ps(yr + q * 16, m, acc);
            e = en;
            o = on;
        }
    } else {
        __m512 u = dlk_maxpool2d_cols16(rows, nr, -pl, iw_n);
        for (q = 0; q < blocks; q++) {
            const __mmask16 m = dlk_lanes16(q * 16, ow_n);
            const __m512 un = dlk_maxpool2d_cols16(rows, nr, 16 * q + 16 - pl, iw_n);
            __m512 acc = u;
            for (k = 1; k < kw_n; k++)
                acc = _mm512_max_ps(_mm512_permutex2var_ps(u, _mm512_add_epi32(lane, _mm512_set1_epi32((int)k)), un),
                                    acc);
            _mm512_mask_storeu_ps(yr + q * 16, m, acc);
            u = un;
        }
    }
}

/* 3 x 3 windows of width stride 1 or 2, left pad 0 or 1, dilation 1
 * (SqueezeNet's, ShuffleNet's, Inception's pools) with the column taps as
 * constants: the loops above take kw_n, nr and the masks at run time
 * (SqueezeNet's 128 x 55 x 55 3x3/2: 0.043 ms, about 60 cycles an output
 * row). Rows[3]: the window's input rows, a valid one repeated where a row
 * is in the padding (max is idempotent). v = the rows' max over the 16
 * columns of block q (lanes past the row -inf), kept for the next block;
 * stride 1 takes tap d from lanes d.. of (v_q-1, v_q) or (v_q, v_q+1)
 * joined, stride 2 from the even / odd columns of the 32 (the left pad's
 * tap: the odd ones with the previous block's last, a right one past the
 * even ones: the next block's first). A NaN never replaces a value (the
 * loaded value is max's first operand): the same results as the loops. */
static DLK_INLINE __m512 dlk_maxpool_k3_cols(const float *const *rows, int64_t c, int64_t iw_n)
{
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    const __m512 m0 = _mm512_max_ps(dlk_row16(rows[0], c, iw_n, ninf), ninf);
    return _mm512_max_ps(dlk_row16(rows[2], c, iw_n, ninf), _mm512_max_ps(dlk_row16(rows[1], c, iw_n, ninf), m0));
}

static DLK_INLINE void dlk_maxpool_k3_row(const float *const *rows, int64_t iw_n, int64_t ow_n, float *yr, const int SW,
                                          const int PL)
{
    const __m512i ie = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i io = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    __m512 prev = ninf, cur = dlk_maxpool_k3_cols(rows, 0, iw_n), nxt, acc;
    __m512 even = ninf, odd = ninf, odd_prev = ninf, even_next = ninf, odd_next = ninf;
    int64_t q;
    if (SW == 2) {
        nxt = dlk_maxpool_k3_cols(rows, 16, iw_n);
        even = _mm512_permutex2var_ps(cur, ie, nxt);
        odd = _mm512_permutex2var_ps(cur, io, nxt);
    }
    for (q = 0; q * 16 < ow_n; q++) {
        if (SW == 1) {
            nxt = dlk_maxpool_k3_cols(rows, 16 * q + 16, iw_n);
            acc = PL == 1 ? _mm512_max_ps(_mm512_max_ps(DLK_ALIGN16(cur, prev, 15), cur), DLK_ALIGN16(nxt, cur, 1))
                          : _mm512_max_ps(_mm512_max_ps(cur, DLK_ALIGN16(nxt, cur, 1)), DLK_ALIGN16(nxt, cur, 2));
            prev = cur;
            cur = nxt;
        } else {
            const __m512 a = dlk_maxpool_k3_cols(rows, 32 * q + 32, iw_n);
            const __m512 b = dlk_maxpool_k3_cols(rows, 32 * q + 48, iw_n);
            even_next = _mm512_permutex2var_ps(a, ie, b);
            odd_next = _mm512_permutex2var_ps(a, io, b);
            acc = PL == 1 ? _mm512_max_ps(_mm512_max_ps(DLK_ALIGN16(odd, odd_prev, 15), even), odd)
                          : _mm512_max_ps(_mm512_max_ps(even, odd), DLK_ALIGN16(even_next, even, 1));
            odd_prev = odd;
            even = even_next;
            odd = odd_next;
        }
        _mm512_mask_storeu_ps(yr + 16 * q, dlk_lanes16(16 * q, ow_n), acc);
    }
    (void)prev;
}

/* Whether dlk_maxpool_k3_row takes p's rows. */
static int dlk_maxpool_k3(const dlk_pool_params *p)
{
    return p->kernel[0] == 3 && p->kernel[1] == 3 && p->dilations[0] == 1 && p->dilations[1] == 1 &&
           p->strides[1] <= 2 && p->pads[1] <= 1;
}

static void dlk_maxpool_k3_plane(const dlk_pool_params *p, const float *xp, float *yp)
{
    const int64_t ih_n = p->in[0], iw_n = p->in[1], oh_n = p->out[0], ow_n = p->out[1];
    const int64_t sw = p->strides[1], pl = p->pads[1];
    int64_t oh, kh;
    for (oh = 0; oh < oh_n; oh++) {
        const float *rows[3] = {NULL, NULL, NULL}, *any = NULL;
        float *yr = yp + oh * ow_n;
        for (kh = 0; kh < 3; kh++) {
            const int64_t ih = oh * p->strides[0] - p->pads[0] + kh;
            if (ih >= 0 && ih < ih_n)
                rows[kh] = any = xp + ih * iw_n;
        }
        if (any == NULL) {   /* every row in the padding: no valid tap */
            int64_t o;
            for (o = 0; o < ow_n; o++)
                yr[o] = -INFINITY;
            continue;
        }
        for (kh = 0; kh < 3; kh++)
            if (rows[kh] == NULL)
                rows[kh] = any;
        if (sw == 1 && pl == 1)
            dlk_maxpool_k3_row(rows, iw_n, ow_n, yr, 1, 1);
        else if (sw == 1)
            dlk_maxpool_k3_row(rows, iw_n, ow_n, yr, 1, 0);
        else if (pl == 1)
            dlk_maxpool_k3_row(rows, iw_n, ow_n, yr, 2, 1);
        else
            dlk_maxpool_k3_row(rows, iw_n, ow_n, yr, 2, 0);
    }
}

/* t->simd (AVX-512, width stride 1 or 2, width dilation 1): rows first,
 * then columns, all in registers. For each output row, u = the max of the
 * window's rows over 16 input columns at a time (from the left pad's first
 * column); output block q of 16 then takes, for width stride 1, tap k from
 * lanes k.. of u_q and u_q+1 joined; for stride 2, the even (e) and odd (o)
 * lanes of the 32 columns u_2q, u_2q+1, tap k from lanes k/2.. of e (k even)
 * or o (k odd) joined with the next block's. Each input value is loaded
 * kernel-height times, not kernel-height x kernel-width (+ a permute) as a
 * tap-by-tap loop does; 3x3/2 on 64 x 111 x 111: 0.21 -> 0.14 ms. Same
 * results as the scalar path (a NaN never wins; -inf where no valid tap). */
static void dlk_maxpool2d_plane_avx512_f32(const dlk_pool2d_task *t, const float *xp, float *yp)
{
    const dlk_pool_params *p = t->p;
    const int64_t ih_n = p->in[0], iw_n = p->in[1], oh_n = p->out[0], ow_n = p->out[1];
    const int64_t kh_n = p->kernel[0], kw_n = p->kernel[1], pl = p->pads[1], sw = p->strides[1];
    const float *rows[DLK_MAXPOOL2D_MAX_KH];
    int64_t oh, kh, nr;
    for (oh = 0; oh < oh_n; oh++) {
        float *yr = yp + oh * ow_n;
        nr = 0;
        for (kh = 0; kh < kh_n; kh++) {
            const int64_t ih = oh * p->strides[0] - p->pads[0] + kh * p->dilations[0];
            if (ih >= 0 && ih < ih_n)
                rows[nr++] = xp + ih * iw_n;
        }
        if (nr == 3 && kw_n == 3 && sw == 2)
            dlk_maxpool2d_row_avx512(rows, 3, 3, 2, pl, iw_n, ow_n, yr);
        else if (nr == 3 && kw_n == 3 && sw == 1)
            dlk_maxpool2d_row_avx512(rows, 3, 3, 1, pl, iw_n, ow_n, yr);
        else
            dlk_maxpool2d_row_avx512(rows, nr, kw_n, sw, pl, iw_n, ow_n, yr);
    }
}
#endif

static void dlk_maxpool2d_run_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_pool2d_task *t = (const dlk_pool2d_task *)arg;
    const dlk_pool_params *p = t->p;
    const int64_t ih_n = p->in[0], iw_n = p->in[1], oh_n = p->out[0], ow_n = p->out[1];
    const int64_t kh_n = p->kernel[0], kw_n = p->kernel[1], sw = p->strides[1];
    int64_t plane, oh, kh, kw, o;
    for (plane = begin; plane < end; plane++) {
        const float *xp = t->x + plane * ih_n * iw_n;
#if defined(__AVX512F__)
        if (t->simd && dlk_maxpool_k3(p)) {
            dlk_maxpool_k3_plane(p, xp, t->y + plane * oh_n * ow_n);
            continue;
        }
        if (t->simd && p->dilations[1] == 1 && kh_n <= DLK_MAXPOOL2D_MAX_KH) {
            dlk_maxpool2d_plane_avx512_f32(t, xp, t->y + plane * oh_n * ow_n);
            continue;
        }
#endif
        for (oh = 0; oh < oh_n; oh++) {
            float *yr = t->y + (plane * oh_n + oh) * ow_n;
            for (o = 0; o < ow_n; o++)
                yr[o] = -INFINITY;
            for (kh = 0; kh < kh_n; kh++) {
                const int64_t ih = oh * p->strides[0] - p->pads[0] + kh * p->dilations[0];
                if (ih < 0 || ih >= ih_n)
                    continue;
                for (kw = 0; kw < kw_n; kw++)
                    if (t->hi[kw] > t->lo[kw])
                        dlk_pool_max_row_f32(yr + t->lo[kw], xp + ih * iw_n + t->lo[kw] * sw + t->off[kw], sw,
                                             t->hi[kw] - t->lo[kw]);
            }
        }
    }
}

/* p->rank == 2 and p->kernel[1] <= DLK_MAXPOOL2D_MAX_KW. */
static void dlk_maxpool2d_f32(const dlk_par *par, const dlk_pool_params *p, const float *x, float *y)
{
    dlk_pool2d_task t;
    dlk_pool2d_task_init(&t, p, x, y);
    if (p->out[0] > 0 && p->out[1] > 0)
        dlk_parallel_for(par, dlk_maxpool2d_run_f32, &t, p->n * p->c);
}
/*@end*/

/*@ dlk_avgpool_parts : dlk_pool_params dlk_conv_range */
/* y[i] += x[i*s] for i < n. */
static void dlk_pool_add_row_f32(float *restrict y, const float *restrict x, int64_t s, int64_t n)
{
    int64_t i, n8 = n - n % 8;
    int t;
    for (i = 0; i < n8; i += 8)
        for (t = 0; t < 8; t++)
            y[i + t] += x[(i + t) * s];
    for (i = n8; i < n; i++)
        y[i] += x[i * s];
}

/* How many of the window's taps along one axis count for output o. Without
 * count_include_pad: those inside the input. With it: those inside the
 * padded extent [-pb, in+pe), so that a ceil-mode window hanging past the
 * end padding is clipped, as in onnxruntime. */
static int64_t dlk_avgpool_count(const dlk_pool_params *p, int64_t a, int64_t o)
{
    int64_t lo, hi, pb = p->pads[a], pe = p->pads[p->rank + a];
    if (p->count_include_pad)
        dlk_conv_range(o * p->strides[a], p->dilations[a], p->in[a] + pb + pe, p->kernel[a], &lo, &hi);
    else
        dlk_conv_range(o * p->strides[a] - pb, p->dilations[a], p->in[a], p->kernel[a], &lo, &hi);
    return hi - lo;
}
/*@end*/

/*@ dlk_avgpool_f32 : dlk_pool_tap dlk_avgpool_parts */
/* ONNX AveragePool. */
static void dlk_avgpool_f32(const dlk_pool_params *p, const float *x, float *y)
{
    int64_t r = p->rank, last = r - 1, in_plane = 1, out_plane = 1, ksize = 1, rows, a;
    int64_t plane, row, k, i, src, lo, hi, off, coord[DLK_MAX_RANK], oc[DLK_MAX_RANK];
    for (a = 0; a < r; a++) {
        in_plane *= p->in[a];
        out_plane *= p->out[a];
        ksize *= p->kernel[a];
    }
    if (out_plane == 0)
        return;
    rows = out_plane / p->out[last];
    for (plane = 0; plane < p->n * p->c; plane++) {
        const float *xp = x + plane * in_plane;
        for (row = 0; row < rows; row++) {
            float *yr = y + plane * out_plane + row * p->out[last];
            int64_t outer = 1;
            memset(yr, 0, (size_t)p->out[last] * sizeof(float));
            for (k = 0; k < ksize; k++)
                if (dlk_pool_tap(p, row, k, &src, &lo, &hi, &off, coord))
                    dlk_pool_add_row_f32(yr + lo, xp + src, p->strides[last], hi - lo);
            dlk_conv_unflatten(row, p->out, last, oc);
            for (a = 0; a < last; a++)
                outer *= dlk_avgpool_count(p, a, oc[a]);
            for (i = 0; i < p->out[last]; i++) {
                int64_t count = outer * dlk_avgpool_count(p, last, i);
                /* An empty window (only possible with degenerate pads) gives 0. */
                yr[i] = count > 0 ? yr[i] / (float)count : 0.0f;
            }
        }
    }
}
/*@end*/

/*@ dlk_avgpool2d_f32 : dlk_pool2d_task dlk_avgpool_parts dlk_parallel */
/* 2-D AveragePool (kernel width up to DLK_AVGPOOL2D_MAX_KW, output width up
 * to DLK_AVGPOOL2D_MAX_W): the same sums and divisions as dlk_avgpool_f32
 * (taps added in order, the window's count along each axis multiplied),
 * with the column taps' valid spans and the counts worked out once per call
 * instead of per row and element, and planes split over the threads. With
 * AVX-512 (width stride 1 or 2, rows up to 512 outputs) each block of 16
 * outputs sums its taps in one register from loads masked to the row. */
#define DLK_AVGPOOL2D_MAX_KW DLK_POOL2D_MAX_KW
#define DLK_AVGPOOL2D_MAX_W (16 * DLK_POOL2D_MAX_BLOCKS)   /* 512: the masks of dlk_pool2d_task cover it */

typedef struct dlk_avgpool2d_task {
    dlk_pool2d_task cols;
    float col_count[DLK_AVGPOOL2D_MAX_W];   /* the window's taps counted along the width, per output */
    float row_count[DLK_AVGPOOL2D_MAX_W];   /* along the height, per output row (the first 512) */
} dlk_avgpool2d_task;

/* The window's taps counted along the height for output row oh. */
static float dlk_avgpool2d_rows_counted(const dlk_avgpool2d_task *t, int64_t oh)
{
    return oh < DLK_AVGPOOL2D_MAX_W ? t->row_count[oh] : (float)dlk_avgpool_count(t->cols.p, 0, oh);
}

#if defined(__AVX512F__)
/* Output rows oh0 .. oh0 + NR - 1 of one plane (yr: row oh0), AVX-512
 * (t->cols.simd): each block of 16 outputs sums its taps in one register
 * from loads masked to the row (stride 2: the even columns of two), the NR
 * rows side by side, so that one row's chain of kh x kw dependent adds
 * overlaps the others' (one row at a time, ShuffleNet's 136 x 28 x 28
 * 3x3/2 with its 14-wide rows waited on the chain). Each output adds its
 * taps in the general kernel's order: the same sums. K3: a 3 x 3 window of
 * dilation 1 and width stride 2 (constant loops), else 0. */
static DLK_INLINE void dlk_avgpool2d_rows_avx512(const dlk_avgpool2d_task *t, const float *xp, int64_t oh0, float *yr,
                                                 const int NR, const int K3)
{
    const dlk_pool2d_task *c = &t->cols;
    const dlk_pool_params *p = c->p;
    const int64_t ow_n = p->out[1], iw_n = p->in[1], sw = K3 ? 2 : p->strides[1];
    const int64_t kh_n = K3 ? 3 : p->kernel[0], kw_n = K3 ? 3 : p->kernel[1], dh = K3 ? 1 : p->dilations[0];
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    float rows[4];
    int64_t o, kh, kw;
    int r;
    for (r = 0; r < NR; r++)
        rows[r] = dlk_avgpool2d_rows_counted(t, oh0 + r);
    for (o = 0; o < ow_n; o += 16) {
        const int64_t q = o / 16;
        const __mmask16 m = dlk_lanes16(o, ow_n);
        const __m512 cols = _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), m, t->col_count + o);
        __m512 acc[4];
        for (r = 0; r < NR; r++)
            acc[r] = _mm512_setzero_ps();
        for (kh = 0; kh < kh_n; kh++) {
            const float *xr[4];
            int ok[4];
            for (r = 0; r < NR; r++) {
                const int64_t ih = (oh0 + r) * p->strides[0] - p->pads[0] + kh * dh;
                ok[r] = ih >= 0 && ih < p->in[0];
                xr[r] = ok[r] ? xp + ih * iw_n + o * sw : xp;
            }
            for (kw = 0; kw < kw_n; kw++)
                for (r = 0; r < NR; r++) {
                    __m512 v;
                    if (!ok[r])
                        continue;
                    v = _mm512_maskz_loadu_ps(c->m0[q][kw], xr[r] + c->off[kw]);
                    if (sw == 2)
                        v = _mm512_permutex2var_ps(v, even, _mm512_maskz_loadu_ps(c->m1[q][kw], xr[r] + c->off[kw] + 16));
                    acc[r] = _mm512_add_ps(acc[r], v);
                }
        }
        for (r = 0; r < NR; r++) {
            const __m512 count = _mm512_mul_ps(_mm512_set1_ps(rows[r]), cols);
            /* An empty window (degenerate pads) gives 0, as the general kernel does. */
            const __m512 v = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(count, _mm512_setzero_ps(), _CMP_GT_OQ), acc[r], count);
            _mm512_mask_storeu_ps(yr + r * ow_n + o, m, v);
        }
    }
}
#endif

/* Output row oh of one plane: sums into yr, then divides. */
static void dlk_avgpool2d_row_f32(const dlk_avgpool2d_task *t, const float *xp, int64_t oh, float *yr)
{
    const dlk_pool2d_task *c = &t->cols;
    const dlk_pool_params *p = c->p;
    const int64_t ow_n = p->out[1], sw = p->strides[1];
    const float rows = dlk_avgpool2d_rows_counted(t, oh);
    int64_t kh, kw, o;
    for (o = 0; o < ow_n; o++)
        yr[o] = 0.0f;
    for (kh = 0; kh < p->kernel[0]; kh++) {
        const int64_t ih = oh * p->strides[0] - p->pads[0] + kh * p->dilations[0];
        if (ih < 0 || ih >= p->in[0])
            continue;
        for (kw = 0; kw < p->kernel[1]; kw++)
            if (c->hi[kw] > c->lo[kw])
                dlk_pool_add_row_f32(yr + c->lo[kw], xp + ih * p->in[1] + c->lo[kw] * sw + c->off[kw], sw,
                                     c->hi[kw] - c->lo[kw]);
    }
    for (o = 0; o < ow_n; o++) {
        const float count = rows * t->col_count[o];
        yr[o] = count > 0.0f ? yr[o] / count : 0.0f;
    }
}

#if defined(__AVX512F__)
/* One plane's rows, four at a time, then the rest one by one. */
static DLK_INLINE void dlk_avgpool2d_plane_avx512(const dlk_avgpool2d_task *t, const float *xp, float *yp,
                                                  const int K3)
{
    const int64_t oh_n = t->cols.p->out[0], ow_n = t->cols.p->out[1];
    int64_t oh;
    for (oh = 0; oh + 4 <= oh_n; oh += 4)
        dlk_avgpool2d_rows_avx512(t, xp, oh, yp + oh * ow_n, 4, K3);
    for (; oh < oh_n; oh++)
        dlk_avgpool2d_rows_avx512(t, xp, oh, yp + oh * ow_n, 1, K3);
}
#endif

static void dlk_avgpool2d_run_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_avgpool2d_task *t = (const dlk_avgpool2d_task *)arg;
    const dlk_pool_params *p = t->cols.p;
    const int64_t in_plane = p->in[0] * p->in[1], out_plane = p->out[0] * p->out[1];
    int64_t plane, oh;
#if defined(__AVX512F__)
    const int k3 = p->kernel[0] == 3 && p->kernel[1] == 3 && p->dilations[0] == 1 && p->dilations[1] == 1 &&
                   p->strides[1] == 2;
#endif
    for (plane = begin; plane < end; plane++) {
        const float *xp = t->cols.x + plane * in_plane;
        float *yp = t->cols.y + plane * out_plane;
#if defined(__AVX512F__)
        if (t->cols.simd && k3) {
            dlk_avgpool2d_plane_avx512(t, xp, yp, 1);
            continue;
        }
        if (t->cols.simd) {
            dlk_avgpool2d_plane_avx512(t, xp, yp, 0);
            continue;
        }
#endif
        for (oh = 0; oh < p->out[0]; oh++)
            dlk_avgpool2d_row_f32(t, xp, oh, yp + oh * p->out[1]);
    }
}

/* p->rank == 2, p->kernel[1] <= DLK_AVGPOOL2D_MAX_KW, p->out[1] <= DLK_AVGPOOL2D_MAX_W. */
static void dlk_avgpool2d_f32(const dlk_par *par, const dlk_pool_params *p, const float *x, float *y)
{
    dlk_avgpool2d_task t;
    int64_t o;
    dlk_pool2d_task_init(&t.cols, p, x, y);
    for (o = 0; o < p->out[1]; o++)
        t.col_count[o] = (float)dlk_avgpool_count(p, 1, o);
    for (o = 0; o < p->out[0] && o < DLK_AVGPOOL2D_MAX_W; o++)
        t.row_count[o] = (float)dlk_avgpool_count(p, 0, o);
    if (p->out[0] > 0 && p->out[1] > 0)
        dlk_parallel_for(par, dlk_avgpool2d_run_f32, &t, p->n * p->c);
}
/*@end*/

/*@ dlk_lppool_f32 : dlk_pool_tap */
/* y[i] += |x[i*s]|^pw for i < n. */
static void dlk_pool_pow_row_f32(float *restrict y, const float *restrict x, int64_t s, int64_t n, float pw)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] += powf(fabsf(x[i * s]), pw);
}

/* ONNX LpPool: y = (sum over the window of |x|^pw)^(1/pw); padding adds 0. */
static void dlk_lppool_f32(const dlk_pool_params *p, float pw, const float *x, float *y)
{
    int64_t r = p->rank, last = r - 1, in_plane = 1, out_plane = 1, ksize = 1, rows, a;
    int64_t plane, row, k, i, src, lo, hi, off, coord[DLK_MAX_RANK];
    for (a = 0; a < r; a++) {
        in_plane *= p->in[a];
        out_plane *= p->out[a];
        ksize *= p->kernel[a];
    }
    if (out_plane == 0)
        return;
    rows = out_plane / p->out[last];
    for (plane = 0; plane < p->n * p->c; plane++) {
        const float *xp = x + plane * in_plane;
        for (row = 0; row < rows; row++) {
            float *yr = y + plane * out_plane + row * p->out[last];
            memset(yr, 0, (size_t)p->out[last] * sizeof(float));
            for (k = 0; k < ksize; k++)
                if (dlk_pool_tap(p, row, k, &src, &lo, &hi, &off, coord))
                    dlk_pool_pow_row_f32(yr + lo, xp + src, p->strides[last], hi - lo, pw);
            for (i = 0; i < p->out[last]; i++)
                yr[i] = powf(yr[i], 1.0f / pw);
        }
    }
}
/*@end*/

/*@ dlk_global_lppool_f32 : dlk_common */
/* y[i] = (sum of |x|^pw over plane i of `size` elements)^(1/pw): GlobalLpPool. */
static void dlk_global_lppool_f32(int64_t planes, int64_t size, float pw, const float *x, float *y)
{
    int64_t pl, i;
    for (pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * size;
        float s = 0.0f;
        for (i = 0; i < size; i++)
            s += powf(fabsf(xp[i]), pw);
        y[pl] = powf(s, 1.0f / pw);
    }
}
/*@end*/

/*@ dlk_plane_mean_f32 : dlk_common dlk_lanes16 */
/* The mean of x[0 .. size) in a fixed summation order. GlobalAveragePool
 * and a depthwise conv that takes the pool after it (fuse-mean) both use
 * it: the same bits. AVX-512: 64 partial sums in four vectors (the last
 * values through masked loads), added pairwise; with eight partial sums,
 * one chain of additions set the pace and EfficientNet-B0's squeeze-
 * excitation means took 6 % of the model on a Zen 5 core (56 x 56 planes
 * 0.18 -> 0.03 ns a value). Elsewhere eight partial sums keep the loop
 * vectorised. */
#if defined(__AVX512F__)
#include <immintrin.h>

static float dlk_plane_mean_f32(const float *x, int64_t size)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i;
    for (i = 0; i + 64 <= size; i += 64) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
        s2 = _mm512_add_ps(s2, _mm512_loadu_ps(x + i + 32));
        s3 = _mm512_add_ps(s3, _mm512_loadu_ps(x + i + 48));
    }
    if (i < size) {
        s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(dlk_lanes16(i, size), x + i));
        s1 = _mm512_add_ps(s1, _mm512_maskz_loadu_ps(dlk_lanes16(i + 16, size), x + i + 16));
        s2 = _mm512_add_ps(s2, _mm512_maskz_loadu_ps(dlk_lanes16(i + 32, size), x + i + 32));
        s3 = _mm512_add_ps(s3, _mm512_maskz_loadu_ps(dlk_lanes16(i + 48, size), x + i + 48));
    }
    return size > 0 ? _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3))) / (float)size
                    : 0.0f;
}
#else
static float dlk_plane_mean_f32(const float *x, int64_t size)
{
    const int64_t size8 = size - size % 8;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s;
    int64_t i;
    int k;
    for (i = 0; i < size8; i += 8)
        for (k = 0; k < 8; k++)
            acc[k] += x[i + k];
    s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (i = size8; i < size; i++)
        s += x[i];
    return size > 0 ? s / (float)size : 0.0f;
}
#endif
/*@end*/

/*@ dlk_global_avgpool_f32 : dlk_parallel dlk_plane_mean_f32 */
/* y[i] = mean of x[i*size : (i+1)*size]: GlobalAveragePool over planes of
 * `size` elements, planes split over the threads. */
typedef struct dlk_global_avgpool_task {
    int64_t size;
    const float *x;
    float *y;
} dlk_global_avgpool_task;

static void dlk_global_avgpool_run_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_global_avgpool_task *t = (const dlk_global_avgpool_task *)arg;
    int64_t pl;
    for (pl = begin; pl < end; pl++)
        t->y[pl] = dlk_plane_mean_f32(t->x + pl * t->size, t->size);
}

static void dlk_global_avgpool_f32(const dlk_par *par, int64_t planes, int64_t size, const float *x, float *y)
{
    dlk_global_avgpool_task t;
    t.size = size;
    t.x = x;
    t.y = y;
    dlk_parallel_for(par, dlk_global_avgpool_run_f32, &t, planes);
}
/*@end*/

/*@ dlk_global_maxpool_f32 : dlk_common */
/* y[i] = max of x[i*size : (i+1)*size]: GlobalMaxPool. */
static void dlk_global_maxpool_f32(int64_t planes, int64_t size, const float *x, float *y)
{
    int64_t pl, i;
    for (pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * size;
        float m = -INFINITY;
        for (i = 0; i < size; i++)
            m = xp[i] > m ? xp[i] : m;
        y[pl] = m;
    }
}
/*@end*/

#endif
