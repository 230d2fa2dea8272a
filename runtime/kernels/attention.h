/* Scaled dot-product attention (ONNX Attention-23/24/25), float32.
 *
 * Q, K, V and Y are addressed through (batch, head, position) strides with
 * the head dim contiguous, so the 4-D [B, H, S, D] and 3-D [B, S, H*D]
 * layouts need no transpose. Keys j < past_len come from past_k/past_v
 * ([B, kv_heads, past_len, D]), the rest from K/V. Query head h reads kv
 * head h / (q_heads / kv_heads) (grouped-query attention).
 *
 * The additive bias of score (b, h, i, j) is 0 or -inf from: the mask (float:
 * added; bool: false -> -inf; j past the mask's length -> -inf), is_causal
 * (j > i + offset), the window (25), and nonpad_kv_seqlen (j >= nonpad[b]).
 * offset is past_len, else nonpad[b] - q_len, else 0. A row whose bias is
 * -inf everywhere gives zeros (Y and the mode-3 output), not NaN.
 *
 * No scratch: the softmax takes two passes over the scores (recomputed),
 * the first for the maximum and the sum, the second accumulates Y. */
#ifndef DLK_ATTENTION_H
#define DLK_ATTENTION_H

#include "common.h"

/*@ dlk_attention_params : dlk_common */
typedef struct dlk_attention_params {
    int64_t batch, q_heads, kv_heads, q_len, kv_len, past_len, head, v_head;
    int64_t q_stride[3], k_stride[3], v_stride[3], y_stride[3]; /* batch, head, position */
    int64_t mask_len;        /* the mask's last dim (keys beyond it are masked) */
    int64_t mask_stride[4];  /* batch, q head, query, key; 0 on broadcast dims */
    int64_t is_causal, left_window, right_window; /* window sides: -1 = unbounded */
    int64_t qk_mode;         /* what qk_out holds: 0 raw, 1 softcapped, 2 + bias, 3 softmax */
    float scale_sqrt;        /* Q and K are each scaled by sqrt(scale), as the spec does */
    float softcap;           /* > 0: s = softcap * tanh(s / softcap) */
} dlk_attention_params;
/*@end*/

/*@ dlk_attention_f32 : dlk_attention_params */
/* The additive bias of key j for query i (0, a float mask value, or -inf). */
static float dlk_attention_bias_(const dlk_attention_params *p, const float *mask_f,
                                 const uint8_t *mask_b, const int64_t *nonpad, int64_t b,
                                 int64_t h, int64_t i, int64_t j)
{
    float bias = 0.0f;
    int64_t offset = p->past_len > 0 ? p->past_len : nonpad ? nonpad[b] - p->q_len : 0;
    if (mask_f || mask_b) {
        int64_t at = b * p->mask_stride[0] + h * p->mask_stride[1] + i * p->mask_stride[2] +
                     j * p->mask_stride[3];
        if (j >= p->mask_len)
            return -INFINITY;
        if (mask_b && !mask_b[at])
            return -INFINITY;
        if (mask_f)
            bias = mask_f[at];
    }
    if (p->is_causal && j > i + offset)
        return -INFINITY;
    if (p->left_window >= 0 && (i + offset) - j > p->left_window)
        return -INFINITY;
    if (p->right_window >= 0 && j - (i + offset) > p->right_window)
        return -INFINITY;
    if (nonpad && j >= nonpad[b])
        return -INFINITY;
    return bias;
}

/* Score of query row qr against key j of kv head (b, kh), after softcap;
 * *raw gets the plain scaled product. */
static float dlk_attention_score_(const dlk_attention_params *p, const float *qr, const float *k,
                                  const float *past_k, int64_t b, int64_t kh, int64_t j, float *raw)
{
    const float *kr;
    float s = 0.0f;
    int64_t d;
    if (j < p->past_len)
        kr = past_k + ((b * p->kv_heads + kh) * p->past_len + j) * p->head;
    else
        kr = k + b * p->k_stride[0] + kh * p->k_stride[1] + (j - p->past_len) * p->k_stride[2];
    for (d = 0; d < p->head; d++)
        s += (qr[d] * p->scale_sqrt) * (kr[d] * p->scale_sqrt);
    *raw = s;
    if (p->softcap > 0.0f)
        s = p->softcap * tanhf(s / p->softcap);
    return s;
}

static const float *dlk_attention_vrow_(const dlk_attention_params *p, const float *v,
                                        const float *past_v, int64_t b, int64_t kh, int64_t j)
{
    if (j < p->past_len)
        return past_v + ((b * p->kv_heads + kh) * p->past_len + j) * p->v_head;
    return v + b * p->v_stride[0] + kh * p->v_stride[1] + (j - p->past_len) * p->v_stride[2];
}

