/* Recurrent layers: ONNX RNN, GRU and LSTM, float32.
 *
 * Batch rows are independent, so the kernel runs one batch row at a time
 * through all time steps of one direction; the state of that row (hidden,
 * cell, gate pre-activations) lives in fixed arrays on the stack, which is
 * why the hidden size is limited to DLK_RNN_MAX_HIDDEN (the compiler refuses
 * larger layers). Gate order follows ONNX: RNN [i], GRU [z r h], LSTM
 * [i o f c]; W is [dirs, G*H, input], R is [dirs, G*H, H], B is
 * [dirs, 2*G*H] (Wb then Rb), P is [dirs, 3*H] (i o f). */
#ifndef DLK_RNN_H
#define DLK_RNN_H

#include "common.h"

/*@ dlk_rnn_params : dlk_common */
#define DLK_RNN_MAX_HIDDEN 1024
enum {
    DLK_RNN_RELU, DLK_RNN_TANH, DLK_RNN_SIGMOID, DLK_RNN_AFFINE, DLK_RNN_LEAKY_RELU,
    DLK_RNN_THRESHOLDED_RELU, DLK_RNN_SCALED_TANH, DLK_RNN_HARD_SIGMOID, DLK_RNN_ELU,
    DLK_RNN_SOFTSIGN, DLK_RNN_SOFTPLUS
};
typedef struct dlk_rnn_params {
    int64_t kind;                 /* 0 RNN, 1 GRU, 2 LSTM */
    int64_t seq, batch, input, hidden;
    int64_t dirs;                 /* 1 or 2 */
    int64_t reverse;              /* dirs == 1: the direction runs backwards */
    int64_t layout;               /* 0: [seq, batch, ...]; 1: [batch, seq, ...] */
    int64_t act[6];               /* per direction: f, g, h (DLK_RNN_*) */
    float alpha[6], beta[6];
    float clip;                   /* > 0: pre-activations clipped to [-clip, clip] */
    int64_t linear_before_reset;  /* GRU */
    int64_t input_forget;         /* LSTM: f = 1 - i */
} dlk_rnn_params;
/*@end*/

/*@ dlk_rnn_f32 : dlk_rnn_params */
static float dlk_rnn_act_f32(int64_t kind, float alpha, float beta, float x)
{
    switch (kind) {
    case DLK_RNN_RELU: return x > 0.0f ? x : 0.0f;
    case DLK_RNN_TANH: return tanhf(x);
    case DLK_RNN_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case DLK_RNN_AFFINE: return alpha * x + beta;
    case DLK_RNN_LEAKY_RELU: return x >= 0.0f ? x : alpha * x;
    case DLK_RNN_THRESHOLDED_RELU: return x > alpha ? x : 0.0f;
    case DLK_RNN_SCALED_TANH: return alpha * tanhf(beta * x);
    case DLK_RNN_HARD_SIGMOID: {
        float v = alpha * x + beta;
        return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    }
    case DLK_RNN_ELU: return x >= 0.0f ? x : alpha * (expf(x) - 1.0f);
    case DLK_RNN_SOFTSIGN: return x / (1.0f + fabsf(x));
    default: return logf(1.0f + expf(x));   /* DLK_RNN_SOFTPLUS */
    }
}

static float dlk_rnn_clip_f32(float clip, float x)
{
    if (clip > 0.0f)
        x = x < -clip ? -clip : x > clip ? clip : x;
    return x;
}

/* out[j] = add[j] + sum_k v[k] * m[j*k_n + k], for j < rows (add may be NULL). */
static void dlk_rnn_matvec_f32(const float *m, const float *v, const float *add, int64_t rows,
                               int64_t k_n, float *out)
{
    int64_t j, k;
    for (j = 0; j < rows; j++) {
        const float *mr = m + j * k_n;
        float s = add != NULL ? add[j] : 0.0f;
        for (k = 0; k < k_n; k++)
            s += v[k] * mr[k];
        out[j] = s;
    }
}

