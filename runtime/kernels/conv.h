/* Conv and ConvTranspose, NCHW (any spatial rank), float32.
 *
 * Conv is the packed matrix product of sgemm.h: y[oc][pix] = w[oc][r] x
 * B[r][pix], where B (the im2col matrix) is packed a block at a time straight
 * from the input into the micro-kernel's panels; a 1x1, stride-1, unpadded
 * conv copies the input's rows instead. Its fused epilogue (epilogue.h) runs
 * on each finished tile while it is in cache. ConvTranspose multiplies the
 * weights by a tile of the input (gemm.h) and scatters the result (col2im).
 * Packing and scattering work on runs along the last spatial axis whose valid
 * range is computed once per run, so no inner loop checks bounds. 2-D
 * depthwise convs have their own kernel (depthwise.h). */
#ifndef DLK_CONV_H
#define DLK_CONV_H

#include "common.h"
#include "epilogue.h"
#include "gemm.h"
#include "sgemm.h"

/*@ dlk_conv_shape : dlk_common */
/* Output size of a convolution or (floor-mode) pooling window along one
 * axis: floor((in + pb + pe - d*(k-1) - 1) / s) + 1. */
static int64_t dlk_conv_out_dim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe)
{
    int64_t span = in + pb + pe - d * (k - 1) - 1;
    if (span < 0)
        return 0;
    return span / s + 1;
}

/* auto_pad SAME_UPPER / SAME_LOWER: out = ceil(in / s); the total padding
 * max(0, (out-1)*s + d*(k-1) + 1 - in) is split evenly, the odd one at the
 * end (upper) or the beginning (lower). */
static void dlk_conv_same_pads(int64_t in, int64_t k, int64_t s, int64_t d, int upper,
                               int64_t *pb, int64_t *pe)
{
    int64_t out = (in + s - 1) / s;
    int64_t total = (out - 1) * s + d * (k - 1) + 1 - in;
    if (total < 0)
        total = 0;
    *pb = upper ? total / 2 : total - total / 2;
    *pe = total - *pb;
}

/* ConvTranspose output size: s*(in-1) + output_padding + d*(k-1) + 1 - pb - pe. */
static int64_t dlk_conv_transpose_out_dim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb,
                                          int64_t pe, int64_t out_pad)
{
    return s * (in - 1) + out_pad + d * (k - 1) + 1 - pb - pe;
}
/*@end*/

/*@ dlk_conv_range : dlk_common */
/* The indices o in [0, n) with 0 <= o*s + off < limit, as [*lo, *hi). */
static void dlk_conv_range(int64_t off, int64_t s, int64_t limit, int64_t n, int64_t *lo, int64_t *hi)
{
    int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
    int64_t b = limit - off <= 0 ? 0 : (limit - off - 1) / s + 1;
    if (a > n)
        a = n;
    if (b > n)
        b = n;
    *lo = a;
    *hi = b > a ? b : a;
}

/* Split flat index q of a row-major box dims[0..r) into coordinates. */
static void dlk_conv_unflatten(int64_t q, const int64_t *dims, int64_t r, int64_t *coord)
{
    int64_t a;
    for (a = r - 1; a >= 0; a--) {
        coord[a] = q % dims[a];
        q /= dims[a];
    }
}
/*@end*/

/*@ dlk_conv_params : dlk_common dlk_epilogue_params */
/* Shared by Conv and ConvTranspose; in/out are the spatial dims of x/y.
 * ep: the fused epilogue (Conv only; all zero: none), see epilogue.h. */
typedef struct dlk_conv_params {
    int64_t n, c_in, c_out, group;
    int64_t rank;                        /* spatial rank, 1..DLK_MAX_RANK-2 */
    int64_t in[DLK_MAX_RANK];
    int64_t out[DLK_MAX_RANK];
    int64_t kernel[DLK_MAX_RANK];
    int64_t strides[DLK_MAX_RANK];
    int64_t dilations[DLK_MAX_RANK];
    int64_t pads[2 * DLK_MAX_RANK];      /* ONNX order: all begins, then all ends */
    /* Conv through the packed product only (dlk_conv_gemm_f32), group > 1:
     * 1 when a channel shuffle of `group` groups follows (ShuffleNet's
     * Reshape -> Transpose -> Reshape, taken in by the fuse-shuffle pass):
     * output channel i of group g is stored as channel i x group + g; the
     * residual is read in the unshuffled order. 0: none. */
    int64_t shuffle;
    dlk_epilogue ep;
} dlk_conv_params;

/* ConvTranspose's tile: kernel-rows x input pixels, on the stack (16 KB by
 * default); a product may raise them. */
#ifndef DLK_CONV_TILE_N
#define DLK_CONV_TILE_N 64
#endif
#ifndef DLK_CONV_TILE_K
#define DLK_CONV_TILE_K 64
#endif
/*@end*/

/*@ dlk_conv_add_f32 : dlk_common */
/* dst[i*s] += src[i] for i < n. */
static void dlk_conv_add_f32(float *restrict dst, int64_t s, const float *restrict src, int64_t n)
{
    int64_t i, n8 = n - n % 8;
    int t;
    if (s == 1) {
        for (i = 0; i < n8; i += 8)
            for (t = 0; t < 8; t++)
                dst[i + t] += src[i + t];
        for (i = n8; i < n; i++)
            dst[i] += src[i];
        return;
    }
    for (i = 0; i < n; i++)
        dst[i * s] += src[i];
}
/*@end*/

/*@ dlk_conv_im2col_f32 : dlk_conv_params dlk_conv_range dlk_lanes16 dlk_sgemm_put_f32 */
/* B of a convolution as a matrix product (sgemm.h): row r is (input
 * channel, kernel offset), column j an output pixel, B[r][j] the input value
 * that kernel offset reads for that pixel (0 in the padding). */
