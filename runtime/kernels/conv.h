/* Conv and ConvTranspose, NCHW (any spatial rank), float32.
 *
 * Both run as tiles of a matrix product (gemm.h): Conv packs a tile of the
 * im2col matrix (64 kernel-rows x 64 output pixels, 16 KB on the stack) and
 * multiplies it by the weights; ConvTranspose multiplies the weights by a
 * tile of the input and scatters the result (col2im). Packing and scattering
 * work on runs along the last spatial axis whose valid range is computed
 * once per run, so no inner loop checks bounds. A 1x1, stride-1, unpadded
 * conv is a plain matrix product over the input and needs no packing
 * (dlk_conv1x1_f32 when group is 1). Conv applies its fused epilogue
 * (epilogue.h) to each output tile while it is still in cache. */
#ifndef DLK_CONV_H
#define DLK_CONV_H

#include "common.h"
#include "epilogue.h"
#include "gemm.h"

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
    dlk_epilogue ep;
} dlk_conv_params;

/* Tile: kernel-rows x output pixels, on the stack (16 KB by default).
 * 128 x 128 runs VGG-sized layers about 15% faster; a product may raise
 * them. TILE_K must stay a multiple of 4, so the sums group as in the
 * compiler's constant folding. */
#ifndef DLK_CONV_TILE_N
#define DLK_CONV_TILE_N 64
#endif
#ifndef DLK_CONV_TILE_K
#define DLK_CONV_TILE_K 64
#endif
/*@end*/

/*@ dlk_conv_copy_f32 : dlk_common */
/* dst[i] = src[i*s] for i < n. */
static void dlk_conv_copy_f32(float *restrict dst, const float *restrict src, int64_t s, int64_t n)
{
    int64_t i, n8 = n - n % 8;
    int t;
    if (s == 1) {
        memcpy(dst, src, (size_t)n * sizeof(float));
        return;
    }
    for (i = 0; i < n8; i += 8)
        for (t = 0; t < 8; t++)
            dst[i + t] = src[(i + t) * s];
    for (i = n8; i < n; i++)
        dst[i] = src[i * s];
}
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

/*@ dlk_conv_pack_f32 : dlk_conv_params dlk_conv_range dlk_conv_copy_f32 */
/* One tile of the im2col matrix: tile[r][j] = x at the input position that
 * kernel-row r0+r (input channel, kernel offset) reads for output pixel
 * p0+j, or 0 in the padding. x points at the group's first channel. */
static void dlk_conv_pack_f32(const dlk_conv_params *p, const float *x, int64_t r0, int64_t nr,
                              int64_t p0, int64_t np, float *tile)
{
    int64_t r = p->rank, last = r - 1, ksize = 1, in_plane = 1, a, row;
    int64_t in_stride[DLK_MAX_RANK], kc[DLK_MAX_RANK], oc[DLK_MAX_RANK];
    for (a = r - 1; a >= 0; a--) {
        in_stride[a] = in_plane;
        in_plane *= p->in[a];
        ksize *= p->kernel[a];
    }
    for (row = 0; row < nr; row++) {
        int64_t ic = (r0 + row) / ksize, pix = p0, end = p0 + np;
        const float *xc = x + ic * in_plane;
        float *t = tile + row * DLK_CONV_TILE_N;
        int64_t off = 0;
        dlk_conv_unflatten((r0 + row) % ksize, p->kernel, r, kc);
        off = kc[last] * p->dilations[last] - p->pads[last];
        while (pix < end) {
            /* One run of output pixels along the last axis. */
            int64_t o0 = pix % p->out[last], len = p->out[last] - o0, lo, hi, base = 0, ok = 1;
            if (len > end - pix)
                len = end - pix;
            dlk_conv_unflatten(pix / p->out[last], p->out, last, oc);
            for (a = 0; a < last && ok; a++) {
                int64_t i = oc[a] * p->strides[a] - p->pads[a] + kc[a] * p->dilations[a];
                ok = i >= 0 && i < p->in[a];
                base += i * in_stride[a];
            }
            lo = hi = o0;
            if (ok) {
                dlk_conv_range(off, p->strides[last], p->in[last], o0 + len, &lo, &hi);
                if (lo < o0)
                    lo = o0;
                if (hi < lo)
                    hi = lo;
                dlk_conv_copy_f32(t + (lo - o0), xc + base + lo * p->strides[last] + off,
                                  p->strides[last], hi - lo);
            }
            memset(t, 0, (size_t)(lo - o0) * sizeof(float));
            memset(t + (hi - o0), 0, (size_t)(o0 + len - hi) * sizeof(float));
            t += len;
            pix += len;
        }
    }
}
/*@end*/

/*@ dlk_conv_res_f32 : dlk_conv_params dlk_conv_pack_f32 dlk_gemm_acc_f32 dlk_epilogue_f32 */
/* ONNX Conv with its fused epilogue p->ep. x: n x c_in x in..., w: c_out x
 * c_in/group x kernel..., b: c_out or NULL, r: the residual (y's shape) or
 * NULL, y: n x c_out x out... Each tile of output pixels gets the epilogue
 * per channel as soon as its sums are complete. */