/* One direction d over one batch row b. */
static void dlk_rnn_dir_f32(const dlk_rnn_params *p, int64_t d, int64_t b, const float *x,
                            const float *w, const float *r, const float *bias, int64_t len,
                            const float *init_h, const float *init_c, const float *peep, float *y,
                            float *y_h, float *y_c)
{
    float gates[4 * DLK_RNN_MAX_HIDDEN], rec[4 * DLK_RNN_MAX_HIDDEN];
    float h[DLK_RNN_MAX_HIDDEN], c[DLK_RNN_MAX_HIDDEN], rh[DLK_RNN_MAX_HIDDEN];
    int64_t H = p->hidden, I = p->input, G = p->kind == 0 ? 1 : p->kind == 1 ? 3 : 4;
    int64_t nb = p->batch, ns = p->seq, dirs = p->dirs, step, j;
    int64_t back = dirs == 2 ? d == 1 : p->reverse;
    const int64_t *act = p->act + 3 * d;
    const float *al = p->alpha + 3 * d, *be = p->beta + 3 * d;
    const float *wd = w + d * G * H * I, *rd = r + d * G * H * H;
    const float *wb = bias != NULL ? bias + d * 2 * G * H : NULL, *rb = wb != NULL ? wb + G * H : NULL;
    const float *pd = peep != NULL ? peep + d * 3 * H : NULL;
    int64_t hs_off = p->layout == 0 ? (d * nb + b) * H : (b * dirs + d) * H;
    float clip = p->clip;
    for (j = 0; j < H; j++) {
        h[j] = init_h != NULL ? init_h[hs_off + j] : 0.0f;
        c[j] = init_c != NULL ? init_c[hs_off + j] : 0.0f;
    }
    for (step = 0; step < len; step++) {
        int64_t t = back ? len - 1 - step : step;
        const float *xt = x + (p->layout == 0 ? (t * nb + b) * I : (b * ns + t) * I);
        dlk_rnn_matvec_f32(wd, xt, wb, G * H, I, gates);
        if (p->kind == 0) {
            dlk_rnn_matvec_f32(rd, h, rb, H, H, rec);
            for (j = 0; j < H; j++)
                h[j] = dlk_rnn_act_f32(act[0], al[0], be[0], dlk_rnn_clip_f32(clip, gates[j] + rec[j]));
        } else if (p->kind == 1) {
            /* z and r take the full recurrence; h's depends on linear_before_reset. */
            dlk_rnn_matvec_f32(rd, h, rb, 2 * H, H, rec);
            for (j = 0; j < 2 * H; j++)
                gates[j] = dlk_rnn_act_f32(act[0], al[0], be[0], dlk_rnn_clip_f32(clip, gates[j] + rec[j]));
            if (p->linear_before_reset) {
                dlk_rnn_matvec_f32(rd + 2 * H * H, h, rb != NULL ? rb + 2 * H : NULL, H, H, rec);
                for (j = 0; j < H; j++)
                    rec[j] *= gates[H + j];
            } else {
                for (j = 0; j < H; j++)
                    rh[j] = gates[H + j] * h[j];
                dlk_rnn_matvec_f32(rd + 2 * H * H, rh, rb != NULL ? rb + 2 * H : NULL, H, H, rec);
            }
            for (j = 0; j < H; j++) {
                float ht = dlk_rnn_act_f32(act[1], al[1], be[1], dlk_rnn_clip_f32(clip, gates[2 * H + j] + rec[j]));
                float z = gates[j];
                h[j] = (1.0f - z) * ht + z * h[j];
            }
        } else {
            dlk_rnn_matvec_f32(rd, h, rb, 4 * H, H, rec);
            for (j = 0; j < H; j++) {
                float gi = gates[j] + rec[j], go = gates[H + j] + rec[H + j];
                float gf = gates[2 * H + j] + rec[2 * H + j], gc = gates[3 * H + j] + rec[3 * H + j];
                float it, ft, ct, ot;
                if (pd != NULL) {
                    gi += pd[j] * c[j];
                    gf += pd[2 * H + j] * c[j];
                }
                it = dlk_rnn_act_f32(act[0], al[0], be[0], dlk_rnn_clip_f32(clip, gi));
                ft = p->input_forget ? 1.0f - it
                                     : dlk_rnn_act_f32(act[0], al[0], be[0], dlk_rnn_clip_f32(clip, gf));
                ct = dlk_rnn_act_f32(act[1], al[1], be[1], dlk_rnn_clip_f32(clip, gc));
                c[j] = ft * c[j] + it * ct;
                if (pd != NULL)
                    go += pd[H + j] * c[j];
                ot = dlk_rnn_act_f32(act[0], al[0], be[0], dlk_rnn_clip_f32(clip, go));
                h[j] = ot * dlk_rnn_act_f32(act[2], al[2], be[2], c[j]);
            }
        }
        if (y != NULL)
            memcpy(y + (p->layout == 0 ? ((t * dirs + d) * nb + b) * H : ((b * ns + t) * dirs + d) * H),
                   h, (size_t)H * sizeof(float));
    }
    if (y_h != NULL)
        memcpy(y_h + hs_off, h, (size_t)H * sizeof(float));
    if (y_c != NULL)
        memcpy(y_c + hs_off, c, (size_t)H * sizeof(float));
}

/* y [seq, dirs, batch, H] (layout 1: [batch, seq, dirs, H]), y_h and y_c
 * [dirs, batch, H] ([batch, dirs, H]); each may be NULL. Steps past a row's
 * sequence length leave zeros in y. seq_lens, init_h, init_c, bias, peep
 * may be NULL. */
static void dlk_rnn_f32(const dlk_rnn_params *p, const float *x, const float *w, const float *r,
                        const float *bias, const int32_t *seq_lens, const float *init_h,
                        const float *init_c, const float *peep, float *y, float *y_h, float *y_c)
{
    int64_t b, d;
    if (y != NULL)
        memset(y, 0, (size_t)(p->seq * p->dirs * p->batch * p->hidden) * sizeof(float));
    for (b = 0; b < p->batch; b++) {
        int64_t len = seq_lens != NULL ? (int64_t)seq_lens[b] : p->seq;
        len = len < 0 ? 0 : len > p->seq ? p->seq : len;
        for (d = 0; d < p->dirs; d++)
            dlk_rnn_dir_f32(p, d, b, x, w, r, bias, len, init_h, init_c, peep, y, y_h, y_c);
    }
}
/*@end*/

#endif
