/* Attention (opsets 23, 24, 25), float32.
 * Inputs Q, K, V [, attn_mask, past_key, past_value, nonpad_kv_seqlen (24)];
 * outputs Y [, present_key, present_value, qk_matmul_output].
 * Q/K/V are 4-D [B, heads, S, head] or 3-D [B, S, heads*head] with the
 * q_num_heads / kv_num_heads attributes. Version 24 added nonpad_kv_seqlen
 * (an external KV cache: padding mask and causal offset); 25 added
 * left_window_size / right_window_size (a sliding window). softmax_precision
 * is accepted and ignored: the softmax sums in double.
 * All the work is one kernel, dlk_attention_f32 (runtime/kernels/attention.h). */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/attention.h"

typedef struct attention_attrs {
    int64_t q_num_heads, kv_num_heads; /* 0: not given */
    int64_t is_causal, qk_mode, left_window, right_window;
    float scale;                       /* 0: 1/sqrt(head size) */
    float softcap;
} attention_attrs;

enum { IN_Q, IN_K, IN_V, IN_MASK, IN_PAST_K, IN_PAST_V, IN_NONPAD };

static const dl_value *att_in(const dl_node *n, int i)
{
    return i < n->n_inputs ? n->inputs[i] : NULL;
}

static int attention_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    attention_attrs *a;
    if (dl_check_inputs(d, n, 3, n->opset >= 24 ? 7 : 6) < 0)
        return -1;
    a = dl_node_params(g, n, sizeof *a);
    if (!a)
        return dl_error(d, n, "out of memory");
    a->q_num_heads = dl_attr_int(n, "q_num_heads", 0);
    a->kv_num_heads = dl_attr_int(n, "kv_num_heads", 0);
    a->is_causal = dl_attr_int(n, "is_causal", 0);
    a->qk_mode = dl_attr_int(n, "qk_matmul_output_mode", 0);
    a->scale = dl_attr_float(n, "scale", 0.0f);
    a->softcap = dl_attr_float(n, "softcap", 0.0f);
    a->left_window = n->opset >= 25 ? dl_attr_int(n, "left_window_size", -1) : -1;
    a->right_window = n->opset >= 25 ? dl_attr_int(n, "right_window_size", -1) : -1;
    if (a->qk_mode < 0 || a->qk_mode > 3)
        return dl_error(d, n, "attribute 'qk_matmul_output_mode' is %" PRId64 "; expected 0, 1, 2 or 3",
                        a->qk_mode);
    if (a->left_window < -1 || a->right_window < -1)
        return dl_error(d, n, "attributes 'left_window_size' (%" PRId64 ") and 'right_window_size' (%" PRId64
                        ") must be -1 or >= 0", a->left_window, a->right_window);
    return 0;
}

static int check_input(dl_diag *d, const dl_node *n, int i, const char *what, dl_dtype dt)
{
    const dl_value *v = att_in(n, i);
    if (v->rank < 0)
        return dl_error(d, n, "input '%s' ('%s') has an unknown shape; give it with --shape", what, v->name);
    if (v->dtype == DL_FLOAT16)
        return dl_error(d, n, "input '%s' is float16; Attention in float16 is not supported", what);
    return dl_check_dtype(d, n, v, what, dt);
}

/* Sequence length, heads and head size of a 3-D or 4-D Q/K/V, with the
 * (batch, head, position) strides of its layout. */
static int qkv_view(dl_diag *d, const dl_node *n, int i, const char *what, int64_t heads_attr,
                    int64_t *seq, int64_t *heads, int64_t *head, int64_t *stride)
{
    const dl_value *v = att_in(n, i);
    if (v->rank == 4) {
        *heads = v->dims[1];
        *seq = v->dims[2];
        *head = v->dims[3];
        stride[0] = *heads * *seq * *head;
        stride[1] = *seq * *head;
        stride[2] = *head;
        return 0;
    }
    if (v->rank != 3)
        return dl_error(d, n, "input '%s' has rank %d; expected 3 or 4", what, v->rank);
    if (heads_attr <= 0 || v->dims[2] % heads_attr != 0)
        return dl_error(d, n, "input '%s' is 3-D with hidden size %" PRId64 "; the heads attribute (%" PRId64
                        ") must be given and divide it", what, v->dims[2], heads_attr);
    *heads = heads_attr;
    *seq = v->dims[1];
    *head = v->dims[2] / heads_attr;
    stride[0] = v->dims[1] * v->dims[2];
    stride[1] = *head;
    stride[2] = v->dims[2];
    return 0;
}

