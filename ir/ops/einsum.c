/* Einsum (ONNX opset 12+): the equation is resolved at compile time into
 * labels with sizes and per-input strides (kernels/einsum.h), covering
 * explicit and implicit outputs, "..." (broadcast, right-aligned) and labels
 * repeated within one input (diagonals). float32, float64, int32, int64;
 * at most 4 inputs and 16 distinct labels. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/einsum.h"

#define ES_LETTERS 52                           /* a-z A-Z; "..." dims follow */
#define ES_CODES (ES_LETTERS + DL_MAX_RANK)

/* One term of the equation: label codes per axis, "..." expanded. */
typedef struct es_term {
    int n;
    int codes[DL_MAX_RANK];
} es_term;

typedef struct es_parsed {
    int n_terms;
    es_term in[DLK_EINSUM_MAX_INPUTS];
    es_term out;
} es_parsed;

static int letter_code(char c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' : c >= 'A' && c <= 'Z' ? 26 + c - 'A' : -1;
}

/* Parses one term (spaces already removed) against `rank` axes (-1 for the
 * output, whose "..." takes all ell_rank broadcast dims). */
static int parse_term(dl_diag *d, const dl_node *n, const char *s, size_t len, int rank, int ell_rank,
                      es_term *t)
{
    int letters = 0, ell = 0, seen_ell = 0;
    size_t i;
    for (i = 0; i < len; i++)
        letters += letter_code(s[i]) >= 0;
    if (rank >= 0)
        ell = rank - letters;
    else
        ell = ell_rank;
    t->n = 0;
    for (i = 0; i < len;) {
        if (s[i] == '.' && i + 2 < len && s[i + 1] == '.' && s[i + 2] == '.' && !seen_ell) {
            int j;
            if (ell < 0 || t->n + ell > DL_MAX_RANK)
                return dl_error(d, n, "attribute 'equation': term '%.*s' does not fit rank %d", (int)len, s, rank);
            for (j = 0; j < ell; j++)
                t->codes[t->n++] = ES_LETTERS + j;   /* right-aligned later */
            seen_ell = 1;
            i += 3;
        } else if (letter_code(s[i]) >= 0 && t->n < DL_MAX_RANK) {
            t->codes[t->n++] = letter_code(s[i++]);
        } else {
            return dl_error(d, n, "attribute 'equation': unexpected '%c' in term '%.*s'; expected letters "
                            "and at most one '...'", s[i], (int)len, s);
        }
    }
    if (rank >= 0 && t->n != rank)
        return dl_error(d, n, "attribute 'equation': term '%.*s' has %d labels but input has rank %d",
                        (int)len, s, t->n, rank);
    return 0;
}

/* The implicit output: "..." dims, then the letters used once, sorted. */
static void implicit_output(const es_parsed *p, int ell_rank, es_term *out)
{
    int count[ES_LETTERS] = {0}, k, i;
    out->n = 0;
    for (i = 0; i < ell_rank; i++)
        out->codes[out->n++] = ES_LETTERS + i;
    for (k = 0; k < p->n_terms; k++)
        for (i = 0; i < p->in[k].n; i++)
            if (p->in[k].codes[i] < ES_LETTERS)
                count[p->in[k].codes[i]]++;
    /* ASCII order: uppercase before lowercase, as numpy sorts. */
    for (i = 26; i < ES_LETTERS && out->n < DL_MAX_RANK; i++)
        if (count[i] == 1)
            out->codes[out->n++] = i;
    for (i = 0; i < 26 && out->n < DL_MAX_RANK; i++)
        if (count[i] == 1)
            out->codes[out->n++] = i;
}

