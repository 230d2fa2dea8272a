/* Miscellaneous ops: BitCast (opset 26; the bytes of the input read as
 * another element type of the same width, shape unchanged), Det (the
 * determinant of the trailing square matrices), ReverseSequence (reverse
 * the first sequence_lens[b] steps of each batch entry) and
 * TfIdfVectorizer (n-gram counts of integer sequences; string pools are
 * not supported). */
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/copy.h"
#include "kernels/misc.h"

/* ---------------------------------------------------------------- BitCast */

static int bitcast_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x;
    dl_dtype to = (dl_dtype)dl_attr_int(n, "to", DL_UNDEFINED);
    size_t xs, ts;
    (void)g;
    if (dl_check_inputs(d, n, 1, 1) != 0)
        return -1;
    x = n->inputs[0];
    xs = x->dtype == DL_STRING ? 0 : dl_dtype_size(x->dtype);
    ts = to == DL_STRING ? 0 : dl_dtype_size(to);
    if (xs == 0)
        return dl_error(d, n, "input 0 ('%s') has type %s; BitCast of it is not supported", x->name,
                        dl_dtype_name(x->dtype));
    if (ts == 0)
        return dl_error(d, n, "attribute 'to' is %s (%d); BitCast to it is not supported", dl_dtype_name(to),
                        (int)to);
    if (xs != ts)
        return dl_error(d, n, "attribute 'to' is %s (%zu bytes) but input 0 ('%s') is %s (%zu bytes); "
                        "BitCast needs types of the same width", dl_dtype_name(to), ts, x->name,
                        dl_dtype_name(x->dtype), xs);
    dl_value_set_shape(n->outputs[0], to, x->rank, x->dims);
    return 0;
}

static int bitcast_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    (void)d;
    dlk_copy(n->inputs[0]->data, n->outputs[0]->data, (size_t)dl_value_bytes(n->outputs[0]));
    return 0;
}

static int bitcast_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    (void)g;
    (void)d;
    if (dl_value_bytes(n->outputs[0]) == 0)
        return 0;
    dl_lower_copy(l, n->inputs[0], n->outputs[0]);
    return 0;
}

const dl_op dl_op_BitCast = {"BitCast", 0, NULL, bitcast_infer, bitcast_eval, bitcast_lower};

/* -------------------------------------------------------------------- Det */

static int det_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x;
    (void)g;
    if (dl_check_inputs(d, n, 1, 1) != 0)
        return -1;
    x = n->inputs[0];
    if (x->dtype != DL_FLOAT)
        return dl_error(d, n, "input 0 ('%s') has type %s; Det of it is not supported (float32 only)", x->name,
                        dl_dtype_name(x->dtype));
    if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2])
        return dl_error(d, n, "input 0 ('%s') has rank %d; Det needs [..., M, M]", x->name, x->rank);
    if (x->dims[x->rank - 1] > DLK_DET_MAX)
        return dl_error(d, n, "input 0 ('%s') has %lld x %lld matrices; more than %d rows is not supported",
                        x->name, (long long)x->dims[x->rank - 1], (long long)x->dims[x->rank - 1], DLK_DET_MAX);
    dl_value_set_shape(n->outputs[0], DL_FLOAT, x->rank - 2, x->dims);
    return 0;
}

static int det_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    (void)g;
    (void)d;
    dlk_det_f32(x->data, n->outputs[0]->data, dl_value_numel(n->outputs[0]), x->dims[x->rank - 1]);
    return 0;
}

static int det_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dl_value *x = n->inputs[0];
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, "dlk_det_f32");
    dl_lower_call(l, "dlk_det_f32");
    dl_lower_arg_value(l, x);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, dl_value_numel(n->outputs[0]));
    dl_lower_arg_int(l, x->dims[x->rank - 1]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Det = {"Det", 0, NULL, det_infer, det_eval, det_lower};

/* -------------------------------------------------------- ReverseSequence */

static int revseq_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x, *lens;
    int64_t batch_axis = dl_attr_int(n, "batch_axis", 1), time_axis = dl_attr_int(n, "time_axis", 0);
    (void)g;
    if (dl_check_inputs(d, n, 2, 2) != 0)
        return -1;
    x = n->inputs[0];
    lens = n->inputs[1];
    if (dl_dtype_size(x->dtype) == 0 || x->dtype == DL_STRING)
        return dl_error(d, n, "input 0 ('%s') has type %s; ReverseSequence of it is not supported", x->name,
                        dl_dtype_name(x->dtype));
    if (x->rank < 2)
        return dl_error(d, n, "input 0 ('%s') has rank %d; ReverseSequence needs rank >= 2", x->name, x->rank);
    if (!((batch_axis == 0 && time_axis == 1) || (batch_axis == 1 && time_axis == 0)))
        return dl_error(d, n, "attributes batch_axis=%lld, time_axis=%lld; expected 0 and 1 in some order",
                        (long long)batch_axis, (long long)time_axis);
    if (dl_check_dtype(d, n, lens, "input 1 (sequence_lens)", DL_INT64) != 0)
        return -1;
    if (lens->rank != 1 || lens->dims[0] != x->dims[batch_axis])
        return dl_error(d, n, "input 1 (sequence_lens '%s') must be [%lld] (the batch size)", lens->name,
                        (long long)x->dims[batch_axis]);
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, x->dims);
    return 0;
}

