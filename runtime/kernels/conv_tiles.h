/* 2-D convs run directly on tiles of 32 output channels x up to 14 output
 * pixels (taken by passes/conv_tiles.c with AVX-512 targets): ResNet's
 * stride-2 3x3 convs, the 3x3 convs of 7x7 and 14x14 planes Winograd does
 * not take (DenseNet's 128 -> 32, ResNet's and Inception's last stages),
 * 5x5 convs. The packed product (dlk_conv_gemm_f32) packs im2col's B for
 * every block of output channels, which costs as much as the product where
 * those are few (DenseNet's 32: 90-110 GFLOP/s on 7x7 and 14x14 planes) and
 * gathers every other input column at stride 2 (200 GFLOP/s).
 *
 * The weights are reordered at compile time by blocks of 16 output channels
 * (dlk_conv_tiles_weights_f32: wt[((co / 16) K + k) 16 + co % 16], k =
 * (ci, kh, kw) as in W). The image is copied once, zero-padded, into the
 * scratch; then a tile's 28 sums (two blocks of 16 channels x 14 pixels) sit
 * in registers while k runs over every input channel and tap: each step
 * loads the two blocks' weights and broadcasts each pixel's input value
 * (2 loads and 14 broadcasts per 28 multiply-adds), from the bias, in k
 * order. The sums are then transposed to the channel planes, 16 pixels a
 * vector, with the activation applied in registers (the other epilogues
 * over the stored runs). A tile is part of one output row, 7 to 14 pixels
 * (rows cut as evenly as they can be), or two rows of a plane 7 wide or
 * less. Threads split the (pair of channel blocks, tile) items, each pair's
 * tiles in a row, so its weights stay in the core's L2.
 *
 * One core, hot, against dlk_conv_gemm_f32 (Zen 5): 128 -> 128 3x3/2 on
 * 56x56 1.15 -> 0.90 ms, 256 -> 256 3x3/2 on 28x28 1.13 -> 0.89, 512 -> 512
 * 3x3 on 7x7 1.06 -> 0.94, 128 -> 32 3x3 on 14x14 0.133 -> 0.063 (Winograd
 * F(2x2) 0.078), on 7x7 0.040 -> 0.021. Without AVX-512 the same tiles run
 * as plain loops over the 16 lanes (the compiler's vectors). */
#ifndef DLK_CONV_TILES_H
#define DLK_CONV_TILES_H

#include "common.h"
#include "conv.h"
#include "epilogue.h"
#include "parallel.h"

/*@ dlk_conv_tiles_weights_f32 : dlk_common */
/* w (c_out x k, k = c_in kh kw) -> wt by blocks of 16 output channels:
 * wt[((co / 16) k + j) 16 + co % 16] = w[co k + j]; a last block of
 * r = c_out % 16 channels, when there is one, has rows of r
 * (wt[(co / 16) 16 k + j r + co % 16]), so wt is as large as w. */
static void dlk_conv_tiles_weights_f32(int64_t c_out, int64_t k, const float *w, float *wt)
{
    int64_t co, j;
    for (co = 0; co < c_out; co++) {
        const int64_t r = co / 16 == c_out / 16 ? c_out % 16 : 16;
        for (j = 0; j < k; j++)
            wt[(co / 16) * 16 * k + j * r + co % 16] = w[co * k + j];
    }
}
/*@end*/

/*@ dlk_conv_tiles_defs : dlk_conv_params */
#define DLK_CONV_TILES_PX 14   /* output pixels of a tile */
#define DLK_CONV_TILES_TAPS 64 /* kernel taps (kh kw) at most */
/*@end*/

/* Outside any section (the compiler's: generated code never calls them): */
/* Whether dlk_conv_tiles_f32 takes p: 2-D, group 1, output channels in
 * pairs of blocks of 16, a kernel of at most DLK_CONV_TILES_TAPS taps. */
static int dlk_conv_tiles_fits(const dlk_conv_params *p)
{
    return p->rank == 2 && p->group == 1 && p->shuffle == 0 && p->c_out % 32 == 0 &&
           p->kernel[0] * p->kernel[1] <= DLK_CONV_TILES_TAPS && p->out[0] >= 1 && p->out[1] >= 1;
}

/* Floats of the scratch: one zero-padded image. */
static int64_t dlk_conv_tiles_scratch(const dlk_conv_params *p)
{
    return p->c_in * (p->in[0] + p->pads[0] + p->pads[2]) * (p->in[1] + p->pads[1] + p->pads[3]);
}

