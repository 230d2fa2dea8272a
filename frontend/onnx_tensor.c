/* TensorProto and AttributeProto decoding. Initializers and tensor
 * attributes become constant values whose bytes come from raw_data
 * (little-endian), from the typed fields, or from an external data file
 * beside the model; attributes become dl_attr. */
#define _XOPEN_SOURCE 700 /* realpath, fseeko, fstat */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "frontend/frontend.h"
#include "onnx.pb-c.h"

/* Names of TensorProto.DataType, for messages about types dl_dtype lacks. */
static const char *const onnx_type_names[] = {
    "undefined", "float32", "uint8", "int8", "uint16", "int16", "int32", "int64", "string",
    "bool", "float16", "float64", "uint32", "uint64", "complex64", "complex128", "bfloat16",
};

const char *dl_onnx_type_name(int32_t type)
{
    if (type >= 0 && type < (int32_t)(sizeof onnx_type_names / sizeof onnx_type_names[0]))
        return onnx_type_names[type];
    return "unknown";
}

int dl_onnx_dtype(dl_diag *d, const dl_node *node, const char *what, int32_t type, dl_dtype *out)
{
    if (type == ONNX__TENSOR_PROTO__DATA_TYPE__STRING)
        return dl_error(d, node, "%s: string tensors are not supported", what);
    if (type == ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED)
        return dl_error(d, node, "%s: the element type is not set", what);
    if (type < 0 || type > DL_UINT64 || dl_dtype_size((dl_dtype)type) == 0)
        return dl_error(d, node, "%s: element type %d (%s) is not supported", what, (int)type,
                        dl_onnx_type_name(type));
    *out = (dl_dtype)type;
    return 0;
}

int dl_onnx_out_of_memory(dl_diag *d)
{
    d->out_of_memory = true;
    return dl_error(d, NULL, "out of memory while loading the model");
}

/* ------------------------------------------------------------ byte order */

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* ONNX stores raw and external data little-endian. */
static void swap_to_host(unsigned char *p, size_t n_elems, size_t elem)
{
    if (elem == 1 || host_is_little_endian())
        return;
    for (size_t i = 0; i < n_elems; i++, p += elem)
        for (size_t a = 0, b = elem - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* ----------------------------------------------------------- typed fields */

/* The typed field that holds a dtype's values, per onnx.proto's comments:
 * int32_data also carries the 8- and 16-bit types (float16 as its bits),
 * uint64_data carries uint32 and uint64. */
static size_t typed_count(const Onnx__TensorProto *t, dl_dtype dtype, const char **field)
{
    switch (dtype) {
    case DL_FLOAT: *field = "float_data"; return t->n_float_data;
    case DL_INT64: *field = "int64_data"; return t->n_int64_data;
    case DL_DOUBLE: *field = "double_data"; return t->n_double_data;
    case DL_UINT32: case DL_UINT64: *field = "uint64_data"; return t->n_uint64_data;
    default: *field = "int32_data"; return t->n_int32_data;
    }
}

static void copy_typed(const Onnx__TensorProto *t, dl_dtype dtype, void *dst, size_t n)
{
    switch (dtype) {
    case DL_FLOAT: memcpy(dst, t->float_data, n * sizeof(float)); return;
    case DL_INT64: memcpy(dst, t->int64_data, n * sizeof(int64_t)); return;
    case DL_DOUBLE: memcpy(dst, t->double_data, n * sizeof(double)); return;
    case DL_UINT64: memcpy(dst, t->uint64_data, n * sizeof(uint64_t)); return;
    case DL_INT32: memcpy(dst, t->int32_data, n * sizeof(int32_t)); return;
    default: break;
    }
    for (size_t i = 0; i < n; i++) {
        int32_t x = dtype == DL_UINT32 ? 0 : t->int32_data[i];
        switch (dtype) {
        case DL_UINT32: ((uint32_t *)dst)[i] = (uint32_t)t->uint64_data[i]; break;
        case DL_INT8: ((int8_t *)dst)[i] = (int8_t)x; break;
        case DL_UINT8: ((uint8_t *)dst)[i] = (uint8_t)x; break;
        case DL_BOOL: ((uint8_t *)dst)[i] = x != 0; break;
        case DL_INT16: ((int16_t *)dst)[i] = (int16_t)x; break;
        default: ((uint16_t *)dst)[i] = (uint16_t)x; break; /* uint16, float16 bits */
        }
    }
}

/* --------------------------------------------------------- external data */

typedef struct external_ref {
    const char *location;
    int64_t offset, length; /* length -1: not given */
} external_ref;

static int parse_size(dl_diag *d, const dl_node *node, const char *what, const char *key,
                      const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text ? text : "", &end, 10);
    if (!text || !*text || *end || errno || v < 0)
        return dl_error(d, node, "%s: external data '%s' is '%s', expected a byte count", what, key,
                        text ? text : "");
    *out = v;
    return 0;
}

static int parse_external_ref(dl_diag *d, const dl_node *node, const char *what,
                              const Onnx__TensorProto *t, external_ref *ref)
{
    ref->location = NULL;
    ref->offset = 0;
    ref->length = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const char *key = t->external_data[i]->key ? t->external_data[i]->key : "";
        const char *value = t->external_data[i]->value;
        if (strcmp(key, "location") == 0)
            ref->location = value;
        else if (strcmp(key, "offset") == 0 && parse_size(d, node, what, key, value, &ref->offset))
            return -1;
        else if (strcmp(key, "length") == 0 && parse_size(d, node, what, key, value, &ref->length))
            return -1;
    }
    if (!ref->location || !*ref->location)
        return dl_error(d, node, "%s: its data is external but no 'location' names the file", what);
    return 0;
}

