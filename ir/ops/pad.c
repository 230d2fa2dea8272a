/* Pad. Opset 1 reads the `paddings` attribute, 2-10 `pads` and `value`;
 * 11+ the pads input and the optional constant_value input, 18+ the optional
 * axes input; 19 adds mode "wrap". Pads are [begin..., end...]; negative
 * pads crop. The kernel moves bytes, so every element type works. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/pad.h"

typedef struct pad_params_t {
    int mode;                       /* DLK_PAD_* */
    float attr_value;               /* opset < 11 `value` */
    /* Set by infer, per axis of the data. */
    int64_t begin[DL_MAX_RANK];
    int64_t end[DL_MAX_RANK];
} pad_params_t;

static const char *pad_mode_names[] = {"constant", "reflect", "edge", "wrap"};

static int pad_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    pad_params_t *p = dl_node_params(g, n, sizeof *p);
    const char *mode = dl_attr_string(n, "mode", "constant");
    int m, n_modes = n->opset >= 19 ? 4 : 3;
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 1, n->opset >= 18 ? 4 : (n->opset >= 11 ? 3 : 1)) < 0)
        return -1;
    for (m = 0; m < n_modes && strcmp(mode, pad_mode_names[m]) != 0; m++)
        ;
    if (m == n_modes)
        return dl_error(d, n, "attribute 'mode' is '%s'; expected %s", mode,
                        n_modes == 4 ? "constant, reflect, edge or wrap" : "constant, reflect or edge");
    p->mode = m;
    p->attr_value = dl_attr_float(n, "value", 0.0f);
    if (n->opset >= 11 && (n->n_inputs < 2 || n->inputs[1] == NULL))
        return dl_error(d, n, "input 'pads' is missing; opset %d takes the pads as input 1", n->opset);
    return 0;
}

/* The pads as listed by the model (attribute or constant input); returns
 * their count. */
static int pad_read_pads(dl_node *n, dl_diag *d, int64_t *pads)
{
    const int64_t *attr;
    int count;
    if (n->opset >= 11) {
        if (dl_value_numel(n->inputs[1]) > 2 * DL_MAX_RANK)
            return dl_error(d, n, "input 'pads' has %lld values; at most %d are supported",
                            (long long)dl_value_numel(n->inputs[1]), 2 * DL_MAX_RANK);
        return dl_const_ints(d, n, n->inputs[1], "pads", pads, 2 * DL_MAX_RANK);
    }
    count = dl_attr_ints(n, n->opset >= 2 ? "pads" : "paddings", &attr);
    if (count < 0)
        return dl_error(d, n, "attribute '%s' is missing", n->opset >= 2 ? "pads" : "paddings");
    if (count > 2 * DL_MAX_RANK)
        return dl_error(d, n, "attribute 'pads' has %d values; at most %d are supported", count,
                        2 * DL_MAX_RANK);
    memcpy(pads, attr, (size_t)count * sizeof *pads);
    return count;
}

/* The axes the pads apply to: the opset 18 axes input, else all of them. */
static int pad_read_axes(dl_node *n, dl_diag *d, int rank, int *axes)
{
    int64_t raw[DL_MAX_RANK];
    int count, i, j;
    if (n->n_inputs < 4 || n->inputs[3] == NULL) {
        for (i = 0; i < rank; i++)
            axes[i] = i;
        return rank;
    }
    if (dl_value_numel(n->inputs[3]) > rank)
        return dl_error(d, n, "input 'axes' has %lld values for data of rank %d",
                        (long long)dl_value_numel(n->inputs[3]), rank);
    count = dl_const_ints(d, n, n->inputs[3], "axes", raw, DL_MAX_RANK);
    if (count < 0)
        return -1;
    for (i = 0; i < count; i++) {
        if (dl_norm_axis(d, n, raw[i], rank, &axes[i]) < 0)
            return -1;
        for (j = 0; j < i; j++)
            if (axes[j] == axes[i])
                return dl_error(d, n, "input 'axes' names axis %d twice", axes[i]);
    }
    return count;
}

static int pad_check_value(dl_node *n, dl_diag *d, const dl_value *data)
{
    const pad_params_t *p = n->params;
    const dl_value *value = n->n_inputs > 2 ? n->inputs[2] : NULL;
    if (n->opset < 11) {
        if (p->attr_value != 0.0f && data->dtype != DL_FLOAT)
            return dl_error(d, n, "a non-zero attribute 'value' is supported for float32 data only, "
                            "not %s", dl_dtype_name(data->dtype));
        return 0;
    }
    if (value == NULL)
        return 0;
    if (dl_check_dtype(d, n, value, "constant_value", data->dtype) < 0)
        return -1;
    if (dl_value_numel(value) != 1)
        return dl_error(d, n, "input 'constant_value' has %lld elements; expected one",
                        (long long)dl_value_numel(value));
    return 0;
}

