/* Transformer-block kernels: RotaryEmbedding-23, SwiGLU-28,
 * CausalConvWithState-27, LinearAttention-27 (float32) and TensorScatter-24
 * (any element type, copied by bytes). */
#ifndef DLK_TRANSFORMER_H
#define DLK_TRANSFORMER_H

#include "common.h"

/* ------------------------------------------------------------ RotaryEmbedding */

/*@ dlk_rotary_params : dlk_common */
typedef struct dlk_rotary_params {
    int64_t batch, heads, seq, head;  /* head: the head size */
    int64_t rot_dim;                  /* the first rot_dim elements of a head rotate */
    int64_t interleaved;              /* 1: pairs (2i, 2i+1); 0: halves (i, i + rot_dim/2) */
    int64_t x_stride[3];              /* batch, head, position (X and Y share the layout) */
    int64_t cache_rows;               /* with position_ids: rows of the [rows, rot_dim/2] caches */
    int64_t cache_stride[2];          /* without position_ids: batch, position strides of the caches */
} dlk_rotary_params;
/*@end*/

/* Rotates every head of X by the angle of its position: with position_ids
 * the cos/sin row is pos[b, s] (clamped into the cache: the generated code
 * never reads outside it), else the caches are indexed by (b, s) directly.
 * real = cos*x1 - sin*x2, imag = sin*x1 + cos*x2, as the spec computes. */
/*@ dlk_rotary_f32 : dlk_rotary_params */
static void dlk_rotary_f32(const dlk_rotary_params *p, const float *x, const float *cos_c,
                           const float *sin_c, const int64_t *pos, float *y)
{
    int64_t half = p->rot_dim / 2, b, h, s, i;
    for (b = 0; b < p->batch; b++)
        for (s = 0; s < p->seq; s++) {
            const float *c, *sn;
            if (pos) {
                int64_t row = pos[b * p->seq + s];
                row = row < 0 ? 0 : row >= p->cache_rows ? p->cache_rows - 1 : row;
                c = cos_c + row * half;
                sn = sin_c + row * half;
            } else {
                c = cos_c + b * p->cache_stride[0] + s * p->cache_stride[1];
                sn = sin_c + b * p->cache_stride[0] + s * p->cache_stride[1];
            }
            for (h = 0; h < p->heads; h++) {
                int64_t at = b * p->x_stride[0] + h * p->x_stride[1] + s * p->x_stride[2];
                const float *xi = x + at;
                float *yo = y + at;
                for (i = 0; i < half; i++) {
                    int64_t i1 = p->interleaved ? 2 * i : i, i2 = p->interleaved ? 2 * i + 1 : i + half;
                    float x1 = xi[i1], x2 = xi[i2];
                    yo[i1] = c[i] * x1 - sn[i] * x2;
                    yo[i2] = sn[i] * x1 + c[i] * x2;
                }
                for (i = p->rot_dim; i < p->head; i++)
                    yo[i] = xi[i];
            }
        }
}
/*@end*/

/* --------------------------------------------------------------------- SwiGLU */

/* y = a * sigmoid(alpha * a) * b */
/*@ dlk_swiglu_f32 : dlk_common */
static void dlk_swiglu_f32(const float *a, const float *b, float *y, int64_t n, float alpha)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        float sig = 1.0f / (1.0f + expf(-alpha * a[i]));
        y[i] = a[i] * sig * b[i];
    }
}
/*@end*/

/*@ dlk_swiglu_f64 : dlk_common */
static void dlk_swiglu_f64(const double *a, const double *b, double *y, int64_t n, double alpha)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        double sig = 1.0 / (1.0 + exp(-alpha * a[i]));
        y[i] = a[i] * sig * b[i];
    }
}
/*@end*/

/* -------------------------------------------------------- CausalConvWithState */

/*@ dlk_causal_conv_params : dlk_common */
typedef struct dlk_causal_conv_params {
    int64_t batch, channels, len, k;  /* input [batch, channels, len], weight [channels, 1, k] */
    int64_t silu;                     /* 1: y = conv * sigmoid(conv) */
    int64_t round_f16;                /* 1: round conv to float16 before the SiLU (a float16 model) */
} dlk_causal_conv_params;
/*@end*/

