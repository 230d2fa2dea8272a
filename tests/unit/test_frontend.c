/* The ONNX frontend: models are built here with protobuf-c's structs, packed
 * to files in a temporary folder and loaded back. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw, symlink */

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "ir/ops/op.h"
#include "onnx.pb-c.h"

/* The ops these models use. Naming them here also links their files out of
 * libdlcc.a, which ops.c's (temporary) weak references alone do not. */
extern const dl_op dl_op_Reshape, dl_op_Slice, dl_op_Transpose;

/* ------------------------------------------------------------ the folder */

static char tmp_dir[64];

static void make_dir(void)
{
    strcpy(tmp_dir, "/tmp/dlcc_frontend_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_dir(void) { nftw(tmp_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS); }

/* dir/name in a buffer that lives as long as the test (diagnostics keep it). */
static const char *path_of(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", tmp_dir, name);
    return p;
}

static void write_bytes(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(path_of(name), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* ----------------------------------------------------------- the builder */

#define MAX_ITEMS 8
#define MAX_ATTRS 8

typedef struct model {
    Onnx__ModelProto m;
    Onnx__GraphProto g;
    Onnx__OperatorSetIdProto opset[2], *opset_p[2];
    Onnx__NodeProto node[MAX_ITEMS], *node_p[MAX_ITEMS];
    char node_io[MAX_ITEMS][2][128];
    char *node_in[MAX_ITEMS][8], *node_out[MAX_ITEMS][8];
    Onnx__AttributeProto attr[MAX_ITEMS][MAX_ATTRS], *attr_p[MAX_ITEMS][MAX_ATTRS];
    Onnx__TensorProto init[MAX_ITEMS], *init_p[MAX_ITEMS];
    int64_t init_dims[MAX_ITEMS][DL_MAX_RANK];
    Onnx__StringStringEntryProto ext[MAX_ITEMS][3], *ext_p[MAX_ITEMS][3];
    Onnx__ValueInfoProto in[MAX_ITEMS], *in_p[MAX_ITEMS], out[MAX_ITEMS], *out_p[MAX_ITEMS];
    Onnx__TypeProto type[MAX_ITEMS];
    Onnx__TypeProto__Tensor tensor_type[MAX_ITEMS];
    Onnx__TensorShapeProto shape[MAX_ITEMS];
    Onnx__TensorShapeProto__Dimension dim[MAX_ITEMS][DL_MAX_RANK], *dim_p[MAX_ITEMS][DL_MAX_RANK];
    char dim_text[MAX_ITEMS][128];
} model;

/* Splits "a,,b" in place into {"a", "", "b"}. */
static size_t split(char *text, char **out, size_t max)
{
    size_t n = 0;
    if (!*text)
        return 0;
    for (char *p = text;; ) {
        char *comma = strchr(p, ',');
        if (n < max)
            out[n++] = p;
        if (!comma)
            return n;
        *comma = 0;
        p = comma + 1;
    }
}

static model *model_new(int64_t opset)
{
    model *mb = calloc(1, sizeof *mb);
    ck_assert_ptr_nonnull(mb);
    onnx__model_proto__init(&mb->m);
    onnx__graph_proto__init(&mb->g);
    mb->m.has_ir_version = 1;
    mb->m.ir_version = 7;
    mb->m.graph = &mb->g;
    mb->g.name = "test";
    mb->g.node = mb->node_p;
    mb->g.initializer = mb->init_p;
    mb->g.input = mb->in_p;
    mb->g.output = mb->out_p;
    mb->m.opset_import = mb->opset_p;
    if (opset > 0) {
        onnx__operator_set_id_proto__init(&mb->opset[0]);
        mb->opset[0].domain = "";
        mb->opset[0].has_version = 1;
        mb->opset[0].version = opset;
        mb->opset_p[0] = &mb->opset[0];
        mb->m.n_opset_import = 1;
    }
    return mb;
}

static Onnx__NodeProto *add_node(model *mb, const char *name, const char *op, const char *ins, const char *outs)
{
    size_t i = mb->g.n_node++;
    Onnx__NodeProto *n = &mb->node[i];
    onnx__node_proto__init(n);
    n->name = (char *)name;
    n->op_type = (char *)op;
    snprintf(mb->node_io[i][0], sizeof mb->node_io[i][0], "%s", ins);
    snprintf(mb->node_io[i][1], sizeof mb->node_io[i][1], "%s", outs);
    n->n_input = split(mb->node_io[i][0], mb->node_in[i], 8);
    n->input = mb->node_in[i];
    n->n_output = split(mb->node_io[i][1], mb->node_out[i], 8);
    n->output = mb->node_out[i];
    n->attribute = mb->attr_p[i];
    mb->node_p[i] = n;
    return n;
}

/* An attribute of the last node added. */
static Onnx__AttributeProto *add_attr(model *mb, const char *name, Onnx__AttributeProto__AttributeType type)
{
    size_t i = mb->g.n_node - 1;
    Onnx__NodeProto *n = &mb->node[i];
    Onnx__AttributeProto *a = &mb->attr[i][n->n_attribute];
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    a->type = type;
    mb->attr_p[i][n->n_attribute++] = a;
    return a;
}

static void tensor_init(Onnx__TensorProto *t, int64_t *dims_store, const char *name, int32_t type,
                        int rank, const int64_t *dims)
{
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = type;
    memcpy(dims_store, dims, sizeof(int64_t) * (size_t)rank);
    t->n_dims = (size_t)rank;
    t->dims = dims_store;
}

static Onnx__TensorProto *add_init(model *mb, const char *name, int32_t type, int rank, const int64_t *dims)
{
    size_t i = mb->g.n_initializer++;
    tensor_init(&mb->init[i], mb->init_dims[i], name, type, rank, dims);
    mb->init_p[i] = &mb->init[i];
    return &mb->init[i];
}

static void set_raw(Onnx__TensorProto *t, const void *data, size_t len)
{
    t->has_raw_data = 1;
    t->raw_data.data = (uint8_t *)data;
    t->raw_data.len = len;
}

/* External data of the initializer t (of mb): location, offset, length. */
static void set_external(model *mb, Onnx__TensorProto *t, const char *location, const char *offset,
                         const char *length)
{
    size_t i = (size_t)(t - mb->init);
    const char *keys[3] = {"location", "offset", "length"};
    const char *values[3] = {location, offset, length};
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    t->external_data = mb->ext_p[i];
    for (int k = 0; k < 3; k++) {
        if (!values[k])
            continue;
        Onnx__StringStringEntryProto *e = &mb->ext[i][t->n_external_data];
        onnx__string_string_entry_proto__init(e);
        e->key = (char *)keys[k];
        e->value = (char *)values[k];
        mb->ext_p[i][t->n_external_data++] = e;
    }
}

/* dims: "1,3,224,224"; "?" is a dim with no value, a name is a dim_param;
 * NULL gives no shape at all. */
static void add_value_info(model *mb, Onnx__ValueInfoProto *vi, size_t i, const char *name, int32_t type,
                           const char *dims)
{
    onnx__value_info_proto__init(vi);
    vi->name = (char *)name;
    onnx__type_proto__init(&mb->type[i]);
    onnx__type_proto__tensor__init(&mb->tensor_type[i]);
    mb->type[i].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    mb->type[i].tensor_type = &mb->tensor_type[i];
    mb->tensor_type[i].has_elem_type = 1;
    mb->tensor_type[i].elem_type = type;
    vi->type = &mb->type[i];
    if (!dims)
        return;
    char *tokens[DL_MAX_RANK];
    snprintf(mb->dim_text[i], sizeof mb->dim_text[i], "%s", dims);
    size_t n = split(mb->dim_text[i], tokens, DL_MAX_RANK);
    onnx__tensor_shape_proto__init(&mb->shape[i]);
    for (size_t k = 0; k < n; k++) {
        Onnx__TensorShapeProto__Dimension *d = &mb->dim[i][k];
        onnx__tensor_shape_proto__dimension__init(d);
        if (tokens[k][0] >= '0' && tokens[k][0] <= '9') {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = atoll(tokens[k]);
        } else if (strcmp(tokens[k], "?") != 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = tokens[k];
        }
        mb->dim_p[i][k] = d;
    }
    mb->shape[i].n_dim = n;
    mb->shape[i].dim = mb->dim_p[i];
    mb->tensor_type[i].shape = &mb->shape[i];
}

static void add_input(model *mb, const char *name, int32_t type, const char *dims)
{
    size_t i = mb->g.n_input++;
    add_value_info(mb, &mb->in[i], i, name, type, dims);
    mb->in_p[i] = &mb->in[i];
}

static void add_output(model *mb, const char *name)
{
    size_t i = mb->g.n_output++;
    onnx__value_info_proto__init(&mb->out[i]);
    mb->out[i].name = (char *)name;
    mb->out_p[i] = &mb->out[i];
}

static size_t pack(const model *mb, uint8_t **buf)
{
    size_t len = onnx__model_proto__get_packed_size(&mb->m);
    *buf = malloc(len);
    ck_assert_ptr_nonnull(*buf);
    ck_assert_uint_eq(onnx__model_proto__pack(&mb->m, *buf), len);
    return len;
}

/* Packs mb to dir/name and frees it. */
static void write_model(model *mb, const char *name)
{
    uint8_t *buf;
    size_t len = pack(mb, &buf);
    write_bytes(name, buf, len);
    free(buf);
    free(mb);
}

/* ------------------------------------------------------------- expecting */

static dl_graph *load(const char *name, const dl_load_options *opt, dl_diag *d)
{
    const char *path = path_of(name);
    dl_diag_init(d, path);
    return dl_load_onnx(path, opt, d);
}

static const char *find_message(const dl_diag *d, const char *a, const char *b)
{
    for (int i = 0; i < d->n_messages; i++)
        if (strstr(d->messages[i], a) && (!b || strstr(d->messages[i], b)))
            return d->messages[i];
    return NULL;
}

static void check_loads(dl_graph *g, const dl_diag *d)
{
    ck_assert_msg(g != NULL, "load failed: %s", d->n_messages ? d->messages[0] : "(no message)");
    ck_assert_int_eq(d->n_messages, 0);
}

/* The load fails with a message holding a (and b, if given). */
static void expect_error(const char *name, const dl_load_options *opt, const char *a, const char *b)
{
    dl_diag d;
    dl_graph *g = load(name, opt, &d);
    ck_assert_msg(g == NULL, "the load of %s succeeded; expected an error with '%s'", name, a);
    ck_assert_msg(find_message(&d, a, b), "no message holds '%s'%s%s; first: %s", a, b ? " and " : "",
                  b ? b : "", d.n_messages ? d.messages[0] : "(none)");
    dl_diag_free(&d);
}

static const dl_value *value_named(const dl_graph *g, const char *name)
{
    const dl_value *v = dl_graph_find_value(g, name);
    ck_assert_msg(v != NULL, "no value '%s'", name);
    return v;
}

/* --------------------------------------------------------------- models */

static const int64_t conv_w_dims[4] = {1, 1, 3, 3};
/* A 3x3 kernel whose weights are 0.5*k, k = 0..8: exact in binary. */
static const float conv_w[9] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 3.5f, 4.0f};

/* y = Conv(x[1,1,4,4], W[1,1,3,3], B[1]), pads 1; W raw or float_data. */
static void write_conv_model(const char *name, bool raw)
{
    model *mb = model_new(13);
    static const int64_t b_dims[1] = {1};
    static float bias[1] = {-1.25f};
    add_input(mb, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "1,1,4,4");
    Onnx__TensorProto *w = add_init(mb, "W", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, conv_w_dims);
    if (raw)
        set_raw(w, conv_w, sizeof conv_w);
    else {
        w->n_float_data = 9;
        w->float_data = (float *)conv_w;
    }
    Onnx__TensorProto *b = add_init(mb, "B", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, b_dims);
    b->n_float_data = 1;
    b->float_data = bias;
    add_node(mb, "conv0", "Conv", "x,W,B", "y");
    static int64_t pads[4] = {1, 1, 1, 1};
    Onnx__AttributeProto *a = add_attr(mb, "pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = 4;
    a->ints = pads;
    add_output(mb, "y");
    write_model(mb, name);
}

static void check_conv_model(const char *name)
{
    dl_diag d;
    dl_graph *g = load(name, NULL, &d);
    if (!dl_op_find("Conv")) { /* until ir/ops/conv.c lands */
        ck_assert_ptr_null(g);
        ck_assert_ptr_nonnull(find_message(&d, "unsupported operator: Conv (node 'conv0')", NULL));
        dl_diag_free(&d);
        return;
    }
    check_loads(g, &d);
    ck_assert_int_eq(g->opset, 13);
    ck_assert_int_eq(g->n_inputs, 1);
    ck_assert_str_eq(g->inputs[0]->name, "x");
    ck_assert_int_eq(g->inputs[0]->rank, 4);
    ck_assert_int_eq(g->inputs[0]->dims[3], 4);
    const dl_value *w = value_named(g, "W");
    ck_assert(w->dtype == DL_FLOAT && w->rank == 4 && !w->is_input);
    ck_assert_mem_eq(w->data, conv_w, sizeof conv_w);
    ck_assert_float_eq(((const float *)value_named(g, "B")->data)[0], -1.25f);
    ck_assert_int_eq(g->n_nodes, 1);
    const dl_node *n = g->nodes[0];
    ck_assert_str_eq(n->name, "conv0");
    ck_assert_ptr_eq(n->op, dl_op_find("Conv"));
    ck_assert_int_eq(n->opset, 13);
    ck_assert(n->n_inputs == 3 && n->inputs[1] == w && n->outputs[0]->producer == n);
    const int64_t *pads;
    ck_assert_int_eq(dl_attr_ints(n, "pads", &pads), 4);
    ck_assert_int_eq(pads[2], 1);
    ck_assert_int_eq(g->n_outputs, 1);
    ck_assert(g->outputs[0] == n->outputs[0] && g->outputs[0]->is_output);
    dl_graph_free(g);
    dl_diag_free(&d);
}

START_TEST(conv_raw_data)
{
    write_conv_model("conv.onnx", true);
    check_conv_model("conv.onnx");
}
END_TEST

START_TEST(conv_float_data)
{
    write_conv_model("conv.onnx", false);
    check_conv_model("conv.onnx");
}
END_TEST

/* y = Reshape(x[2,8], shape); shape = {1, 16} in int64_data or raw_data. */
static model *reshape_model(bool raw)
{
    static int64_t shape[2] = {1, 16};
    static const int64_t dims[1] = {2};
    model *mb = model_new(13);
    add_input(mb, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "2,8");
    Onnx__TensorProto *t = add_init(mb, "shape", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, dims);
    if (raw) {
        set_raw(t, shape, sizeof shape); /* the host is little-endian, like ONNX's raw_data */
    } else {
        t->n_int64_data = 2;
        t->int64_data = shape;
    }
    add_node(mb, "reshape", "Reshape", "x,shape", "y");
    add_output(mb, "y");
    return mb;
}

START_TEST(int64_initializer)
{
    for (int raw = 0; raw < 2; raw++) {
        write_model(reshape_model(raw), "reshape.onnx");
        dl_diag d;
        dl_graph *g = load("reshape.onnx", NULL, &d);
        check_loads(g, &d);
        const dl_value *s = value_named(g, "shape");
        ck_assert(s->dtype == DL_INT64 && s->rank == 1 && s->dims[0] == 2);
        ck_assert(((const int64_t *)s->data)[0] == 1 && ((const int64_t *)s->data)[1] == 16);
        ck_assert(g->nodes[0]->inputs[1] == s);
        dl_graph_free(g);
        dl_diag_free(&d);
    }
}
END_TEST

/* The 8- and 16-bit types travel in int32_data, one element per entry. */
START_TEST(packed_int32_data)
{
    static int32_t values[3] = {-2, 0, 7};
    static const int64_t dims[1] = {3};
    model *mb = reshape_model(false);
    int32_t types[4] = {ONNX__TENSOR_PROTO__DATA_TYPE__INT8, ONNX__TENSOR_PROTO__DATA_TYPE__BOOL,
                        ONNX__TENSOR_PROTO__DATA_TYPE__UINT16, ONNX__TENSOR_PROTO__DATA_TYPE__INT32};
    const char *names[4] = {"i8", "b", "u16", "i32"};
    for (int k = 0; k < 4; k++) {
        Onnx__TensorProto *t = add_init(mb, names[k], types[k], 1, dims);
        t->n_int32_data = 3;
        t->int32_data = values;
    }
    write_model(mb, "m.onnx");
    dl_diag d;
    dl_graph *g = load("m.onnx", NULL, &d);
    check_loads(g, &d);
    const int8_t *i8 = value_named(g, "i8")->data;
    const uint8_t *b = value_named(g, "b")->data;
    const uint16_t *u16 = value_named(g, "u16")->data;
    const int32_t *i32 = value_named(g, "i32")->data;
    ck_assert(i8[0] == -2 && i8[2] == 7);
    ck_assert(b[0] == 1 && b[1] == 0 && b[2] == 1);
    ck_assert(u16[0] == 65534 && u16[2] == 7); /* -2 wraps to 2^16 - 2 */
    ck_assert(i32[0] == -2 && i32[2] == 7);
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

START_TEST(input_that_is_an_initializer)
{
    model *mb = reshape_model(false);
    add_input(mb, "shape", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, "2");
    write_model(mb, "m.onnx");
    dl_diag d;
    dl_graph *g = load("m.onnx", NULL, &d);
    check_loads(g, &d);
    ck_assert_int_eq(g->n_inputs, 1);
    ck_assert_str_eq(g->inputs[0]->name, "x");
    const dl_value *s = value_named(g, "shape");
    ck_assert(s->data && !s->is_input);
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

/* ------------------------------------------------------- external data */

/* Reshape's shape {1, 16} lives at byte 8 of FILE; 8 junk bytes precede it. */
static void write_external_model(const char *model_name, const char *location, const char *offset,
                                 const char *length)
{
    model *mb = reshape_model(false);
    Onnx__TensorProto *t = &mb->init[0];
    t->n_int64_data = 0;
    t->int64_data = NULL;
    set_external(mb, t, location, offset, length);
    write_model(mb, model_name);
}

static const int64_t external_bytes[3] = {-1, 1, 16};

START_TEST(external_data_inside_folder)
{
    write_bytes("weights.bin", external_bytes, sizeof external_bytes);
    write_external_model("m.onnx", "weights.bin", "8", "16");
    dl_diag d;
    dl_graph *g = load("m.onnx", NULL, &d);
    check_loads(g, &d);
    const int64_t *s = value_named(g, "shape")->data;
    ck_assert(s[0] == 1 && s[1] == 16);
    dl_graph_free(g);
    dl_diag_free(&d);

    /* A sub-folder is inside too; no length means the whole tensor. */
    ck_assert_int_eq(mkdir(path_of("data"), 0700), 0);
    write_bytes("data/w.bin", external_bytes, sizeof external_bytes);
    write_external_model("m.onnx", "data/./w.bin", "8", NULL);
    g = load("m.onnx", NULL, &d);
    check_loads(g, &d);
    s = value_named(g, "shape")->data;
    ck_assert(s[0] == 1 && s[1] == 16);
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

START_TEST(external_data_outside_folder)
{
    /* The model sits in sub/, the data one level up: it exists, but is refused. */
    ck_assert_int_eq(mkdir(path_of("sub"), 0700), 0);
    write_bytes("x.bin", external_bytes, sizeof external_bytes);
    write_external_model("sub/m.onnx", "../x.bin", "8", NULL);
    expect_error("sub/m.onnx", NULL, "'../x.bin'", "initializer 'shape'");

    write_external_model("sub/m.onnx", "a/../../x.bin", "8", NULL);
    expect_error("sub/m.onnx", NULL, "'a/../../x.bin'", "leaves the model's folder");

    write_external_model("sub/m.onnx", path_of("x.bin"), "8", NULL);
    expect_error("sub/m.onnx", NULL, "is absolute", NULL);

    /* A link inside the folder that points out of it. */
    ck_assert_int_eq(symlink(path_of("x.bin"), path_of("sub/link.bin")), 0);
    write_external_model("sub/m.onnx", "link.bin", "8", NULL);
    expect_error("sub/m.onnx", NULL, "'link.bin'", "outside the model's folder");
}
END_TEST

START_TEST(external_data_errors)
{
    write_bytes("weights.bin", external_bytes, sizeof external_bytes);
    /* 24 bytes in the file: offset 16 leaves 8, the tensor needs 16. */
    write_external_model("m.onnx", "weights.bin", "16", NULL);
    expect_error("m.onnx", NULL, "holds 24 bytes", "'weights.bin'");
    write_external_model("m.onnx", "weights.bin", "8", "12");
    expect_error("m.onnx", NULL, "length is 12 bytes", NULL);
    write_external_model("m.onnx", "missing.bin", NULL, NULL);
    expect_error("m.onnx", NULL, "cannot open external data file", "missing.bin");
    write_external_model("m.onnx", "weights.bin", "-8", NULL);
    expect_error("m.onnx", NULL, "'offset' is '-8'", NULL);
}
END_TEST

/* ------------------------------------------------------- symbolic shapes */

static void write_symbolic_model(void)
{
    static const int64_t dims[1] = {2};
    static int64_t shape[2] = {-1, 16};
    model *mb = model_new(13);
    add_input(mb, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "batch,1,4,4");
    Onnx__TensorProto *t = add_init(mb, "shape", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, dims);
    t->n_int64_data = 2;
    t->int64_data = shape;
    add_node(mb, "reshape", "Reshape", "x,shape", "y");
    add_output(mb, "y");
    write_model(mb, "m.onnx");
}

START_TEST(symbolic_dim_bound)
{
    write_symbolic_model();
    dl_shape_binding b = {"x", 4, {3, 1, 4, 4}};
    dl_load_options opt = {&b, 1, NULL, 0};
    dl_diag d;
    dl_graph *g = load("m.onnx", &opt, &d);
    check_loads(g, &d);
    ck_assert(g->inputs[0]->rank == 4 && g->inputs[0]->dims[0] == 3 && g->inputs[0]->dims[1] == 1);
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

START_TEST(symbolic_dim_unbound)
{
    write_symbolic_model();
    expect_error("m.onnx", NULL, "input 'x' dim 0 ('batch') is symbolic: bind it with --shape x=1,1,4,4", NULL);
}
END_TEST

START_TEST(binding_errors)
{
    write_symbolic_model();
    dl_shape_binding b[2] = {{"x", 4, {1, 1, 4, 4}}, {"z", 1, {5}}};
    dl_load_options opt = {b, 2, NULL, 0};
    expect_error("m.onnx", &opt, "--shape names 'z', which is not an input", "inputs: 'x'");
    b[1].input = "shape";
    expect_error("m.onnx", &opt, "'shape', which is a constant", NULL);
    opt.n_shapes = 1;
    b[0].rank = 3;
    expect_error("m.onnx", &opt, "--shape gives 3 dims, but the model's input has rank 4 (batch x 1 x 4 x 4)", NULL);
    b[0].rank = 4;
    b[0].dims[2] = -1; /* 0 is a valid, empty dim; negatives are not */
    expect_error("m.onnx", &opt, "--shape x: dim 2 is -1", NULL);
}
END_TEST

/* ----------------------------------------------------------- bad files */

START_TEST(not_protobuf)
{
    /* 0x0f is field 1 with wire type 7, which does not exist. */
    static const unsigned char junk[] = {0x0f, 0xff, 0xff, 0x00, 0x13, 0x37};
    write_bytes("junk.onnx", junk, sizeof junk);
    expect_error("junk.onnx", NULL,
                 "junk.onnx: not a valid ONNX model: protobuf decoding failed (truncated or not an ONNX file)", NULL);
    /* Text that happens to decode holds no ir_version. */
    write_bytes("text.onnx", "hello", 5);
    expect_error("text.onnx", NULL, "not a valid ONNX model", NULL);
    write_bytes("empty.onnx", "", 0);
    expect_error("empty.onnx", NULL, "not a valid ONNX model: the file is empty", NULL);
    expect_error("absent.onnx", NULL, "absent.onnx: cannot open the model file", NULL);
}
END_TEST

START_TEST(truncated)
{
    uint8_t *buf;
    model *mb = reshape_model(false);
    size_t len = pack(mb, &buf);
    free(mb);
    /* Half of the bytes end inside the graph, a length-delimited field. */
    write_bytes("cut.onnx", buf, len / 2);
    free(buf);
    expect_error("cut.onnx", NULL, "protobuf decoding failed (truncated or not an ONNX file)", NULL);
}
END_TEST

/* ------------------------------------------------------ graph errors */

START_TEST(unknown_ops_in_one_message)
{
    model *mb = model_new(13);
    add_input(mb, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "1");
    add_node(mb, "a", "FooOp", "x", "t1");
    add_node(mb, "b", "BarOp", "t1", "t2");
    add_node(mb, "c", "FooOp", "t2", "t3");
    add_node(mb, "", "FooOp", "t3", "y");
    add_output(mb, "y");
    write_model(mb, "m.onnx");
    dl_diag d;
    ck_assert_ptr_null(load("m.onnx", NULL, &d));
    ck_assert_int_eq(d.n_messages, 1);
    /* The unnamed node is the fourth: #3. */
    ck_assert_ptr_nonnull(strstr(d.messages[0], "unsupported operators: FooOp (nodes 'a', 'c', #3), BarOp (node 'b')"));
    dl_diag_free(&d);
}
END_TEST

START_TEST(missing_initializer)
{
    model *mb = model_new(13);
    add_input(mb, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "2,8");
    add_node(mb, "reshape1", "Reshape", "x,nowhere", "y");
    add_output(mb, "y");
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "node 'reshape1' (Reshape): input 1 'nowhere' is not defined",
                 "missing initializer or producer");
}
END_TEST

START_TEST(foreign_domain)
{
    model *mb = reshape_model(false);
    Onnx__NodeProto *n = add_node(mb, "fused", "FusedConv", "y", "z");
    n->domain = "com.microsoft";
    n = add_node(mb, "ml", "Scaler", "z", "w");
    n->domain = "ai.onnx.ml";
    write_model(mb, "m.onnx");
    dl_diag d;
    ck_assert_ptr_null(load("m.onnx", NULL, &d));
    ck_assert_int_eq(d.n_messages, 2);
    ck_assert_ptr_nonnull(find_message(&d, "node 'fused' (FusedConv): operator domain 'com.microsoft'", NULL));
    ck_assert_ptr_nonnull(find_message(&d, "node 'ml' (Scaler): operator domain 'ai.onnx.ml'", NULL));
    dl_diag_free(&d);
}
END_TEST

START_TEST(opset_range)
{
    model *mb = reshape_model(false);
    mb->opset[0].version = 5;
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "default-domain opset 5 is not supported", NULL);

    mb = reshape_model(false);
    mb->opset[0].version = 99;
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "default-domain opset 99 is newer", NULL);

    mb = reshape_model(false);
    mb->m.n_opset_import = 0;
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "opset 1 (the model has no opset_import) is not supported", NULL);

    /* "ai.onnx" names the default domain too; the highest opset loads. */
    mb = reshape_model(false);
    mb->opset[0].domain = "ai.onnx";
    mb->opset[0].version = dl_max_supported_opset();
    write_model(mb, "m.onnx");
    dl_diag d;
    dl_graph *g = load("m.onnx", NULL, &d);
    check_loads(g, &d);
    ck_assert_int_eq(g->nodes[0]->opset, dl_max_supported_opset());
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

START_TEST(ops_used_here_are_known)
{
    ck_assert_ptr_eq(dl_op_find("Reshape"), &dl_op_Reshape);
    ck_assert_ptr_eq(dl_op_find("Slice"), &dl_op_Slice);
    ck_assert_ptr_eq(dl_op_find("Transpose"), &dl_op_Transpose);
}
END_TEST

START_TEST(max_opset_follows_schema_table)
{
    /* Models load up to the newest opset of ir/ops/schema_versions.def; nodes are then
       held to the schema versions their ops implement. */
    ck_assert_int_eq(dl_max_supported_opset(), dl_schema_newest_opset());
    ck_assert_int_ge(dl_max_supported_opset(), 17);
    ck_assert_int_eq(dl_min_supported_opset(), 6);
}
END_TEST

START_TEST(ir_version_and_empty_graph)
{
    model *mb = reshape_model(false);
    mb->m.ir_version = dl_schema_newest_ir() + 1;
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "IR version", "is newer than dlcc knows");

    mb = reshape_model(false);
    mb->g.n_node = 0;
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "the model's graph is empty", NULL);

    mb = reshape_model(false);
    mb->m.graph = NULL;
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "not a valid ONNX model: it has no graph", NULL);
}
END_TEST

START_TEST(bad_initializers)
{
    static const int64_t dims[2] = {2, 3};
    static float five[5] = {1, 2, 3, 4, 5};
    model *mb = reshape_model(false);
    Onnx__TensorProto *t = add_init(mb, "five", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims);
    t->n_float_data = 5;
    t->float_data = five;
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "initializer 'five': float_data holds 5 values, but its shape needs 6", NULL);

    mb = reshape_model(false);
    t = add_init(mb, "raw", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims);
    set_raw(t, five, sizeof five);
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "initializer 'raw': raw_data holds 20 bytes", "need 24");

    mb = reshape_model(false);
    add_init(mb, "words", ONNX__TENSOR_PROTO__DATA_TYPE__STRING, 0, dims);
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "initializer 'words': string tensors are not supported", NULL);

    mb = reshape_model(false);
    add_init(mb, "shape", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 0, dims)->n_int64_data = 1;
    mb->init[1].int64_data = (int64_t *)dims;
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "initializer 'shape' is defined twice", NULL);
}
END_TEST

