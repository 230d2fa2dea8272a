/* Building NodeProtos while loading: the control-flow and FlexAttention
 * expansions (control_flow.c, flex_attention.c) write the nodes they make
 * as protobuf-c structs in the graph's arena, so the loader reads them as if
 * the file had held them. The node list itself is dl_realloc'd. */
#include <stdarg.h>
#include <string.h>

#include "frontend/frontend.h"
#include "onnx.pb-c.h"

int dl_proto_node_error(dl_diag *d, const Onnx__NodeProto *np, const char *fmt, ...)
{
    dl_node at;
    memset(&at, 0, sizeof at);
    at.name = np->name ? np->name : "";
    at.op_type = np->op_type ? np->op_type : "?";
    va_list ap;
    va_start(ap, fmt);
    dl_verror(d, &at, fmt, ap);
    va_end(ap);
    return -1;
}

int dl_proto_push(dl_diag *d, dl_cf_nodes *list, Onnx__NodeProto *np)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 64;
        Onnx__NodeProto **p = dl_realloc(list->nodes, list->cap * sizeof *p, cap * sizeof *p);
        if (!p)
            return dl_onnx_out_of_memory(d);
        list->nodes = p;
        list->cap = cap;
    }
    list->nodes[list->n++] = np;
    return 0;
}

static void *arena_alloc(dl_graph *g, size_t size) { return dl_arena_alloc(&g->arena, size ? size : 1); }

Onnx__NodeProto *dl_proto_new_node(dl_graph *g, const char *op, size_t n_in, size_t n_out)
{
    Onnx__NodeProto *np = arena_alloc(g, sizeof *np);
    char **in = arena_alloc(g, n_in * sizeof(char *)), **out = arena_alloc(g, n_out * sizeof(char *));
    if (!np || !in || !out)
        return NULL;
    onnx__node_proto__init(np);
    np->op_type = (char *)op;
    np->input = in;
    np->n_input = n_in;
    np->output = out;
    np->n_output = n_out;
    return np;
}

Onnx__AttributeProto *dl_proto_add_attr(dl_graph *g, Onnx__NodeProto *np, const char *name, int type)
{
    Onnx__AttributeProto *a = arena_alloc(g, sizeof *a);
    Onnx__AttributeProto **list = arena_alloc(g, (np->n_attribute + 1) * sizeof *list);
    if (!a || !list)
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    a->type = (Onnx__AttributeProto__AttributeType)type;
    if (np->n_attribute)
        memcpy(list, np->attribute, np->n_attribute * sizeof *list);
    list[np->n_attribute++] = a;
    np->attribute = list;
    return a;
}

int dl_proto_set_int(dl_graph *g, dl_diag *d, Onnx__NodeProto *np, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = dl_proto_add_attr(g, np, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (!a)
        return dl_onnx_out_of_memory(d);
    a->has_i = 1;
    a->i = v;
    return 0;
}

const Onnx__GraphProto *dl_proto_graph_with(dl_graph *g, dl_diag *d, const Onnx__GraphProto *gp,
                                            dl_cf_nodes *list)
{
    Onnx__GraphProto *out = arena_alloc(g, sizeof *out);
    Onnx__NodeProto **nodes = out ? arena_alloc(g, list->n * sizeof *nodes) : NULL;
    if (nodes) {
        *out = *gp;
        memcpy(nodes, list->nodes, list->n * sizeof *nodes);
        out->node = nodes;
        out->n_node = list->n;
    } else {
        dl_onnx_out_of_memory(d);
        out = NULL;
    }
    dl_free(list->nodes, list->cap * sizeof *list->nodes);
    memset(list, 0, sizeof *list);
    return out;
}
