/* RNN, GRU and LSTM, float32 (runtime/kernels/rnn.h).
 * Inputs X W R [B sequence_lens initial_h] (LSTM: [initial_c P]); outputs
 * Y Y_h (LSTM: Y_c), each optional. `layout` exists from opset 14; the
 * opset-1 `output_sequence` attribute only said whether Y is produced,
 * which the output list says too, so it is ignored. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/rnn.h"

typedef struct rnn_attrs {
    dlk_rnn_params kp;      /* attributes only; shapes filled by rnn_make_params */
    int64_t hidden_attr;    /* -1 when absent */
} rnn_attrs;

static int rnn_gates(int kind)
{
    return kind == 0 ? 1 : kind == 1 ? 3 : 4;
}

static bool name_is(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

/* Activation code, its default alpha and beta, and whether it reads them. */
static int act_code(const char *s, float *alpha, float *beta, int *uses)
{
    static const struct { const char *name; int code; float alpha, beta; int uses; } tab[] = {
        {"Relu", DLK_RNN_RELU, 0, 0, 0}, {"Tanh", DLK_RNN_TANH, 0, 0, 0},
        {"Sigmoid", DLK_RNN_SIGMOID, 0, 0, 0}, {"Affine", DLK_RNN_AFFINE, 1.0f, 0.0f, 3},
        {"LeakyRelu", DLK_RNN_LEAKY_RELU, 0.01f, 0, 1},
        {"ThresholdedRelu", DLK_RNN_THRESHOLDED_RELU, 1.0f, 0, 1},
        {"ScaledTanh", DLK_RNN_SCALED_TANH, 1.0f, 1.0f, 3},
        {"HardSigmoid", DLK_RNN_HARD_SIGMOID, 0.2f, 0.5f, 3}, {"Elu", DLK_RNN_ELU, 1.0f, 0, 1},
        {"Softsign", DLK_RNN_SOFTSIGN, 0, 0, 0}, {"Softplus", DLK_RNN_SOFTPLUS, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (name_is(s, tab[i].name)) {
            *alpha = tab[i].alpha;
            *beta = tab[i].beta;
            *uses = tab[i].uses;
            return tab[i].code;
        }
    return -1;
}

/* activations / activation_alpha / activation_beta: alphas and betas are
 * taken in order by the activations that read them (as onnxruntime does). */
static int rnn_setup_acts(dl_diag *d, const dl_node *n, dlk_rnn_params *kp, int per_dir)
{
    static const int defaults[3][3] = {
        {DLK_RNN_TANH, 0, 0}, {DLK_RNN_SIGMOID, DLK_RNN_TANH, 0},
        {DLK_RNN_SIGMOID, DLK_RNN_TANH, DLK_RNN_TANH}};
    const dl_attr *a = dl_attr_find(n, "activations");
    const float *alphas = NULL, *betas = NULL;
    int na = dl_attr_floats(n, "activation_alpha", &alphas), nbeta = dl_attr_floats(n, "activation_beta", &betas);
    int ia = 0, ib = 0, count = (int)kp->dirs * per_dir;
    if (a == NULL) {
        for (int i = 0; i < count; i++)
            kp->act[(i / per_dir) * 3 + i % per_dir] = defaults[kp->kind][i % per_dir];
        return 0;
    }
    if (a->kind != DL_ATTR_STRINGS || (a->n != count && a->n != per_dir))
        return dl_error(d, n, "attribute 'activations' has %d entries; expected %d (%d per direction)",
                        a->kind == DL_ATTR_STRINGS ? a->n : -1, count, per_dir);
    for (int i = 0; i < count; i++) {
        const char *s = a->strings[i % a->n];
        float al, be;
        int uses, slot = (i / per_dir) * 3 + i % per_dir;
        int code = act_code(s, &al, &be, &uses);
        if (code < 0)
            return dl_error(d, n, "activation '%s' is not supported (attribute 'activations')", s);
        if ((uses & 1) && ia < na)
            al = alphas[ia++];
        if ((uses & 2) && ib < nbeta)
            be = betas[ib++];
        kp->act[slot] = code;
        kp->alpha[slot] = al;
        kp->beta[slot] = be;
    }
    return 0;
}

static int rnn_setup(dl_graph *g, dl_node *n, dl_diag *d, int kind)
{
    rnn_attrs *a;
    dlk_rnn_params *kp;
    const char *dir;
    if (dl_check_inputs(d, n, 3, kind == 2 ? 8 : 6) < 0)
        return -1;
    a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        return dl_error(d, n, "out of memory");
    kp = &a->kp;
    memset(kp, 0, sizeof *kp);
    kp->kind = kind;
    a->hidden_attr = dl_attr_int(n, "hidden_size", -1);
    kp->layout = n->opset >= 14 ? dl_attr_int(n, "layout", 0) : 0;
    if (kp->layout != 0 && kp->layout != 1)
        return dl_error(d, n, "attribute 'layout' is %" PRId64 "; expected 0 or 1", kp->layout);
    dir = dl_attr_string(n, "direction", "forward");
    if (strcmp(dir, "forward") == 0 || strcmp(dir, "reverse") == 0) {
        kp->dirs = 1;
        kp->reverse = dir[0] == 'r';
    } else if (strcmp(dir, "bidirectional") == 0) {
        kp->dirs = 2;
    } else {
        return dl_error(d, n, "attribute 'direction' is '%s'; expected forward, reverse or bidirectional", dir);
    }
    kp->clip = dl_attr_float(n, "clip", 0.0f);
    if (dl_attr_find(n, "clip") != NULL && kp->clip <= 0.0f)
        return dl_error(d, n, "attribute 'clip' is %g; expected a positive value", (double)kp->clip);
    kp->linear_before_reset = kind == 1 ? dl_attr_int(n, "linear_before_reset", 0) != 0 : 0;
    kp->input_forget = kind == 2 ? dl_attr_int(n, "input_forget", 0) != 0 : 0;
    return rnn_setup_acts(d, n, kp, kind == 0 ? 1 : kind == 1 ? 2 : 3);
}

static const dl_value *rnn_in(const dl_node *n, int i)
{
    return i < n->n_inputs ? n->inputs[i] : NULL;
}

static bool rnn_out_used(const dl_node *n, int i)
{
    const dl_value *v = i < n->n_outputs ? n->outputs[i] : NULL;
    return v != NULL && (v->n_users > 0 || v->is_output);
}

/* Checks an optional input's dtype and exact shape. */
static int check_opt(dl_diag *d, const dl_node *n, int i, const char *what, dl_dtype dt, int rank,
                     const int64_t *dims)
{
    const dl_value *v = rnn_in(n, i);
    char shape[64];
    bool ok;
    if (v == NULL)
        return 0;
    if (dl_check_dtype(d, n, v, what, dt) < 0)
        return -1;
    ok = v->rank == rank;
    for (int k = 0; ok && k < rank; k++)
        ok = v->dims[k] == dims[k];
    if (!ok)
        return dl_error(d, n, "%s has shape [%s]; expected %d dims %" PRId64 "x%" PRId64 "x%" PRId64, what,
                        dl_shape_str(v, shape, sizeof shape), rank, dims[0], rank > 1 ? dims[1] : 1,
                        rank > 2 ? dims[2] : 1);
    return 0;
}

static int rnn_make_params(dl_diag *d, const dl_node *n, dlk_rnn_params *kp)
{
    const rnn_attrs *a = n->params;
    const dl_value *X = n->inputs[0], *W = n->inputs[1], *R = n->inputs[2];
    int64_t G, dims[3];
    char shape[64];
    *kp = a->kp;
    G = rnn_gates((int)kp->kind);
    for (int i = 0; i < 3; i++) {
        static const char *names[3] = {"input X", "input W", "input R"};
        const dl_value *v = n->inputs[i];
        if (v->rank < 0)
            return dl_error(d, n, "%s ('%s') has an unknown shape; give it with --shape", names[i], v->name);
        if (v->dtype != DL_FLOAT)
            return dl_error(d, n, "%s has type %s, which is not supported (float32 only)", names[i], dl_dtype_name(v->dtype));
        if (v->rank != 3)
            return dl_error(d, n, "%s has rank %d; expected 3", names[i], v->rank);
    }
    kp->seq = X->dims[kp->layout == 0 ? 0 : 1];
    kp->batch = X->dims[kp->layout == 0 ? 1 : 0];
    kp->input = X->dims[2];
    kp->hidden = a->hidden_attr >= 0 ? a->hidden_attr : R->dims[2];
    if (W->dims[0] != kp->dirs || W->dims[1] != G * kp->hidden || W->dims[2] != kp->input)
        return dl_error(d, n, "input W has shape [%s]; expected %" PRId64 "x%" PRId64 "x%" PRId64,
                        dl_shape_str(W, shape, sizeof shape), kp->dirs, G * kp->hidden, kp->input);
    if (R->dims[0] != kp->dirs || R->dims[1] != G * kp->hidden || R->dims[2] != kp->hidden)
        return dl_error(d, n, "input R has shape [%s]; expected %" PRId64 "x%" PRId64 "x%" PRId64,
                        dl_shape_str(R, shape, sizeof shape), kp->dirs, G * kp->hidden, kp->hidden);
    if (kp->hidden > DLK_RNN_MAX_HIDDEN)
        return dl_error(d, n, "hidden_size %" PRId64 " is not supported (at most %d)", kp->hidden,
                        DLK_RNN_MAX_HIDDEN);
    dims[0] = kp->dirs;
    dims[1] = 2 * G * kp->hidden;
    if (check_opt(d, n, 3, "input B", DL_FLOAT, 2, dims) < 0)
        return -1;
    dims[0] = kp->batch;
    if (check_opt(d, n, 4, "input sequence_lens", DL_INT32, 1, dims) < 0)
        return -1;
    dims[0] = kp->layout == 0 ? kp->dirs : kp->batch;
    dims[1] = kp->layout == 0 ? kp->batch : kp->dirs;
    dims[2] = kp->hidden;
    if (check_opt(d, n, 5, "input initial_h", DL_FLOAT, 3, dims) < 0 ||
        check_opt(d, n, 6, "input initial_c", DL_FLOAT, 3, dims) < 0)
        return -1;
    dims[0] = kp->dirs;
    dims[1] = 3 * kp->hidden;
    return check_opt(d, n, 7, "input P", DL_FLOAT, 2, dims);
}

static int rnn_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_rnn_params kp;
    int64_t y[4], s[3];
    (void)g;
    if (rnn_make_params(d, n, &kp) < 0)
        return -1;
    if (kp.layout == 0) {
        y[0] = kp.seq, y[1] = kp.dirs, y[2] = kp.batch;
        s[0] = kp.dirs, s[1] = kp.batch;
    } else {
        y[0] = kp.batch, y[1] = kp.seq, y[2] = kp.dirs;
        s[0] = kp.batch, s[1] = kp.dirs;
    }
    y[3] = s[2] = kp.hidden;
    if (n->n_outputs > 3 || (kp.kind != 2 && n->n_outputs > 2))
        return dl_error(d, n, "the node has %d outputs; expected at most %d", n->n_outputs, kp.kind == 2 ? 3 : 2);
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] != NULL)
            dl_value_set_shape(n->outputs[i], DL_FLOAT, i == 0 ? 4 : 3, i == 0 ? y : s);
    return 0;
}