/* The spec requires a path relative to the model's folder; anything that
 * could leave the folder is refused before the file system is touched. */
static int check_relative_path(dl_diag *d, const dl_node *node, const char *what, const char *loc)
{
    if (loc[0] == '/')
        return dl_error(d, node, "%s: external data path '%s' is absolute; it must be relative to "
                        "the model's folder", what, loc);
    for (const char *p = loc; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return dl_error(d, node, "%s: external data path '%s' leaves the model's folder "
                            "('..' is not allowed)", what, loc);
        p += len;
        p += *p == '/';
    }
    return 0;
}

static bool path_is_inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return true;
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Resolves loc against the model folder into resolved[PATH_MAX]; symbolic
 * links are followed, so the check sees where the bytes really live. */
static int resolve_external(dl_diag *d, const dl_node *node, const char *what, const char *model_dir,
                            const char *loc, char *resolved)
{
    char dir_real[PATH_MAX];
    size_t size = strlen(model_dir) + strlen(loc) + 2;
    char *joined = dl_malloc(size);
    if (!joined)
        return dl_onnx_out_of_memory(d);
    snprintf(joined, size, "%s/%s", model_dir, loc);
    int rc = 0;
    if (!realpath(model_dir, dir_real))
        rc = dl_error(d, node, "%s: cannot resolve the model's folder '%s': %s", what, model_dir,
                      strerror(errno));
    else if (!realpath(joined, resolved))
        rc = dl_error(d, node, "%s: cannot open external data file '%s': %s", what, joined,
                      strerror(errno));
    else if (!path_is_inside(resolved, dir_real))
        rc = dl_error(d, node, "%s: external data path '%s' resolves to '%s', outside the model's "
                      "folder '%s'", what, loc, resolved, dir_real);
    dl_free(joined, size);
    return rc;
}

static int read_external(dl_diag *d, const dl_node *node, const char *what, const char *model_dir,
                         const Onnx__TensorProto *t, void *dst, size_t bytes, size_t elem)
{
    external_ref ref;
    char path[PATH_MAX];
    if (parse_external_ref(d, node, what, t, &ref) || check_relative_path(d, node, what, ref.location) ||
        resolve_external(d, node, what, model_dir, ref.location, path))
        return -1;
    if (ref.length >= 0 && (uint64_t)ref.length != bytes)
        return dl_error(d, node, "%s: external data length is %lld bytes, but the shape needs %zu",
                        what, (long long)ref.length, bytes);
    FILE *f = fopen(path, "rb");
    if (!f)
        return dl_error(d, node, "%s: cannot open external data file '%s': %s", what, ref.location,
                        strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        rc = dl_error(d, node, "%s: external data '%s' is not a regular file", what, ref.location);
    else if ((uint64_t)st.st_size < (uint64_t)ref.offset || (uint64_t)st.st_size - (uint64_t)ref.offset < bytes)
        rc = dl_error(d, node, "%s: external data file '%s' holds %lld bytes, but the tensor needs "
                      "bytes %lld to %lld", what, ref.location, (long long)st.st_size,
                      (long long)ref.offset, (long long)ref.offset + (long long)bytes);
    else if (fseeko(f, (off_t)ref.offset, SEEK_SET) != 0 || fread(dst, 1, bytes, f) != bytes)
        rc = dl_error(d, node, "%s: cannot read external data file '%s': %s", what, ref.location,
                      ferror(f) ? strerror(errno) : "unexpected end of file");
    fclose(f);
    if (rc == 0)
        swap_to_host(dst, bytes / elem, elem);
    return rc;
}

/* ------------------------------------------------------------------ shape */

static int tensor_shape(dl_diag *d, const dl_node *node, const char *what, const Onnx__TensorProto *t,
                        size_t elem, int *rank, int64_t *dims, size_t *numel)
{
    if (t->n_dims > DL_MAX_RANK)
        return dl_error(d, node, "%s: rank %zu exceeds dlcc's limit of %d", what, t->n_dims, DL_MAX_RANK);
    uint64_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0)
            return dl_error(d, node, "%s: dim %zu is %lld; sizes must not be negative", what, i,
                            (long long)t->dims[i]);
        dims[i] = t->dims[i];
        if (t->dims[i] && n > (uint64_t)(INT64_MAX / 16) / (uint64_t)elem / (uint64_t)t->dims[i])
            return dl_error(d, node, "%s: the shape holds too many elements", what);
        n *= (uint64_t)t->dims[i];
    }
    if (n > SIZE_MAX / elem)
        return dl_error(d, node, "%s: the shape holds too many elements", what);
    *rank = (int)t->n_dims;
    *numel = (size_t)n;
    return 0;
}