/* Mask strides over (batch, q head, query, key), right-aligned broadcast. */
static int mask_view(dl_diag *d, const dl_node *n, dlk_attention_params *kp)
{
    const dl_value *m = att_in(n, IN_MASK);
    const int64_t full[4] = {kp->batch, kp->q_heads, kp->q_len, kp->kv_len};
    int64_t stride = 1;
    if (m->rank < 1 || m->rank > 4)
        return dl_error(d, n, "input 'attn_mask' has rank %d; expected 1 to 4", m->rank);
    kp->mask_len = m->dims[m->rank - 1];
    if (kp->mask_len > kp->kv_len)
        return dl_error(d, n, "input 'attn_mask' covers %" PRId64 " keys; there are only %" PRId64,
                        kp->mask_len, kp->kv_len);
    for (int k = 3; k >= 0; k--) {
        int mi = m->rank - 4 + k;
        int64_t dim = mi >= 0 ? m->dims[mi] : 1, want = k == 3 ? kp->mask_len : full[k];
        if (dim != 1 && dim != want)
            return dl_error(d, n, "input 'attn_mask' dim %d is %" PRId64 "; it must be 1 or %" PRId64, mi, dim,
                            want);
        kp->mask_stride[k] = dim == 1 && k != 3 ? 0 : stride;
        stride *= dim;
    }
    return 0;
}

static int past_view(dl_diag *d, const dl_node *n, dlk_attention_params *kp)
{
    const dl_value *pk = att_in(n, IN_PAST_K), *pv = att_in(n, IN_PAST_V);
    if (!pk && !pv)
        return 0;
    if (!pk || !pv)
        return dl_error(d, n, "inputs 'past_key' and 'past_value' must be given together");
    if (att_in(n, IN_NONPAD))
        return dl_error(d, n, "input 'nonpad_kv_seqlen' cannot be combined with 'past_key'");
    if (check_input(d, n, IN_PAST_K, "past_key", DL_FLOAT) < 0 ||
        check_input(d, n, IN_PAST_V, "past_value", DL_FLOAT) < 0)
        return -1;
    if (pk->rank != 4 || pv->rank != 4 || pk->dims[0] != kp->batch || pk->dims[1] != kp->kv_heads ||
        pk->dims[3] != kp->head || pv->dims[0] != kp->batch || pv->dims[1] != kp->kv_heads ||
        pv->dims[2] != pk->dims[2] || pv->dims[3] != kp->v_head)
        return dl_error(d, n, "inputs 'past_key'/'past_value' must be [%" PRId64 ", %" PRId64 ", P, %" PRId64
                        "] and [.., P, %" PRId64 "]", kp->batch, kp->kv_heads, kp->head, kp->v_head);
    kp->past_len = pk->dims[2];
    return 0;
}

