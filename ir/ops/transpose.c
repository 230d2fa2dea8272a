/* Transpose: any rank <= DL_MAX_RANK, any dtype (the kernel moves bytes).
 * Before calling the kernel the permutation is simplified: size-1 axes are
 * dropped and axes that stay adjacent are merged, so NCHW->NHWC becomes a
 * batched 2-D transpose and a permutation that only moves size-1 axes
 * becomes a plain copy. */
#include <inttypes.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/copy.h"
#include "kernels/transpose.h"

typedef struct transpose_params {
    int64_t perm[DL_MAX_RANK];  /* after infer: the full permutation */
    int n_perm;                 /* -1: absent, which means reversed axes */
} transpose_params;

static int transpose_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    transpose_params *p;
    const int64_t *perm;
    int count;
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    count = dl_attr_ints(n, "perm", &perm);
    if (count > DL_MAX_RANK)
        return dl_error(d, n, "attribute 'perm' has %d entries; at most %d are supported",
                        count, DL_MAX_RANK);
    if (count > 0)
        memcpy(p->perm, perm, (size_t)count * sizeof *perm);
    p->n_perm = count;
    return 0;
}

/* Fill the default (reversed) perm and check it is a permutation of rank. */
static int transpose_check_perm(dl_diag *d, const dl_node *n, transpose_params *p, int rank)
{
    bool seen[DL_MAX_RANK] = {false};
    if (p->n_perm < 0) {
        for (int i = 0; i < rank; i++)
            p->perm[i] = rank - 1 - i;
        p->n_perm = rank;
    }
    if (p->n_perm != rank)
        return dl_error(d, n, "attribute 'perm' has %d entries; input 'data' has rank %d",
                        p->n_perm, rank);
    for (int i = 0; i < rank; i++) {
        int64_t a = p->perm[i];
        if (a < 0 || a >= rank)
            return dl_error(d, n, "attribute 'perm'[%d] is %" PRId64 "; expected in [0, %d]",
                            i, a, rank - 1);
        if (seen[a])
            return dl_error(d, n, "attribute 'perm' names axis %" PRId64 " twice", a);
        seen[a] = true;
    }
    return 0;
}

static int transpose_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    transpose_params *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t dims[DL_MAX_RANK];
    (void)g;
    if (x->rank < 0)
        return dl_error(d, n, "input 'data' has an unknown shape; give it with --shape");
    if (dl_dtype_size(x->dtype) == 0)
        return dl_error(d, n, "input 'data' has type %s, which dlcc does not support",
                        dl_dtype_name(x->dtype));
    if (transpose_check_perm(d, n, p, x->rank) < 0)
        return -1;
    for (int i = 0; i < x->rank; i++)
        dims[i] = x->dims[p->perm[i]];
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, dims);
    return 0;
}

/* The kernel's form of the node: size-1 axes dropped, then every run of
 * input axes that appear consecutively in the output merged into one. */
static void make_params(const dl_node *n, dlk_transpose_params *kp)
{
    const transpose_params *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t dims[DL_MAX_RANK], perm[DL_MAX_RANK];
    int newaxis[DL_MAX_RANK], run_of[DL_MAX_RANK];
    bool head[DL_MAX_RANK] = {false};
    int k = 0, m = 0, runs = 0;

    memset(kp, 0, sizeof *kp);
    kp->elem_size = (int64_t)dl_dtype_size(x->dtype);
    for (int i = 0; i < x->rank; i++) {
        newaxis[i] = x->dims[i] == 1 ? -1 : k;
        if (x->dims[i] != 1)
            dims[k++] = x->dims[i];
    }
    for (int j = 0; j < x->rank; j++)
        if (newaxis[p->perm[j]] >= 0)
            perm[m++] = newaxis[p->perm[j]];
    /* Axis a starts a run unless a-1 comes right before it in the output. */
    for (int j = 0; j < k; j++)
        if (j == 0 || perm[j] != perm[j - 1] + 1)
            head[perm[j]] = true;
    for (int a = 0; a < k; a++) {
        if (head[a])
            kp->in_dims[runs++] = dims[a];
        else
            kp->in_dims[runs - 1] *= dims[a];
        run_of[a] = runs - 1;
    }
    for (int j = 0, t = 0; j < k; j++)
        if (head[perm[j]])
            kp->perm[t++] = run_of[perm[j]];
    kp->rank = runs;
    if (runs == 0) {    /* all axes of size 1 */
        kp->rank = 1;
        kp->in_dims[0] = 1;
    }
}

/* After simplification, rank 1 means the bytes are unchanged. */
static bool is_copy(const dlk_transpose_params *kp)
{
    return kp->rank <= 1;
}

static int transpose_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_transpose_params kp;
    (void)g;
    (void)d;
    make_params(n, &kp);
    if (is_copy(&kp))
        dlk_copy(n->inputs[0]->data, n->outputs[0]->data, (size_t)dl_value_bytes(n->outputs[0]));
    else
        dlk_transpose(&kp, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int transpose_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dl_value *x = n->inputs[0], *y = n->outputs[0];
    dlk_transpose_params kp;
    (void)g;
    (void)d;
    if (dl_value_numel(y) == 0)
        return 0;
    make_params(n, &kp);
    if (is_copy(&kp)) {
        dl_lower_copy(l, x, y);
        return 0;
    }
    dl_lower_need(l, "dlk_transpose_par");
    dl_lower_params_begin(l, "dlk_transpose_params");
    dl_lower_param_int(l, "rank", kp.rank);
    dl_lower_param_int(l, "elem_size", kp.elem_size);
    dl_lower_param_ints(l, "in_dims", kp.in_dims, (int)kp.rank);
    dl_lower_param_ints(l, "perm", kp.perm, (int)kp.rank);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_transpose_par");
    dl_lower_arg_par(l);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, x);
    dl_lower_arg_value(l, y);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Transpose = {"Transpose", 0, transpose_setup, transpose_infer, transpose_eval,
                               transpose_lower};
