/* MaxPool, AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool, GlobalLpPool (ONNX opsets 1..22),
 * float32, any spatial rank up to 6. Window pools take kernel_shape,
 * strides (default 1), pads, auto_pad, ceil_mode, dilations; AveragePool
 * count_include_pad; MaxPool storage_order and its optional Indices output.
 * Output sizes follow onnxruntime (ceil mode drops a window that would start
 * in the end padding). */
#include <inttypes.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "ir/ops/window.h"
#include "kernels/pool.h"

typedef struct pool_attrs {
    bool is_max, is_lp;
    float p;                    /* LpPool's exponent */
    int64_t ceil_mode, count_include_pad, storage_order;
    dl_window_attrs win;
} pool_attrs;

/* ------------------------------------------------------------ attributes */

static int read_flag(dl_diag *d, const dl_node *n, const char *name, int64_t *out)
{
    *out = dl_attr_int(n, name, 0);
    if (*out != 0 && *out != 1)
        return dl_error(d, n, "attribute '%s' is %" PRId64 "; expected 0 or 1", name, *out);
    return 0;
}

static int pool_setup_common(dl_graph *g, dl_node *n, dl_diag *d, bool is_max)
{
    pool_attrs *a;
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    if (n->n_outputs > (is_max ? 2 : 1))
        return dl_error(d, n, "has %d outputs; expected at most %d", n->n_outputs, is_max ? 2 : 1);
    a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        return dl_error(d, n, "out of memory");
    a->is_max = is_max;
    if (dl_window_read_attrs(d, n, &a->win) < 0 ||
        read_flag(d, n, "ceil_mode", &a->ceil_mode) < 0 ||
        read_flag(d, n, "count_include_pad", &a->count_include_pad) < 0 ||
        read_flag(d, n, "storage_order", &a->storage_order) < 0)
        return -1;
    if (a->win.kernel_shape.n < 0)
        return dl_error(d, n, "attribute 'kernel_shape' is required");
    return 0;
}

static int maxpool_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    return pool_setup_common(g, n, d, true);
}

static int avgpool_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    return pool_setup_common(g, n, d, false);
}

/* LpPool's p: a float attribute in opset 1, an int from opset 2; the
 * spec's default is 2. */
static int read_p(dl_diag *d, const dl_node *n, float *out)
{
    *out = n->opset < 2 ? dl_attr_float(n, "p", 2.0f) : (float)dl_attr_int(n, "p", 2);
    if (!(*out > 0.0f))
        return dl_error(d, n, "attribute 'p' is %g; expected a positive number", (double)*out);
    return 0;
}

static int lppool_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    pool_attrs *a;
    if (pool_setup_common(g, n, d, false) < 0)
        return -1;
    a = n->params;
    a->is_lp = true;
    return read_p(d, n, &a->p);
}

/* -------------------------------------------------------------- geometry */

static int check_x(dl_diag *d, const dl_node *n)
{
    const dl_value *x = n->inputs[0];
    if (dl_window_check_float(d, n, 0, "X") < 0)
        return -1;
    if (x->rank < 3)
        return dl_error(d, n, "input 'X' has rank %d; expected at least 3 (N, C, spatial axes)", x->rank);
    return 0;
}