static void dlk_conv_res_f32(const dlk_conv_params *p, const float *x, const float *w, const float *b,
                             const float *r, float *y)
{
    float tile[DLK_CONV_TILE_K * DLK_CONV_TILE_N];
    int64_t icg = p->c_in / p->group, ocg = p->c_out / p->group;
    int64_t ksize = 1, in_plane = 1, out_plane = 1, pointwise = 1;
    int64_t a, img, g, oc, p0, r0, kdim;
    for (a = 0; a < p->rank; a++) {
        ksize *= p->kernel[a];
        in_plane *= p->in[a];
        out_plane *= p->out[a];
        pointwise = pointwise && p->kernel[a] == 1 && p->strides[a] == 1 && p->pads[a] == 0 &&
                    p->pads[p->rank + a] == 0;
    }
    kdim = icg * ksize;
    for (img = 0; img < p->n; img++) {
        for (g = 0; g < p->group; g++) {
            const float *xg = x + (img * p->c_in + g * icg) * in_plane;
            const float *wg = w + g * ocg * kdim;
            int64_t y_off = (img * p->c_out + g * ocg) * out_plane;
            float *yg = y + y_off;
            for (p0 = 0; p0 < out_plane; p0 += DLK_CONV_TILE_N) {
                int64_t np = out_plane - p0 < DLK_CONV_TILE_N ? out_plane - p0 : DLK_CONV_TILE_N;
                /* The input itself is the im2col matrix of a pointwise conv. */
                if (pointwise)
                    np = out_plane;
                for (oc = 0; oc < ocg; oc++) {
                    float bias = b != NULL ? b[g * ocg + oc] : 0.0f, *yr = yg + oc * out_plane + p0;
                    for (a = 0; a < np; a++)
                        yr[a] = bias;
                }
                if (pointwise) {
                    dlk_gemm_acc_f32(ocg, out_plane, icg, wg, kdim, 1, xg, in_plane, yg, out_plane);
                } else {
                    for (r0 = 0; r0 < kdim; r0 += DLK_CONV_TILE_K) {
                        int64_t nr = kdim - r0 < DLK_CONV_TILE_K ? kdim - r0 : DLK_CONV_TILE_K;
                        dlk_conv_pack_f32(p, xg, r0, nr, p0, np, tile);
                        dlk_gemm_acc_f32(ocg, np, nr, wg + r0, kdim, 1, tile, DLK_CONV_TILE_N, yg + p0,
                                         out_plane);
                    }
                }
                for (oc = 0; oc < ocg; oc++)
                    dlk_epilogue_f32(&p->ep, yg + oc * out_plane + p0,
                                     r != NULL ? r + y_off + oc * out_plane + p0 : NULL, np);
                if (pointwise)
                    break;
            }
        }
    }
}
/*@end*/

/*@ dlk_conv_f32 : dlk_conv_res_f32 */
/* ONNX Conv without a residual input (the epilogue's activation still applies). */
static void dlk_conv_f32(const dlk_conv_params *p, const float *x, const float *w, const float *b,
                         float *y)
{
    dlk_conv_res_f32(p, x, w, b, NULL, y);
}
/*@end*/

/*@ dlk_conv1x1_f32 : dlk_conv_params dlk_gemm_acc_f32 dlk_epilogue_f32 */
/* A 1x1, stride-1, unpadded, group-1 Conv is one matrix product per image,
 * y (c_out x plane) = w (c_out x c_in) x (c_in x plane), with no im2col
 * copy. It runs in column blocks of DLK_GEMM_NC pixels so that the bias,
 * the product and the epilogue (p->ep, residual r or NULL) of a block
 * happen while it is in cache; the sums are those of dlk_conv_res_f32. */
static void dlk_conv1x1_f32(const dlk_conv_params *p, const float *x, const float *w, const float *b,
                            const float *r, float *y)
{
    int64_t plane = 1, a, img, oc, j0, j;
    for (a = 0; a < p->rank; a++)
        plane *= p->out[a];
    for (img = 0; img < p->n; img++) {
        const float *xi = x + img * p->c_in * plane;
        const float *ri = r != NULL ? r + img * p->c_out * plane : NULL;
        float *yi = y + img * p->c_out * plane;
        for (j0 = 0; j0 < plane; j0 += DLK_GEMM_NC) {
            int64_t nn = plane - j0 < DLK_GEMM_NC ? plane - j0 : DLK_GEMM_NC;
            for (oc = 0; oc < p->c_out; oc++) {
                float bias = b != NULL ? b[oc] : 0.0f, *yr = yi + oc * plane + j0;
                for (j = 0; j < nn; j++)
                    yr[j] = bias;
            }
            dlk_gemm_acc_f32(p->c_out, nn, p->c_in, w, p->c_in, 1, xi + j0, plane, yi + j0, plane);
            for (oc = 0; oc < p->c_out; oc++)
                dlk_epilogue_f32(&p->ep, yi + oc * plane + j0,
                                 ri != NULL ? ri + oc * plane + j0 : NULL, nn);
        }
    }
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