static int parse_equation(dl_diag *d, const dl_node *n, es_parsed *p, int *ell_rank_out)
{
    char eq[256];
    const char *src = dl_attr_string(n, "equation", NULL), *arrow, *s;
    size_t len = 0;
    int k, ell_rank = 0;
    if (src == NULL)
        return dl_error(d, n, "attribute 'equation' is missing");
    for (s = src; *s; s++)
        if (!isspace((unsigned char)*s)) {
            if (len + 1 >= sizeof eq)
                return dl_error(d, n, "attribute 'equation' is longer than %d characters: not supported",
                                (int)sizeof eq - 1);
            eq[len++] = *s;
        }
    eq[len] = 0;
    arrow = strstr(eq, "->");
    p->n_terms = 0;
    for (s = eq;;) {
        const char *end = s;
        while (*end && *end != ',' && (arrow == NULL || end < arrow))
            end++;
        if (p->n_terms >= n->n_inputs)
            return dl_error(d, n, "attribute 'equation' '%s' has more terms than the %d inputs", src, n->n_inputs);
        if (parse_term(d, n, s, (size_t)(end - s), n->inputs[p->n_terms]->rank, 0, &p->in[p->n_terms]) < 0)
            return -1;
        p->n_terms++;
        if (*end != ',')
            break;
        s = end + 1;
    }
    if (p->n_terms != n->n_inputs)
        return dl_error(d, n, "attribute 'equation' '%s' has %d terms; there are %d inputs", src, p->n_terms,
                        n->n_inputs);
    /* Right-align every input's "..." dims against the longest one. */
    for (k = 0; k < p->n_terms; k++) {
        int letters = 0, i;
        for (i = 0; i < p->in[k].n; i++)
            letters += p->in[k].codes[i] < ES_LETTERS;
        if (p->in[k].n - letters > ell_rank)
            ell_rank = p->in[k].n - letters;
    }
    for (k = 0; k < p->n_terms; k++) {
        int e = 0, i;
        for (i = 0; i < p->in[k].n; i++)
            e += p->in[k].codes[i] >= ES_LETTERS;
        for (i = 0; i < p->in[k].n; i++)
            if (p->in[k].codes[i] >= ES_LETTERS)
                p->in[k].codes[i] += ell_rank - e;
    }
    if (arrow)
        return parse_term(d, n, arrow + 2, strlen(arrow + 2), -1, ell_rank, &p->out) < 0 ? -1 :
               (*ell_rank_out = ell_rank, 0);
    implicit_output(p, ell_rank, &p->out);
    *ell_rank_out = ell_rank;
    return 0;
}

/* Labels in kernel order (output first), sizes and strides. */
static int es_make_params(dl_diag *d, const dl_node *n, dlk_einsum_params *kp, int64_t *out_dims)
{
    es_parsed p;
    int slot[ES_CODES], ell_rank, k, i;
    int64_t size[ES_CODES];
    memset(kp, 0, sizeof *kp);
    if (parse_equation(d, n, &p, &ell_rank) < 0)
        return -1;
    for (i = 0; i < ES_CODES; i++) {
        slot[i] = -1;
        size[i] = -1;
    }
    for (k = 0; k < p.n_terms; k++)
        for (i = 0; i < p.in[k].n; i++) {
            int c = p.in[k].codes[i];
            int64_t dim = n->inputs[k]->dims[i];
            if (size[c] < 0 || size[c] == 1)
                size[c] = dim;
            else if (dim != 1 && dim != size[c])
                return dl_error(d, n, "attribute 'equation': a label has sizes %" PRId64 " and %" PRId64
                                " in input %d; expected equal sizes", size[c], dim, k);
        }
    kp->n_inputs = p.n_terms;
    for (i = 0; i < p.out.n; i++) {
        int c = p.out.codes[i];
        if (slot[c] >= 0)
            return dl_error(d, n, "attribute 'equation': a label repeats in the output");
        if (size[c] < 0)
            return dl_error(d, n, "attribute 'equation': an output label '%c' is in no input",
                            c < 26 ? 'a' + c : c < ES_LETTERS ? 'A' + c - 26 : '.');
        slot[c] = (int)kp->n_labels;
        kp->sizes[kp->n_labels++] = size[c];
        out_dims[i] = size[c];
    }
    kp->n_out = kp->n_labels;
    for (k = 0; k < p.n_terms; k++)
        for (i = 0; i < p.in[k].n; i++) {
            int c = p.in[k].codes[i];
            if (slot[c] >= 0)
                continue;
            if (kp->n_labels >= DLK_EINSUM_MAX_LABELS)
                return dl_error(d, n, "attribute 'equation' has more than %d labels: not supported",
                                DLK_EINSUM_MAX_LABELS);
            slot[c] = (int)kp->n_labels;
            kp->sizes[kp->n_labels++] = size[c];
        }
    for (k = 0; k < p.n_terms; k++) {
        int64_t stride = 1;
        for (i = p.in[k].n - 1; i >= 0; i--) {
            int64_t dim = n->inputs[k]->dims[i];
            int c = p.in[k].codes[i];
            if (!(dim == 1 && size[c] != 1))
                kp->strides[k * DLK_EINSUM_MAX_LABELS + slot[c]] += stride;
            stride *= dim;
        }
    }
    return p.out.n;
}