/* Pads and output size of one axis. */
static int pool_axis(dl_diag *d, const dl_node *n, const pool_attrs *a, dlk_pool_params *kp, int i)
{
    int r = (int)kp->rank;
    int64_t *pb = &kp->pads[i], *pe = &kp->pads[r + i];
    int64_t keff = dl_window_extent(kp->kernel[i], kp->dilations[i]);
    dl_window_auto_pads(a->win.auto_pad, kp->in[i], kp->kernel[i], kp->strides[i], kp->dilations[i],
                        pb, pe);
    if (dl_window_is_same(a->win.auto_pad)) {
        kp->out[i] = (kp->in[i] + kp->strides[i] - 1) / kp->strides[i];
        return 0;
    }
    /* As onnxruntime requires: a window must not lie wholly in the padding. */
    if (*pb >= keff || *pe >= keff)
        return dl_error(d, n, "attribute 'pads' (%" PRId64 ", %" PRId64 ") on spatial axis %d must be smaller than the kernel %" PRId64,
                        *pb, *pe, i, keff);
    if (dl_window_check_fits(d, n, i, kp->in[i], *pb, *pe, keff) < 0)
        return -1;
    kp->out[i] = dlk_pool_out_dim(kp->in[i], kp->kernel[i], kp->strides[i], kp->dilations[i], *pb,
                                  *pe, (int)a->ceil_mode);
    return 0;
}

static int pool_make_params(dl_diag *d, const dl_node *n, dlk_pool_params *kp)
{
    const pool_attrs *a = n->params;
    const dl_value *x = n->inputs[0];
    int r;
    memset(kp, 0, sizeof *kp);
    if (check_x(d, n) < 0)
        return -1;
    r = x->rank - 2;
    kp->n = x->dims[0];
    kp->c = x->dims[1];
    kp->rank = r;
    kp->count_include_pad = a->count_include_pad;
    kp->storage_order = a->storage_order;
    for (int i = 0; i < r; i++)
        kp->in[i] = x->dims[2 + i];
    if (dl_window_axis_list(d, n, "kernel_shape", &a->win.kernel_shape, r, r, 1, kp->kernel) < 0 ||
        dl_window_axes(d, n, &a->win, r, kp->strides, kp->dilations, kp->pads) < 0)
        return -1;
    for (int i = 0; i < r; i++)
        if (pool_axis(d, n, a, kp, i) < 0)
            return -1;
    return 0;
}

/* MaxPool's Indices output, when the model uses it. */
static const dl_value *indices_output(const dl_node *n)
{
    const dl_value *v = n->n_outputs > 1 ? n->outputs[1] : NULL;
    return v != NULL && (v->n_users > 0 || v->is_output) ? v : NULL;
}

/* The usual MaxPool (2-D, no indices, a kernel row that fits) runs the
 * kernel that splits planes over threads. */
static bool maxpool2d(const pool_attrs *a, const dlk_pool_params *kp, const dl_node *n)
{
    return a->is_max && kp->rank == 2 && kp->kernel[1] <= DLK_MAXPOOL2D_MAX_KW && indices_output(n) == NULL;
}

int dl_maxpool_params(dl_diag *d, const dl_node *n, dlk_pool_params *kp)
{
    return pool_make_params(d, n, kp);
}

bool dl_maxpool_plain(const dl_node *n)
{
    const pool_attrs *a = n->params;
    const dl_value *x = n->n_inputs > 0 ? n->inputs[0] : NULL;
    return a != NULL && strcmp(n->op_type, "MaxPool") == 0 && a->is_max && x != NULL && x->rank == 4 &&
           indices_output(n) == NULL;
}

/* The usual AveragePool (2-D, a kernel row and an output row that fit)
 * likewise. */
static bool avgpool2d(const pool_attrs *a, const dlk_pool_params *kp)
{
    return !a->is_max && !a->is_lp && kp->rank == 2 && kp->kernel[1] <= DLK_AVGPOOL2D_MAX_KW &&
           kp->out[1] <= DLK_AVGPOOL2D_MAX_W;
}

/* An AveragePool whose window is the whole unpadded plane (ResNet's and
 * DenseNet's final 7x7 pools) is a GlobalAveragePool: its kernel splits the
 * planes over the threads and sums each with vector loads (light ResNet-50's
 * 2048 planes of 7x7: 0.117 -> 0.011 ms). */
static bool avgpool_whole(const pool_attrs *a, const dlk_pool_params *kp)
{
    if (a->is_max || a->is_lp)
        return false;
    for (int64_t i = 0; i < kp->rank; i++)
        if (kp->kernel[i] != kp->in[i] || kp->dilations[i] != 1 || kp->pads[i] != 0 ||
            kp->pads[kp->rank + i] != 0 || kp->out[i] != 1)
            return false;
    return true;
}