/* ------------------------------------------------------------------ value */

static dl_value *new_value(dl_graph *g, const char *name, dl_dtype dtype, int rank, const int64_t *dims,
                           bool detached)
{
    if (!detached)
        return dl_graph_add_value(g, name, dtype, rank, dims);
    dl_value *v = dl_arena_alloc(&g->arena, sizeof *v);
    if (!v || !(v->name = dl_arena_strdup(&g->arena, name)))
        return NULL;
    v->id = -1;
    v->dtype = dtype;
    v->rank = rank;
    memcpy(v->dims, dims, sizeof(int64_t) * (size_t)rank);
    v->offset = -1;
    return v;
}

static int fill_data(dl_diag *d, const dl_node *node, const char *what, const char *model_dir,
                     const Onnx__TensorProto *t, dl_dtype dtype, void *dst, size_t numel, size_t elem)
{
    size_t bytes = numel * elem;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return read_external(d, node, what, model_dir, t, dst, bytes, elem);
    if (t->has_raw_data) {
        if (t->raw_data.len != bytes)
            return dl_error(d, node, "%s: raw_data holds %zu bytes, but %zu %s elements need %zu",
                            what, t->raw_data.len, numel, dl_dtype_name(dtype), bytes);
        if (bytes)
            memcpy(dst, t->raw_data.data, bytes);
        swap_to_host(dst, numel, elem);
        return 0;
    }
    const char *field;
    size_t count = typed_count(t, dtype, &field);
    if (count == 0 && numel > 0)
        return dl_error(d, node, "%s: the tensor has no data (no raw_data, no %s)", what, field);
    if (count != numel)
        return dl_error(d, node, "%s: %s holds %zu values, but its shape needs %zu", what, field,
                        count, numel);
    copy_typed(t, dtype, dst, numel);
    return 0;
}

dl_value *dl_onnx_tensor_value(dl_graph *g, dl_diag *d, const dl_node *node, const char *what,
                               const char *model_dir, const Onnx__TensorProto *t, bool detached)
{
    dl_dtype dtype;
    int rank = 0;
    int64_t dims[DL_MAX_RANK];
    size_t numel = 0;
    if (dl_onnx_dtype(d, node, what, t->has_data_type ? t->data_type : 0, &dtype))
        return NULL;
    size_t elem = dl_dtype_size(dtype);
    if (tensor_shape(d, node, what, t, elem, &rank, dims, &numel))
        return NULL;
    dl_value *v = new_value(g, t->name ? t->name : "", dtype, rank, dims, detached);
    if (!v || !dl_value_alloc_data(g, v)) {
        dl_onnx_out_of_memory(d);
        return NULL;
    }
    if (fill_data(d, node, what, model_dir, t, dtype, v->data, numel, elem))
        return NULL;
    return v;
}

/* -------------------------------------------------------------- attributes */

static const char *attr_type_name(int type)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS",
        "TENSORS", "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS",
    };
    return type >= 0 && type < (int)(sizeof names / sizeof names[0]) ? names[type] : "unknown";
}