static void make_revseq_params(const dl_node *n, dlk_reverse_sequence_params *kp)
{
    const dl_value *x = n->inputs[0];
    int k;
    memset(kp, 0, sizeof *kp);
    kp->d0 = x->dims[0];
    kp->d1 = x->dims[1];
    kp->inner = 1;
    for (k = 2; k < x->rank; k++)
        kp->inner *= x->dims[k];
    kp->es = (int64_t)dl_dtype_size(x->dtype);
    kp->time_axis = dl_attr_int(n, "time_axis", 0);
}

static int revseq_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_reverse_sequence_params kp;
    (void)g;
    (void)d;
    make_revseq_params(n, &kp);
    dlk_reverse_sequence(&kp, n->inputs[0]->data, n->inputs[1]->data, n->outputs[0]->data);
    return 0;
}

static int revseq_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_reverse_sequence_params kp;
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    make_revseq_params(n, &kp);
    dl_lower_need(l, "dlk_reverse_sequence");
    dl_lower_params_begin(l, "dlk_reverse_sequence_params");
    dl_lower_param_int(l, "d0", kp.d0);
    dl_lower_param_int(l, "d1", kp.d1);
    dl_lower_param_int(l, "inner", kp.inner);
    dl_lower_param_int(l, "es", kp.es);
    dl_lower_param_int(l, "time_axis", kp.time_axis);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_reverse_sequence");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_ReverseSequence = {"ReverseSequence", 0, NULL, revseq_infer, revseq_eval, revseq_lower};

/* -------------------------------------------------------- TfIdfVectorizer */

/* The kernel's params, built once by setup from the attributes. */
typedef struct tfidf_params {
    dlk_tfidf_params k;
    int n_pool;             /* pool entries in use */
} tfidf_params;

static int tfidf_mode(dl_diag *d, const dl_node *n, int64_t *mode)
{
    const char *m = dl_attr_string(n, "mode", "");
    if (strcmp(m, "TF") == 0)
        *mode = 1;
    else if (strcmp(m, "IDF") == 0)
        *mode = 2;
    else if (strcmp(m, "TFIDF") == 0)
        *mode = 3;
    else
        return dl_error(d, n, "attribute 'mode' is '%s'; expected TF, IDF or TFIDF", m);
    return 0;
}

/* Flattens the pool into the kernel's n-gram list: ngram_counts[i] is where
 * the (i+1)-grams start; n-grams are numbered 1, 2, ... over all sizes and
 * n-gram number id counts into column ngram_indexes[id - 1]. */
static int tfidf_grams(dl_diag *d, const dl_node *n, tfidf_params *tp)
{
    dlk_tfidf_params *k = &tp->k;
    const int64_t *pool, *counts, *indexes;
    int n_pool = dl_attr_ints(n, "pool_int64s", &pool);
    int n_counts = dl_attr_ints(n, "ngram_counts", &counts);
    int n_indexes = dl_attr_ints(n, "ngram_indexes", &indexes);
    int64_t id = 0, i, j;
    if (n_pool < 0)
        return dl_error(d, n, "attribute 'pool_int64s' is missing (string pools are not supported)");
    if (n_pool > DLK_TFIDF_MAX_POOL)
        return dl_error(d, n, "attribute 'pool_int64s' has %d entries; more than %d is not supported", n_pool,
                        DLK_TFIDF_MAX_POOL);
    if (n_counts < 1 || n_indexes < 1)
        return dl_error(d, n, "attributes 'ngram_counts' and 'ngram_indexes' are required");
    if (n_pool > 0)
        memcpy(k->pool, pool, (size_t)n_pool * sizeof *pool);
    tp->n_pool = n_pool;
    for (i = 0; i < n_counts; i++) {
        int64_t size = i + 1, begin = counts[i], end = i + 1 < n_counts ? counts[i + 1] : n_pool;
        if (begin < 0 || end > n_pool || begin > end)
            return dl_error(d, n, "attribute 'ngram_counts'[%lld] = %lld is out of range for %d pool entries",
                            (long long)i, (long long)begin, n_pool);
        for (j = 0; j + size <= end - begin; j += size, id++) {
            if (id >= n_indexes || indexes[id] < 0)
                return dl_error(d, n, "attribute 'ngram_indexes' has %d entries with no valid one for n-gram %lld",
                                n_indexes, (long long)id + 1);
            if (size < k->min_gram || size > k->max_gram)
                continue;
            if (k->n_grams >= DLK_TFIDF_MAX_GRAMS)
                return dl_error(d, n, "more than %d n-grams is not supported", DLK_TFIDF_MAX_GRAMS);
            k->start[k->n_grams] = begin + j;
            k->size[k->n_grams] = size;
            k->out[k->n_grams] = indexes[id];
            k->n_grams++;
        }
    }
    for (i = 0; i < n_indexes; i++)
        if (indexes[i] + 1 > k->out_size)
            k->out_size = indexes[i] + 1;
    return 0;
}

