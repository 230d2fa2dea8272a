/* Transformer-block operators, float32:
 *   RotaryEmbedding-23      X [B, H, S, D] or [B, S, H*D], cos/sin caches, optional position_ids
 *   SwiGLU-28               Y = A * sigmoid(alpha * A) * B (also float64)
 *   CausalConvWithState-27  depthwise causal conv with a (k-1)-long carry state, optional SiLU
 *   LinearAttention-27      the linear / gated / delta / gated_delta recurrences, GQA
 * Each has a single schema version. float16 is refused ("not supported").
 * Kernels: runtime/kernels/transformer.h; eval and lower share make_params. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/transformer.h"

static const dl_value *xf_in(const dl_node *n, int i)
{
    return i < n->n_inputs ? n->inputs[i] : NULL;
}

static dl_value *xf_out(const dl_node *n, int i)
{
    return i < n->n_outputs ? n->outputs[i] : NULL;
}

static void *xf_out_data(const dl_node *n, int i)
{
    dl_value *v = xf_out(n, i);
    return v ? v->data : NULL;
}

static const void *xf_in_data(const dl_node *n, int i)
{
    const dl_value *v = xf_in(n, i);
    return v ? v->data : NULL;
}

/* A present input with a known shape and type dt (float16 named as refused). */
static int xf_check(dl_diag *d, const dl_node *n, int i, const char *what, dl_dtype dt)
{
    const dl_value *v = xf_in(n, i);
    if (v->rank < 0)
        return dl_error(d, n, "input '%s' ('%s') has an unknown shape; give it with --shape", what, v->name);
    if (v->dtype == DL_FLOAT16)
        return dl_error(d, n, "input '%s' is float16; %s in float16 is not supported", what, n->op_type);
    return dl_check_dtype(d, n, v, what, dt);
}

/* ------------------------------------------------------------ RotaryEmbedding */

typedef struct rotary_attrs {
    int64_t num_heads, rot_dim, interleaved;
} rotary_attrs;

enum { ROT_X, ROT_COS, ROT_SIN, ROT_POS };

static int rotary_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    rotary_attrs *a;
    if (dl_check_inputs(d, n, 3, 4) < 0)
        return -1;
    a = dl_node_params(g, n, sizeof *a);
    if (!a)
        return dl_error(d, n, "out of memory");
    a->num_heads = dl_attr_int(n, "num_heads", 0);
    a->rot_dim = dl_attr_int(n, "rotary_embedding_dim", 0);
    a->interleaved = dl_attr_int(n, "interleaved", 0);
    if (a->num_heads < 0 || a->rot_dim < 0)
        return dl_error(d, n, "attributes 'num_heads' (%" PRId64 ") and 'rotary_embedding_dim' (%" PRId64
                        ") must be >= 0", a->num_heads, a->rot_dim);
    return 0;
}

/* X's batch/heads/sequence/head size and strides, 4-D or 3-D. */
static int rotary_x_view(dl_diag *d, const dl_node *n, const rotary_attrs *a, dlk_rotary_params *kp)
{
    const dl_value *x = xf_in(n, ROT_X);
    kp->batch = x->dims[0];
    if (x->rank == 4) {
        kp->heads = x->dims[1], kp->seq = x->dims[2], kp->head = x->dims[3];
        kp->x_stride[0] = kp->heads * kp->seq * kp->head;
        kp->x_stride[1] = kp->seq * kp->head;
        kp->x_stride[2] = kp->head;
        return 0;
    }
    if (x->rank != 3)
        return dl_error(d, n, "input 'X' has rank %d; expected 3 or 4", x->rank);
    if (a->num_heads <= 0 || x->dims[2] % a->num_heads != 0)
        return dl_error(d, n, "input 'X' is 3-D with hidden size %" PRId64 "; attribute 'num_heads' (%" PRId64
                        ") must be given and divide it", x->dims[2], a->num_heads);
    kp->heads = a->num_heads, kp->seq = x->dims[1], kp->head = x->dims[2] / a->num_heads;
    kp->x_stride[0] = kp->seq * x->dims[2];
    kp->x_stride[1] = kp->head;
    kp->x_stride[2] = x->dims[2];
    return 0;
}