/*@ dlk_conv_tiles_f32 : dlk_conv_tiles_defs dlk_parallel dlk_epilogue_f32 dlk_transpose16 dlk_act16_avx512 */
typedef struct dlk_conv_tiles_job {
    const dlk_conv_params *p;
    const float *x, *wt, *b, *r;
    float *y, *xp;   /* xp: the padded image */
    int64_t hp, wp, per_row, tiles;   /* padded dims; tiles per output row (0: two rows a tile); per image */
    int64_t toff[DLK_CONV_TILES_TAPS];   /* a tap's offset in a padded plane */
} dlk_conv_tiles_job;

/* Channels [begin, end) of the image into the padded planes. */
static void dlk_conv_tiles_pad(void *arg, int64_t begin, int64_t end)
{
    const dlk_conv_tiles_job *j = (const dlk_conv_tiles_job *)arg;
    const dlk_conv_params *p = j->p;
    const int64_t ih_n = p->in[0], iw_n = p->in[1], pt = p->pads[0], pl = p->pads[1], wp = j->wp;
    int64_t c, h;
    for (c = begin; c < end; c++) {
        float *d = j->xp + c * j->hp * wp;
        const float *s = j->x + c * ih_n * iw_n;
        memset(d, 0, sizeof(float) * (size_t)(pt * wp + pl));
        for (h = 0; h < ih_n; h++) {
            float *row = d + (pt + h) * wp + pl;
            memcpy(row, s + h * iw_n, sizeof(float) * (size_t)iw_n);
            /* the right padding, and the next row's left */
            memset(row + iw_n, 0, sizeof(float) * (size_t)(h + 1 < ih_n ? wp - iw_n : wp - iw_n - pl));
        }
        memset(d + (pt + ih_n) * wp, 0, sizeof(float) * (size_t)((j->hp - pt - ih_n) * wp));
    }
}

/* Tile t of an image: its first output row oh, first column ow, na pixels
 * there and nb at the start of row oh + 1. */
static void dlk_conv_tiles_at(const dlk_conv_tiles_job *j, int64_t t, int64_t *oh, int64_t *ow, int *na, int *nb)
{
    const int64_t ow_n = j->p->out[1];
    if (j->per_row == 0) {   /* two rows a tile */
        *oh = 2 * t;
        *ow = 0;
        *na = (int)ow_n;
        *nb = *oh + 1 < j->p->out[0] ? (int)ow_n : 0;
    } else {   /* per_row tiles of base or base + 1 pixels, the wider first */
        const int64_t i = t % j->per_row, base = ow_n / j->per_row, extra = ow_n % j->per_row;
        *oh = t / j->per_row;
        *ow = i * base + (i < extra ? i : extra);
        *na = (int)(base + (i < extra));
        *nb = 0;
    }
}

/* The epilogue over a channel's stored runs of a tile: na values at ya
 * (residual ra), nb at yb (rb). */
static void dlk_conv_tiles_epilogue(const dlk_conv_tiles_job *j, float *ya, const float *ra, int na, float *yb,
                                    const float *rb, int nb)
{
    dlk_epilogue_f32(&j->p->ep, ya, ra, na);
    if (nb > 0)
        dlk_epilogue_f32(&j->p->ep, yb, rb, nb);
}

#if defined(__AVX512F__)
/* One tile of NA + NB pixels (constant in the fast cases, so the 28 sums
 * stay in registers) and 32 channels from the padded rows at xa and xb. */
