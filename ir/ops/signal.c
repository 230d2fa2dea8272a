/* Signal ops: DFT (opset 17: axis attribute; 20: axis input, default -2),
 * STFT, the HannWindow / HammingWindow / BlackmanWindow generators and
 * MelWeightMatrix (all opset 17). Complex tensors are float32 with a
 * trailing dimension of 2 (re, im); a trailing 1 means real. Lengths,
 * axes, steps and window sizes set output shapes, so they must be
 * constants (or bound at compile time). float32 only; other element types
 * are refused as not supported. */
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/signal.h"

/* One integer scalar from a constant input (int32 or int64). */
static int signal_scalar(dl_diag *d, const dl_node *n, int i, const char *what, int64_t *out)
{
    int64_t v[1];
    int count = dl_const_ints(d, n, n->inputs[i], what, v, 1);
    if (count < 0)
        return -1;
    if (count != 1)
        return dl_error(d, n, "%s '%s' has %d elements, expected a scalar", what, n->inputs[i]->name, count);
    *out = v[0];
    return 0;
}

static bool signal_has(const dl_node *n, int i)
{
    return n->n_inputs > i && n->inputs[i] != NULL;
}

/* -------------------------------------------------------------------- DFT */

/* The kernel's params (filled by infer) and the onesided attribute. */
typedef struct dft_params {
    dlk_dft_params k;
    bool onesided;
} dft_params;

static int dft_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    dft_params *p = dl_node_params(g, n, sizeof *p);
    if (!p)
        return dl_error(d, n, "out of memory");
    memset(p, 0, sizeof *p);
    p->k.inverse = dl_attr_int(n, "inverse", 0) != 0;
    p->onesided = dl_attr_int(n, "onesided", 0) != 0;
    return 0;
}

/* The axis: attribute (default 1) before opset 20, input 2 (default -2)
 * from 20 on; negative counts from the back; never the complex axis. */
static int dft_axis(dl_diag *d, const dl_node *n, int rank, int *ax)
{
    int64_t axis = n->opset >= 20 ? -2 : dl_attr_int(n, "axis", 1);
    if (n->opset >= 20 && signal_has(n, 2) && signal_scalar(d, n, 2, "input 2 (axis)", &axis) != 0)
        return -1;
    if (dl_norm_axis(d, n, axis, rank, ax) != 0)
        return -1;
    if (*ax == rank - 1)
        return dl_error(d, n, "axis %lld is the last (complex) dimension; expected a signal dimension",
                        (long long)axis);
    return 0;
}

static int dft_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_dft_params *p = &((dft_params *)n->params)->k;
    const dl_value *x;
    int64_t dims[DL_MAX_RANK], len;
    int ax, k;
    bool onesided = ((dft_params *)n->params)->onesided;
    (void)g;
    if (dl_check_inputs(d, n, 1, n->opset >= 20 ? 3 : 2) != 0)
        return -1;
    x = n->inputs[0];
    if (x->dtype != DL_FLOAT)
        return dl_error(d, n, "input 0 ('%s') has type %s; DFT of it is not supported (float32 only)", x->name,
                        dl_dtype_name(x->dtype));
    if (x->rank < 2 || (x->dims[x->rank - 1] != 1 && x->dims[x->rank - 1] != 2))
        return dl_error(d, n, "input 0 ('%s') must be [..., signal, ..., 1 or 2]", x->name);
    if (dft_axis(d, n, x->rank, &ax) != 0)
        return -1;
    p->outer = p->inner = 1;
    for (k = 0; k < x->rank - 1; k++) {
        if (k < ax)
            p->outer *= x->dims[k];
        else if (k > ax)
            p->inner *= x->dims[k];
    }
    p->n_in = x->dims[ax];
    p->in_c = x->dims[x->rank - 1];
    p->real_out = p->inverse && onesided;
    len = p->real_out ? 2 * (p->n_in - 1) : p->n_in;
    if (signal_has(n, 1) && signal_scalar(d, n, 1, "input 1 (dft_length)", &len) != 0)
        return -1;
    if (len < 1)
        return dl_error(d, n, "the DFT length is %lld; expected at least 1", (long long)len);
    p->len = len;
    p->out_n = onesided && !p->inverse ? len / 2 + 1 : len;
    memcpy(dims, x->dims, sizeof dims);
    dims[ax] = p->out_n;
    dims[x->rank - 1] = p->real_out ? 1 : 2;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, x->rank, dims);
    return 0;
}