/* The caches: [rows, rot/2] with position_ids; without, [B, S, rot/2]
 * (a dim of 1 broadcasts) or [S, rot/2]. */
static int rotary_cache_view(dl_diag *d, const dl_node *n, dlk_rotary_params *kp)
{
    const dl_value *c = xf_in(n, ROT_COS), *s = xf_in(n, ROT_SIN), *pos = xf_in(n, ROT_POS);
    int64_t half = kp->rot_dim / 2;
    if (c->rank != s->rank || memcmp(c->dims, s->dims, sizeof(int64_t) * (size_t)(c->rank > 0 ? c->rank : 0)))
        return dl_error(d, n, "inputs 'cos_cache' and 'sin_cache' must have the same shape");
    if (c->rank < 2 || c->dims[c->rank - 1] != half)
        return dl_error(d, n, "input 'cos_cache' must end in a dim of rotary_embedding_dim/2 = %" PRId64, half);
    if (pos) {
        if (xf_check(d, n, ROT_POS, "position_ids", DL_INT64) < 0)
            return -1;
        if (pos->rank != 2 || pos->dims[0] != kp->batch || pos->dims[1] != kp->seq)
            return dl_error(d, n, "input 'position_ids' must have shape [%" PRId64 ", %" PRId64 "]", kp->batch,
                            kp->seq);
        if (c->rank != 2 || c->dims[0] < 1)
            return dl_error(d, n, "input 'cos_cache' must be 2-D [max_position + 1, %" PRId64
                            "] with position_ids", half);
        kp->cache_rows = c->dims[0];
        return 0;
    }
    if (c->rank == 2 && c->dims[0] == kp->seq) {
        kp->cache_stride[0] = 0, kp->cache_stride[1] = half;
        return 0;
    }
    if (c->rank != 3 || (c->dims[0] != kp->batch && c->dims[0] != 1) || c->dims[1] != kp->seq)
        return dl_error(d, n, "input 'cos_cache' must be [%" PRId64 ", %" PRId64 ", %" PRId64
                        "] without position_ids", kp->batch, kp->seq, half);
    kp->cache_stride[0] = c->dims[0] == 1 ? 0 : kp->seq * half;
    kp->cache_stride[1] = half;
    return 0;
}

static int rotary_make_params(dl_diag *d, const dl_node *n, dlk_rotary_params *kp)
{
    const rotary_attrs *a = n->params;
    if (xf_check(d, n, ROT_X, "X", DL_FLOAT) < 0 || xf_check(d, n, ROT_COS, "cos_cache", DL_FLOAT) < 0 ||
        xf_check(d, n, ROT_SIN, "sin_cache", DL_FLOAT) < 0)
        return -1;
    memset(kp, 0, sizeof *kp);
    if (rotary_x_view(d, n, a, kp) < 0)
        return -1;
    kp->rot_dim = a->rot_dim ? a->rot_dim : kp->head;
    kp->interleaved = a->interleaved != 0;
    if (kp->rot_dim % 2 != 0 || kp->rot_dim > kp->head)
        return dl_error(d, n, "the rotated size %" PRId64 " must be even and at most the head size %" PRId64,
                        kp->rot_dim, kp->head);
    return rotary_cache_view(d, n, kp);
}

static int rotary_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_rotary_params kp;
    const dl_value *x = xf_in(n, ROT_X);
    (void)g;
    if (rotary_make_params(d, n, &kp) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, x->rank, x->dims);
    return 0;
}

static int rotary_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_rotary_params kp;
    (void)g;
    if (rotary_make_params(d, n, &kp) < 0)
        return -1;
    dlk_rotary_f32(&kp, xf_in_data(n, ROT_X), xf_in_data(n, ROT_COS), xf_in_data(n, ROT_SIN),
                   xf_in_data(n, ROT_POS), n->outputs[0]->data);
    return 0;
}