typedef struct dlk_conv_im2col {
    const dlk_conv_params *p;
    const float *x;                      /* the group's first input channel of one image */
    int64_t ksize, in_plane, pointwise;  /* pointwise: 1x1, stride 1, unpadded: B is x */
    int64_t in_stride[DLK_MAX_RANK];
    /* A prologue (pointwise convs only): channel c of x enters as x ps[c] + pt[c]
     * (pt NULL: x ps[c]), then max(., 0) when relu (a BatchNormalization -> Relu
     * or a squeeze-excitation scale before the conv). ps NULL: none. */
    const float *ps, *pt;
    int64_t relu;
    int64_t j_off;   /* column j of the product is output pixel j + j_off (a part of the pixels) */
} dlk_conv_im2col;

static void dlk_conv_im2col_init(dlk_conv_im2col *c, const dlk_conv_params *p)
{
    int64_t a;
    c->p = p;
    c->x = NULL;
    c->ps = c->pt = NULL;
    c->relu = 0;
    c->j_off = 0;
    c->ksize = c->in_plane = c->pointwise = 1;
    for (a = p->rank - 1; a >= 0; a--) {
        c->in_stride[a] = c->in_plane;
        c->in_plane *= p->in[a];
        c->ksize *= p->kernel[a];
        c->pointwise = c->pointwise && p->kernel[a] == 1 && p->strides[a] == 1 && p->pads[a] == 0 &&
                       p->pads[p->rank + a] == 0;
    }
}

/* Row `row` of B over pixels [j0, j0 + nc), into the panels at dst
 * (pstride apart), one run along the last spatial axis at a time; the
 * coordinates of the run's output row advance as an odometer. */
static void dlk_conv_im2col_row_f32(const dlk_conv_im2col *c, int64_t row, int64_t j0, int64_t nc,
                                    float *dst, int64_t pstride)
{
    const dlk_conv_params *p = c->p;
    const int64_t r = p->rank, last = r - 1, s = p->strides[last], width = p->out[last];
    const float *xc = c->x + (row / c->ksize) * c->in_plane;
    int64_t kc[DLK_MAX_RANK], oc[DLK_MAX_RANK], t = 0, o0 = j0 % width, off, a, full_lo, full_hi;
    dlk_conv_unflatten(row % c->ksize, p->kernel, r, kc);
    dlk_conv_unflatten(j0 / width, p->out, last, oc);
    off = kc[last] * p->dilations[last] - p->pads[last];
    dlk_conv_range(off, s, p->in[last], width, &full_lo, &full_hi);
    while (t < nc) {
        int64_t len = width - o0 < nc - t ? width - o0 : nc - t, lo = o0, hi = o0, base = 0, ok = 1;
        for (a = 0; a < last && ok; a++) {
            int64_t i = oc[a] * p->strides[a] - p->pads[a] + kc[a] * p->dilations[a];
            ok = i >= 0 && i < p->in[a];
            base += i * c->in_stride[a];
        }
        if (ok) {
            lo = full_lo > o0 ? full_lo : o0;
            hi = full_hi < o0 + len ? full_hi : o0 + len;
            if (hi < lo)
                hi = lo;
        }
        dlk_sgemm_put_f32(dst, pstride, t, NULL, 0, lo - o0);
        if (hi > lo)
            dlk_sgemm_put_f32(dst, pstride, t + (lo - o0), xc + base + lo * s + off, s, hi - lo);
        dlk_sgemm_put_f32(dst, pstride, t + (hi - o0), NULL, 0, o0 + len - hi);
        t += len;
        o0 = 0;
        for (a = last - 1; a >= 0; a--) {
            if (++oc[a] < p->out[a])
                break;
            oc[a] = 0;
        }
    }
}

/* Row `row` of B for a 2-D conv: built whole in a line buffer (per output
 * row: zeros, a copy, zeros), then written to the panels NR values at a
 * time, zero-padded to whole panels. The generic walk above wrote each
 * output row's run through dlk_sgemm_put_f32, whose per-run panel
 * arithmetic cost more than the copies on 7- and 14-wide layers. */
static void dlk_conv_im2col_row2d_f32(const dlk_conv_im2col *c, int64_t row, int64_t j0, int64_t nc,
                                      float *dst, int64_t pstride)
{
    const dlk_conv_params *p = c->p;
    const int64_t width = p->out[1], s = p->strides[1], sh = p->strides[0];
    const int64_t k = row % c->ksize, kh = k / p->kernel[1], kw = k % p->kernel[1];
    const int64_t offh = kh * p->dilations[0] - p->pads[0], offw = kw * p->dilations[1] - p->pads[1];
    const float *xc = c->x + (row / c->ksize) * c->in_plane;
    float line[DLK_SGEMM_NC_MAX + DLK_SGEMM_NR];
    int64_t oh = j0 / width, o0 = j0 % width, t = 0, lo, hi, i, q;
    dlk_conv_range(offw, s, p->in[1], width, &lo, &hi);
    while (t < nc) {
        const int64_t len = width - o0 < nc - t ? width - o0 : nc - t, ih = oh * sh + offh;
        float *restrict d = line + t - o0;   /* d[ow] for ow in [o0, o0 + len) */
        int64_t a = o0, b = o0;
        if (ih >= 0 && ih < p->in[0]) {
            const float *restrict src = xc + ih * p->in[1] + offw;
            a = lo > o0 ? lo : o0;
            b = hi < o0 + len ? hi : o0 + len;
            if (b < a)
                b = a;
            if (s == 1) {
                for (i = a; i < b; i++)
                    d[i] = src[i];
            } else {
                i = a;
#if defined(__AVX512F__)
                /* Stride 2 (stems, downsampling convs): the even values of
                 * 32 loaded, loads and store masked to [a, b). */
                if (s == 2) {
                    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
                    /* whole blocks whose 32 values all lie in the row need no masks:
                     * src[2i + 31] comes before src[2(b - 1) + 1], so i + 17 <= b */
                    for (; i + 17 <= b; i += 16)
                        _mm512_storeu_ps(d + i, _mm512_permutex2var_ps(_mm512_loadu_ps(src + 2 * i), even,
                                                                       _mm512_loadu_ps(src + 2 * i + 16)));
                    for (; i < b; i += 16) {
                        const int64_t end = 2 * (b - 1) + 1;   /* src[end - 1] is the last value read */
                        const __m512 v = _mm512_permutex2var_ps(
                            _mm512_maskz_loadu_ps(dlk_lanes16(2 * i, end), src + 2 * i), even,
                            _mm512_maskz_loadu_ps(dlk_lanes16(2 * i + 16, end), src + 2 * i + 16));
                        _mm512_mask_storeu_ps(d + i, dlk_lanes16(i, b), v);
                    }
                }
#endif
                for (; i < b; i++)
                    d[i] = src[i * s];
            }
        }
        for (i = o0; i < a; i++)
            d[i] = 0.0f;
        for (i = b; i < o0 + len; i++)
            d[i] = 0.0f;
        t += len;
        o0 = 0;
        oh++;
    }
    for (; t % DLK_SGEMM_NR != 0; t++)
        line[t] = 0.0f;
    for (q = 0; q * DLK_SGEMM_NR < nc; q++) {
        float *restrict o = dst + q * pstride;
        const float *restrict l = line + q * DLK_SGEMM_NR;
        for (i = 0; i < DLK_SGEMM_NR; i++)
            o[i] = l[i];
    }
}

