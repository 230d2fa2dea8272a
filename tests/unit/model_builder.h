/* Builds small ONNX models in C (protobuf-c structs) for tests that need
 * model files without Python. Test-only: memory is never freed. */
#ifndef DLCC_TEST_MODEL_BUILDER_H
#define DLCC_TEST_MODEL_BUILDER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

#define MB_MAX 64

typedef struct mb_model {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    Onnx__NodeProto *nodes[MB_MAX];
    Onnx__TensorProto *inits[MB_MAX];
    Onnx__ValueInfoProto *inputs[MB_MAX], *outputs[MB_MAX];
} mb_model;

static void *mb_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static char *mb_str(const char *s) { return strcpy(mb_alloc(strlen(s) + 1), s); }

static mb_model *mb_new(int opset)
{
    mb_model *m = mb_alloc(sizeof *m);
    onnx__model_proto__init(&m->model);
    onnx__graph_proto__init(&m->graph);
    onnx__operator_set_id_proto__init(&m->opset);
    m->opset.domain = mb_str("");
    m->opset.has_version = 1;
    m->opset.version = opset;
    m->opsets[0] = &m->opset;
    m->model.has_ir_version = 1;
    m->model.ir_version = 8;
    m->model.n_opset_import = 1;
    m->model.opset_import = m->opsets;
    m->model.graph = &m->graph;
    m->graph.name = mb_str("test");
    m->graph.node = m->nodes;
    m->graph.initializer = m->inits;
    m->graph.input = m->inputs;
    m->graph.output = m->outputs;
    return m;
}

/* A float tensor value info; a negative dim becomes the symbolic dim "N". */
static Onnx__ValueInfoProto *mb_value_info(const char *name, int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = mb_alloc(sizeof *v);
    Onnx__TypeProto *t = mb_alloc(sizeof *t);
    Onnx__TypeProto__Tensor *tt = mb_alloc(sizeof *tt);
    Onnx__TensorShapeProto *s = mb_alloc(sizeof *s);
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(t);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(s);
    v->name = mb_str(name);
    v->type = t;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = s;
    s->n_dim = (size_t)rank;
    s->dim = mb_alloc(sizeof(void *) * (size_t)(rank + 1));
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = mb_alloc(sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] < 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = mb_str("N");
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        s->dim[i] = d;
    }
    return v;
}

static void mb_input(mb_model *m, const char *name, int rank, const int64_t *dims)
{
    m->inputs[m->graph.n_input++] = mb_value_info(name, rank, dims);
}

static void mb_output(mb_model *m, const char *name)
{
    m->outputs[m->graph.n_output++] = mb_value_info(name, 0, NULL);
    m->outputs[m->graph.n_output - 1]->type->tensor_type->shape = NULL;
}

/* An initializer of ONNX data type `type` (elements of `size` bytes) stored
 * in raw_data; data NULL leaves it zero. */
static Onnx__TensorProto *mb_init(mb_model *m, const char *name, int type, size_t size, int rank,
                                  const int64_t *dims, const void *data)
{
    Onnx__TensorProto *t = mb_alloc(sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = mb_str(name);
    t->has_data_type = 1;
    t->data_type = type;
    t->n_dims = (size_t)rank;
    t->dims = mb_alloc(sizeof(int64_t) * (size_t)(rank + 1));
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        t->dims[i] = dims[i];
        n *= (size_t)dims[i];
    }
    t->has_raw_data = 1;
    t->raw_data.len = n * size;
    t->raw_data.data = mb_alloc(t->raw_data.len);
    if (data)
        memcpy(t->raw_data.data, data, t->raw_data.len);
    m->inits[m->graph.n_initializer++] = t;
    return t;
}

static Onnx__TensorProto *mb_init_f32(mb_model *m, const char *name, int rank, const int64_t *dims, const float *data)
{
    return mb_init(m, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, sizeof(float), rank, dims, data);
}

/* A 1-D int64 initializer (a shape, axes...). */
static Onnx__TensorProto *mb_init_i64(mb_model *m, const char *name, int64_t count, const int64_t *data)
{
    return mb_init(m, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, sizeof(int64_t), 1, &count, data);
}

/* Marks t as stored in an external file at location (relative to the model). */
static void mb_external(Onnx__TensorProto *t, const char *location)
{
    Onnx__StringStringEntryProto *e = mb_alloc(sizeof *e);
    onnx__string_string_entry_proto__init(e);
    e->key = mb_str("location");
    e->value = mb_str(location);
    t->has_raw_data = 0;
    t->raw_data.len = 0;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    t->n_external_data = 1;
    t->external_data = mb_alloc(sizeof(void *));
    t->external_data[0] = e;
}

/* inputs and outputs are comma-separated names. */
static Onnx__NodeProto *mb_node(mb_model *m, const char *op, const char *name, const char *inputs, const char *outputs)
{
    Onnx__NodeProto *n = mb_alloc(sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = mb_str(op);
    n->name = mb_str(name);
    const char *lists[2] = {inputs, outputs};
    for (int k = 0; k < 2; k++) {
        char **items = mb_alloc(sizeof(char *) * MB_MAX);
        size_t count = 0;
        char *copy = mb_str(lists[k]);
        for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","))
            items[count++] = mb_str(tok);
        if (k == 0) {
            n->n_input = count;
            n->input = items;
        } else {
            n->n_output = count;
            n->output = items;
        }
    }
    n->attribute = mb_alloc(sizeof(void *) * MB_MAX);
    m->nodes[m->graph.n_node++] = n;
    return n;
}

static void mb_attr_ints(Onnx__NodeProto *n, const char *name, int count, const int64_t *v)
{
    Onnx__AttributeProto *a = mb_alloc(sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = mb_str(name);
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a->n_ints = (size_t)count;
    a->ints = mb_alloc(sizeof(int64_t) * (size_t)(count + 1));
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)count);
    n->attribute[n->n_attribute++] = a;
}

static void mb_attr_int(Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = mb_alloc(sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = mb_str(name);
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1;
    a->i = v;
    n->attribute[n->n_attribute++] = a;
}

/* n pseudo-random floats in [-1, 1) from seed (one LCG for every test). */
static float *mb_random_floats(int64_t n, unsigned seed)
{
    float *v = mb_alloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
    return v;
}

static int64_t mb_count(int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    return n;
}

/* A float initializer with pseudo-random contents. */
static void mb_init_random(mb_model *m, const char *name, int rank, const int64_t *dims, unsigned seed)
{
    mb_init_f32(m, name, rank, dims, mb_random_floats(mb_count(rank, dims), seed));
}

static int mb_save(const mb_model *m, const char *path)
{
    size_t size = onnx__model_proto__get_packed_size(&m->model);
    unsigned char *buf = mb_alloc(size);
    onnx__model_proto__pack(&m->model, buf);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t written = fwrite(buf, 1, size, f);
    free(buf);
    return fclose(f) == 0 && written == size ? 0 : -1;
}

#endif