static int dft_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    (void)d;
    dlk_dft_f32(&((const dft_params *)n->params)->k, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int dft_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dlk_dft_params *p = &((const dft_params *)n->params)->k;
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, "dlk_dft_f32");
    dl_lower_params_begin(l, "dlk_dft_params");
    dl_lower_param_int(l, "outer", p->outer);
    dl_lower_param_int(l, "n_in", p->n_in);
    dl_lower_param_int(l, "inner", p->inner);
    dl_lower_param_int(l, "in_c", p->in_c);
    dl_lower_param_int(l, "len", p->len);
    dl_lower_param_int(l, "out_n", p->out_n);
    dl_lower_param_int(l, "inverse", p->inverse);
    dl_lower_param_int(l, "real_out", p->real_out);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_dft_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_DFT = {"DFT", 0, dft_setup, dft_infer, dft_eval, dft_lower};

/* ------------------------------------------------------------------- STFT */

/* Frame length: input 3, else the window's length. */
static int stft_length(dl_diag *d, const dl_node *n, int64_t *len)
{
    const dl_value *w = signal_has(n, 2) ? n->inputs[2] : NULL;
    if (signal_has(n, 3)) {
        if (signal_scalar(d, n, 3, "input 3 (frame_length)", len) != 0)
            return -1;
    } else if (w) {
        *len = w->rank == 1 ? w->dims[0] : -1;
    } else {
        return dl_error(d, n, "STFT needs input 2 (window) or input 3 (frame_length); both are missing");
    }
    if (w && (w->rank != 1 || w->dims[0] != *len || w->dtype != DL_FLOAT))
        return dl_error(d, n, "input 2 (window '%s') must be float32 [%lld] (the frame length)", w->name,
                        (long long)*len);
    return 0;
}

static int stft_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_stft_params *p = dl_node_params(g, n, sizeof *p);
    const dl_value *x;
    int64_t dims[4];
    if (!p)
        return dl_error(d, n, "out of memory");
    memset(p, 0, sizeof *p);
    if (dl_check_inputs(d, n, 2, 4) != 0)
        return -1;
    x = n->inputs[0];
    if (x->dtype != DL_FLOAT)
        return dl_error(d, n, "input 0 ('%s') has type %s; STFT of it is not supported (float32 only)", x->name,
                        dl_dtype_name(x->dtype));
    if (x->rank != 3 || (x->dims[2] != 1 && x->dims[2] != 2))
        return dl_error(d, n, "input 0 ('%s') has rank %d; STFT needs [batch, length, 1 or 2]", x->name, x->rank);
    if (signal_scalar(d, n, 1, "input 1 (frame_step)", &p->step) != 0 || stft_length(d, n, &p->len) != 0)
        return -1;
    p->batch = x->dims[0];
    p->n = x->dims[1];
    p->in_c = x->dims[2];
    if (p->step < 1 || p->len < 1 || p->len > p->n)
        return dl_error(d, n, "frame_step %lld and frame length %lld: expected both >= 1 and the length at most "
                        "the signal's %lld", (long long)p->step, (long long)p->len, (long long)p->n);
    p->frames = 1 + (p->n - p->len) / p->step;
    p->bins = dl_attr_int(n, "onesided", 1) ? p->len / 2 + 1 : p->len;
    dims[0] = p->batch;
    dims[1] = p->frames;
    dims[2] = p->bins;
    dims[3] = 2;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 4, dims);
    return 0;
}

static int stft_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    (void)d;
    dlk_stft_f32(n->params, n->inputs[0]->data, signal_has(n, 2) ? n->inputs[2]->data : NULL,
                 n->outputs[0]->data);
    return 0;
}

static int stft_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dlk_stft_params *p = n->params;
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, "dlk_stft_f32");
    dl_lower_params_begin(l, "dlk_stft_params");
    dl_lower_param_int(l, "batch", p->batch);
    dl_lower_param_int(l, "n", p->n);
    dl_lower_param_int(l, "in_c", p->in_c);
    dl_lower_param_int(l, "step", p->step);
    dl_lower_param_int(l, "len", p->len);
    dl_lower_param_int(l, "frames", p->frames);
    dl_lower_param_int(l, "bins", p->bins);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_stft_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, signal_has(n, 2) ? n->inputs[2] : NULL);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_STFT = {"STFT", 0, NULL, stft_infer, stft_eval, stft_lower};

/* ---------------------------------------------------------------- windows */

/* The three windows share everything but the kind given to the kernel. */
typedef struct window_params {
    int64_t size, kind, periodic;
} window_params;

static int window_check_out(dl_diag *d, const dl_node *n)
{
    int64_t t = dl_attr_int(n, "output_datatype", DL_FLOAT);
    if (t != DL_FLOAT)
        return dl_error(d, n, "attribute 'output_datatype' is %s (%lld); only float32 is supported",
                        dl_dtype_name((dl_dtype)t), (long long)t);
    return 0;
}