/* Row `row` of a pointwise B through the prologue: channel row's values
 * scaled and shifted (and Relu'd) on their way into the panels, 32 at a time. */
static void dlk_conv_prologue_row_f32(const dlk_conv_im2col *c, int64_t row, int64_t j0, int64_t nc,
                                      float *dst, int64_t pstride)
{
    const float *src = c->x + row * c->in_plane + j0, sc = c->ps[row];
    const float sh = c->pt != NULL ? c->pt[row] : 0.0f;
    int64_t q, i;
    for (q = 0; q * DLK_SGEMM_NR < nc; q++) {
        const int64_t n = nc - q * DLK_SGEMM_NR < DLK_SGEMM_NR ? nc - q * DLK_SGEMM_NR : DLK_SGEMM_NR;
        float *restrict o = dst + q * pstride;
        const float *restrict v = src + q * DLK_SGEMM_NR;
        if (c->relu)
            for (i = 0; i < n; i++) {
                const float e = v[i] * sc + sh;
                o[i] = e > 0.0f ? e : 0.0f;
            }
        else if (c->pt != NULL)
            for (i = 0; i < n; i++)
                o[i] = v[i] * sc + sh;
        else   /* a Mul: the product alone, as the Mul rounds it */
            for (i = 0; i < n; i++)
                o[i] = v[i] * sc;
    }
}

#if defined(__AVX512F__)
/* 2-D convs with AVX-512: each input channel's rows that the block's
 * output pixels read are copied once into a zero-padded band (so no tap
 * needs a bounds check), and each row of B is then gathered from the band,
 * 16 pixels at a time, at offsets worked out once per block (output pixel
 * j reads band[(oh sh - r0) wp + ow sw] + the tap's offset), straight into
 * the panels. Building B's rows run by run (an output row of 7 to 56
 * values at a time, through a line buffer) cost more than the product
 * itself on 7x7 and stride-2 layers (a 512-channel 3x3 conv on 7x7: packing
 * 0.223 -> 0.094 ms; 128 channels 3x3/2 on 56x56: 0.368 -> 0.222 ms). Rows
 * 64 outputs wide or more (the stems) keep the copies, which run whole
 * vectors there and beat the gathers, and so do 1x1 strided convs (each
 * band would serve one row of B). Returns 0 when it does not apply. */
#ifndef DLK_CONV_GATHER_BAND
#define DLK_CONV_GATHER_BAND 4096   /* floats of the band (16 KB of stack); a block needing more takes the copies */
#endif
static int dlk_conv_im2col_gather_f32(const dlk_conv_im2col *c, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                                      float *bp)
{
    const dlk_conv_params *p = c->p;
    const int64_t ow_n = p->out[1], sh = p->strides[0], sw = p->strides[1], kw_n = p->kernel[1];
    const int64_t pt = p->pads[0], pl = p->pads[1], iw_n = p->in[1], wp = iw_n + pl + p->pads[3];
    const int64_t oh0 = j0 / ow_n, oh1 = (j0 + nc - 1) / ow_n;
    const int64_t r0 = oh0 * sh, rows = oh1 * sh + (p->kernel[0] - 1) * p->dilations[0] + 1 - r0;
    const int64_t blocks = (nc + DLK_SGEMM_NR - 1) / DLK_SGEMM_NR * (DLK_SGEMM_NR / 16), pstride = kc * DLK_SGEMM_NR;
    float band[DLK_CONV_GATHER_BAND];
    int32_t off[DLK_SGEMM_NC_MAX + DLK_SGEMM_NR];
    int64_t j, q, b, ch = -1, oh = oh0, ow = j0 % ow_n;
    if (c->ksize < 2 || ow_n >= 64 || rows * wp > DLK_CONV_GATHER_BAND || nc > DLK_SGEMM_NC_MAX)
        return 0;
    for (j = 0; j < blocks * 16; j++) {
        off[j] = j < nc ? (int32_t)((oh * sh - r0) * wp + ow * sw) : 0;
        if (++ow == ow_n) {
            ow = 0;
            oh++;
        }
    }
    for (q = 0; q < kc; q++) {
        const int64_t row = k0 + q, k = row % c->ksize, kh = k / kw_n, kw = k % kw_n;
        const float *src;
        float *dst = bp + q * DLK_SGEMM_NR;
        if (row / c->ksize != ch) {
            const float *xc;
            int64_t r;
            ch = row / c->ksize;
            xc = c->x + ch * c->in_plane;
            for (r = 0; r < rows; r++) {
                const int64_t ih = r0 + r - pt;
                float *br = band + r * wp;
                if (ih < 0 || ih >= p->in[0]) {
                    memset(br, 0, sizeof(float) * (size_t)wp);
                    continue;
                }
                memset(br, 0, sizeof(float) * (size_t)pl);
                memcpy(br + pl, xc + ih * iw_n, sizeof(float) * (size_t)iw_n);
                memset(br + pl + iw_n, 0, sizeof(float) * (size_t)(wp - pl - iw_n));
            }
        }
        src = band + kh * p->dilations[0] * wp + kw * p->dilations[1];
        for (b = 0; b < blocks; b++) {
            const __m512i ix = _mm512_loadu_si512((const void *)(off + b * 16));
            const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), dlk_lanes16(b * 16, nc), ix, src, 4);
            _mm512_storeu_ps(dst + (b / 2) * pstride + (b % 2) * 16, v);
        }
    }
    return 1;
}
#endif