/* Planes (N*C) and elements per plane. */
static void global_sizes(const dl_node *n, int64_t *planes, int64_t *size)
{
    const dl_value *x = n->inputs[0];
    *planes = x->dims[0] * x->dims[1];
    *size = 1;
    for (int i = 2; i < x->rank; i++)
        *size *= x->dims[i];
}

/* ------------------------------------------------------------- op hooks */

static int pool_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_pool_params kp;
    int64_t dims[DL_MAX_RANK];
    (void)g;
    if (pool_make_params(d, n, &kp) < 0)
        return -1;
    dims[0] = kp.n;
    dims[1] = kp.c;
    for (int i = 0; i < kp.rank; i++)
        dims[2 + i] = kp.out[i];
    dl_value_set_shape(n->outputs[0], DL_FLOAT, (int)kp.rank + 2, dims);
    if (n->n_outputs > 1 && n->outputs[1] != NULL)
        dl_value_set_shape(n->outputs[1], DL_INT64, (int)kp.rank + 2, dims);
    return 0;
}

static int pool_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const pool_attrs *a = n->params;
    dlk_pool_params kp;
    (void)g;
    if (pool_make_params(d, n, &kp) < 0)
        return -1;
    if (a->is_lp) {
        dlk_lppool_f32(&kp, a->p, n->inputs[0]->data, n->outputs[0]->data);
    } else if (avgpool_whole(a, &kp)) {
        int64_t planes, size;
        global_sizes(n, &planes, &size);
        dlk_global_avgpool_f32(NULL, planes, size, n->inputs[0]->data, n->outputs[0]->data);
    } else if (maxpool2d(a, &kp, n)) {
        dlk_maxpool2d_f32(NULL, &kp, n->inputs[0]->data, n->outputs[0]->data);
    } else if (a->is_max) {
        dl_value *ind = n->n_outputs > 1 ? n->outputs[1] : NULL;
        dlk_maxpool_f32(&kp, n->inputs[0]->data, n->outputs[0]->data, ind != NULL ? ind->data : NULL);
    } else if (avgpool2d(a, &kp)) {
        dlk_avgpool2d_f32(NULL, &kp, n->inputs[0]->data, n->outputs[0]->data);
    } else {
        dlk_avgpool_f32(&kp, n->inputs[0]->data, n->outputs[0]->data);
    }
    return 0;
}

static int pool_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const pool_attrs *a = n->params;
    const char *kernel = a->is_lp ? "dlk_lppool_f32" : a->is_max ? "dlk_maxpool_f32" : "dlk_avgpool_f32";
    dlk_pool_params kp;
    int r;
    (void)g;
    if (pool_make_params(d, n, &kp) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    if (avgpool_whole(a, &kp)) {
        int64_t planes, size;
        global_sizes(n, &planes, &size);
        dl_lower_need(l, "dlk_global_avgpool_f32");
        dl_lower_call(l, "dlk_global_avgpool_f32");
        dl_lower_arg_par(l);
        dl_lower_arg_int(l, planes);
        dl_lower_arg_int(l, size);
        dl_lower_arg_value(l, n->inputs[0]);
        dl_lower_arg_value(l, n->outputs[0]);
        dl_lower_call_end(l);
        return 0;
    }
    if (maxpool2d(a, &kp, n))
        kernel = "dlk_maxpool2d_f32";
    else if (avgpool2d(a, &kp))
        kernel = "dlk_avgpool2d_f32";
    r = (int)kp.rank;
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_pool_params");
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "c", kp.c);
    dl_lower_param_int(l, "rank", kp.rank);
    dl_window_lower_geometry(l, r, kp.in, kp.out, kp.kernel, kp.strides, kp.dilations, kp.pads);
    dl_lower_param_int(l, "count_include_pad", kp.count_include_pad);
    dl_lower_param_int(l, "storage_order", kp.storage_order);
    dl_lower_params_end(l);
    dl_lower_call(l, kernel);
    if (maxpool2d(a, &kp, n) || avgpool2d(a, &kp))
        dl_lower_arg_par(l);
    dl_lower_arg_params(l);
    if (a->is_lp)
        dl_lower_arg_float(l, a->p);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    if (a->is_max && !maxpool2d(a, &kp, n))
        dl_lower_arg_value(l, indices_output(n));   /* NULL: the fast path without indices */
    dl_lower_call_end(l);
    return 0;
}

