/* --bind INPUT=FILE: a graph input whose value is fixed at compile time.
 * The loader keeps the input in the interface and gives it this value as
 * constant data, so shape inference can use it (Reduce axes, Resize sizes,
 * a Loop's trip count); the C backend checks at run time that the caller
 * passes the same bytes. */
#include <string.h>

#include "dlrt.h"
#include "frontend/frontend.h"

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

const dl_value_binding *dl_find_value_binding(const dl_load_options *opt, const char *input)
{
    for (int i = 0; opt && i < opt->n_values; i++)
        if (opt->values[i].input && strcmp(opt->values[i].input, input) == 0)
            return &opt->values[i];
    return NULL;
}

int dl_bind_read(dl_diag *d, const dl_value_binding *b, dlrt_tensor *t)
{
    char err[512] = "";
    int rc = has_suffix(b->path, ".npy") ? dlrt_read_npy(b->path, t, err, sizeof err)
                                         : dlrt_read_pb(b->path, t, err, sizeof err);
    if (rc)
        return dl_error(d, NULL, "--bind %s=%s: %s", b->input, b->path, err);
    return 0;
}

static void shape_text(int rank, const int64_t *dims, char *buf, size_t size)
{
    size_t at = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, i ? ", %lld" : "%lld", (long long)dims[i]);
    if (at < size)
        snprintf(buf + at, size - at, "]");
}

int dl_bind_attach(dl_graph *g, dl_diag *d, dl_value *v, const dl_value_binding *b, const dlrt_tensor *t)
{
    if (t->dtype != (int)v->dtype)
        return dl_error(d, NULL, "--bind %s=%s: the file holds %s, but input '%s' is %s", b->input, b->path,
                        dlrt_dtype_name(t->dtype), v->name, dl_dtype_name(v->dtype));
    bool same = t->rank == v->rank;
    for (int i = 0; same && i < v->rank; i++)
        same = t->dims[i] == v->dims[i];
    if (!same) {
        char file[200], model[200];
        shape_text(t->rank, t->dims, file, sizeof file);
        shape_text(v->rank, v->dims, model, sizeof model);
        return dl_error(d, NULL, "--bind %s=%s: the file's shape is %s, but input '%s' has shape %s", b->input,
                        b->path, file, v->name, model);
    }
    void *data = dl_value_alloc_data(g, v);
    if (!data)
        return dl_onnx_out_of_memory(d);
    memcpy(data, t->data, (size_t)dl_value_bytes(v));
    return 0;
}