/* The dlk_sgemm_pack_fn of a convolution. */
static void dlk_conv_im2col_pack_f32(const void *ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                                     float *bp)
{
    const dlk_conv_im2col *c = (const dlk_conv_im2col *)ctx;
    const int64_t pstride = kc * DLK_SGEMM_NR;
    int64_t q;
    j0 += c->j_off;
    if (c->p->rank == 2 && !c->pointwise) {
#if defined(__AVX512F__)
        if (dlk_conv_im2col_gather_f32(c, k0, kc, j0, nc, bp))
            return;
#endif
        for (q = 0; q < kc; q++)
            dlk_conv_im2col_row2d_f32(c, k0 + q, j0, nc, bp + q * DLK_SGEMM_NR, pstride);
        return;   /* rows written to whole panels, padding included */
    }
    for (q = 0; q < kc; q++) {
        if (c->pointwise && c->ps != NULL)
            dlk_conv_prologue_row_f32(c, k0 + q, j0, nc, bp + q * DLK_SGEMM_NR, pstride);
        else if (c->pointwise)
            dlk_sgemm_put_f32(bp + q * DLK_SGEMM_NR, pstride, 0, c->x + (k0 + q) * c->in_plane + j0, 1, nc);
        else
            dlk_conv_im2col_row_f32(c, k0 + q, j0, nc, bp + q * DLK_SGEMM_NR, pstride);
    }
    dlk_sgemm_pad_f32(bp, kc, nc);
}
/*@end*/

/*@ dlk_conv_gemm_body_f32 : dlk_conv_params dlk_conv_im2col_f32 dlk_sgemm_f32 dlk_parallel */
/* One product of the conv: image img, group grp, output pixels [j0, j1). */
typedef struct dlk_conv_gemm_job {
    const dlk_conv_params *p;
    const float *x, *w, *b, *r, *ps, *pt;
    int64_t relu, parts;
    float *y;
} dlk_conv_gemm_job;

static void dlk_conv_gemm_one_f32(const dlk_par *par, const dlk_conv_gemm_job *t, int64_t img, int64_t grp,
                                  int64_t j0, int64_t j1)
{
    const dlk_conv_params *p = t->p;
    const int64_t icg = p->c_in / p->group, ocg = p->c_out / p->group;
    dlk_conv_im2col col;
    dlk_sgemm_args g;
    int64_t out_plane = 1, a, y_off, r_off;
    for (a = 0; a < p->rank; a++)
        out_plane *= p->out[a];
    /* with a shuffle, row i of the group's product is channel i x group + grp */
    y_off = (img * p->c_out + (p->shuffle ? grp : grp * ocg)) * out_plane + j0;
    r_off = (img * p->c_out + grp * ocg) * out_plane + j0;
    dlk_conv_im2col_init(&col, p);
    col.relu = t->relu;
    col.j_off = j0;
    col.x = t->x + (img * p->c_in + grp * icg) * col.in_plane;
    col.ps = t->ps != NULL ? t->ps + grp * icg : NULL;
    col.pt = t->pt != NULL ? t->pt + grp * icg : NULL;
    memset(&g, 0, sizeof g);
    g.m = ocg;
    g.n = j1 - j0;
    g.k = icg * col.ksize;
    g.a = t->w + grp * ocg * g.k;
    g.lda = g.k;
    g.pack = dlk_conv_im2col_pack_f32;
    g.pack_ctx = &col;
    if (col.pointwise && col.pt == NULL && !col.relu) {   /* B is x (scaled): few rows read it in place */
        g.b = col.x + j0;
        g.ldb = col.in_plane;
        g.b_scale = col.ps;
    }
    g.cheap_pack = col.pointwise && (col.ps == NULL || (col.pt == NULL && !col.relu));
    g.bias = t->b != NULL ? t->b + grp * ocg : NULL;
    g.c = t->y + y_off;
    g.ldc = p->shuffle ? p->group * out_plane : out_plane;
    g.ldr = out_plane;
    g.r = t->r != NULL ? t->r + r_off : NULL;
    g.ep = &p->ep;
    dlk_sgemm_f32(par, &g);
}

/* Items: (image, group, part of the pixels in whole panels), one thread each. */
static void dlk_conv_gemm_groups_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_conv_gemm_job *t = (const dlk_conv_gemm_job *)arg;
    const dlk_conv_params *p = t->p;
    int64_t out_plane = 1, panels, a, item;
    for (a = 0; a < p->rank; a++)
        out_plane *= p->out[a];
    panels = (out_plane + DLK_SGEMM_NR - 1) / DLK_SGEMM_NR;
    for (item = begin; item < end; item++) {
        const int64_t part = item % t->parts, grp = item / t->parts % p->group, img = item / t->parts / p->group;
        const int64_t j0 = part * panels / t->parts * DLK_SGEMM_NR;
        int64_t j1 = (part + 1) * panels / t->parts * DLK_SGEMM_NR;
        if (j1 > out_plane)
            j1 = out_plane;
        if (j1 > j0)
            dlk_conv_gemm_one_f32(NULL, t, img, grp, j0, j1);
    }
}