static const char *es_suffix(dl_dtype t)
{
    switch (t) {
    case DL_FLOAT: return "f32";
    case DL_DOUBLE: return "f64";
    case DL_INT32: return "i32";
    case DL_INT64: return "i64";
    default: return NULL;
    }
}

static int einsum_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_einsum_params kp;
    int64_t dims[DL_MAX_RANK];
    int k, rank;
    (void)g;
    if (dl_check_inputs(d, n, 1, DLK_EINSUM_MAX_INPUTS) != 0)
        return -1;
    for (k = 0; k < n->n_inputs; k++) {
        const dl_value *x = n->inputs[k];
        if (!x || x->rank < 0)
            return dl_error(d, n, "input %d is missing or has no known shape", k);
        if (x->dtype != n->inputs[0]->dtype)
            return dl_error(d, n, "input %d ('%s') is %s; expected %s like input 0", k, x->name,
                            dl_dtype_name(x->dtype), dl_dtype_name(n->inputs[0]->dtype));
    }
    if (!es_suffix(n->inputs[0]->dtype))
        return dl_error(d, n, "input 0 ('%s') is %s, not supported; Einsum supports float32, float64, int32, int64",
                        n->inputs[0]->name, dl_dtype_name(n->inputs[0]->dtype));
    if (n->n_outputs < 1 || !n->outputs[0])
        return dl_error(d, n, "no output; Einsum has one");
    if ((rank = es_make_params(d, n, &kp, dims)) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], n->inputs[0]->dtype, rank, dims);
    return 0;
}

static const void *in_data(const dl_node *n, int k)
{
    return k < n->n_inputs ? n->inputs[k]->data : NULL;
}

static int einsum_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_einsum_params kp;
    int64_t dims[DL_MAX_RANK];
    void *y = n->outputs[0]->data;
    (void)g;
    if (es_make_params(d, n, &kp, dims) < 0)
        return -1;
    switch (n->inputs[0]->dtype) {
    case DL_FLOAT: dlk_einsum_f32(&kp, in_data(n, 0), in_data(n, 1), in_data(n, 2), in_data(n, 3), y); break;
    case DL_DOUBLE: dlk_einsum_f64(&kp, in_data(n, 0), in_data(n, 1), in_data(n, 2), in_data(n, 3), y); break;
    case DL_INT32: dlk_einsum_i32(&kp, in_data(n, 0), in_data(n, 1), in_data(n, 2), in_data(n, 3), y); break;
    default: dlk_einsum_i64(&kp, in_data(n, 0), in_data(n, 1), in_data(n, 2), in_data(n, 3), y); break;
    }
    return 0;
}

static int einsum_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_einsum_params kp;
    int64_t dims[DL_MAX_RANK];
    char name[32];
    int k;
    (void)g;
    if (es_make_params(d, n, &kp, dims) < 0)
        return -1;
    if (dl_value_numel(n->outputs[0]) == 0)
        return 0;
    snprintf(name, sizeof name, "dlk_einsum_%s", es_suffix(n->inputs[0]->dtype));
    dl_lower_need(l, name);
    dl_lower_params_begin(l, "dlk_einsum_params");
    dl_lower_param_int(l, "n_inputs", kp.n_inputs);
    dl_lower_param_int(l, "n_labels", kp.n_labels);
    dl_lower_param_int(l, "n_out", kp.n_out);
    dl_lower_param_ints(l, "sizes", kp.sizes, (int)kp.n_labels);
    dl_lower_param_ints(l, "strides", kp.strides, (int)(kp.n_inputs * DLK_EINSUM_MAX_LABELS));
    dl_lower_params_end(l);
    dl_lower_call(l, name);
    dl_lower_arg_params(l);
    for (k = 0; k < DLK_EINSUM_MAX_INPUTS; k++)
        dl_lower_arg_value(l, k < n->n_inputs ? n->inputs[k] : NULL);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Einsum = {"Einsum", 0, NULL, einsum_infer, einsum_eval, einsum_lower};