START_TEST(duplicate_output)
{
    model *mb = reshape_model(false);
    add_node(mb, "again", "Reshape", "x,shape", "y");
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "node 'again' (Reshape): output 0 'y' is already defined by node 'reshape' (Reshape)", NULL);

    mb = reshape_model(false);
    add_output(mb, "nothing");
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "graph output 'nothing' is not produced", NULL);
}
END_TEST

/* ----------------------------------------------------------- attributes */

START_TEST(attributes)
{
    static int64_t perm[2] = {1, 0};
    static float floats[2] = {0.25f, -2.0f};
    static ProtobufCBinaryData strings[2] = {{1, (uint8_t *)"a"}, {2, (uint8_t *)"bc"}};
    static float tensor_data[2] = {1.5f, 2.5f};
    static const int64_t tensor_dims[1] = {2};
    static int64_t tensor_dims_store[1];
    static Onnx__TensorProto tensor;
    model *mb = model_new(13);
    add_input(mb, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "2,3");
    add_node(mb, "t", "Transpose", "x", "y");
    Onnx__AttributeProto *a = add_attr(mb, "perm", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = 2;
    a->ints = perm;
    a = add_attr(mb, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = 0.75f;
    a = add_attr(mb, "count", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = -3;
    a = add_attr(mb, "mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s = (ProtobufCBinaryData){6, (uint8_t *)"linear"};
    a = add_attr(mb, "scales", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = 2;
    a->floats = floats;
    a = add_attr(mb, "names", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    a->n_strings = 2;
    a->strings = strings;
    a = add_attr(mb, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    tensor_init(&tensor, tensor_dims_store, "", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, tensor_dims);
    tensor.n_float_data = 2;
    tensor.float_data = tensor_data;
    a->t = &tensor;
    a = add_attr(mb, "untyped", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED);
    a->has_type = 0; /* IR version 1: the set field tells the type */
    a->has_i = 1;
    a->i = 9;
    add_output(mb, "y");
    write_model(mb, "m.onnx");

    dl_diag d;
    dl_graph *g = load("m.onnx", NULL, &d);
    check_loads(g, &d);
    const dl_node *n = g->nodes[0];
    const int64_t *ints;
    const float *fl;
    ck_assert_int_eq(n->n_attrs, 8);
    ck_assert(dl_attr_ints(n, "perm", &ints) == 2 && ints[0] == 1 && ints[1] == 0);
    ck_assert_float_eq(dl_attr_float(n, "alpha", 0), 0.75f);
    ck_assert_int_eq(dl_attr_int(n, "count", 0), -3);
    ck_assert_str_eq(dl_attr_string(n, "mode", ""), "linear");
    ck_assert(dl_attr_floats(n, "scales", &fl) == 2 && fl[0] == 0.25f && fl[1] == -2.0f);
    const dl_attr *s = dl_attr_find(n, "names");
    ck_assert(s && s->kind == DL_ATTR_STRINGS && s->n == 2);
    ck_assert_str_eq(s->strings[1], "bc");
    const dl_attr *t = dl_attr_find(n, "value");
    ck_assert(t && t->kind == DL_ATTR_TENSOR && t->tensor->rank == 1 && t->tensor->dims[0] == 2);
    ck_assert_float_eq(((const float *)t->tensor->data)[1], 2.5f);
    ck_assert_int_eq(t->tensor->id, -1); /* detached: not among the graph's values */
    ck_assert_int_eq(dl_attr_int(n, "untyped", 0), 9);
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

START_TEST(subgraph_attribute)
{
    static Onnx__GraphProto body;
    onnx__graph_proto__init(&body);
    model *mb = reshape_model(false);
    add_node(mb, "t", "Transpose", "y", "z");
    add_attr(mb, "body", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH)->g = &body;
    write_model(mb, "m.onnx");
    expect_error("m.onnx", NULL, "node 't' (Transpose): attribute 'body' holds a subgraph",
                 "subgraphs are not supported");
}
END_TEST

/* -------------------------------------------------------- graph shape */

START_TEST(optional_inputs_and_order)
{
    /* Slice's absent axes input ("") is NULL; the Slice comes first in the
     * file though it reads the Reshape's output. */
    static int64_t zero[1] = {0}, eight[1] = {8}, shape[2] = {1, 16};
    static const int64_t one_dim[1] = {1}, two_dims[1] = {2};
    model *mb = model_new(13);
    add_input(mb, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "2,8");
    Onnx__TensorProto *t = add_init(mb, "shape", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, two_dims);
    t->n_int64_data = 2;
    t->int64_data = shape;
    t = add_init(mb, "starts", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, one_dim);
    t->n_int64_data = 1;
    t->int64_data = zero;
    t = add_init(mb, "ends", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, one_dim);
    t->n_int64_data = 1;
    t->int64_data = eight;
    add_node(mb, "slice", "Slice", "y,starts,ends,,starts", "z");
    add_node(mb, "reshape", "Reshape", "x,shape", "y");
    add_output(mb, "z");
    write_model(mb, "m.onnx");

    dl_diag d;
    dl_graph *g = load("m.onnx", NULL, &d);
    check_loads(g, &d);
    const dl_node *slice = g->nodes[0];
    ck_assert_str_eq(slice->op_type, "Slice");
    ck_assert_int_eq(slice->n_inputs, 5);
    ck_assert_ptr_null(slice->inputs[3]);
    ck_assert_ptr_eq(slice->inputs[4], value_named(g, "starts"));
    ck_assert_ptr_eq(slice->inputs[0], g->nodes[1]->outputs[0]);
    ck_assert_int_eq(dl_graph_sort(g, &d), 0);
    ck_assert_str_eq(g->nodes[0]->op_type, "Reshape");
    dl_graph_free(g);
    dl_diag_free(&d);
}
END_TEST

/* ----------------------------------------------------- out of memory */

typedef struct failing_heap {
    long calls, fail_at; /* fail the fail_at-th allocation */
    long long live;      /* bytes held */
} failing_heap;

static void *failing_alloc(void *ctx, void *old, size_t old_size, size_t new_size)
{
    failing_heap *h = ctx;
    if (new_size == 0) {
        free(old);
        h->live -= (long long)old_size;
        return NULL;
    }
    if (h->calls++ == h->fail_at)
        return NULL;
    void *p = realloc(old, new_size);
    if (p)
        h->live += (long long)new_size - (long long)old_size;
    return p;
}

START_TEST(allocation_failures)
{
    static int64_t dims[1] = {2};
    model *mb = reshape_model(false);
    add_input(mb, "shape", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, "2"); /* also an initializer */
    add_node(mb, "t", "Transpose", "y", "z");
    Onnx__AttributeProto *a = add_attr(mb, "perm", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = 1;
    a->ints = dims;
    a = add_attr(mb, "mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s = (ProtobufCBinaryData){1, (uint8_t *)"x"};
    mb->out[0].name = "z";
    write_model(mb, "m.onnx");
    bool loaded = false;
    for (long k = 0; !loaded && k < 10000; k++) {
        failing_heap h = {0, k, 0};
        dl_set_allocator(failing_alloc, &h);
        dl_diag d;
        dl_graph *g = load("m.onnx", NULL, &d);
        loaded = g != NULL;
        ck_assert_msg(loaded || d.out_of_memory, "allocation %ld failed without an out-of-memory report", k);
        dl_graph_free(g);
        dl_diag_free(&d);
        dl_set_allocator(NULL, NULL);
        ck_assert_msg(h.live == 0, "allocation %ld failed: %lld bytes leaked", k, h.live);
    }
    ck_assert(loaded);
}
END_TEST

/* ------------------------------------------------------------------ main */

static Suite *frontend_suite(void)
{
    Suite *s = suite_create("frontend");
    TCase *tc = tcase_create("onnx");
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_add_test(tc, ops_used_here_are_known);
    tcase_add_test(tc, conv_raw_data);
    tcase_add_test(tc, conv_float_data);
    tcase_add_test(tc, int64_initializer);
    tcase_add_test(tc, packed_int32_data);
    tcase_add_test(tc, input_that_is_an_initializer);
    tcase_add_test(tc, external_data_inside_folder);
    tcase_add_test(tc, external_data_outside_folder);
    tcase_add_test(tc, external_data_errors);
    tcase_add_test(tc, symbolic_dim_bound);
    tcase_add_test(tc, symbolic_dim_unbound);
    tcase_add_test(tc, binding_errors);
    tcase_add_test(tc, not_protobuf);
    tcase_add_test(tc, truncated);
    tcase_add_test(tc, unknown_ops_in_one_message);
    tcase_add_test(tc, missing_initializer);
    tcase_add_test(tc, foreign_domain);
    tcase_add_test(tc, opset_range);
    tcase_add_test(tc, max_opset_follows_schema_table);
    tcase_add_test(tc, ir_version_and_empty_graph);
    tcase_add_test(tc, bad_initializers);
    tcase_add_test(tc, duplicate_output);
    tcase_add_test(tc, attributes);
    tcase_add_test(tc, subgraph_attribute);
    tcase_add_test(tc, optional_inputs_and_order);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(frontend_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