/* ONNX Conv (any group, rank, stride, dilation, pads) through the packed
 * matrix product: per image and group, y[oc][pix] = bias[oc] + w[oc][r] x
 * B[r][pix], B packed from x a block at a time (a pointwise conv copies x's
 * rows, through the prologue ps/pt/relu when ps is not NULL), the epilogue
 * p->ep with residual r (y's shape, or NULL) applied to each finished tile.
 * Work is split over par (NULL: one thread): within each product, or, for a
 * grouped conv (ShuffleNet's 1x1 convs of 3 groups), over (group, part of the
 * pixels) items in one go, where each group's product was too small to split
 * on its own. */
static void dlk_conv_gemm_body_f32(const dlk_par *par, const dlk_conv_params *p, const float *x,
                                   const float *w, const float *b, const float *r, const float *ps,
                                   const float *pt, int64_t relu, float *y)
{
    int64_t out_plane = 1, a, img, grp;
    dlk_conv_gemm_job t;
    for (a = 0; a < p->rank; a++)
        out_plane *= p->out[a];
    t.p = p;
    t.x = x;
    t.w = w;
    t.b = b;
    t.r = r;
    t.ps = ps;
    t.pt = pt;
    t.relu = relu;
    t.y = y;
    t.parts = par != NULL && par->threads > 1 ? par->threads : 1;
    if (t.parts > 1 && p->group > 1) {
        dlk_parallel_for(par, dlk_conv_gemm_groups_f32, &t, p->n * p->group * t.parts);
        return;
    }
    for (img = 0; img < p->n; img++)
        for (grp = 0; grp < p->group; grp++)
            dlk_conv_gemm_one_f32(par, &t, img, grp, 0, out_plane);
}
/*@end*/

/*@ dlk_conv_gemm_f32 : dlk_conv_gemm_body_f32 */
static void dlk_conv_gemm_f32(const dlk_par *par, const dlk_conv_params *p, const float *x,
                              const float *w, const float *b, const float *r, float *y)
{
    dlk_conv_gemm_body_f32(par, p, x, w, b, r, NULL, NULL, 0, y);
}
/*@end*/

/*@ dlk_conv_gemm_prologue_f32 : dlk_conv_gemm_body_f32 */
/* A pointwise (1x1, stride 1, unpadded) conv of relu ? max(x ps + pt, 0) :
 * x ps + pt, per input channel (pt NULL: x ps): a BatchNormalization [->
 * Relu] or a per-channel Mul folded into the conv's packing
 * (passes/bn_fold.c, conv-prologue), so its output is never written out.
 * ps and pt hold c_in values. */
static void dlk_conv_gemm_prologue_f32(const dlk_par *par, const dlk_conv_params *p, const float *x,
                                       const float *w, const float *b, const float *r, const float *ps,
                                       const float *pt, int64_t relu, float *y)
{
    dlk_conv_gemm_body_f32(par, p, x, w, b, r, ps, pt, relu, y);
}
/*@end*/

/*@ dlk_conv_direct_fits : dlk_conv_params */
/* A 2-D conv of few input channels (the stems: 3 -> 32 or 64 channels,
 * 3x3 or 7x7, stride 2) run directly by dlk_conv_direct_f32: with c_in x
 * kh x kw at most 256 values per output, the packed product's k is short
 * (27 or 147) and building its B from strided input rows cost as much as a
 * fifth of the conv. */
#ifndef DLK_CONV_DIRECT_TAPS
#define DLK_CONV_DIRECT_TAPS 256    /* c_in x kh x kw at most */
#endif
#ifndef DLK_CONV_DIRECT_RING
#define DLK_CONV_DIRECT_RING 8192   /* floats of input rows in the ring (32 KB of stack) */
#endif

/* Floats of one phase line: an output row's whole vectors plus the taps' reach. */
static int64_t dlk_conv_direct_len(const dlk_conv_params *p)
{
    const int64_t len = (p->out[1] + 15) / 16 * 16 + (p->kernel[1] - 1) / p->strides[1];
    return (len + 15) / 16 * 16;
}

/* Whether dlk_conv_direct_f32 runs p directly (with AVX-512); otherwise it
 * is the packed product. */
static int dlk_conv_direct_fits(const dlk_conv_params *p)
{
    return p->rank == 2 && p->group == 1 && p->shuffle == 0 && p->c_in <= 4 &&
           p->c_in * p->kernel[0] * p->kernel[1] <= DLK_CONV_DIRECT_TAPS && p->dilations[0] == 1 &&
           p->dilations[1] == 1 && p->strides[1] <= 4 && p->out[1] >= 16 &&
           p->c_in * p->kernel[0] * p->strides[1] * dlk_conv_direct_len(p) <= DLK_CONV_DIRECT_RING;
}
/*@end*/

/*@ dlk_conv_direct_f32 : dlk_conv_direct_fits dlk_conv_range dlk_conv_gemm_f32 dlk_epilogue_f32 dlk_parallel dlk_lanes16 dlk_act16_avx512 */
/* The direct conv of dlk_conv_direct_fits's convs, AVX-512. Each output row
 * reads kh input rows per input channel; those are copied, zero-padded,
 * into a ring and split by column phase (column i of phase f is padded
 * column f + i sw), each once however many output rows read it, so the 16
 * outputs of a vector read 16 consecutive floats for every tap. Tiles of a
 * few output channels x up to 7 vectors of one output row then sum all taps
 * in registers, each tap's input loaded once per tile and its weights
 * broadcast, in the order the packed product sums them (bias first, then
 * the taps in k order): the same bits. An activation dlk_act16_avx512
 * takes (Relu, Clip, Sigmoid, SiLU) with no residual is applied in the
 * registers, other epilogues over each stored run. One thread, against the
 * packed product (hot / L2 evicted): ResNet-50's 3 -> 64 7x7/2 1.53 / 1.70
 * -> 1.47 / 1.54 ms, SqueezeNet's 3 -> 64 3x3/2 0.346 / 0.376 -> 0.329 /
 * 0.348, MobileNetV2's 3 -> 32 3x3/2 + Clip 0.215 / 0.243 -> 0.190 / 0.199,
 * EfficientNet-B0's + SiLU 0.290 / 0.324 -> 0.264 / 0.277. Threads split
 * the output rows. The channel tiles (conv_pool.h: blocks of 16 channels
 * along the vectors, transposed to the planes) ran the stems with whole
 * blocks while gcc loaded each input vector here once per multiply-add
 * (now DLK_IN_REG); these tiles are faster on every stem since, one thread,
 * hot, alternated runs: ResNet-50's 3 -> 64 7x7/2 1.10-1.15 -> 1.04-1.08
 * ms, SqueezeNet's 3 -> 64 3x3/2 0.306-0.324 -> 0.271-0.281,
 * MobileNetV2's + Clip 0.165-0.171 -> 0.153-0.160, EfficientNet-B0's +
 * SiLU (applied in the registers now) 0.227-0.240 -> 0.207-0.210. */
