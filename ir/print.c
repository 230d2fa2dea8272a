/* Text and Graphviz DOT forms of the graph. */
#include <stdio.h>
#include <string.h>

#include "ir/ir.h"

static void print_type(const dl_value *v, FILE *f)
{
    char shape[128];
    fprintf(f, "%s[%s]", dl_dtype_name(v->dtype), dl_shape_str(v, shape, sizeof shape));
}

static void print_attr(const dl_attr *a, FILE *f)
{
    fprintf(f, "%s=", a->name);
    switch (a->kind) {
    case DL_ATTR_FLOAT: fprintf(f, "%g", (double)a->f); break;
    case DL_ATTR_INT: fprintf(f, "%lld", (long long)a->i); break;
    case DL_ATTR_STRING: fprintf(f, "\"%s\"", a->s); break;
    case DL_ATTR_TENSOR:
        fprintf(f, "tensor:");
        if (a->tensor)
            print_type(a->tensor, f);
        break;
    case DL_ATTR_FLOATS:
        fprintf(f, "[");
        for (int i = 0; i < a->n; i++)
            fprintf(f, i ? ",%g" : "%g", (double)a->floats[i]);
        fprintf(f, "]");
        break;
    case DL_ATTR_INTS:
        fprintf(f, "[");
        for (int i = 0; i < a->n; i++)
            fprintf(f, i ? ",%lld" : "%lld", (long long)a->ints[i]);
        fprintf(f, "]");
        break;
    case DL_ATTR_STRINGS:
        fprintf(f, "[");
        for (int i = 0; i < a->n; i++)
            fprintf(f, i ? ",\"%s\"" : "\"%s\"", a->strings[i]);
        fprintf(f, "]");
        break;
    case DL_ATTR_GRAPH: fprintf(f, "<graph>"); break;
    }
}

/* One line per node:  %out: float32[1x64x56x56] = Conv "conv1" (%x, %w) {pads=[1,1,1,1]} */
void dl_graph_print(const dl_graph *g, FILE *f)
{
    fprintf(f, "graph \"%s\" opset %d {\n", g->name, g->opset);
    for (int i = 0; i < g->n_inputs; i++) {
        fprintf(f, "  input %%%s: ", g->inputs[i]->name);
        print_type(g->inputs[i], f);
        fprintf(f, "\n");
    }
    for (int i = 0; i < g->n_values; i++) {
        const dl_value *v = g->values[i];
        if (v->data && !v->producer && v->n_users > 0) {
            fprintf(f, "  const %%%s: ", v->name);
            print_type(v, f);
            fprintf(f, "\n");
        }
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        if (n->dead)
            continue;
        fprintf(f, "  ");
        for (int k = 0; k < n->n_outputs; k++) {
            if (k)
                fprintf(f, ", ");
            if (!n->outputs[k]) {
                fprintf(f, "_");
                continue;
            }
            fprintf(f, "%%%s: ", n->outputs[k]->name);
            print_type(n->outputs[k], f);
        }
        fprintf(f, " = %s%s%s \"%s\" (", n->op_type, n->fused ? "+" : "", n->fused ? n->fused : "", n->name);
        for (int k = 0; k < n->n_inputs; k++)
            fprintf(f, k ? ", %%%s" : "%%%s", n->inputs[k] ? n->inputs[k]->name : "");
        fprintf(f, ")");
        if (n->n_attrs) {
            fprintf(f, " {");
            for (int k = 0; k < n->n_attrs; k++) {
                if (k)
                    fprintf(f, ", ");
                print_attr(&n->attrs[k], f);
            }
            fprintf(f, "}");
        }
        fprintf(f, "\n");
    }
    for (int i = 0; i < g->n_outputs; i++)
        fprintf(f, "  output %%%s\n", g->outputs[i]->name);
    fprintf(f, "}\n");
}

static void dot_escape(const char *s, FILE *f)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
}

/* "Conv\n+ BatchNormalization\n+ Relu\n" for a node with fused ops. */
static void dot_op_label(const dl_node *n, FILE *f)
{
    dot_escape(n->op_type, f);
    fputs("\\n", f);
    for (const char *s = n->fused; s && *s;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        fprintf(f, "+ %.*s\\n", (int)len, s);
        s += len + (end != NULL);
    }
}

void dl_graph_print_dot(const dl_graph *g, FILE *f)
{
    fprintf(f, "digraph \"");
    dot_escape(g->name, f);
    fprintf(f, "\" {\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (int i = 0; i < g->n_inputs; i++) {
        fprintf(f, "  v%d [shape=ellipse, label=\"", g->inputs[i]->id);
        dot_escape(g->inputs[i]->name, f);
        fprintf(f, "\"];\n");
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const dl_node *n = g->nodes[i];
        if (n->dead)
            continue;
        if (n->fused) /* a fused group: one box that lists the ops inside */
            fprintf(f, "  n%d [style=\"rounded,filled\", fillcolor=\"#e8f0fe\", label=\"", n->id);
        else
            fprintf(f, "  n%d [label=\"", n->id);
        dot_op_label(n, f);
        dot_escape(n->name, f);
        fprintf(f, "\"];\n");
        for (int k = 0; k < n->n_inputs; k++) {
            const dl_value *v = n->inputs[k];
            if (!v || (v->data && !v->producer))
                continue;
            char shape[128];
            if (v->producer)
                fprintf(f, "  n%d -> n%d [label=\"%s\"];\n", v->producer->id, n->id, dl_shape_str(v, shape, sizeof shape));
            else
                fprintf(f, "  v%d -> n%d;\n", v->id, n->id);
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const dl_value *v = g->outputs[i];
        fprintf(f, "  o%d [shape=ellipse, label=\"", i);
        dot_escape(v->name, f);
        fprintf(f, "\"];\n");
        if (v->producer)
            fprintf(f, "  n%d -> o%d;\n", v->producer->id, i);
    }
    fprintf(f, "}\n");
}