static int pad_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    pad_params_t *p = n->params;
    const dl_value *data = n->inputs[0];
    int64_t pads[2 * DL_MAX_RANK], dims[DL_MAX_RANK];
    int axes[DL_MAX_RANK], n_pads, n_axes, i;
    (void)g;
    if (dl_dtype_size(data->dtype) == 0)
        return dl_error(d, n, "input 'data' has unsupported type %s", dl_dtype_name(data->dtype));
    n_pads = pad_read_pads(n, d, pads);
    n_axes = n_pads < 0 ? -1 : pad_read_axes(n, d, data->rank, axes);
    if (n_axes < 0 || pad_check_value(n, d, data) < 0)
        return -1;
    if (n_pads != 2 * n_axes)
        return dl_error(d, n, "%d pads given for %d axes; expected %d (begins, then ends)", n_pads,
                        n_axes, 2 * n_axes);
    memset(p->begin, 0, sizeof p->begin);
    memset(p->end, 0, sizeof p->end);
    for (i = 0; i < n_axes; i++) {
        p->begin[axes[i]] = pads[i];
        p->end[axes[i]] = pads[n_axes + i];
    }
    for (i = 0; i < data->rank; i++) {
        dims[i] = data->dims[i] + p->begin[i] + p->end[i];
        if (dims[i] < 0)
            return dl_error(d, n, "pads %lld and %lld crop axis %d of size %lld below zero",
                            (long long)p->begin[i], (long long)p->end[i], i, (long long)data->dims[i]);
        if (p->mode != DLK_PAD_CONSTANT && data->dims[i] == 0 && dims[i] > 0)
            return dl_error(d, n, "mode '%s' cannot pad axis %d: it is empty", pad_mode_names[p->mode], i);
    }
    dl_value_set_shape(n->outputs[0], data->dtype, data->rank, dims);
    return 0;
}

/* The kernel's view of the node; a scalar is padded as a one-element vector. */
static void pad_make_params(const dl_node *n, dlk_pad_params *k)
{
    const pad_params_t *p = n->params;
    const dl_value *data = n->inputs[0];
    int i;
    memset(k, 0, sizeof *k);
    k->rank = data->rank > 0 ? data->rank : 1;
    k->elem_size = (int64_t)dl_dtype_size(data->dtype);
    k->mode = p->mode;
    k->in_dims[0] = k->out_dims[0] = 1;
    for (i = 0; i < data->rank; i++) {
        k->in_dims[i] = data->dims[i];
        k->out_dims[i] = data->dims[i] + p->begin[i] + p->end[i];
        k->pads_begin[i] = p->begin[i];
    }
    k->value_from_params = n->opset < 11 && p->attr_value != 0.0f;
    k->value_f32 = k->value_from_params ? p->attr_value : 0.0f;
}

static const dl_value *pad_value_input(const dl_node *n)
{
    return n->opset >= 11 && n->n_inputs > 2 ? n->inputs[2] : NULL;
}

static int pad_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *value = pad_value_input(n);
    dlk_pad_params k;
    (void)g;
    (void)d;
    pad_make_params(n, &k);
    dlk_pad(&k, n->inputs[0]->data, value ? value->data : NULL, n->outputs[0]->data);
    return 0;
}

static int pad_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_pad_params k;
    (void)g;
    (void)d;
    pad_make_params(n, &k);
    dl_lower_need(l, "dlk_pad");
    dl_lower_params_begin(l, "dlk_pad_params");
    dl_lower_param_int(l, "rank", k.rank);
    dl_lower_param_int(l, "elem_size", k.elem_size);
    dl_lower_param_int(l, "mode", k.mode);
    dl_lower_param_ints(l, "in_dims", k.in_dims, (int)k.rank);
    dl_lower_param_ints(l, "out_dims", k.out_dims, (int)k.rank);
    dl_lower_param_ints(l, "pads_begin", k.pads_begin, (int)k.rank);
    if (k.value_from_params) {
        dl_lower_param_int(l, "value_from_params", 1);
        dl_lower_param_float(l, "value_f32", k.value_f32);
    }
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_pad");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, pad_value_input(n));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Pad = {"Pad", 0, pad_setup, pad_infer, pad_eval, pad_lower};