#if defined(__AVX512F__)
typedef struct dlk_conv_direct_job {
    const dlk_conv_params *p;
    const float *x, *w, *b, *r;
    float *y;
    int act_in_regs;   /* the epilogue is an activation dlk_act16_avx512 applies, no residual */
} dlk_conv_direct_job;

#if defined(__GNUC__)
#define DLK_CONV_DIRECT_INLINE static inline __attribute__((always_inline))
#else
#define DLK_CONV_DIRECT_INLINE static inline
#endif
/* NCO output channels from co x NV vectors from column ow0 of one output
 * row (y, r: that row of channel 0 of y and of the residual); tap t reads
 * tap[t] + ow0; n: the row's outputs from ow0 on. yn: the next row of y
 * when this thread computes it next, else NULL: the tile asks for that
 * row's lines (PREFETCHW) before its taps. A stem's output (3.2 MB for
 * ResNet-50) goes to memory not in cache, one stream per channel plane,
 * more than the hardware prefetcher follows, so its stores missed. Output
 * evicted, six alternated runs (median), one thread: ResNet-50's stem
 * 1.431 -> 1.356 ms, SqueezeNet's 0.336 -> 0.319, MobileNetV2's 0.189 ->
 * 0.186, EfficientNet-B0's (SiLU) 0.277 -> 0.268; two threads (five runs)
 * 0.741 -> 0.719, 0.243 -> 0.220, 0.143 -> 0.142, 0.202 -> 0.188; with the
 * output in cache even. */
DLK_CONV_DIRECT_INLINE void dlk_conv_direct_tile_avx512(const dlk_conv_direct_job *j, const float *const *tap,
                                                        int64_t co, int64_t ow0, int64_t n, float *y,
                                                        const float *yn, const float *r, const int NCO,
                                                        const int NV)
{
    const dlk_conv_params *p = j->p;
    const int64_t taps = p->c_in * p->kernel[0] * p->kernel[1], plane = p->out[0] * p->out[1];
    const float *w = j->w + co * taps;
    const dlk_epilogue *e = &p->ep;
    const int in_regs = j->act_in_regs;
    __m512 acc[8][7];
    int c, v;
    int64_t t;
    if (yn != NULL)
        for (c = 0; c < NCO; c++)
            for (v = 0; v < NV && 16 * v < n; v++)
                _mm_prefetch((const char *)(yn + (co + c) * plane + ow0 + 16 * v), _MM_HINT_ET0);
    DLK_UNROLL_TILE
    for (c = 0; c < NCO; c++) {
        const __m512 b = _mm512_set1_ps(j->b != NULL ? j->b[co + c] : 0.0f);
        DLK_UNROLL_TILE
        for (v = 0; v < NV; v++)
            acc[c][v] = b;
    }
    for (t = 0; t < taps; t++) {
        const float *s = tap[t] + ow0;
        __m512 wv[8];
        DLK_UNROLL_TILE
        for (c = 0; c < NCO; c++)
            wv[c] = _mm512_set1_ps(w[c * taps + t]);
        DLK_UNROLL_TILE
        for (v = 0; v < NV; v++) {
            __m512 xv = _mm512_loadu_ps(s + 16 * v);
            DLK_IN_REG(xv);
            DLK_UNROLL_TILE
            for (c = 0; c < NCO; c++)
                acc[c][v] = _mm512_fmadd_ps(xv, wv[c], acc[c][v]);
        }
    }
    DLK_UNROLL_TILE
    for (c = 0; c < NCO; c++) {
        float *yc = y + (co + c) * plane + ow0;
        DLK_UNROLL_TILE
        for (v = 0; v < NV; v++) {
            __m512 a = acc[c][v];
            if (in_regs)
                a = dlk_act16_avx512(e, a);
            _mm512_mask_storeu_ps(yc + 16 * v, dlk_lanes16(16 * v, n), a);
        }
        if (!in_regs)
            dlk_epilogue_f32(e, yc, r != NULL ? r + (co + c) * plane + ow0 : NULL, n < 16 * NV ? n : 16 * NV);
    }
}

/* All output channels of vectors [ow0, ow0 + 16 NV) of one output row:
 * tiles of as many channels as the registers hold beside NV vectors. */
DLK_CONV_DIRECT_INLINE void dlk_conv_direct_span_avx512(const dlk_conv_direct_job *j, const float *const *tap,
                                                        int64_t ow0, float *y, const float *yn, const float *r,
                                                        const int NV)
{
    const int NCO = NV >= 7 ? 3 : NV >= 5 ? 4 : NV == 4 ? 5 : NV == 3 ? 6 : 8;
    const int64_t n = j->p->out[1] - ow0;
    int64_t co = 0;
    for (; co + NCO <= j->p->c_out; co += NCO)
        dlk_conv_direct_tile_avx512(j, tap, co, ow0, n, y, yn, r, NCO, NV);
    for (; co < j->p->c_out; co++)
        dlk_conv_direct_tile_avx512(j, tap, co, ow0, n, y, yn, r, 1, NV);
}

/* Padded input row ih of one channel (a row of zeros above or below the
 * input) into its ring slot, phase by phase: dst[f len + i] = padded
 * column f + i sw. */