static int tfidf_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    tfidf_params *tp = dl_node_params(g, n, sizeof *tp);
    dlk_tfidf_params *k;
    const float *w;
    int n_w;
    if (!tp)
        return dl_error(d, n, "out of memory");
    memset(tp, 0, sizeof *tp);
    k = &tp->k;
    if (dl_attr_find(n, "pool_strings"))
        return dl_error(d, n, "attribute 'pool_strings': string inputs are not supported");
    k->min_gram = dl_attr_int(n, "min_gram_length", 0);
    k->max_gram = dl_attr_int(n, "max_gram_length", 0);
    k->max_skip = dl_attr_int(n, "max_skip_count", 0);
    if (k->min_gram < 1 || k->max_gram < k->min_gram || k->max_skip < 0)
        return dl_error(d, n, "attributes min_gram_length=%lld, max_gram_length=%lld, max_skip_count=%lld; "
                        "expected 1 <= min <= max and skip >= 0", (long long)k->min_gram,
                        (long long)k->max_gram, (long long)k->max_skip);
    if (tfidf_mode(d, n, &k->mode) != 0 || tfidf_grams(d, n, tp) != 0)
        return -1;
    n_w = dl_attr_floats(n, "weights", &w);
    if (n_w > DLK_TFIDF_MAX_OUT)
        return dl_error(d, n, "attribute 'weights' has %d entries; more than %d is not supported", n_w,
                        DLK_TFIDF_MAX_OUT);
    if (n_w > 0) {
        memcpy(k->weights, w, (size_t)n_w * sizeof *w);
        k->n_weights = n_w;
    }
    return 0;
}

static int tfidf_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_tfidf_params *k = &((tfidf_params *)n->params)->k;
    const dl_value *x;
    int64_t dims[2];
    (void)g;
    if (dl_check_inputs(d, n, 1, 1) != 0)
        return -1;
    x = n->inputs[0];
    if (x->dtype != DL_INT32 && x->dtype != DL_INT64)
        return dl_error(d, n, "input 0 ('%s') has type %s; TfIdfVectorizer supports int32 and int64 (strings are "
                        "not supported)", x->name, dl_dtype_name(x->dtype));
    if (x->rank > 2)
        return dl_error(d, n, "input 0 ('%s') has rank %d; expected [C] or [N, C]", x->name, x->rank);
    k->rows = x->rank == 2 ? x->dims[0] : 1;
    k->cols = x->rank == 0 ? 1 : x->dims[x->rank - 1];
    dims[0] = k->rows;
    dims[1] = k->out_size;
    if (x->rank == 2)
        dl_value_set_shape(n->outputs[0], DL_FLOAT, 2, dims);
    else
        dl_value_set_shape(n->outputs[0], DL_FLOAT, 1, dims + 1);
    return 0;
}

static int tfidf_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dlk_tfidf_params *k = &((const tfidf_params *)n->params)->k;
    (void)g;
    (void)d;
    if (n->inputs[0]->dtype == DL_INT32)
        dlk_tfidf_i32(k, n->inputs[0]->data, n->outputs[0]->data);
    else
        dlk_tfidf_i64(k, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int tfidf_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dlk_tfidf_params *k = &((const tfidf_params *)n->params)->k;
    const char *name = n->inputs[0]->dtype == DL_INT32 ? "dlk_tfidf_i32" : "dlk_tfidf_i64";
    (void)g;
    (void)d;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    dl_lower_need(l, name);
    dl_lower_params_begin(l, "dlk_tfidf_params");
    dl_lower_param_int(l, "rows", k->rows);
    dl_lower_param_int(l, "cols", k->cols);
    dl_lower_param_int(l, "out_size", k->out_size);
    dl_lower_param_int(l, "min_gram", k->min_gram);
    dl_lower_param_int(l, "max_gram", k->max_gram);
    dl_lower_param_int(l, "max_skip", k->max_skip);
    dl_lower_param_int(l, "mode", k->mode);
    dl_lower_param_int(l, "n_grams", k->n_grams);
    dl_lower_param_int(l, "n_weights", k->n_weights);
    if (k->n_grams > 0) {   /* no n-gram: the arrays stay zero (C99 has no empty initializer) */
        dl_lower_param_ints(l, "pool", k->pool, ((const tfidf_params *)n->params)->n_pool);
        dl_lower_param_ints(l, "start", k->start, (int)k->n_grams);
        dl_lower_param_ints(l, "size", k->size, (int)k->n_grams);
        dl_lower_param_ints(l, "out", k->out, (int)k->n_grams);
    }
    if (k->n_weights > 0)
        dl_lower_param_floats(l, "weights", k->weights, (int)k->n_weights);
    dl_lower_params_end(l);
    dl_lower_call(l, name);
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_TfIdfVectorizer = {"TfIdfVectorizer", 0, tfidf_setup, tfidf_infer, tfidf_eval, tfidf_lower};