static int attention_make_params(dl_diag *d, const dl_node *n, dlk_attention_params *kp)
{
    const attention_attrs *a = n->params;
    const dl_value *q = att_in(n, IN_Q), *k = att_in(n, IN_K), *v = att_in(n, IN_V), *m = att_in(n, IN_MASK);
    const dl_value *np = att_in(n, IN_NONPAD);
    int64_t q_head, kv_seq, v_seq, v_heads, k_head_heads;
    if (!q || !k || !v)
        return dl_error(d, n, "inputs 'Q', 'K' and 'V' are required");
    if (check_input(d, n, IN_Q, "Q", DL_FLOAT) < 0 || check_input(d, n, IN_K, "K", DL_FLOAT) < 0 ||
        check_input(d, n, IN_V, "V", DL_FLOAT) < 0)
        return -1;
    if (q->rank != k->rank || q->rank != v->rank)
        return dl_error(d, n, "inputs 'Q', 'K', 'V' have ranks %d, %d, %d; they must be equal", q->rank, k->rank,
                        v->rank);
    memset(kp, 0, sizeof *kp);
    if (qkv_view(d, n, IN_Q, "Q", a->q_num_heads, &kp->q_len, &kp->q_heads, &q_head, kp->q_stride) < 0 ||
        qkv_view(d, n, IN_K, "K", a->kv_num_heads, &kv_seq, &kp->kv_heads, &kp->head, kp->k_stride) < 0 ||
        qkv_view(d, n, IN_V, "V", a->kv_num_heads, &v_seq, &v_heads, &kp->v_head, kp->v_stride) < 0)
        return -1;
    kp->batch = q->dims[0];
    k_head_heads = kp->kv_heads;
    if (k->dims[0] != kp->batch || v->dims[0] != kp->batch || kv_seq != v_seq || v_heads != k_head_heads ||
        q_head != kp->head)
        return dl_error(d, n, "inputs 'Q', 'K', 'V' do not agree: batch, K/V sequence and heads, and the Q/K "
                        "head size must match");
    if (kp->kv_heads <= 0 || kp->q_heads % kp->kv_heads != 0)
        return dl_error(d, n, "Q has %" PRId64 " heads, K/V %" PRId64 "; the first must be a multiple of the second",
                        kp->q_heads, kp->kv_heads);
    if (past_view(d, n, kp) < 0)
        return -1;
    kp->kv_len = kp->past_len + kv_seq;
    if (q->rank == 4) {
        kp->y_stride[0] = kp->q_heads * kp->q_len * kp->v_head;
        kp->y_stride[1] = kp->q_len * kp->v_head;
        kp->y_stride[2] = kp->v_head;
    } else {
        kp->y_stride[0] = kp->q_len * kp->q_heads * kp->v_head;
        kp->y_stride[1] = kp->v_head;
        kp->y_stride[2] = kp->q_heads * kp->v_head;
    }
    if (m) {
        if (m->rank < 0)
            return dl_error(d, n, "input 'attn_mask' ('%s') has an unknown shape", m->name);
        if (m->dtype != DL_BOOL && check_input(d, n, IN_MASK, "attn_mask", DL_FLOAT) < 0)
            return -1;
        if (mask_view(d, n, kp) < 0)
            return -1;
    }
    if (np) {
        if (check_input(d, n, IN_NONPAD, "nonpad_kv_seqlen", DL_INT64) < 0)
            return -1;
        if (np->rank != 1 || np->dims[0] != kp->batch)
            return dl_error(d, n, "input 'nonpad_kv_seqlen' must have shape [%" PRId64 "]", kp->batch);
    }
    kp->is_causal = a->is_causal != 0;
    kp->left_window = a->left_window;
    kp->right_window = a->right_window;
    kp->qk_mode = a->qk_mode;
    /* sqrt in double, then float: the spec scales Q and K by sqrt(scale) each. */
    kp->scale_sqrt = (float)sqrt(a->scale != 0.0f ? (double)a->scale : 1.0 / sqrt((double)kp->head));
    kp->softcap = a->softcap;
    return 0;
}

static dl_value *att_out(const dl_node *n, int i)
{
    return i < n->n_outputs ? n->outputs[i] : NULL;
}

static int attention_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_attention_params kp;
    const dl_value *q = att_in(n, IN_Q);
    int64_t dims[4];
    (void)g;
    if (n->n_outputs < 1)
        return dl_error(d, n, "no output; Attention has at least Y");
    if (attention_make_params(d, n, &kp) < 0)
        return -1;
    if (q->rank == 4) {
        dims[0] = kp.batch, dims[1] = kp.q_heads, dims[2] = kp.q_len, dims[3] = kp.v_head;
        dl_value_set_shape(n->outputs[0], DL_FLOAT, 4, dims);
    } else {
        dims[0] = kp.batch, dims[1] = kp.q_len, dims[2] = kp.q_heads * kp.v_head;
        dl_value_set_shape(n->outputs[0], DL_FLOAT, 3, dims);
    }
    dims[0] = kp.batch, dims[1] = kp.kv_heads, dims[2] = kp.kv_len, dims[3] = kp.head;
    if (att_out(n, 1))
        dl_value_set_shape(n->outputs[1], DL_FLOAT, 4, dims);
    dims[3] = kp.v_head;
    if (att_out(n, 2))
        dl_value_set_shape(n->outputs[2], DL_FLOAT, 4, dims);
    dims[1] = kp.q_heads, dims[2] = kp.q_len, dims[3] = kp.kv_len;
    if (att_out(n, 3))
        dl_value_set_shape(n->outputs[3], DL_FLOAT, 4, dims);
    return 0;
}