static void dlk_conv_direct_line(const dlk_conv_params *p, const float *xc, int64_t ih, int64_t len, float *dst)
{
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const int64_t sw = p->strides[1], pl = p->pads[1], w = p->in[1];
    int64_t f, i;
    for (f = 0; f < sw; f++, dst += len) {
        /* column i reads input column f + i sw - pl: inside for i in [lo, hi) */
        const float *src = xc + ih * w + f - pl;
        int64_t lo = len, hi = len;
        if (ih >= 0 && ih < p->in[0])
            dlk_conv_range(f - pl, sw, w, len, &lo, &hi);
        memset(dst, 0, sizeof(float) * (size_t)lo);
        i = lo;
        if (sw == 1) {
            memcpy(dst + lo, src + lo, sizeof(float) * (size_t)(hi - lo));
            i = hi;
        } else if (sw == 2) {
            for (; i + 16 <= hi; i += 16)
                _mm512_storeu_ps(dst + i, _mm512_permutex2var_ps(_mm512_loadu_ps(src + 2 * i), even,
                                                                 _mm512_loadu_ps(src + 2 * i + 16)));
        }
        for (; i < hi; i++)
            dst[i] = src[i * sw];
        memset(dst + hi, 0, sizeof(float) * (size_t)(len - hi));
    }
}

/* A thread's ring of input rows: padded rows [have - kh, have) of image
 * img are in it. */
typedef struct dlk_conv_direct_ring {
    float line[DLK_CONV_DIRECT_RING];
    int64_t img, have;
} dlk_conv_direct_ring;

/* Output row oh of image img: its input rows brought into the ring (those
 * not there yet) and tap[k], where tap k reads them. */
static void dlk_conv_direct_taps(const dlk_conv_direct_job *j, int64_t img, int64_t oh, dlk_conv_direct_ring *g,
                                 const float **tap)
{
    const dlk_conv_params *p = j->p;
    const int64_t kh = p->kernel[0], kw = p->kernel[1], sw = p->strides[1];
    const int64_t lo = oh * p->strides[0], hi = lo + kh, len = dlk_conv_direct_len(p), in_plane = p->in[0] * p->in[1];
    const float *x = j->x + img * p->c_in * in_plane;
    int64_t row, ci, k, c;
    if (img != g->img || lo >= g->have) {
        g->img = img;
        g->have = lo;
    }
    for (row = g->have > lo ? g->have : lo; row < hi; row++)
        for (ci = 0; ci < p->c_in; ci++)
            dlk_conv_direct_line(p, x + ci * in_plane, row - p->pads[0], len, g->line + (ci * kh + row % kh) * sw * len);
    g->have = hi;
    /* The next output row's new input rows, asked for now: in a model the
     * image is out of cache by the time the stem runs (one thread,
     * --profile, alternated runs: MobileNetV2's stem 0.215-0.230 ->
     * 0.183-0.190 ms, EfficientNet-B0's 0.259-0.275 -> 0.240-0.244). */
    for (row = hi; row < hi + p->strides[0]; row++)
        if (row - p->pads[0] >= 0 && row - p->pads[0] < p->in[0])
            for (ci = 0; ci < p->c_in; ci++) {
                const char *xr = (const char *)(x + ci * in_plane + (row - p->pads[0]) * p->in[1]);
                int64_t o;
                for (o = 0; o < p->in[1] * (int64_t)sizeof(float); o += 64)
                    _mm_prefetch(xr + o, _MM_HINT_T0);
            }
    for (ci = 0, k = 0; ci < p->c_in; ci++)
        for (row = lo; row < hi; row++) {
            const float *line = g->line + (ci * kh + row % kh) * sw * len;
            for (c = 0; c < kw; c++)
                tap[k++] = line + (c % sw) * len + c / sw;
        }
}

/* Items: (image, output row) pairs; each thread keeps its own ring. */
static void dlk_conv_direct_rows_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_conv_direct_job *j = (const dlk_conv_direct_job *)arg;
    const dlk_conv_params *p = j->p;
    const int64_t oh_n = p->out[0], ow_n = p->out[1], vecs = (ow_n + 15) / 16, chunks = (vecs + 6) / 7;
    dlk_conv_direct_ring ring;
    const float *tap[DLK_CONV_DIRECT_TAPS];
    int64_t item, ch;
    ring.img = -1;
    ring.have = 0;
    for (item = begin; item < end; item++) {
        const int64_t oh = item % oh_n, at = (item / oh_n * p->c_out * oh_n + oh) * ow_n;
        dlk_conv_direct_taps(j, item / oh_n, oh, &ring, tap);
        for (ch = 0; ch < chunks; ch++) {
            const int64_t v0 = vecs * ch / chunks, nv = vecs * (ch + 1) / chunks - v0;
            float *y = j->y + at;
            const float *yn = item + 1 < end && oh + 1 < oh_n ? y + ow_n : NULL;   /* this thread's next row */
            const float *r = j->r != NULL ? j->r + at : NULL;
            switch (nv) {
            case 1: dlk_conv_direct_span_avx512(j, tap, 16 * v0, y, yn, r, 1); break;
            case 2: dlk_conv_direct_span_avx512(j, tap, 16 * v0, y, yn, r, 2); break;
            case 3: dlk_conv_direct_span_avx512(j, tap, 16 * v0, y, yn, r, 3); break;
            case 4: dlk_conv_direct_span_avx512(j, tap, 16 * v0, y, yn, r, 4); break;
            case 5: dlk_conv_direct_span_avx512(j, tap, 16 * v0, y, yn, r, 5); break;
            case 6: dlk_conv_direct_span_avx512(j, tap, 16 * v0, y, yn, r, 6); break;
            default: dlk_conv_direct_span_avx512(j, tap, 16 * v0, y, yn, r, 7); break;
            }
        }
    }
}
#endif