static DLK_INLINE void dlk_conv_tiles_tile(const dlk_conv_tiles_job *j, const float *xa, const float *xb,
                                           const float *w, const float *bias, int NA, int NB, float *y,
                                           const float *r, int64_t ya, int64_t yb)
{
    const dlk_conv_params *p = j->p;
    const int64_t sw = p->strides[1], plane = j->hp * j->wp, taps = p->kernel[0] * p->kernel[1];
    const int64_t k = p->c_in * taps, oplane = p->out[0] * p->out[1];
    const dlk_epilogue *act =
        p->ep.residual == DLK_RES_NONE && p->ep.act != DLK_ACT_NONE && dlk_act16_takes(p->ep.act) ? &p->ep : NULL;
    __m512 acc[2 * DLK_CONV_TILES_PX];
    const __m512 b0 = bias != NULL ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
    const __m512 b1 = bias != NULL ? _mm512_loadu_ps(bias + 16) : _mm512_setzero_ps();
    const float *w1 = w + k * 16;
    int64_t ci, t;
    int i, ob;
    for (i = 0; i < NA + NB; i++) {
        acc[i] = b0;
        acc[DLK_CONV_TILES_PX + i] = b1;
    }
    for (ci = 0; ci < p->c_in; ci++) {
        const float *ac = xa + ci * plane, *bc = xb + ci * plane;
        for (t = 0; t < taps; t++, w += 16, w1 += 16) {
            const __m512 wa = _mm512_loadu_ps(w), wb = _mm512_loadu_ps(w1);
            const float *a = ac + j->toff[t], *b = bc + j->toff[t];
            for (i = 0; i < NA; i++) {
                const __m512 v = _mm512_set1_ps(a[i * sw]);
                acc[i] = _mm512_fmadd_ps(wa, v, acc[i]);
                acc[DLK_CONV_TILES_PX + i] = _mm512_fmadd_ps(wb, v, acc[DLK_CONV_TILES_PX + i]);
            }
            for (i = 0; i < NB; i++) {
                const __m512 v = _mm512_set1_ps(b[i * sw]);
                acc[NA + i] = _mm512_fmadd_ps(wa, v, acc[NA + i]);
                acc[DLK_CONV_TILES_PX + NA + i] = _mm512_fmadd_ps(wb, v, acc[DLK_CONV_TILES_PX + NA + i]);
            }
        }
    }
    for (ob = 0; ob < 2; ob++) {
        __m512 v[16];
        for (i = 0; i < 16; i++)
            v[i] = i < NA + NB ? (act != NULL ? dlk_act16_avx512(act, acc[ob * DLK_CONV_TILES_PX + i])
                                              : acc[ob * DLK_CONV_TILES_PX + i])
                               : _mm512_setzero_ps();
        dlk_transpose16(v);   /* v[l]: channel l's pixels */
        for (i = 0; i < 16; i++) {
            const int64_t c = ob * 16 + i;
            float *yc = y + c * oplane;
            _mm512_mask_storeu_ps(yc + ya, (__mmask16)((1u << NA) - 1u), v[i]);
            if (NB > 0)   /* pixels NA .. NA + NB - 1 moved down to lane 0 */
                _mm512_mask_storeu_ps(yc + yb, (__mmask16)((1u << NB) - 1u),
                                      _mm512_maskz_compress_ps((__mmask16)(((1u << NB) - 1u) << NA), v[i]));
            if (act == NULL && (p->ep.act != DLK_ACT_NONE || r != NULL))
                dlk_conv_tiles_epilogue(j, yc + ya, r != NULL ? r + c * oplane + ya : NULL, NA, yc + yb,
                                        r != NULL ? r + c * oplane + yb : NULL, NB);
        }
    }
}
#else
/* The same tile as plain loops over the 16 lanes (any C99 compiler; gcc
 * and clang vectorise the lane loops). */
static void dlk_conv_tiles_tile(const dlk_conv_tiles_job *j, const float *xa, const float *xb, const float *w,
                                const float *bias, int na, int nb, float *y, const float *r, int64_t ya,
                                int64_t yb)
{
    const dlk_conv_params *p = j->p;
    const int64_t sw = p->strides[1], plane = j->hp * j->wp, taps = p->kernel[0] * p->kernel[1];
    const int64_t k = p->c_in * taps, oplane = p->out[0] * p->out[1];
    float acc[2][DLK_CONV_TILES_PX][16];
    const float *w1 = w + k * 16;
    int64_t ci, t, c;
    int i, l;
    for (i = 0; i < na + nb; i++)
        for (l = 0; l < 16; l++) {
            acc[0][i][l] = bias != NULL ? bias[l] : 0.0f;
            acc[1][i][l] = bias != NULL ? bias[16 + l] : 0.0f;
        }
    for (ci = 0; ci < p->c_in; ci++)
        for (t = 0; t < taps; t++, w += 16, w1 += 16)
            for (i = 0; i < na + nb; i++) {
                const float v = i < na ? xa[ci * plane + j->toff[t] + i * sw]
                                       : xb[ci * plane + j->toff[t] + (i - na) * sw];
                for (l = 0; l < 16; l++) {
                    acc[0][i][l] += w[l] * v;
                    acc[1][i][l] += w1[l] * v;
                }
            }
    for (c = 0; c < 32; c++) {
        float *yc = y + c * oplane;
        for (i = 0; i < na + nb; i++)
            (i < na ? yc + ya : yc + yb - na)[i] = acc[c / 16][i][c % 16];
        dlk_conv_tiles_epilogue(j, yc + ya, r != NULL ? r + c * oplane + ya : NULL, na, yc + yb,
                                r != NULL ? r + c * oplane + yb : NULL, nb);
    }
}
#endif