static int window_infer(dl_graph *g, dl_node *n, dl_diag *d, int64_t kind)
{
    window_params *p = dl_node_params(g, n, sizeof *p);
    if (!p)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 1, 1) != 0 || window_check_out(d, n) != 0)
        return -1;
    if (signal_scalar(d, n, 0, "input 0 (size)", &p->size) != 0)
        return -1;
    if (p->size < 0)
        return dl_error(d, n, "input 0 (size) is %lld; expected >= 0", (long long)p->size);
    p->kind = kind;
    p->periodic = dl_attr_int(n, "periodic", 1) != 0;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 1, &p->size);
    return 0;
}

static int hann_infer(dl_graph *g, dl_node *n, dl_diag *d) { return window_infer(g, n, d, 0); }
static int hamming_infer(dl_graph *g, dl_node *n, dl_diag *d) { return window_infer(g, n, d, 1); }
static int blackman_infer(dl_graph *g, dl_node *n, dl_diag *d) { return window_infer(g, n, d, 2); }

static int window_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const window_params *p = n->params;
    (void)g;
    (void)d;
    dlk_window_f32(n->outputs[0]->data, p->size, p->kind, p->periodic);
    return 0;
}

static int window_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const window_params *p = n->params;
    (void)g;
    (void)d;
    if (p->size == 0)
        return 0;
    dl_lower_need(l, "dlk_window_f32");
    dl_lower_call(l, "dlk_window_f32");
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, p->size);
    dl_lower_arg_int(l, p->kind);
    dl_lower_arg_int(l, p->periodic);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_HannWindow = {"HannWindow", 0, NULL, hann_infer, window_eval, window_lower};
const dl_op dl_op_HammingWindow = {"HammingWindow", 0, NULL, hamming_infer, window_eval, window_lower};
const dl_op dl_op_BlackmanWindow = {"BlackmanWindow", 0, NULL, blackman_infer, window_eval, window_lower};

/* -------------------------------------------------------- MelWeightMatrix */

typedef struct mel_params {
    int64_t mel_bins, dft_length, sample_rate;
    float lower_hz, upper_hz;
} mel_params;

/* A float scalar from a constant float32 or float64 input. */
static int mel_float(dl_diag *d, const dl_node *n, int i, const char *what, float *out)
{
    const dl_value *v = n->inputs[i];
    if (!v->data)
        return dl_error_not_constant(d, n, v, what, "computed at compile time");
    if (dl_value_numel(v) != 1)
        return dl_error(d, n, "%s '%s' must be a scalar", what, v->name);
    if (v->dtype == DL_FLOAT)
        *out = *(const float *)v->data;
    else if (v->dtype == DL_DOUBLE)
        *out = (float)*(const double *)v->data;
    else
        return dl_error(d, n, "%s '%s' has type %s; expected float32 or float64", what, v->name,
                        dl_dtype_name(v->dtype));
    return 0;
}

static int mel_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    mel_params *p = dl_node_params(g, n, sizeof *p);
    int64_t dims[2];
    if (!p)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 5, 5) != 0 || window_check_out(d, n) != 0)
        return -1;
    if (signal_scalar(d, n, 0, "input 0 (num_mel_bins)", &p->mel_bins) != 0 ||
        signal_scalar(d, n, 1, "input 1 (dft_length)", &p->dft_length) != 0 ||
        signal_scalar(d, n, 2, "input 2 (sample_rate)", &p->sample_rate) != 0 ||
        mel_float(d, n, 3, "input 3 (lower_edge_hertz)", &p->lower_hz) != 0 ||
        mel_float(d, n, 4, "input 4 (upper_edge_hertz)", &p->upper_hz) != 0)
        return -1;
    if (p->mel_bins < 1 || p->dft_length < 1 || p->sample_rate < 1)
        return dl_error(d, n, "num_mel_bins %lld, dft_length %lld, sample_rate %lld: expected all >= 1",
                        (long long)p->mel_bins, (long long)p->dft_length, (long long)p->sample_rate);
    dims[0] = p->dft_length / 2 + 1;
    dims[1] = p->mel_bins;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 2, dims);
    return 0;
}

static int mel_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const mel_params *p = n->params;
    (void)g;
    (void)d;
    dlk_mel_weight_matrix_f32(n->outputs[0]->data, p->mel_bins, p->dft_length, p->sample_rate, p->lower_hz,
                              p->upper_hz);
    return 0;
}

static int mel_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const mel_params *p = n->params;
    (void)g;
    (void)d;
    dl_lower_need(l, "dlk_mel_weight_matrix_f32");
    dl_lower_call(l, "dlk_mel_weight_matrix_f32");
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, p->mel_bins);
    dl_lower_arg_int(l, p->dft_length);
    dl_lower_arg_int(l, p->sample_rate);
    dl_lower_arg_float(l, p->lower_hz);
    dl_lower_arg_float(l, p->upper_hz);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_MelWeightMatrix = {"MelWeightMatrix", 0, NULL, mel_infer, mel_eval, mel_lower};