/* Depthwise causal conv over the sequence past (k-1 values, zeros when
 * absent) followed by x; present gets the last k-1 values of that sequence.
 * A float16 model computes here in float32 (its inputs widened, outputs
 * rounded back); the spec's conv output is float16 before the activation,
 * so with round_f16 that intermediate is rounded to float16 precision
 * (nearest even; rint under the default rounding mode). */
/*@ dlk_causal_conv_f32 : dlk_causal_conv_params */
static float dlk_causal_conv_round_f16_(float x)
{
    double a = fabs((double)x), q;
    int e;
    if (x != x)
        return x;
    if (a >= 65520.0)
        return x > 0 ? INFINITY : -INFINITY;
    if (a < 6.103515625e-05) /* 2^-14: float16 subnormals, spaced 2^-24 */
        return (float)(rint((double)x * 16777216.0) / 16777216.0);
    (void)frexp(a, &e);
    q = ldexp(1.0, e - 11);
    return (float)(rint((double)x / q) * q);
}

static float dlk_causal_conv_at_(const float *past, const float *x, int64_t k, int64_t j)
{
    if (j >= k - 1)
        return x[j - (k - 1)];
    return past ? past[j] : 0.0f;
}

static void dlk_causal_conv_f32(const dlk_causal_conv_params *p, const float *x, const float *w,
                                const float *bias, const float *past, float *y, float *present)
{
    int64_t k = p->k, b, c, t, j;
    for (b = 0; b < p->batch; b++)
        for (c = 0; c < p->channels; c++) {
            int64_t row = b * p->channels + c;
            const float *xr = x + row * p->len, *wr = w + c * k;
            const float *pr = past ? past + row * (k - 1) : NULL;
            float *yr = y + row * p->len;
            for (t = 0; t < p->len; t++) {
                float acc = 0.0f;
                for (j = 0; j < k; j++)
                    acc += wr[j] * dlk_causal_conv_at_(pr, xr, k, t + j);
                if (bias)
                    acc += bias[c];
                if (p->round_f16)
                    acc = dlk_causal_conv_round_f16_(acc);
                yr[t] = p->silu ? acc * (1.0f / (1.0f + expf(-acc))) : acc;
            }
            if (present)
                for (j = 0; j < k - 1; j++)
                    present[row * (k - 1) + j] = dlk_causal_conv_at_(pr, xr, k, p->len + j);
        }
}
/*@end*/

/* ------------------------------------------------------------ LinearAttention */

/*@ dlk_linear_attention_params : dlk_common */
typedef struct dlk_linear_attention_params {
    int64_t batch, seq, q_heads, kv_heads, dk, dv;
    int64_t gated, delta;  /* the update rule: linear 0 0, gated 1 0, delta 0 1, gated_delta 1 1 */
    int64_t decay_width;   /* decay's last dim: kv_heads (per head) or kv_heads*dk (per key dim) */
    int64_t beta_width;    /* beta's last dim: kv_heads or 1 */
    float scale;
} dlk_linear_attention_params;
/*@end*/

/* The recurrence run token by token, one kv head at a time, with the state
 * S [dk, dv] kept in present (so no scratch). The delta correction of column
 * m reads only column m of S, so each column is corrected and written in
 * turn. Query head j reads kv head j / (q_heads / kv_heads). */
/*@ dlk_linear_attention_f32 : dlk_linear_attention_params */
static void dlk_linear_attention_step_(const dlk_linear_attention_params *p, float *st, const float *kt,
                                       const float *vt, const float *gt, float beta)
{
    int64_t d, m, dk = p->dk, dv = p->dv;
    if (gt)
        for (d = 0; d < dk; d++) {
            float e = expf(p->decay_width == p->kv_heads ? gt[0] : gt[d]);
            for (m = 0; m < dv; m++)
                st[d * dv + m] *= e;
        }
    for (m = 0; m < dv; m++) {
        float u = vt[m];
        if (p->delta) {
            float r = 0.0f;
            for (d = 0; d < dk; d++)
                r += st[d * dv + m] * kt[d];
            u = beta * (u - r);
        }
        for (d = 0; d < dk; d++)
            st[d * dv + m] += kt[d] * u;
    }
}