/* ---------------------------------------------------------- global pools */

typedef struct global_attrs {
    bool is_max, is_lp;
    float p;                    /* GlobalLpPool's exponent */
} global_attrs;

static int global_setup_common(dl_graph *g, dl_node *n, dl_diag *d, bool is_max)
{
    global_attrs *a;
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        return dl_error(d, n, "out of memory");
    a->is_max = is_max;
    return 0;
}

static int global_avg_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    return global_setup_common(g, n, d, false);
}

static int global_max_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    return global_setup_common(g, n, d, true);
}

static int global_lp_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    global_attrs *a;
    if (global_setup_common(g, n, d, false) < 0)
        return -1;
    a = n->params;
    a->is_lp = true;
    return read_p(d, n, &a->p);
}

static int global_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    int64_t dims[DL_MAX_RANK];
    (void)g;
    if (check_x(d, n) < 0)
        return -1;
    for (int i = 0; i < x->rank; i++)
        dims[i] = i < 2 ? x->dims[i] : 1;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, x->rank, dims);
    return 0;
}

static bool is_global_max(const dl_node *n)
{
    return ((const global_attrs *)n->params)->is_max;
}

static int global_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const global_attrs *a = n->params;
    int64_t planes, size;
    (void)g;
    (void)d;
    global_sizes(n, &planes, &size);
    if (a->is_lp)
        dlk_global_lppool_f32(planes, size, a->p, n->inputs[0]->data, n->outputs[0]->data);
    else if (is_global_max(n))
        dlk_global_maxpool_f32(planes, size, n->inputs[0]->data, n->outputs[0]->data);
    else
        dlk_global_avgpool_f32(NULL, planes, size, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int global_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const global_attrs *a = n->params;
    const char *kernel = a->is_lp ? "dlk_global_lppool_f32"
                         : is_global_max(n) ? "dlk_global_maxpool_f32" : "dlk_global_avgpool_f32";
    int64_t planes, size;
    (void)g;
    (void)d;
    global_sizes(n, &planes, &size);
    if (planes == 0)
        return 0;
    dl_lower_need(l, kernel);
    dl_lower_call(l, kernel);
    if (!a->is_lp && !is_global_max(n))
        dl_lower_arg_par(l);
    dl_lower_arg_int(l, planes);
    dl_lower_arg_int(l, size);
    if (a->is_lp)
        dl_lower_arg_float(l, a->p);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_MaxPool = {"MaxPool", 0, maxpool_setup, pool_infer, pool_eval, pool_lower};
const dl_op dl_op_AveragePool = {"AveragePool", 0, avgpool_setup, pool_infer, pool_eval, pool_lower};
const dl_op dl_op_GlobalAveragePool = {"GlobalAveragePool", 0, global_avg_setup, global_infer,
                                       global_eval, global_lower};
const dl_op dl_op_GlobalMaxPool = {"GlobalMaxPool", 0, global_max_setup, global_infer, global_eval,
                                   global_lower};
const dl_op dl_op_LpPool = {"LpPool", 0, lppool_setup, pool_infer, pool_eval, pool_lower};
const dl_op dl_op_GlobalLpPool = {"GlobalLpPool", 0, global_lp_setup, global_infer, global_eval, global_lower};