/* ONNX Conv, arguments as dlk_conv_gemm_f32's: the direct kernel above for
 * the convs dlk_conv_direct_fits takes, with AVX-512; the packed product
 * otherwise. Kept out of line: clang inlined it, with its 48 KB of
 * reordered weights, into the model's run function, under every later
 * product's frame (SqueezeNet then failed on a 320 KB thread). */
DLK_NOINLINE static void dlk_conv_direct_f32(const dlk_par *par, const dlk_conv_params *p, const float *x,
                                             const float *w, const float *b, const float *r, float *y)
{
    if (dlk_conv_direct_fits(p)) {
        const int act_in_regs = r == NULL && dlk_act16_takes(p->ep.act);
#if defined(__AVX512F__)
        dlk_conv_direct_job j;
        j.p = p;
        j.x = x;
        j.w = w;
        j.b = b;
        j.r = r;
        j.y = y;
        j.act_in_regs = act_in_regs;
        dlk_parallel_for(par, dlk_conv_direct_rows_f32, &j, p->n * p->out[0]);
        return;
#else
        (void)act_in_regs;
#endif
    }
    dlk_conv_gemm_f32(par, p, x, w, b, r, y);
}
/*@end*/

/*@ dlk_conv_scatter_f32 : dlk_conv_params dlk_conv_range dlk_conv_add_f32 */
/* col2im of one tile: kernel-row r0+r (output channel, kernel offset) of
 * the tile holds, for input pixel p0+j, the contribution to the output
 * position that pixel reaches through that kernel offset; add it there.
 * y points at the group's first output channel. */
static void dlk_conv_scatter_f32(const dlk_conv_params *p, const float *tile, int64_t r0, int64_t nr,
                                 int64_t p0, int64_t np, float *y)
{
    int64_t r = p->rank, last = r - 1, ksize = 1, out_plane = 1, a, row;
    int64_t out_stride[DLK_MAX_RANK], kc[DLK_MAX_RANK], ic[DLK_MAX_RANK];
    for (a = r - 1; a >= 0; a--) {
        out_stride[a] = out_plane;
        out_plane *= p->out[a];
        ksize *= p->kernel[a];
    }
    for (row = 0; row < nr; row++) {
        int64_t oc = (r0 + row) / ksize, pix = p0, end = p0 + np, off;
        float *yc = y + oc * out_plane;
        const float *t = tile + row * DLK_CONV_TILE_N;
        dlk_conv_unflatten((r0 + row) % ksize, p->kernel, r, kc);
        off = kc[last] * p->dilations[last] - p->pads[last];
        while (pix < end) {
            /* One run of input pixels along the last axis. */
            int64_t i0 = pix % p->in[last], len = p->in[last] - i0, lo, hi, base = 0, ok = 1;
            if (len > end - pix)
                len = end - pix;
            dlk_conv_unflatten(pix / p->in[last], p->in, last, ic);
            for (a = 0; a < last && ok; a++) {
                int64_t o = ic[a] * p->strides[a] - p->pads[a] + kc[a] * p->dilations[a];
                ok = o >= 0 && o < p->out[a];
                base += o * out_stride[a];
            }
            if (ok) {
                dlk_conv_range(off, p->strides[last], p->out[last], i0 + len, &lo, &hi);
                if (lo < i0)
                    lo = i0;
                if (hi > lo)
                    dlk_conv_add_f32(yc + base + lo * p->strides[last] + off, p->strides[last],
                                     t + (lo - i0), hi - lo);
            }
            t += len;
            pix += len;
        }
    }
}
/*@end*/

/*@ dlk_conv_transpose_f32 : dlk_conv_params dlk_conv_scatter_f32 dlk_gemm_acc_f32 */
/* ONNX ConvTranspose. x: n x c_in x in..., w: c_in x c_out/group x
 * kernel..., b: c_out or NULL, y: n x c_out x out... Pads may be negative
 * (an explicit output_shape larger than the natural one). */
static void dlk_conv_transpose_f32(const dlk_conv_params *p, const float *x, const float *w,
                                   const float *b, float *y)
{
    float tile[DLK_CONV_TILE_K * DLK_CONV_TILE_N];
    int64_t icg = p->c_in / p->group, ocg = p->c_out / p->group;
    int64_t ksize = 1, in_plane = 1, out_plane = 1;
    int64_t a, img, g, c, p0, r0, rows;
    for (a = 0; a < p->rank; a++) {
        ksize *= p->kernel[a];
        in_plane *= p->in[a];
        out_plane *= p->out[a];
    }
    rows = ocg * ksize;
    for (img = 0; img < p->n; img++) {
        for (c = 0; c < p->c_out; c++) {
            float bias = b != NULL ? b[c] : 0.0f, *yc = y + (img * p->c_out + c) * out_plane;
            for (a = 0; a < out_plane; a++)
                yc[a] = bias;
        }
        for (g = 0; g < p->group; g++) {
            const float *xg = x + (img * p->c_in + g * icg) * in_plane;
            const float *wg = w + g * icg * rows;
            float *yg = y + (img * p->c_out + g * ocg) * out_plane;
            for (p0 = 0; p0 < in_plane; p0 += DLK_CONV_TILE_N) {
                int64_t np = in_plane - p0 < DLK_CONV_TILE_N ? in_plane - p0 : DLK_CONV_TILE_N;
                for (r0 = 0; r0 < rows; r0 += DLK_CONV_TILE_K) {
                    int64_t nr = rows - r0 < DLK_CONV_TILE_K ? rows - r0 : DLK_CONV_TILE_K;
                    /* tile[r][j] = sum_ic w[ic][r0+r] * x[ic][p0+j] */
                    for (a = 0; a < nr; a++)
                        memset(tile + a * DLK_CONV_TILE_N, 0, (size_t)np * sizeof(float));
                    dlk_gemm_acc_f32(nr, np, icg, wg + r0, 1, rows, xg + p0, in_plane, tile,
                                     DLK_CONV_TILE_N);
                    dlk_conv_scatter_f32(p, tile, r0, nr, p0, np, yg);
                }
            }
        }
    }
}
/*@end*/

#endif