static void dlk_linear_attention_f32(const dlk_linear_attention_params *p, const float *q, const float *k,
                                     const float *v, const float *past, const float *decay,
                                     const float *beta, float *out, float *present)
{
    int64_t group = p->q_heads / p->kv_heads, dk = p->dk, dv = p->dv, b, h, t, j, d, m;
    for (b = 0; b < p->batch; b++)
        for (h = 0; h < p->kv_heads; h++) {
            float *st = present + (b * p->kv_heads + h) * dk * dv;
            if (past)
                memcpy(st, past + (b * p->kv_heads + h) * dk * dv, (size_t)(dk * dv) * sizeof(float));
            else
                memset(st, 0, (size_t)(dk * dv) * sizeof(float));
            for (t = 0; t < p->seq; t++) {
                int64_t bt = b * p->seq + t;
                const float *gt = NULL;
                float bv = 0.0f;
                if (p->gated)
                    gt = decay + bt * p->decay_width + (p->decay_width == p->kv_heads ? h : h * dk);
                if (p->delta)
                    bv = beta[bt * p->beta_width + (p->beta_width == 1 ? 0 : h)];
                dlk_linear_attention_step_(p, st, k + (bt * p->kv_heads + h) * dk,
                                           v + (bt * p->kv_heads + h) * dv, gt, bv);
                for (j = h * group; j < (h + 1) * group; j++) {
                    const float *qt = q + (bt * p->q_heads + j) * dk;
                    float *ot = out + (bt * p->q_heads + j) * dv;
                    for (m = 0; m < dv; m++) {
                        float acc = 0.0f;
                        for (d = 0; d < dk; d++)
                            acc += qt[d] * st[d * dv + m];
                        ot[m] = p->scale * acc;
                    }
                }
            }
        }
}
/*@end*/

/* -------------------------------------------------------------- TensorScatter */

/*@ dlk_tensor_scatter_params : dlk_common */
typedef struct dlk_tensor_scatter_params {
    int64_t batch;      /* dim 0 */
    int64_t outer;      /* product of the dims before the axis (batch included) */
    int64_t max_len;    /* the cache's axis dim */
    int64_t upd_len;    /* the update's axis dim */
    int64_t inner;      /* product of the dims after the axis */
    int64_t elem;       /* bytes per element */
    int64_t circular;   /* 1: positions wrap modulo max_len */
} dlk_tensor_scatter_params;
/*@end*/

/* present = past with update written at positions idx[b] + s along the axis.
 * Linear mode skips positions outside the cache (the spec requires there
 * are none; the generated code must not write outside the buffer). */
/*@ dlk_tensor_scatter : dlk_tensor_scatter_params */
static void dlk_tensor_scatter(const dlk_tensor_scatter_params *p, const void *past, const void *update,
                               const int64_t *idx, void *present)
{
    const unsigned char *src = (const unsigned char *)update;
    unsigned char *dst = (unsigned char *)present;
    size_t row = (size_t)(p->inner * p->elem);
    int64_t per_batch, o, s;
    if (present != past)
        memmove(present, past, (size_t)(p->outer * p->max_len) * row);
    if (p->outer == 0 || p->max_len == 0)
        return;
    per_batch = p->outer / p->batch;
    for (o = 0; o < p->outer; o++) {
        int64_t start = idx ? idx[o / per_batch] : 0;
        for (s = 0; s < p->upd_len; s++) {
            int64_t at = start + s;
            if (p->circular)
                at = ((at % p->max_len) + p->max_len) % p->max_len;
            else if (at < 0 || at >= p->max_len)
                continue;
            memcpy(dst + (size_t)(o * p->max_len + at) * row, src + (size_t)(o * p->upd_len + s) * row, row);
        }
    }
}
/*@end*/

#endif
