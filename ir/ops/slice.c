/* Slice, any dtype: starts/ends/axes as attributes before opset 10, then
 * constant inputs starts, ends, axes (optional) and steps (optional, may be
 * negative). Clamping follows the ONNX text (dlk_slice_clamp in
 * runtime/kernels/slice.h); the kernel sees, per axis, a first input index,
 * a step and an output size. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/copy.h"
#include "kernels/slice.h"

typedef struct slice_params {
    int64_t first[DL_MAX_RANK];     /* after infer, per input axis */
    int64_t step[DL_MAX_RANK];
} slice_params;

/* The ONNX arguments, one entry per sliced axis. */
typedef struct slice_args {
    int64_t starts[DL_MAX_RANK], ends[DL_MAX_RANK], axes[DL_MAX_RANK], steps[DL_MAX_RANK];
    int count;
} slice_args;

static int slice_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    if (dl_check_inputs(d, n, n->opset < 10 ? 1 : 3, n->opset < 10 ? 1 : 5) < 0)
        return -1;
    if (dl_node_params(g, n, sizeof(slice_params)) == NULL)
        return dl_error(d, n, "out of memory");
    return 0;
}

/* One list: the attribute (opset < 10) or the constant input `slot`.
 * Returns its length, -2 when absent, -1 on error. */
static int read_list(dl_diag *d, const dl_node *n, const char *name, int slot, int64_t *out)
{
    const int64_t *attr;
    char what[32];
    int count;
    if (n->opset < 10) {
        count = dl_attr_ints(n, name, &attr);
        if (count < 0)
            return -2;
        if (count > DL_MAX_RANK)
            return dl_error(d, n, "attribute '%s' has %d entries; at most %d are supported",
                            name, count, DL_MAX_RANK);
        memcpy(out, attr, (size_t)count * sizeof *out);
        return count;
    }
    if (slot >= n->n_inputs || n->inputs[slot] == NULL)
        return -2;
    snprintf(what, sizeof what, "input %s", name);
    return dl_const_ints(d, n, n->inputs[slot], what, out, DL_MAX_RANK);
}

/* Gather starts, ends, axes, steps and check their lengths agree. */
static int read_args(dl_diag *d, const dl_node *n, int rank, slice_args *a)
{
    const char *kind = n->opset < 10 ? "attribute" : "input";
    int n_ends, n_axes, n_steps;
    a->count = read_list(d, n, "starts", 1, a->starts);
    n_ends = read_list(d, n, "ends", 2, a->ends);
    n_axes = read_list(d, n, "axes", 3, a->axes);
    n_steps = n->opset < 10 ? -2 : read_list(d, n, "steps", 4, a->steps);
    if (a->count == -1 || n_ends == -1 || n_axes == -1 || n_steps == -1)
        return -1;
    if (a->count == -2 || n_ends == -2)
        return dl_error(d, n, "%s '%s' is missing", kind, a->count == -2 ? "starts" : "ends");
    if (n_ends != a->count)
        return dl_error(d, n, "%s 'ends' has %d entries but 'starts' has %d", kind, n_ends, a->count);
    if (n_axes >= 0 && n_axes != a->count)
        return dl_error(d, n, "%s 'axes' has %d entries but 'starts' has %d", kind, n_axes, a->count);
    if (n_steps >= 0 && n_steps != a->count)
        return dl_error(d, n, "input 'steps' has %d entries but 'starts' has %d", n_steps, a->count);
    if (n_axes < 0 && a->count > rank)
        return dl_error(d, n, "%s 'starts' has %d entries but input 'data' has rank %d",
                        kind, a->count, rank);
    for (int i = 0; i < a->count; i++) {
        if (n_axes < 0)
            a->axes[i] = i;
        if (n_steps < 0)
            a->steps[i] = 1;
    }
    return 0;
}