static void *in_data(const dl_node *n, int i)
{
    const dl_value *v = rnn_in(n, i);
    return v != NULL ? v->data : NULL;
}

static void *out_data(const dl_node *n, int i)
{
    return i < n->n_outputs && n->outputs[i] != NULL ? n->outputs[i]->data : NULL;
}

static int rnn_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_rnn_params kp;
    (void)g;
    if (rnn_make_params(d, n, &kp) < 0)
        return -1;
    dlk_rnn_f32(&kp, in_data(n, 0), in_data(n, 1), in_data(n, 2), in_data(n, 3), in_data(n, 4),
                in_data(n, 5), in_data(n, 6), in_data(n, 7), out_data(n, 0), out_data(n, 1),
                out_data(n, 2));
    return 0;
}

static int rnn_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_rnn_params kp;
    (void)g;
    if (rnn_make_params(d, n, &kp) < 0)
        return -1;
    if (kp.batch == 0 || kp.hidden == 0)
        return 0;
    dl_lower_need(l, "dlk_rnn_f32");
    dl_lower_params_begin(l, "dlk_rnn_params");
    dl_lower_param_int(l, "kind", kp.kind);
    dl_lower_param_int(l, "seq", kp.seq);
    dl_lower_param_int(l, "batch", kp.batch);
    dl_lower_param_int(l, "input", kp.input);
    dl_lower_param_int(l, "hidden", kp.hidden);
    dl_lower_param_int(l, "dirs", kp.dirs);
    dl_lower_param_int(l, "reverse", kp.reverse);
    dl_lower_param_int(l, "layout", kp.layout);
    dl_lower_param_ints(l, "act", kp.act, 6);
    dl_lower_param_floats(l, "alpha", kp.alpha, 6);
    dl_lower_param_floats(l, "beta", kp.beta, 6);
    dl_lower_param_float(l, "clip", kp.clip);
    dl_lower_param_int(l, "linear_before_reset", kp.linear_before_reset);
    dl_lower_param_int(l, "input_forget", kp.input_forget);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_rnn_f32");
    dl_lower_arg_params(l);
    for (int i = 0; i < 8; i++)
        dl_lower_arg_value(l, rnn_in(n, i));
    for (int i = 0; i < 3; i++)
        dl_lower_arg_value(l, rnn_out_used(n, i) ? n->outputs[i] : NULL);
    dl_lower_call_end(l);
    return 0;
}

static int rnn_setup_rnn(dl_graph *g, dl_node *n, dl_diag *d) { return rnn_setup(g, n, d, 0); }
static int rnn_setup_gru(dl_graph *g, dl_node *n, dl_diag *d) { return rnn_setup(g, n, d, 1); }
static int rnn_setup_lstm(dl_graph *g, dl_node *n, dl_diag *d) { return rnn_setup(g, n, d, 2); }

const dl_op dl_op_RNN = {"RNN", 0, rnn_setup_rnn, rnn_infer, rnn_eval, rnn_lower};
const dl_op dl_op_GRU = {"GRU", 0, rnn_setup_gru, rnn_infer, rnn_eval, rnn_lower};
const dl_op dl_op_LSTM = {"LSTM", 0, rnn_setup_lstm, rnn_infer, rnn_eval, rnn_lower};