static int rotary_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_rotary_params kp;
    (void)g;
    if (rotary_make_params(d, n, &kp) < 0)
        return -1;
    dl_lower_need(l, "dlk_rotary_f32");
    dl_lower_params_begin(l, "dlk_rotary_params");
    dl_lower_param_int(l, "batch", kp.batch);
    dl_lower_param_int(l, "heads", kp.heads);
    dl_lower_param_int(l, "seq", kp.seq);
    dl_lower_param_int(l, "head", kp.head);
    dl_lower_param_int(l, "rot_dim", kp.rot_dim);
    dl_lower_param_int(l, "interleaved", kp.interleaved);
    dl_lower_param_ints(l, "x_stride", kp.x_stride, 3);
    dl_lower_param_int(l, "cache_rows", kp.cache_rows);
    dl_lower_param_ints(l, "cache_stride", kp.cache_stride, 2);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_rotary_f32");
    dl_lower_arg_params(l);
    for (int i = ROT_X; i <= ROT_POS; i++)
        dl_lower_arg_value(l, xf_in(n, i));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_RotaryEmbedding = {"RotaryEmbedding", 0, rotary_setup, rotary_infer, rotary_eval, rotary_lower};

/* --------------------------------------------------------------------- SwiGLU */

static int swiglu_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    float *alpha;
    if (dl_check_inputs(d, n, 2, 2) < 0)
        return -1;
    alpha = dl_node_params(g, n, sizeof *alpha);
    if (!alpha)
        return dl_error(d, n, "out of memory");
    *alpha = dl_attr_float(n, "alpha", 1.0f);
    return 0;
}

static int swiglu_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *a = n->inputs[0], *b = n->inputs[1];
    (void)g;
    if (a->dtype != DL_FLOAT && a->dtype != DL_DOUBLE)
        return dl_error(d, n, "input 'A' is %s, not supported; SwiGLU supports float32 and float64",
                        dl_dtype_name(a->dtype));
    if (xf_check(d, n, 0, "A", a->dtype) < 0 || xf_check(d, n, 1, "B", a->dtype) < 0)
        return -1;
    if (a->rank != b->rank || memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank) != 0)
        return dl_error(d, n, "inputs 'A' and 'B' must have the same shape (SwiGLU does not broadcast)");
    dl_value_set_shape(n->outputs[0], a->dtype, a->rank, a->dims);
    return 0;
}

static int swiglu_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const float *alpha = n->params;
    int64_t count = dl_value_numel(n->outputs[0]);
    (void)g, (void)d;
    if (n->inputs[0]->dtype == DL_DOUBLE)
        dlk_swiglu_f64(n->inputs[0]->data, n->inputs[1]->data, n->outputs[0]->data, count, *alpha);
    else
        dlk_swiglu_f32(n->inputs[0]->data, n->inputs[1]->data, n->outputs[0]->data, count, *alpha);
    return 0;
}

static int swiglu_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const float *alpha = n->params;
    const char *kernel = n->inputs[0]->dtype == DL_DOUBLE ? "dlk_swiglu_f64" : "dlk_swiglu_f32";
    (void)g, (void)d;
    dl_lower_need(l, kernel);
    dl_lower_call(l, kernel);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, dl_value_numel(n->outputs[0]));
    dl_lower_arg_float(l, *alpha);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_SwiGLU = {"SwiGLU", 0, swiglu_setup, swiglu_infer, swiglu_eval, swiglu_lower};

/* -------------------------------------------------------- CausalConvWithState */

enum { CC_X, CC_W, CC_BIAS, CC_PAST };

static int causal_conv_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    int64_t *silu;
    const char *act = dl_attr_string(n, "activation", "none");
    if (dl_check_inputs(d, n, 2, 4) < 0)
        return -1;
    silu = dl_node_params(g, n, sizeof *silu);
    if (!silu)
        return dl_error(d, n, "out of memory");
    if (strcmp(act, "none") != 0 && strcmp(act, "silu") != 0 && strcmp(act, "swish") != 0)
        return dl_error(d, n, "attribute 'activation' is '%s'; expected 'none', 'silu' or 'swish'", act);
    *silu = strcmp(act, "none") != 0;
    return 0;
}