/* present = concat(past, new) along the position axis, [B, kv_heads, kv_len, dim]. */
static void dlk_attention_present_(const dlk_attention_params *p, const float *x,
                                   const int64_t *stride, const float *past, int64_t dim,
                                   float *present)
{
    int64_t b, h, j;
    for (b = 0; b < p->batch; b++)
        for (h = 0; h < p->kv_heads; h++)
            for (j = 0; j < p->kv_len; j++) {
                const float *src = j < p->past_len
                    ? past + ((b * p->kv_heads + h) * p->past_len + j) * dim
                    : x + b * stride[0] + h * stride[1] + (j - p->past_len) * stride[2];
                memcpy(present + ((b * p->kv_heads + h) * p->kv_len + j) * dim, src,
                       (size_t)dim * sizeof *present);
            }
}

/* One query row (b, h, i): Y's row and, when asked, qk_out's row. */
static void dlk_attention_row_(const dlk_attention_params *p, const float *q, const float *k,
                               const float *v, const float *mask_f, const uint8_t *mask_b,
                               const float *past_k, const float *past_v, const int64_t *nonpad,
                               int64_t b, int64_t h, int64_t i, float *y, float *qk_out)
{
    const int64_t kh = h / (p->q_heads / p->kv_heads);
    const float *qr = q + b * p->q_stride[0] + h * p->q_stride[1] + i * p->q_stride[2];
    float *yr = y + b * p->y_stride[0] + h * p->y_stride[1] + i * p->y_stride[2];
    float *qo = qk_out ? qk_out + ((b * p->q_heads + h) * p->q_len + i) * p->kv_len : NULL;
    float m = -INFINITY, raw;
    double sum = 0.0;
    int64_t j, d;
    for (d = 0; d < p->v_head; d++)
        yr[d] = 0.0f;
    /* Pass 1: the maximum over attended keys, and the debug output. */
    for (j = 0; j < p->kv_len; j++) {
        float bias = dlk_attention_bias_(p, mask_f, mask_b, nonpad, b, h, i, j);
        float s = dlk_attention_score_(p, qr, k, past_k, b, kh, j, &raw);
        if (qo)
            qo[j] = p->qk_mode == 0 ? raw : p->qk_mode == 1 ? s : s + bias;
        if (bias != -INFINITY && s + bias > m)
            m = s + bias;
    }
    for (j = 0; j < p->kv_len; j++) {
        float bias = dlk_attention_bias_(p, mask_f, mask_b, nonpad, b, h, i, j);
        if (bias != -INFINITY)
            sum += expf(dlk_attention_score_(p, qr, k, past_k, b, kh, j, &raw) + bias - m);
    }
    /* Pass 2: the probabilities; a fully masked row (sum 0) stays zero. */
    for (j = 0; j < p->kv_len; j++) {
        float bias = dlk_attention_bias_(p, mask_f, mask_b, nonpad, b, h, i, j), pr = 0.0f;
        if (bias != -INFINITY && sum > 0.0) {
            const float *vr = dlk_attention_vrow_(p, v, past_v, b, kh, j);
            pr = expf(dlk_attention_score_(p, qr, k, past_k, b, kh, j, &raw) + bias - m) / (float)sum;
            for (d = 0; d < p->v_head; d++)
                yr[d] += pr * vr[d];
        }
        if (qo && p->qk_mode == 3)
            qo[j] = pr;
    }
}

/* present_k/present_v/qk_out may be NULL; so may mask_f/mask_b (at most one
 * is given), past_k/past_v (with past_len 0) and nonpad. */
static void dlk_attention_f32(const dlk_attention_params *p, const float *q, const float *k,
                              const float *v, const float *mask_f, const uint8_t *mask_b,
                              const float *past_k, const float *past_v, const int64_t *nonpad,
                              float *y, float *present_k, float *present_v, float *qk_out)
{
    int64_t b, h, i;
    if (present_k)
        dlk_attention_present_(p, k, p->k_stride, past_k, p->head, present_k);
    if (present_v)
        dlk_attention_present_(p, v, p->v_stride, past_v, p->v_head, present_v);
    for (b = 0; b < p->batch; b++)
        for (h = 0; h < p->q_heads; h++)
            for (i = 0; i < p->q_len; i++)
                dlk_attention_row_(p, q, k, v, mask_f, mask_b, past_k, past_v, nonpad, b, h, i, y,
                                   qk_out);
}
/*@end*/

#endif
