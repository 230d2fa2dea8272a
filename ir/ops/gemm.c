/* Gemm and MatMul, float32 (MatMul also float64; float16 runs as float32 through legalize.c).
 * Gemm: y = alpha * op(A) op(B) + beta * C, C unidirectionally broadcast to
 * (M, N); C is optional from opset 11; opsets < 7 have a `broadcast`
 * attribute, which is accepted (any C that broadcasts is taken).
 * MatMul: numpy matmul, 1-D operands promoted, batch axes broadcast.
 * Both may carry a fused epilogue (ir/ops/epilogue.h), float32 only.
 * Products with GEMM_PACKED_MIN_M rows or more run through the packed,
 * thread-split kernels of runtime/kernels/sgemm.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ir/ops/epilogue.h"
#include "ir/ops/op.h"
#include "kernels/gemm.h"

typedef struct gemm_attrs {
    int64_t trans_a, trans_b;
    float alpha, beta;
    dlk_epilogue ep;        /* set by fuse-epilogue; zero: none */
} gemm_attrs;

typedef struct matmul_attrs {
    dlk_epilogue ep;        /* set by fuse-epilogue; zero: none */
} matmul_attrs;

/* The residual input of a fused node (slot 3 of Gemm, 2 of MatMul), or NULL. */
static const dl_value *residual_input(const dl_node *n, int slot)
{
    return n->n_inputs > slot ? n->inputs[slot] : NULL;
}

static const void *data_of(const dl_value *v)
{
    return v != NULL ? v->data : NULL;
}

/* Products with at least this many rows of A run through the packed
 * micro-kernels (runtime/kernels/sgemm.h); below it, packing B costs more
 * than it saves. A batch-1 fully connected layer with transB (one row of A)
 * goes there too: dlk_gemm_packed_f32 runs it as a matrix-vector product on
 * the weights' rows in place, split over the threads (the dot-product
 * kernel ran on one: 2 threads, MobileNetV2 0.33 -> 0.11 ms, ResNet-50 0.56 -> 0.31). */
#define GEMM_PACKED_MIN_M 16

/* The fused residual must have y's element count (the pass gives it y's shape). */
static int check_residual(dl_diag *d, const dl_node *n, int slot)
{
    const dl_value *r = residual_input(n, slot);
    if (r != NULL && dl_value_numel(r) != dl_value_numel(n->outputs[0]))
        return dl_error(d, n, "the fused residual input has %" PRId64 " elements; the output has %" PRId64,
                        dl_value_numel(r), dl_value_numel(n->outputs[0]));
    return 0;
}

static int check_matrix_input(dl_diag *d, const dl_node *n, int i, const char *what)
{
    const dl_value *v = n->inputs[i];
    if (v->rank < 0)
        return dl_error(d, n, "input '%s' ('%s') has an unknown shape; give it with --shape", what,
                        v->name);
    char label[32];
    snprintf(label, sizeof label, "input %s", what);
    return dl_check_dtype(d, n, v, label, DL_FLOAT);
}

/* ----------------------------------------------------------------- Gemm */

static int gemm_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    gemm_attrs *a;
    if (dl_check_inputs(d, n, 2, 3) < 0)
        return -1;
    if (n->opset < 11 && (n->n_inputs < 3 || n->inputs[2] == NULL))
        return dl_error(d, n, "input 'C' is required before opset 11; the model has opset %d", n->opset);
    a = dl_node_params(g, n, sizeof *a);
    if (a == NULL)
        return dl_error(d, n, "out of memory");
    a->trans_a = dl_attr_int(n, "transA", 0);
    a->trans_b = dl_attr_int(n, "transB", 0);
    a->alpha = dl_attr_float(n, "alpha", 1.0f);
    a->beta = dl_attr_float(n, "beta", 1.0f);
    if ((a->trans_a != 0 && a->trans_a != 1) || (a->trans_b != 0 && a->trans_b != 1))
        return dl_error(d, n, "attributes 'transA' (%" PRId64 ") and 'transB' (%" PRId64 ") must be 0 or 1",
                        a->trans_a, a->trans_b);
    return 0;
}

/* c's strides over y's rows and columns: (M,N) -> (N,1); a 1 on an axis or
 * a missing axis broadcasts (stride 0). */
static int gemm_c_strides(dl_diag *d, const dl_node *n, const dl_value *c, int64_t m, int64_t nn,
                          dlk_gemm_params *kp)
{
    int64_t rows = c->rank == 2 ? c->dims[0] : 1, cols = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
    char shape[64];
    if (c->rank > 2 || (rows != 1 && rows != m) || (cols != 1 && cols != nn))
        return dl_error(d, n, "input 'C' has shape [%s]; it must broadcast to the output %" PRId64 "x%" PRId64,
                        dl_shape_str(c, shape, sizeof shape), m, nn);
    kp->c_rs = rows == 1 ? 0 : cols;
    kp->c_cs = cols == 1 ? 0 : 1;
    return 0;
}