static int causal_conv_make_params(dl_diag *d, const dl_node *n, dlk_causal_conv_params *kp)
{
    const dl_value *x = xf_in(n, CC_X), *w = xf_in(n, CC_W), *b = xf_in(n, CC_BIAS), *p = xf_in(n, CC_PAST);
    if (xf_check(d, n, CC_X, "input", DL_FLOAT) < 0 || xf_check(d, n, CC_W, "weight", DL_FLOAT) < 0)
        return -1;
    if (x->rank != 3)
        return dl_error(d, n, "input 'input' has rank %d; expected 3 (batch, channels, length)", x->rank);
    memset(kp, 0, sizeof *kp);
    kp->batch = x->dims[0], kp->channels = x->dims[1], kp->len = x->dims[2];
    if (w->rank != 3 || w->dims[0] != kp->channels || w->dims[1] != 1 || w->dims[2] < 1)
        return dl_error(d, n, "input 'weight' must be [%" PRId64 ", 1, k] with k >= 1", kp->channels);
    kp->k = w->dims[2];
    kp->silu = *(const int64_t *)n->params;
    kp->round_f16 = kp->silu && x->producer && strcmp(x->producer->op_type, "Cast") == 0 &&
                    x->producer->n_inputs > 0 && x->producer->inputs[0] &&
                    x->producer->inputs[0]->dtype == DL_FLOAT16;
    if (b && (xf_check(d, n, CC_BIAS, "bias", DL_FLOAT) < 0 || b->rank != 1 || b->dims[0] != kp->channels))
        return dl_error(d, n, "input 'bias' must be a float32 [%" PRId64 "]", kp->channels);
    if (p && (xf_check(d, n, CC_PAST, "past_state", DL_FLOAT) < 0 || p->rank != 3 || p->dims[0] != kp->batch ||
              p->dims[1] != kp->channels || p->dims[2] != kp->k - 1))
        return dl_error(d, n, "input 'past_state' must be a float32 [%" PRId64 ", %" PRId64 ", %" PRId64 "]",
                        kp->batch, kp->channels, kp->k - 1);
    return 0;
}

static int causal_conv_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_causal_conv_params kp;
    int64_t dims[3];
    (void)g;
    if (causal_conv_make_params(d, n, &kp) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 3, n->inputs[CC_X]->dims);
    dims[0] = kp.batch, dims[1] = kp.channels, dims[2] = kp.k - 1;
    if (xf_out(n, 1))
        dl_value_set_shape(n->outputs[1], DL_FLOAT, 3, dims);
    return 0;
}

static int causal_conv_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_causal_conv_params kp;
    (void)g;
    if (causal_conv_make_params(d, n, &kp) < 0)
        return -1;
    dlk_causal_conv_f32(&kp, xf_in_data(n, CC_X), xf_in_data(n, CC_W), xf_in_data(n, CC_BIAS),
                        xf_in_data(n, CC_PAST), n->outputs[0]->data, xf_out_data(n, 1));
    return 0;
}

static int causal_conv_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_causal_conv_params kp;
    (void)g;
    if (causal_conv_make_params(d, n, &kp) < 0)
        return -1;
    dl_lower_need(l, "dlk_causal_conv_f32");
    dl_lower_params_begin(l, "dlk_causal_conv_params");
    dl_lower_param_int(l, "batch", kp.batch);
    dl_lower_param_int(l, "channels", kp.channels);
    dl_lower_param_int(l, "len", kp.len);
    dl_lower_param_int(l, "k", kp.k);
    dl_lower_param_int(l, "silu", kp.silu);
    dl_lower_param_int(l, "round_f16", kp.round_f16);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_causal_conv_f32");
    dl_lower_arg_params(l);
    for (int i = CC_X; i <= CC_PAST; i++)
        dl_lower_arg_value(l, xf_in(n, i));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_value(l, xf_out(n, 1));
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_CausalConvWithState = {"CausalConvWithState", 0, causal_conv_setup, causal_conv_infer,
                                         causal_conv_eval, causal_conv_lower};

/* ------------------------------------------------------------ LinearAttention */