static const dl_value *mask_of(const dl_node *n, dl_dtype dt)
{
    const dl_value *m = att_in(n, IN_MASK);
    return m && m->dtype == dt ? m : NULL;
}

static void *out_data(const dl_node *n, int i)
{
    dl_value *v = att_out(n, i);
    return v ? v->data : NULL;
}

static int attention_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_attention_params kp;
    const dl_value *mf = mask_of(n, DL_FLOAT), *mb = mask_of(n, DL_BOOL);
    const dl_value *pk = att_in(n, IN_PAST_K), *pv = att_in(n, IN_PAST_V), *np = att_in(n, IN_NONPAD);
    (void)g;
    if (attention_make_params(d, n, &kp) < 0)
        return -1;
    dlk_attention_f32(&kp, n->inputs[IN_Q]->data, n->inputs[IN_K]->data, n->inputs[IN_V]->data,
                      mf ? mf->data : NULL, mb ? mb->data : NULL, pk ? pk->data : NULL, pv ? pv->data : NULL,
                      np ? np->data : NULL, n->outputs[0]->data, out_data(n, 1), out_data(n, 2), out_data(n, 3));
    return 0;
}

static int attention_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_attention_params kp;
    (void)g;
    if (attention_make_params(d, n, &kp) < 0)
        return -1;
    dl_lower_need(l, "dlk_attention_f32");
    dl_lower_params_begin(l, "dlk_attention_params");
    dl_lower_param_int(l, "batch", kp.batch);
    dl_lower_param_int(l, "q_heads", kp.q_heads);
    dl_lower_param_int(l, "kv_heads", kp.kv_heads);
    dl_lower_param_int(l, "q_len", kp.q_len);
    dl_lower_param_int(l, "kv_len", kp.kv_len);
    dl_lower_param_int(l, "past_len", kp.past_len);
    dl_lower_param_int(l, "head", kp.head);
    dl_lower_param_int(l, "v_head", kp.v_head);
    dl_lower_param_ints(l, "q_stride", kp.q_stride, 3);
    dl_lower_param_ints(l, "k_stride", kp.k_stride, 3);
    dl_lower_param_ints(l, "v_stride", kp.v_stride, 3);
    dl_lower_param_ints(l, "y_stride", kp.y_stride, 3);
    dl_lower_param_int(l, "mask_len", kp.mask_len);
    dl_lower_param_ints(l, "mask_stride", kp.mask_stride, 4);
    dl_lower_param_int(l, "is_causal", kp.is_causal);
    dl_lower_param_int(l, "left_window", kp.left_window);
    dl_lower_param_int(l, "right_window", kp.right_window);
    dl_lower_param_int(l, "qk_mode", kp.qk_mode);
    dl_lower_param_float(l, "scale_sqrt", kp.scale_sqrt);
    dl_lower_param_float(l, "softcap", kp.softcap);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_attention_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[IN_Q]);
    dl_lower_arg_value(l, n->inputs[IN_K]);
    dl_lower_arg_value(l, n->inputs[IN_V]);
    dl_lower_arg_value(l, mask_of(n, DL_FLOAT));
    dl_lower_arg_value(l, mask_of(n, DL_BOOL));
    dl_lower_arg_value(l, att_in(n, IN_PAST_K));
    dl_lower_arg_value(l, att_in(n, IN_PAST_V));
    dl_lower_arg_value(l, att_in(n, IN_NONPAD));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_value(l, att_out(n, 1));
    dl_lower_arg_value(l, att_out(n, 2));
    dl_lower_arg_value(l, att_out(n, 3));
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Attention = {"Attention", 0, attention_setup, attention_infer, attention_eval, attention_lower};