static const dl_value *gemm_c(const dl_node *n)
{
    return n->n_inputs > 2 ? n->inputs[2] : NULL;
}

static int gemm_make_params(dl_diag *d, const dl_node *n, dlk_gemm_params *kp)
{
    const gemm_attrs *a = n->params;
    const dl_value *A = n->inputs[0], *B = n->inputs[1], *C = gemm_c(n);
    int64_t k_b;
    if (check_matrix_input(d, n, 0, "A") < 0 || check_matrix_input(d, n, 1, "B") < 0 ||
        (C != NULL && check_matrix_input(d, n, 2, "C") < 0))
        return -1;
    if (A->rank != 2 || B->rank != 2)
        return dl_error(d, n, "inputs 'A' and 'B' must be matrices; they have rank %d and %d", A->rank,
                        B->rank);
    memset(kp, 0, sizeof *kp);
    kp->trans_a = a->trans_a;
    kp->trans_b = a->trans_b;
    kp->alpha = a->alpha;
    kp->beta = a->beta;
    kp->ep = a->ep;
    kp->m = A->dims[a->trans_a ? 1 : 0];
    kp->k = A->dims[a->trans_a ? 0 : 1];
    k_b = B->dims[a->trans_b ? 1 : 0];
    kp->n = B->dims[a->trans_b ? 0 : 1];
    if (kp->k != k_b)
        return dl_error(d, n, "inner dimensions differ: op(A) is %" PRId64 "x%" PRId64 " but op(B) is %" PRId64 "x%" PRId64
                        " (transA=%" PRId64 ", transB=%" PRId64 ")", kp->m, kp->k, k_b, kp->n,
                        a->trans_a, a->trans_b);
    return C != NULL ? gemm_c_strides(d, n, C, kp->m, kp->n, kp) : 0;
}

static int gemm_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_gemm_params kp;
    int64_t dims[2];
    (void)g;
    if (gemm_make_params(d, n, &kp) < 0)
        return -1;
    dims[0] = kp.m;
    dims[1] = kp.n;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 2, dims);
    return check_residual(d, n, 3);
}

dlk_epilogue *dl_gemm_epilogue(dl_node *n)
{
    gemm_attrs *a = n->params;
    return a != NULL ? &a->ep : NULL;
}

/* The packed kernel reads A row-major; a transposed A keeps the plain one. */
static bool gemm_packed(const dlk_gemm_params *kp)
{
    return kp->trans_a == 0 && (kp->m >= GEMM_PACKED_MIN_M || (kp->m == 1 && kp->trans_b));
}

static int gemm_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_gemm_params kp;
    const dl_value *C = gemm_c(n);
    (void)g;
    if (gemm_make_params(d, n, &kp) < 0)
        return -1;
    if (gemm_packed(&kp))
        dlk_gemm_packed_f32(NULL, &kp, n->inputs[0]->data, n->inputs[1]->data, data_of(C),
                            data_of(residual_input(n, 3)), n->outputs[0]->data);
    else
        dlk_gemm_res_f32(NULL, &kp, n->inputs[0]->data, n->inputs[1]->data, data_of(C),
                         data_of(residual_input(n, 3)), n->outputs[0]->data);
    return 0;
}

static int gemm_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_gemm_params kp;
    const dl_value *res = residual_input(n, 3);
    const char *kernel = res != NULL ? "dlk_gemm_res_f32" : "dlk_gemm_f32";
    bool packed;
    (void)g;
    if (gemm_make_params(d, n, &kp) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    packed = gemm_packed(&kp);
    if (packed)
        kernel = "dlk_gemm_packed_f32";
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_gemm_params");
    dl_lower_param_int(l, "m", kp.m);
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "k", kp.k);
    dl_lower_param_int(l, "trans_a", kp.trans_a);
    dl_lower_param_int(l, "trans_b", kp.trans_b);
    dl_lower_param_float(l, "alpha", kp.alpha);
    dl_lower_param_float(l, "beta", kp.beta);
    dl_lower_param_int(l, "c_rs", kp.c_rs);
    dl_lower_param_int(l, "c_cs", kp.c_cs);
    dl_epilogue_lower(l, &kp.ep);
    dl_lower_params_end(l);
    dl_lower_call(l, kernel);
    dl_lower_arg_par(l);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, gemm_c(n));
    if (res != NULL || packed)
        dl_lower_arg_value(l, res);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

/* --------------------------------------------------------------- MatMul */

static int matmul_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    if (dl_check_inputs(d, n, 2, 2) < 0)
        return -1;
    if (dl_node_params(g, n, sizeof(matmul_attrs)) == NULL)
        return dl_error(d, n, "out of memory");
    return 0;
}