typedef struct linear_attention_attrs {
    int64_t q_heads, kv_heads, gated, delta;
    float scale;   /* 0: 1/sqrt(dk) */
} linear_attention_attrs;

enum { LA_Q, LA_K, LA_V, LA_PAST, LA_DECAY, LA_BETA };

static int linear_attention_rule(dl_diag *d, const dl_node *n, linear_attention_attrs *a)
{
    const char *rule = dl_attr_string(n, "update_rule", "gated_delta");
    static const char *const names[] = {"linear", "gated", "delta", "gated_delta"};
    for (int i = 0; i < 4; i++)
        if (strcmp(rule, names[i]) == 0) {
            a->gated = i & 1, a->delta = i >> 1;
            return 0;
        }
    return dl_error(d, n, "attribute 'update_rule' is '%s'; expected 'linear', 'gated', 'delta' or 'gated_delta'",
                    rule);
}

static int linear_attention_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    linear_attention_attrs *a;
    if (dl_check_inputs(d, n, 3, 6) < 0)
        return -1;
    a = dl_node_params(g, n, sizeof *a);
    if (!a)
        return dl_error(d, n, "out of memory");
    a->q_heads = dl_attr_int(n, "q_num_heads", 0);
    a->kv_heads = dl_attr_int(n, "kv_num_heads", 0);
    a->scale = dl_attr_float(n, "scale", 0.0f);
    if (a->q_heads <= 0 || a->kv_heads <= 0 || a->q_heads % a->kv_heads != 0)
        return dl_error(d, n, "attributes 'q_num_heads' (%" PRId64 ") and 'kv_num_heads' (%" PRId64
                        ") are required; the first must be a positive multiple of the second",
                        a->q_heads, a->kv_heads);
    if (linear_attention_rule(d, n, a) < 0)
        return -1;
    if (!xf_in(n, LA_DECAY) != !a->gated)
        return dl_error(d, n, "input 'decay' is %s by this update_rule", a->gated ? "required" : "not allowed");
    if (!xf_in(n, LA_BETA) != !a->delta)
        return dl_error(d, n, "input 'beta' is %s by this update_rule", a->delta ? "required" : "not allowed");
    if (n->n_outputs < 2 || !n->outputs[1])
        return dl_error(d, n, "output 'present_state' is absent; LinearAttention without it is not supported "
                        "(the kernel keeps its state there)");
    return 0;
}

/* A packed [B, T, width] input whose width must be one of w1, w2. */
static int la_packed(dl_diag *d, const dl_node *n, int i, const char *what, const dlk_linear_attention_params *kp,
                     int64_t w1, int64_t w2)
{
    const dl_value *v = xf_in(n, i);
    if (xf_check(d, n, i, what, DL_FLOAT) < 0)
        return -1;
    if (v->rank != 3 || v->dims[0] != kp->batch || v->dims[1] != kp->seq || (v->dims[2] != w1 && v->dims[2] != w2))
        return dl_error(d, n, "input '%s' must be [%" PRId64 ", %" PRId64 ", %" PRId64 "]%s", what, kp->batch,
                        kp->seq, w1, w1 != w2 ? " (or the alternative width the spec allows)" : "");
    return 0;
}

