/* Softmax, LogSoftmax and Hardmax. Version 13 and later work over the one
 * dim `axis` (default -1); versions 1-12 coerce the input to 2-D at `axis`
 * (default 1) and work over all the dims from axis on. Both become the
 * kernel's (outer, n, inner) view; the old form is simply inner = 1.
 * float32 and float64; Softmax also float16 (rounded step by step as the
 * reference does; passes/legalize.c leaves it alone), the others get
 * float16 widened to float32 by passes/legalize.c. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/softmax.h"

typedef struct softmax_params {
    bool log;             /* LogSoftmax */
    bool hard;            /* Hardmax */
    bool flatten;         /* opset < 13: normalise over dims axis.. rank-1 together */
    int64_t axis;         /* as written; normalised against the input rank by infer */
    int norm_axis;
} softmax_params;

static int softmax_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    softmax_params *sp = dl_node_params(g, n, sizeof *sp);
    if (!sp)
        return dl_error(d, n, "out of memory");
    sp->log = strcmp(n->op_type, "LogSoftmax") == 0;
    sp->hard = strcmp(n->op_type, "Hardmax") == 0;
    sp->flatten = n->opset < 13;
    sp->axis = dl_attr_int(n, "axis", sp->flatten ? 1 : -1);
    return 0;
}

static int softmax_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    softmax_params *sp = n->params;
    const dl_value *x;
    (void)g;
    if (dl_check_inputs(d, n, 1, 1) != 0)
        return -1;
    x = n->inputs[0];
    if (!x)
        return dl_error(d, n, "input 0 is missing; %s needs it", n->op_type);
    if (x->rank < 0)
        return dl_error(d, n, "input 0 ('%s') has no known shape", x->name);
    if (n->n_outputs < 1)
        return dl_error(d, n, "no output; %s has one", n->op_type);
    if (x->dtype == DL_FLOAT16 && (sp->log || sp->hard))
        return dl_error(d, n, "internal: float16 %s should have been widened to float32", n->op_type);
    if (x->dtype != DL_FLOAT && x->dtype != DL_DOUBLE && x->dtype != DL_FLOAT16)
        return dl_error(d, n, "input 0 '%s' has type %s, expected float32 or float64 (float16 runs as float32)",
                        x->name, dl_dtype_name(x->dtype));
    if (dl_norm_axis(d, n, sp->axis, x->rank, &sp->norm_axis) != 0)
        return -1;
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, x->dims);
    return 0;
}

/* The kernel's view of the input: dims before the axis, the normalised
 * dims, and the dims after them. */
static void softmax_view(const dl_node *n, int64_t *outer, int64_t *len, int64_t *inner)
{
    const softmax_params *sp = n->params;
    const dl_value *x = n->inputs[0];
    int k;
    *outer = *len = *inner = 1;
    for (k = 0; k < x->rank; k++) {
        if (k < sp->norm_axis)
            *outer *= x->dims[k];
        else if (k == sp->norm_axis || sp->flatten)
            *len *= x->dims[k];
        else
            *inner *= x->dims[k];
    }
}

static int softmax_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const softmax_params *sp = n->params;
    int64_t outer, len, inner;
    (void)g;
    (void)d;
    softmax_view(n, &outer, &len, &inner);
    if (n->inputs[0]->dtype == DL_FLOAT16) {
        dlk_softmax_f16(n->inputs[0]->data, n->outputs[0]->data, outer, len, inner);
        return 0;
    }
    if (n->inputs[0]->dtype == DL_DOUBLE) {
        if (sp->hard)
            dlk_hardmax_f64(n->inputs[0]->data, n->outputs[0]->data, outer, len, inner);
        else if (sp->log)
            dlk_log_softmax_f64(n->inputs[0]->data, n->outputs[0]->data, outer, len, inner);
        else
            dlk_softmax_f64(n->inputs[0]->data, n->outputs[0]->data, outer, len, inner);
        return 0;
    }
    if (sp->hard)
        dlk_hardmax_f32(n->inputs[0]->data, n->outputs[0]->data, outer, len, inner);
    else if (sp->log)
        dlk_log_softmax_f32(n->inputs[0]->data, n->outputs[0]->data, outer, len, inner);
    else
        dlk_softmax_f32(n->inputs[0]->data, n->outputs[0]->data, outer, len, inner);
    return 0;
}

static int softmax_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const softmax_params *sp = n->params;
    const bool f64 = n->inputs[0]->dtype == DL_DOUBLE;
    const char *kernel = sp->hard ? (f64 ? "dlk_hardmax_f64" : "dlk_hardmax_f32")
                         : sp->log ? (f64 ? "dlk_log_softmax_f64" : "dlk_log_softmax_f32")
                                   : (f64 ? "dlk_softmax_f64"
                                      : n->inputs[0]->dtype == DL_FLOAT16 ? "dlk_softmax_f16" : "dlk_softmax_f32");
    int64_t outer, len, inner;
    (void)g;
    (void)d;
    if (dl_value_numel(n->inputs[0]) == 0)
        return 0;
    softmax_view(n, &outer, &len, &inner);
    dl_lower_need(l, kernel);
    dl_lower_call(l, kernel);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, outer);
    dl_lower_arg_int(l, len);
    dl_lower_arg_int(l, inner);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Softmax = {"Softmax", 0, softmax_setup, softmax_infer, softmax_eval, softmax_lower};
const dl_op dl_op_LogSoftmax = {"LogSoftmax", 0, softmax_setup, softmax_infer, softmax_eval, softmax_lower};
const dl_op dl_op_Hardmax = {"Hardmax", 0, softmax_setup, softmax_infer, softmax_eval, softmax_lower};
