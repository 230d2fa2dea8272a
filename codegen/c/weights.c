/* Constants in generated C. Each pool is a union whose first member holds
 * the bits and whose member v is read by the kernels:
 *     static const union { uint32_t bits[N]; float v[N]; } w_f32 = {{0x3f800000, ...}};
 * Reading a union member other than the one initialised is defined in C99 (TC3). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/c/weights.h"

#define WEIGHTS_MAGIC "DLCCWTS1"

/* The integer type whose literals initialise a pool; NULL: the values' own type. */
static const char *bits_type(dl_dtype t)
{
    switch (t) {
    case DL_FLOAT: return "uint32_t";
    case DL_DOUBLE: return "uint64_t";
    default: return NULL;
    }
}

static void write_element(FILE *f, dl_dtype t, const void *data, int64_t i)
{
    switch (t) {
    case DL_FLOAT: {
        uint32_t bits;
        memcpy(&bits, (const float *)data + i, 4);
        fprintf(f, "0x%08" PRIx32, bits);
        break;
    }
    case DL_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, (const double *)data + i, 8);
        fprintf(f, "UINT64_C(0x%016" PRIx64 ")", bits);
        break;
    }
    case DL_INT64: {
        int64_t v = ((const int64_t *)data)[i];
        if (v == INT64_MIN)
            fprintf(f, "(-INT64_C(9223372036854775807) - 1)");
        else
            fprintf(f, "INT64_C(%" PRId64 ")", v);
        break;
    }
    case DL_UINT64: fprintf(f, "UINT64_C(%" PRIu64 ")", ((const uint64_t *)data)[i]); break;
    case DL_INT32: {
        int32_t v = ((const int32_t *)data)[i];
        if (v == INT32_MIN)
            fprintf(f, "(-2147483647 - 1)");
        else
            fprintf(f, "%" PRId32, v);
        break;
    }
    case DL_UINT32: fprintf(f, "%" PRIu32 "u", ((const uint32_t *)data)[i]); break;
    case DL_INT16: fprintf(f, "%d", ((const int16_t *)data)[i]); break;
    case DL_UINT16: case DL_FLOAT16: fprintf(f, "%u", ((const uint16_t *)data)[i]); break;
    case DL_INT8: fprintf(f, "%d", ((const int8_t *)data)[i]); break;
    default: fprintf(f, "%u", ((const uint8_t *)data)[i]); break;
    }
}

typedef struct member {
    const dl_value *v;
    int64_t offset;
} member;

static int by_offset(const void *a, const void *b)
{
    const member *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The constants placed in pool p, in offset order; *n gets their count. Caller frees. */
static member *pool_members(const dl_graph *g, const struct dl_lower *l, int p, int *n)
{
    member *m = malloc(sizeof(member) * (size_t)(g->n_values + 1));
    *n = 0;
    if (!m)
        return NULL;
    for (int i = 0; i < g->n_values; i++)
        if (l->const_offset[i] >= 0 && l->const_pool[i] == p)
            m[(*n)++] = (member){g->values[i], l->const_offset[i]};
    qsort(m, (size_t)*n, sizeof *m, by_offset);
    return m;
}

static void declare_pool(FILE *f, const dl_pool *pool, bool constant)
{
    const char *ctype = dl_dtype_ctype(pool->dtype), *bits = bits_type(pool->dtype);
    fprintf(f, "static %sunion { ", constant ? "const " : "");
    if (bits)
        fprintf(f, "%s bits[%" PRId64 "]; ", bits, pool->count);
    fprintf(f, "%s v[%" PRId64 "]; } %s", ctype, pool->count, dl_pool_name(pool->dtype));
}

void dl_write_pool(FILE *f, const dl_graph *g, const struct dl_lower *l, int p)
{
    const dl_pool *pool = &l->pools[p];
    int n_members;
    member *m = pool_members(g, l, p, &n_members);
    declare_pool(f, pool, true);
    fprintf(f, " = {{");
    int64_t at = 0;
    char shape[128];
    for (int i = 0; m && i < n_members; i++) {
        const dl_value *v = m[i].v;
        for (; at < m[i].offset; at++)
            fprintf(f, "0,");
        fprintf(f, "\n    /* %s: %s[%s] */", v->name, dl_dtype_name(v->dtype), dl_shape_str(v, shape, sizeof shape));
        int64_t count = dl_value_numel(v);
        for (int64_t k = 0; k < count; k++, at++) {
            fprintf(f, k % 8 ? " " : "\n    ");
            write_element(f, v->dtype, v->data, k);
            fprintf(f, ",");
        }
        if (count == 0) {
            fprintf(f, "\n    0,");
            at++;
        }
    }
    fprintf(f, "\n}};\n");
    free(m);
}

int dl_write_weights_file(FILE *f, const dl_graph *g, const struct dl_lower *l)
{
    static const unsigned char zeros[64];
    fwrite(WEIGHTS_MAGIC, 1, 8, f);
    for (int p = 0; p < l->n_pools; p++) {
        size_t elem = dl_dtype_size(l->pools[p].dtype);
        int n_members;
        member *m = pool_members(g, l, p, &n_members);
        if (!m)
            return -1;
        int64_t at = 0;
        for (int i = 0; i < n_members; i++) {
            for (; at < m[i].offset; at++)
                fwrite(zeros, 1, elem, f);
            int64_t count = dl_value_numel(m[i].v);
            fwrite(m[i].v->data, elem, (size_t)count, f);
            at += count;
            if (count == 0) {
                fwrite(zeros, 1, elem, f);
                at++;
            }
        }
        for (; at < l->pools[p].count; at++)
            fwrite(zeros, 1, elem, f);
        free(m);
    }
    return ferror(f) ? -1 : 0;
}

int64_t dl_weights_file_bytes(const struct dl_lower *l)
{
    int64_t total = 8;
    for (int p = 0; p < l->n_pools; p++)
        total += l->pools[p].count * (int64_t)dl_dtype_size(l->pools[p].dtype);
    return total;
}

void dl_write_weights_loader(FILE *f, const struct dl_lower *l, const char *name)
{
    for (int p = 0; p < l->n_pools; p++) {
        declare_pool(f, &l->pools[p], false);
        fprintf(f, ";\n");
    }
    fprintf(f, "static int weights_loaded;\n\n");
    fprintf(f, "int %s_load_weights(const char *path)\n{\n", name);
    fprintf(f, "    char magic[8];\n    int ok;\n    FILE *f = fopen(path, \"rb\");\n");
    fprintf(f, "    if (!f)\n        return -1;\n");
    fprintf(f, "    ok = fread(magic, 1, 8, f) == 8 && memcmp(magic, \"%s\", 8) == 0;\n", WEIGHTS_MAGIC);
    for (int p = 0; p < l->n_pools; p++) {
        const char *pool = dl_pool_name(l->pools[p].dtype);
        fprintf(f, "    ok = ok && fread(%s.v, sizeof %s.v[0], %" PRId64 ", f) == %" PRId64 ";\n", pool, pool,
                l->pools[p].count, l->pools[p].count);
    }
    fprintf(f, "    ok = ok && fgetc(f) == EOF;\n    fclose(f);\n    weights_loaded = ok;\n    return ok ? 0 : -2;\n}\n");
}