static int slice_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    slice_params *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t dims[DL_MAX_RANK];
    bool seen[DL_MAX_RANK] = {false};
    slice_args a;
    (void)g;
    if (x->rank < 0)
        return dl_error(d, n, "input 'data' has an unknown shape; give it with --shape");
    if (dl_dtype_size(x->dtype) == 0)
        return dl_error(d, n, "input 'data' has type %s, which dlcc does not support",
                        dl_dtype_name(x->dtype));
    if (x->rank == 0)
        return dl_error(d, n, "input 'data' is a scalar; Slice needs rank >= 1");
    if (read_args(d, n, x->rank, &a) < 0)
        return -1;
    for (int i = 0; i < x->rank; i++) {
        p->first[i] = 0;
        p->step[i] = 1;
        dims[i] = x->dims[i];
    }
    for (int i = 0; i < a.count; i++) {
        int axis;
        if (dl_norm_axis(d, n, a.axes[i], x->rank, &axis) < 0)
            return -1;
        if (seen[axis])
            return dl_error(d, n, "'axes' names axis %d twice", axis);
        seen[axis] = true;
        if (a.steps[i] == 0)
            return dl_error(d, n, "input 'steps'[%d] is 0; a step must be non-zero", i);
        p->step[axis] = a.steps[i];
        dlk_slice_clamp(x->dims[axis], a.starts[i], a.ends[i], a.steps[i], &p->first[axis],
                        &dims[axis]);
    }
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, dims);
    return 0;
}

/* An axis that is taken whole (from 0, step 1, all of it). */
static bool is_whole(const dlk_slice_params *kp, int i)
{
    return kp->starts[i] == 0 && kp->steps[i] == 1 && kp->out_dims[i] == kp->in_dims[i];
}

/* The kernel's form: size-1 input axes dropped; an axis taken whole merges
 * into the axis before it when that one has step 1, so slicing channels of
 * NCHW copies whole (C', H*W) runs with one memcpy per image. */
static void make_params(const dl_node *n, dlk_slice_params *kp)
{
    const slice_params *p = n->params;
    const dl_value *x = n->inputs[0], *y = n->outputs[0];
    int k = 0;

    memset(kp, 0, sizeof *kp);
    kp->elem_size = (int64_t)dl_dtype_size(x->dtype);
    for (int i = 0; i < x->rank; i++) {
        if (x->dims[i] == 1 && y->dims[i] == 1)
            continue;
        kp->in_dims[k] = x->dims[i];
        kp->out_dims[k] = y->dims[i];
        kp->starts[k] = p->first[i];
        kp->steps[k] = p->step[i];
        if (k > 0 && is_whole(kp, k) && kp->steps[k - 1] == 1) {
            kp->in_dims[k - 1] *= x->dims[i];
            kp->out_dims[k - 1] *= x->dims[i];
            kp->starts[k - 1] *= x->dims[i];
            continue;
        }
        k++;
    }
    kp->rank = k;
    if (k == 0) {   /* every axis of size 1: one element */
        kp->rank = 1;
        kp->in_dims[0] = kp->out_dims[0] = kp->steps[0] = 1;
    }
}

static int slice_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_slice_params kp;
    (void)g;
    (void)d;
    make_params(n, &kp);
    dlk_slice(&kp, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int slice_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dl_value *x = n->inputs[0], *y = n->outputs[0];
    dlk_slice_params kp;
    (void)g;
    (void)d;
    if (dl_value_numel(y) == 0)
        return 0;
    make_params(n, &kp);
    if (kp.rank == 1 && is_whole(&kp, 0)) {     /* the slice takes everything */
        dl_lower_copy(l, x, y);
        return 0;
    }
    dl_lower_need(l, "dlk_slice");
    dl_lower_params_begin(l, "dlk_slice_params");
    dl_lower_param_int(l, "rank", kp.rank);
    dl_lower_param_int(l, "elem_size", kp.elem_size);
    dl_lower_param_ints(l, "in_dims", kp.in_dims, (int)kp.rank);
    dl_lower_param_ints(l, "out_dims", kp.out_dims, (int)kp.rank);
    dl_lower_param_ints(l, "starts", kp.starts, (int)kp.rank);
    dl_lower_param_ints(l, "steps", kp.steps, (int)kp.rank);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_slice");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, x);
    dl_lower_arg_value(l, y);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Slice = {"Slice", 0, slice_setup, slice_infer, slice_eval, slice_lower};