dlk_epilogue *dl_matmul_epilogue(dl_node *n)
{
    matmul_attrs *a = n->params;
    if (a == NULL || n->inputs[0] == NULL || n->inputs[0]->dtype != DL_FLOAT)
        return NULL;
    return &a->ep;
}

/* Kernel parameters and y's shape (rank, dims) of a numpy matmul. */
static int matmul_make_params(dl_diag *d, const dl_node *n, dlk_matmul_params *kp, int *rank,
                              int64_t *dims)
{
    const dl_value *A = n->inputs[0], *B = n->inputs[1];
    dl_matmul_geometry geo;
    if (A->rank >= 0 && B->rank >= 0 && A->dtype == DL_DOUBLE && B->dtype == DL_DOUBLE)
        ;   /* float64 runs through dlk_matmul_f64 */
    else if (check_matrix_input(d, n, 0, "A") < 0 || check_matrix_input(d, n, 1, "B") < 0)
        return -1;
    if (dl_matmul_geometry_of(d, n, A, "A", B, "B", &geo) < 0)
        return -1;
    memset(kp, 0, sizeof *kp);
    if (n->params != NULL && A->dtype == DL_FLOAT)
        kp->ep = ((const matmul_attrs *)n->params)->ep;
    kp->m = geo.m;
    kp->k = geo.k;
    kp->n = geo.n;
    kp->batch_rank = geo.batch_rank;
    for (int i = 0; i < geo.batch_rank; i++) {
        kp->batch[i] = geo.batch[i];
        kp->a_stride[i] = geo.a_stride[i];
        kp->b_stride[i] = geo.b_stride[i];
    }
    *rank = geo.out_rank;
    memcpy(dims, geo.out_dims, (size_t)geo.out_rank * sizeof *dims);
    return 0;
}

static int matmul_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_matmul_params kp;
    int64_t dims[DL_MAX_RANK];
    int rank;
    (void)g;
    if (matmul_make_params(d, n, &kp, &rank, dims) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], n->inputs[0]->dtype, rank, dims);
    return check_residual(d, n, 2);
}

static int matmul_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_matmul_params kp;
    int64_t dims[DL_MAX_RANK];
    int rank;
    (void)g;
    if (matmul_make_params(d, n, &kp, &rank, dims) < 0)
        return -1;
    if (n->inputs[0]->dtype == DL_DOUBLE)
        dlk_matmul_f64(&kp, n->inputs[0]->data, n->inputs[1]->data, n->outputs[0]->data);
    else if (kp.m >= GEMM_PACKED_MIN_M)
        dlk_matmul_packed_f32(NULL, &kp, n->inputs[0]->data, n->inputs[1]->data,
                              data_of(residual_input(n, 2)), n->outputs[0]->data);
    else
        dlk_matmul_res_f32(&kp, n->inputs[0]->data, n->inputs[1]->data, data_of(residual_input(n, 2)),
                           n->outputs[0]->data);
    return 0;
}

static int matmul_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_matmul_params kp;
    int64_t dims[DL_MAX_RANK];
    int rank, r;
    const char *kernel;
    bool packed;
    const dl_value *res = residual_input(n, 2);
    (void)g;
    if (matmul_make_params(d, n, &kp, &rank, dims) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    r = (int)kp.batch_rank;
    if (n->inputs[0]->dtype == DL_DOUBLE)
        kernel = "dlk_matmul_f64";
    else if (kp.m >= GEMM_PACKED_MIN_M)
        kernel = "dlk_matmul_packed_f32";
    else
        kernel = res != NULL ? "dlk_matmul_res_f32" : "dlk_matmul_f32";
    packed = strcmp(kernel, "dlk_matmul_packed_f32") == 0;
    dl_lower_need(l, kernel);
    dl_lower_params_begin(l, "dlk_matmul_params");
    dl_lower_param_int(l, "m", kp.m);
    dl_lower_param_int(l, "n", kp.n);
    dl_lower_param_int(l, "k", kp.k);
    dl_lower_param_int(l, "batch_rank", kp.batch_rank);
    dl_lower_param_ints(l, "batch", kp.batch, r);
    dl_lower_param_ints(l, "a_stride", kp.a_stride, r);
    dl_lower_param_ints(l, "b_stride", kp.b_stride, r);
    dl_epilogue_lower(l, &kp.ep);
    dl_lower_params_end(l);
    dl_lower_call(l, kernel);
    if (packed)
        dl_lower_arg_par(l);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    if (res != NULL || packed)
        dl_lower_arg_value(l, res);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Gemm = {"Gemm", 0, gemm_setup, gemm_infer, gemm_eval, gemm_lower};
const dl_op dl_op_MatMul = {"MatMul", 0, matmul_setup, matmul_infer, matmul_eval, matmul_lower};