/* Items: (pair of channel blocks, tile) of one image. */
static void dlk_conv_tiles_run(void *arg, int64_t begin, int64_t end)
{
    const dlk_conv_tiles_job *j = (const dlk_conv_tiles_job *)arg;
    const dlk_conv_params *p = j->p;
    const int64_t k = p->c_in * p->kernel[0] * p->kernel[1], oplane = p->out[0] * p->out[1];
    const int64_t sh = p->strides[0], sw = p->strides[1], ow_n = p->out[1];
    int64_t item;
    for (item = begin; item < end; item++) {
        const int64_t pair = item / j->tiles, co = pair * 32;
        const float *w = j->wt + pair * 2 * k * 16, *b = j->b != NULL ? j->b + co : NULL;
        float *y = j->y + co * oplane;
        const float *r = j->r != NULL ? j->r + co * oplane : NULL;
        const float *xa, *xb;
        int64_t oh, ow;
        int na, nb;
        dlk_conv_tiles_at(j, item % j->tiles, &oh, &ow, &na, &nb);
        xa = j->xp + oh * sh * j->wp + ow * sw;
        xb = xa + sh * j->wp;
#if defined(__AVX512F__)
#define DLK_CONV_TILES_CASE(A, B)                                                                          \
    if (na == (A) && nb == (B)) {                                                                          \
        dlk_conv_tiles_tile(j, xa, xb, w, b, A, B, y, r, oh * ow_n + ow, (oh + 1) * ow_n);                 \
        continue;                                                                                          \
    }
        DLK_CONV_TILES_CASE(14, 0)
        DLK_CONV_TILES_CASE(13, 0)
        DLK_CONV_TILES_CASE(12, 0)
        DLK_CONV_TILES_CASE(11, 0)
        DLK_CONV_TILES_CASE(10, 0)
        DLK_CONV_TILES_CASE(9, 0)
        DLK_CONV_TILES_CASE(8, 0)
        DLK_CONV_TILES_CASE(7, 0)
        DLK_CONV_TILES_CASE(7, 7)
#undef DLK_CONV_TILES_CASE
#endif
        dlk_conv_tiles_tile(j, xa, xb, w, b, na, nb, y, r, oh * ow_n + ow, (oh + 1) * ow_n);
    }
}

/* ONNX Conv p (dlk_conv_tiles_fits) with wt the reordered weights
 * (dlk_conv_tiles_weights_f32), b the bias or NULL, r the residual or
 * NULL; scratch holds dlk_conv_tiles_scratch(p) floats. */
static void dlk_conv_tiles_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *wt,
                               const float *b, const float *r, float *y, float *scratch)
{
    const int64_t in_img = p->c_in * p->in[0] * p->in[1], out_img = p->c_out * p->out[0] * p->out[1];
    dlk_conv_tiles_job j;
    int64_t img, t;
    j.p = p;
    j.wt = wt;
    j.b = b;
    j.xp = scratch;
    j.hp = p->in[0] + p->pads[0] + p->pads[2];
    j.wp = p->in[1] + p->pads[1] + p->pads[3];
    for (t = 0; t < p->kernel[0] * p->kernel[1]; t++)
        j.toff[t] = (t / p->kernel[1]) * p->dilations[0] * j.wp + (t % p->kernel[1]) * p->dilations[1];
    if (p->out[1] <= DLK_CONV_TILES_PX / 2) {
        j.per_row = 0;
        j.tiles = (p->out[0] + 1) / 2;
    } else {
        j.per_row = (p->out[1] + DLK_CONV_TILES_PX - 1) / DLK_CONV_TILES_PX;
        j.tiles = j.per_row * p->out[0];
    }
    for (img = 0; img < p->n; img++) {
        j.x = x + img * in_img;
        j.y = y + img * out_img;
        j.r = r != NULL ? r + img * out_img : NULL;
        dlk_parallel_for(par, dlk_conv_tiles_pad, &j, p->c_in);
        dlk_parallel_for(par, dlk_conv_tiles_run, &j, p->c_out / 32 * j.tiles);
    }
}
/*@end*/

#endif