/* IR version 1 had no type field: the field that is set tells. */
static int attr_type(const Onnx__AttributeProto *a)
{
    if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
        return a->type;
    if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    if (a->n_graphs) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
    if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static const char *arena_string(dl_graph *g, const ProtobufCBinaryData *s)
{
    char *p = dl_arena_alloc(&g->arena, s->len + 1);
    if (p && s->len)
        memcpy(p, s->data, s->len);
    return p;
}

/* false on out-of-memory; an empty list stays NULL. */
static bool arena_copy(dl_graph *g, void *out, const void *src, size_t bytes)
{
    void *p = bytes ? dl_arena_alloc(&g->arena, bytes) : NULL;
    if (p)
        memcpy(p, src, bytes);
    memcpy(out, &p, sizeof p);
    return p || !bytes;
}

static int convert_strings(dl_graph *g, dl_diag *d, const Onnx__AttributeProto *a, dl_attr *out)
{
    if (!a->n_strings)
        return 0;
    const char **list = dl_arena_alloc(&g->arena, sizeof(char *) * a->n_strings);
    if (!list)
        return dl_onnx_out_of_memory(d);
    for (size_t i = 0; i < a->n_strings; i++)
        if (!(list[i] = arena_string(g, &a->strings[i])))
            return dl_onnx_out_of_memory(d);
    out->strings = list;
    return 0;
}

static int convert_tensor_attr(dl_graph *g, dl_diag *d, dl_node *n, const char *model_dir,
                               const Onnx__AttributeProto *a, dl_attr *out)
{
    char what[300];
    snprintf(what, sizeof what, "attribute '%.250s'", a->name);
    if (!a->t)
        return dl_error(d, n, "%s holds no tensor", what);
    out->tensor = dl_onnx_tensor_value(g, d, n, what, model_dir, a->t, true);
    return out->tensor ? 0 : -1;
}

static int convert_attr(dl_graph *g, dl_diag *d, dl_node *n, const char *model_dir, const Onnx__AttributeProto *a,
                        dl_attr *out)
{
    int type = attr_type(a);
    size_t count = a->n_floats + a->n_ints + a->n_strings;
    if (a->ref_attr_name)
        return dl_error(d, n, "attribute '%s' refers to a function's attribute; model functions are not "
                        "supported", a->name);
    if (count > INT_MAX)
        return dl_error(d, n, "attribute '%s' has %zu values, too many", a->name, count);
    if (!(out->name = dl_arena_strdup(&g->arena, a->name)))
        return dl_onnx_out_of_memory(d);
    out->n = (int)count;
    bool ok = true;
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: out->kind = DL_ATTR_FLOAT; out->f = a->f; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: out->kind = DL_ATTR_INT; out->i = a->i; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        out->kind = DL_ATTR_STRING;
        ok = (out->s = arena_string(g, &a->s)) != NULL;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        out->kind = DL_ATTR_FLOATS;
        ok = arena_copy(g, &out->floats, a->floats, a->n_floats * sizeof(float));
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        out->kind = DL_ATTR_INTS;
        ok = arena_copy(g, &out->ints, a->ints, a->n_ints * sizeof(int64_t));
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
        out->kind = DL_ATTR_STRINGS;
        return convert_strings(g, d, a, out);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
        out->kind = DL_ATTR_TENSOR;
        return convert_tensor_attr(g, d, n, model_dir, a, out);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
        return dl_error(d, n, "attribute '%s' holds a subgraph: subgraphs are not supported (If, Loop and "
                        "Scan cannot be compiled)", a->name);
    default:
        return dl_error(d, n, "attribute '%s' has type %s, which is not supported", a->name,
                        attr_type_name(type));
    }
    return ok ? 0 : dl_onnx_out_of_memory(d);
}

int dl_onnx_node_attrs(dl_graph *g, dl_diag *d, dl_node *n, const Onnx__NodeProto *np, const char *model_dir)
{
    if (np->n_attribute == 0)
        return 0;
    n->attrs = dl_arena_alloc(&g->arena, sizeof(dl_attr) * np->n_attribute);
    if (!n->attrs)
        return dl_onnx_out_of_memory(d);
    n->n_attrs = (int)np->n_attribute;
    int rc = 0;
    for (size_t k = 0; k < np->n_attribute; k++) {
        const Onnx__AttributeProto *a = np->attribute[k];
        if (!a->name || !*a->name)
            rc = dl_error(d, n, "attribute %zu has no name", k);
        else if (convert_attr(g, d, n, model_dir, a, &n->attrs[k]))
            rc = -1;
        else
            for (size_t j = 0; j < k; j++)
                if (n->attrs[j].name && strcmp(n->attrs[j].name, a->name) == 0)
                    rc = dl_error(d, n, "attribute '%s' is given twice", a->name);
        if (rc && d->out_of_memory)
            return -1;
    }
    return rc;
}