static int linear_attention_make_params(dl_diag *d, const dl_node *n, dlk_linear_attention_params *kp)
{
    const linear_attention_attrs *a = n->params;
    const dl_value *q = xf_in(n, LA_Q), *v = xf_in(n, LA_V), *p = xf_in(n, LA_PAST);
    if (xf_check(d, n, LA_Q, "query", DL_FLOAT) < 0 || xf_check(d, n, LA_V, "value", DL_FLOAT) < 0)
        return -1;
    if (q->rank != 3 || v->rank != 3 || q->dims[2] % a->q_heads != 0 || v->dims[2] % a->kv_heads != 0)
        return dl_error(d, n, "inputs 'query' and 'value' must be 3-D [B, T, heads*D] with the last dim divisible "
                        "by q_num_heads / kv_num_heads");
    memset(kp, 0, sizeof *kp);
    kp->batch = q->dims[0], kp->seq = q->dims[1];
    kp->q_heads = a->q_heads, kp->kv_heads = a->kv_heads;
    kp->dk = q->dims[2] / a->q_heads, kp->dv = v->dims[2] / a->kv_heads;
    kp->gated = a->gated, kp->delta = a->delta;
    kp->scale = a->scale != 0.0f ? a->scale : (float)(1.0 / sqrt((double)kp->dk));
    if (la_packed(d, n, LA_K, "key", kp, kp->kv_heads * kp->dk, kp->kv_heads * kp->dk) < 0 ||
        la_packed(d, n, LA_V, "value", kp, kp->kv_heads * kp->dv, kp->kv_heads * kp->dv) < 0)
        return -1;
    if (a->gated) {
        if (la_packed(d, n, LA_DECAY, "decay", kp, kp->kv_heads * kp->dk, kp->kv_heads) < 0)
            return -1;
        kp->decay_width = xf_in(n, LA_DECAY)->dims[2];
    }
    if (a->delta) {
        if (la_packed(d, n, LA_BETA, "beta", kp, kp->kv_heads, 1) < 0)
            return -1;
        kp->beta_width = xf_in(n, LA_BETA)->dims[2];
    }
    if (p && (xf_check(d, n, LA_PAST, "past_state", DL_FLOAT) < 0 || p->rank != 4 || p->dims[0] != kp->batch ||
              p->dims[1] != kp->kv_heads || p->dims[2] != kp->dk || p->dims[3] != kp->dv))
        return dl_error(d, n, "input 'past_state' must be a float32 [%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
                        "]", kp->batch, kp->kv_heads, kp->dk, kp->dv);
    return 0;
}

static int linear_attention_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_linear_attention_params kp;
    int64_t dims[4];
    (void)g;
    if (linear_attention_make_params(d, n, &kp) < 0)
        return -1;
    dims[0] = kp.batch, dims[1] = kp.seq, dims[2] = kp.q_heads * kp.dv;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 3, dims);
    dims[0] = kp.batch, dims[1] = kp.kv_heads, dims[2] = kp.dk, dims[3] = kp.dv;
    dl_value_set_shape(n->outputs[1], DL_FLOAT, 4, dims);
    return 0;
}

static int linear_attention_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_linear_attention_params kp;
    (void)g;
    if (linear_attention_make_params(d, n, &kp) < 0)
        return -1;
    dlk_linear_attention_f32(&kp, xf_in_data(n, LA_Q), xf_in_data(n, LA_K), xf_in_data(n, LA_V),
                             xf_in_data(n, LA_PAST), xf_in_data(n, LA_DECAY), xf_in_data(n, LA_BETA),
                             n->outputs[0]->data, n->outputs[1]->data);
    return 0;
}

static int linear_attention_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_linear_attention_params kp;
    (void)g;
    if (linear_attention_make_params(d, n, &kp) < 0)
        return -1;
    dl_lower_need(l, "dlk_linear_attention_f32");
    dl_lower_params_begin(l, "dlk_linear_attention_params");
    dl_lower_param_int(l, "batch", kp.batch);
    dl_lower_param_int(l, "seq", kp.seq);
    dl_lower_param_int(l, "q_heads", kp.q_heads);
    dl_lower_param_int(l, "kv_heads", kp.kv_heads);
    dl_lower_param_int(l, "dk", kp.dk);
    dl_lower_param_int(l, "dv", kp.dv);
    dl_lower_param_int(l, "gated", kp.gated);
    dl_lower_param_int(l, "delta", kp.delta);
    dl_lower_param_int(l, "decay_width", kp.decay_width);
    dl_lower_param_int(l, "beta_width", kp.beta_width);
    dl_lower_param_float(l, "scale", kp.scale);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_linear_attention_f32");
    dl_lower_arg_params(l);
    for (int i = LA_Q; i <= LA_BETA; i++)
        dl_lower_arg_value(l, xf_in(n, i));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_value(l, n->outputs[1]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_LinearAttention = {"LinearAttention", 0, linear_attention_setup, linear_attention_infer,
                                     linear_attention_eval, linear_attention_lower};
