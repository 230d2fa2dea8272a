/* Tensor files for tools and tests: NumPy .npy (read and write) and ONNX
 * TensorProto .pb (read). Every byte from a file is bounds-checked: a
 * malformed file gives an error naming it, never a crash.
 *
 * Files are read whole into memory, then parsed; values are stored little-
 * endian in both formats and converted to host order after parsing. */
#include "dlrt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- dtypes */

typedef struct dlrt_dtype_info {
    int dtype;
    size_t size;
    const char *name;   /* numpy's name */
    const char *npy;    /* .npy descr without its byte-order character */
} dlrt_dtype_info;

static const dlrt_dtype_info dlrt_dtype_table[] = {
    {DLRT_FLOAT, 4, "float32", "f4"},  {DLRT_UINT8, 1, "uint8", "u1"},
    {DLRT_INT8, 1, "int8", "i1"},      {DLRT_UINT16, 2, "uint16", "u2"},
    {DLRT_INT16, 2, "int16", "i2"},    {DLRT_INT32, 4, "int32", "i4"},
    {DLRT_INT64, 8, "int64", "i8"},    {DLRT_BOOL, 1, "bool", "b1"},
    {DLRT_FLOAT16, 2, "float16", "f2"}, {DLRT_DOUBLE, 8, "float64", "f8"},
    {DLRT_UINT32, 4, "uint32", "u4"},  {DLRT_UINT64, 8, "uint64", "u8"},
};
#define DLRT_NDTYPES (sizeof dlrt_dtype_table / sizeof dlrt_dtype_table[0])

static const dlrt_dtype_info *dlrt_dtype_find(int dtype)
{
    size_t i;
    for (i = 0; i < DLRT_NDTYPES; i++)
        if (dlrt_dtype_table[i].dtype == dtype)
            return &dlrt_dtype_table[i];
    return NULL;
}

size_t dlrt_dtype_size(int dtype)
{
    const dlrt_dtype_info *info = dlrt_dtype_find(dtype);
    return info ? info->size : 0;
}

const char *dlrt_dtype_name(int dtype)
{
    const dlrt_dtype_info *info = dlrt_dtype_find(dtype);
    return info ? info->name : "unknown";
}

/* ---------------------------------------------------------------- helpers */

static int dlrt_fail(char *err, size_t err_size, const char *path, const char *fmt, ...)
{
    size_t used;
    va_list ap;
    if (!err || err_size == 0)
        return -1;
    snprintf(err, err_size, "%s: ", path ? path : "(no file)");
    used = strlen(err);
    if (used + 1 < err_size) {
        va_start(ap, fmt);
        vsnprintf(err + used, err_size - used, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void dlrt_tensor_clear(dlrt_tensor *t)
{
    memset(t, 0, sizeof *t);
}

void dlrt_tensor_free(dlrt_tensor *t)
{
    if (!t)
        return;
    free(t->data);
    dlrt_tensor_clear(t);
}

/* Element count and byte size of a shape; -1 on a negative dim or overflow. */
static int dlrt_shape_size(int rank, const int64_t *dims, size_t elem_size, size_t *count,
                           size_t *bytes)
{
    size_t n = 1;
    int i;
    for (i = 0; i < rank; i++) {
        if (dims[i] < 0 || (uint64_t)dims[i] > (uint64_t)SIZE_MAX)
            return -1;
        if (dims[i] != 0 && n > SIZE_MAX / (size_t)dims[i])
            return -1;
        n *= (size_t)dims[i];
    }
    if (elem_size != 0 && n > SIZE_MAX / elem_size)
        return -1;
    *count = n;
    *bytes = n * elem_size;
    return 0;
}

size_t dlrt_tensor_count(const dlrt_tensor *t)
{
    size_t count = 0, bytes;
    if (t->rank < 0 || t->rank > DLRT_MAX_RANK || dlrt_shape_size(t->rank, t->dims, 1, &count, &bytes))
        return 0;
    return count;
}

static int dlrt_host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* Both file formats store little-endian values; on a big-endian host each
 * element is reversed in place. */
static void dlrt_to_host_order(void *data, size_t count, size_t elem_size)
{
    unsigned char *p = (unsigned char *)data;
    size_t i, j;
    if (elem_size < 2 || dlrt_host_is_little_endian())
        return;
    for (i = 0; i < count; i++, p += elem_size)
        for (j = 0; j < elem_size / 2; j++) {
            unsigned char c = p[j];
            p[j] = p[elem_size - 1 - j];
            p[elem_size - 1 - j] = c;
        }
}

static uint64_t dlrt_load_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    int i;
    for (i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

typedef struct dlrt_bytes {
    unsigned char *p;
    size_t n;
} dlrt_bytes;

/* Reads the whole file; on success b->p is non-NULL even for an empty file. */
static int dlrt_read_file(const char *path, dlrt_bytes *b, char *err, size_t err_size)
{
    size_t cap = 0, got;
    FILE *f;
    b->p = NULL;
    b->n = 0;
    errno = 0;
    f = fopen(path, "rb");
    if (!f)
        return dlrt_fail(err, err_size, path, "cannot open for reading%s%s", errno ? ": " : "",
                         errno ? strerror(errno) : "");
    for (;;) {
        if (b->n == cap) {
            size_t new_cap = cap ? cap * 2 : 65536;
            unsigned char *p = new_cap > cap ? (unsigned char *)realloc(b->p, new_cap) : NULL;
            if (!p) {
                fclose(f);
                free(b->p);
                b->p = NULL;
                return dlrt_fail(err, err_size, path, "out of memory after reading %lu bytes",
                                 (unsigned long)b->n);
            }
            b->p = p;
            cap = new_cap;
        }
        got = fread(b->p + b->n, 1, cap - b->n, f);
        b->n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fclose(f);
        free(b->p);
        b->p = NULL;
        return dlrt_fail(err, err_size, path, "read error after %lu bytes", (unsigned long)b->n);
    }
    fclose(f);
    return 0;
}

/* Moves `bytes` bytes at b->p + offset to the front of the buffer and hands
 * the buffer to t, saving a second allocation and copy. */
static void dlrt_adopt_buffer(dlrt_bytes *b, size_t offset, dlrt_tensor *t)
{
    void *shrunk;
    memmove(b->p, b->p + offset, t->bytes);
    shrunk = realloc(b->p, t->bytes ? t->bytes : 1);
    t->data = shrunk ? shrunk : b->p;
    b->p = NULL;
}

/* ---------------------------------------------------------------- .npy */

/* A cursor over the header's Python dict literal; `why` says what failed. */
typedef struct dlrt_npy_header {
    const char *s;
    size_t n, i;
    const char *why;
} dlrt_npy_header;

static void dlrt_npy_skip_space(dlrt_npy_header *h)
{
    while (h->i < h->n && (h->s[h->i] == ' ' || h->s[h->i] == '\t' || h->s[h->i] == '\n' ||
                           h->s[h->i] == '\r'))
        h->i++;
}

/* Skips spaces, then consumes c if it is next. */
static int dlrt_npy_accept(dlrt_npy_header *h, char c)
{
    dlrt_npy_skip_space(h);
    if (h->i < h->n && h->s[h->i] == c) {
        h->i++;
        return 1;
    }
    return 0;
}

static int dlrt_npy_expect(dlrt_npy_header *h, char c, const char *why)
{
    if (dlrt_npy_accept(h, c))
        return 0;
    h->why = why;
    return -1;
}

/* A quoted Python string without escapes, as numpy writes them. */
static int dlrt_npy_string(dlrt_npy_header *h, char *out, size_t cap)
{
    char quote;
    size_t len = 0;
    dlrt_npy_skip_space(h);
    if (h->i >= h->n || (h->s[h->i] != '\'' && h->s[h->i] != '"')) {
        h->why = "expected a quoted string";
        return -1;
    }
    quote = h->s[h->i++];
    while (h->i < h->n && h->s[h->i] != quote) {
        if (h->s[h->i] == '\\' || len + 1 >= cap) {
            h->why = "string too long or escaped";
            return -1;
        }
        out[len++] = h->s[h->i++];
    }
    if (h->i >= h->n) {
        h->why = "unterminated string";
        return -1;
    }
    h->i++;
    out[len] = '\0';
    return 0;
}

static int dlrt_npy_bool(dlrt_npy_header *h, int *value)
{
    dlrt_npy_skip_space(h);
    if (h->n - h->i >= 4 && memcmp(h->s + h->i, "True", 4) == 0) {
        h->i += 4;
        *value = 1;
        return 0;
    }
    if (h->n - h->i >= 5 && memcmp(h->s + h->i, "False", 5) == 0) {
        h->i += 5;
        *value = 0;
        return 0;
    }
    h->why = "expected True or False";
    return -1;
}

static int dlrt_npy_dim(dlrt_npy_header *h, int64_t *dim)
{
    int64_t v = 0;
    size_t start;
    dlrt_npy_skip_space(h);
    start = h->i;
    while (h->i < h->n && h->s[h->i] >= '0' && h->s[h->i] <= '9') {
        int digit = h->s[h->i] - '0';
        if (v > (INT64_MAX - digit) / 10) {
            h->why = "dimension too large";
            return -1;
        }
        v = v * 10 + digit;
        h->i++;
    }
    if (h->i == start) {
        h->why = "expected a non-negative dimension";
        return -1;
    }
    if (h->i < h->n && h->s[h->i] == 'L')   /* Python 2 long literal */
        h->i++;
    *dim = v;
    return 0;
}

/* "()" | "(d,)" | "(d, d, ...)" with an optional trailing comma. */
static int dlrt_npy_shape(dlrt_npy_header *h, dlrt_tensor *t)
{
    t->rank = 0;
    if (dlrt_npy_expect(h, '(', "expected '(' to open the shape"))
        return -1;
    if (dlrt_npy_accept(h, ')'))
        return 0;
    for (;;) {
        if (t->rank == DLRT_MAX_RANK) {
            h->why = "shape has more than 8 dimensions";
            return -1;
        }
        if (dlrt_npy_dim(h, &t->dims[t->rank]))
            return -1;
        t->rank++;
        if (dlrt_npy_accept(h, ')'))
            return 0;
        if (dlrt_npy_expect(h, ',', "expected ',' or ')' in the shape"))
            return -1;
        if (dlrt_npy_accept(h, ')'))
            return 0;
    }
}

/* Maps a descr such as "<f4" or "|u1" to a dtype code. */
static int dlrt_npy_descr_dtype(const char *descr, char *why, size_t why_size)
{
    size_t i;
    char order = descr[0];
    if (order != '<' && order != '>' && order != '|' && order != '=') {
        snprintf(why, why_size, "descr '%s' has no byte-order character", descr);
        return -1;
    }
    for (i = 0; i < DLRT_NDTYPES; i++) {
        const dlrt_dtype_info *info = &dlrt_dtype_table[i];
        if (strcmp(descr + 1, info->npy) != 0)
            continue;
        if (info->size > 1 && order != '<') {
            snprintf(why, why_size, "dtype '%s' is not little-endian ('<%s' expected)", descr,
                     info->npy);
            return -1;
        }
        return info->dtype;
    }
    snprintf(why, why_size,
             "unsupported dtype '%s' (expected one of <f4 <f8 <i8 <i4 <i2 <u2 <u4 <u8 <f2 |b1 |u1 |i1)",
             descr);
    return -1;
}

/* Parses {'descr': ..., 'fortran_order': ..., 'shape': (...), } into t. */
static int dlrt_npy_parse_dict(dlrt_npy_header *h, char *descr, size_t descr_size, int *fortran,
                               dlrt_tensor *t)
{
    int seen_descr = 0, seen_fortran = 0, seen_shape = 0;
    char key[32];
    if (dlrt_npy_expect(h, '{', "expected '{'"))
        return -1;
    while (!dlrt_npy_accept(h, '}')) {
        if (dlrt_npy_string(h, key, sizeof key) || dlrt_npy_expect(h, ':', "expected ':' after a key"))
            return -1;
        if (strcmp(key, "descr") == 0 && !seen_descr++) {
            if (dlrt_npy_string(h, descr, descr_size))
                return -1;
        } else if (strcmp(key, "fortran_order") == 0 && !seen_fortran++) {
            if (dlrt_npy_bool(h, fortran))
                return -1;
        } else if (strcmp(key, "shape") == 0 && !seen_shape++) {
            if (dlrt_npy_shape(h, t))
                return -1;
        } else {
            h->why = "unexpected or repeated key";
            return -1;
        }
        if (!dlrt_npy_accept(h, ',')) {
            if (dlrt_npy_expect(h, '}', "expected ',' or '}' after a value"))
                return -1;
            break;
        }
    }
    dlrt_npy_skip_space(h);
    if (h->i != h->n) {
        h->why = "text after the closing '}'";
        return -1;
    }
    if (!seen_descr || !seen_fortran || !seen_shape) {
        h->why = "missing one of the keys 'descr', 'fortran_order', 'shape'";
        return -1;
    }
    return 0;
}

/* Checks the magic and version; sets the header's text and where data starts. */
static int dlrt_npy_locate_header(const char *path, const dlrt_bytes *b, dlrt_npy_header *h,
                                  size_t *data_offset, char *err, size_t err_size)
{
    size_t start, len;
    if (b->n < 10 || memcmp(b->p, "\x93NUMPY", 6) != 0)
        return dlrt_fail(err, err_size, path, "not a .npy file (the magic string \\x93NUMPY is missing)");
    if (b->p[6] == 1 && b->p[7] == 0) {
        start = 10;
        len = (size_t)dlrt_load_le(b->p + 8, 2);
    } else if ((b->p[6] == 2 || b->p[6] == 3) && b->p[7] == 0) {
        if (b->n < 12)
            return dlrt_fail(err, err_size, path, "truncated .npy preamble");
        start = 12;
        len = (size_t)dlrt_load_le(b->p + 8, 4);
    } else {
        return dlrt_fail(err, err_size, path,
                         "unsupported .npy format version %d.%d (1.0, 2.0, 3.0 expected)", b->p[6], b->p[7]);
    }
    if (len > b->n - start)
        return dlrt_fail(err, err_size, path, "header length %lu runs past the end of the file (%lu bytes)",
                         (unsigned long)len, (unsigned long)b->n);
    h->s = (const char *)b->p + start;
    h->n = len;
    h->i = 0;
    h->why = NULL;
    *data_offset = start + len;
    return 0;
}

/* Fills t's dtype, shape and byte count, and *data_offset. */
static int dlrt_npy_parse(const char *path, const dlrt_bytes *b, dlrt_tensor *t, size_t *data_offset,
                          char *err, size_t err_size)
{
    dlrt_npy_header h = {NULL, 0, 0, NULL};
    char descr[16], why[160];
    int fortran = 0;
    size_t count, avail;
    if (dlrt_npy_locate_header(path, b, &h, data_offset, err, err_size))
        return -1;
    if (dlrt_npy_parse_dict(&h, descr, sizeof descr, &fortran, t)) {
        size_t shown = h.n < 120 ? h.n : 120;
        while (shown > 0 && (h.s[shown - 1] == ' ' || h.s[shown - 1] == '\n'))
            shown--;
        return dlrt_fail(err, err_size, path, "bad .npy header: %s at offset %lu of \"%.*s\"", h.why,
                         (unsigned long)h.i, (int)shown, h.s);
    }
    t->dtype = dlrt_npy_descr_dtype(descr, why, sizeof why);
    if (t->dtype < 0)
        return dlrt_fail(err, err_size, path, "%s", why);
    if (fortran)
        return dlrt_fail(err, err_size, path, "fortran_order True is not supported; save a C-ordered array "
                                              "(np.ascontiguousarray)");
    if (dlrt_shape_size(t->rank, t->dims, dlrt_dtype_size(t->dtype), &count, &t->bytes))
        return dlrt_fail(err, err_size, path, "shape too large");
    avail = b->n - *data_offset;
    if (avail != t->bytes)
        return dlrt_fail(err, err_size, path, "data has %lu bytes, the header's %s shape needs %lu",
                         (unsigned long)avail, descr, (unsigned long)t->bytes);
    return 0;
}

int dlrt_read_npy(const char *path, dlrt_tensor *t, char *err, size_t err_size)
{
    dlrt_bytes b;
    size_t offset = 0;
    dlrt_tensor_clear(t);
    if (dlrt_read_file(path, &b, err, err_size))
        return -1;
    if (dlrt_npy_parse(path, &b, t, &offset, err, err_size)) {
        free(b.p);
        dlrt_tensor_clear(t);
        return -1;
    }
    dlrt_adopt_buffer(&b, offset, t);
    dlrt_to_host_order(t->data, dlrt_tensor_count(t), dlrt_dtype_size(t->dtype));
    return 0;
}

/* The header numpy writes: the dict, spaces, '\n', 64-byte aligned. Like
 * numpy (GROWTH_AXIS_MAX_DIGITS), room is left for the first dim to grow to
 * 21 digits, so files are byte-identical to np.save's. Returns its length. */
static size_t dlrt_npy_format_header(const dlrt_tensor *t, const dlrt_dtype_info *info, char *out,
                                     size_t cap)
{
    char shape[DLRT_MAX_RANK * 24 + 4];
    size_t n = 0, len, total, grow = 0;
    int i;
    shape[n++] = '(';
    for (i = 0; i < t->rank; i++)
        n += (size_t)sprintf(shape + n, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
    if (t->rank == 1)
        shape[n++] = ',';
    shape[n++] = ')';
    shape[n] = '\0';
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    len = (size_t)snprintf(out + 10, cap - 10, "{'descr': '%c%s', 'fortran_order': False, 'shape': %s, }",
                           info->size == 1 ? '|' : '<', info->npy, shape);
    if (t->rank > 0) {
        char first[24];
        size_t digits = (size_t)sprintf(first, "%lld", (long long)t->dims[0]);
        grow = digits < 21 ? 21 - digits : 0;
    }
    total = 10 + len + grow + 1;
    total += (64 - total % 64) % 64;
    memset(out + 10 + len, ' ', total - 11 - len);
    out[total - 1] = '\n';
    out[8] = (char)((total - 10) & 0xff);
    out[9] = (char)((total - 10) >> 8);
    return total;
}

static int dlrt_npy_check_writable(const char *path, const dlrt_tensor *t, char *err, size_t err_size)
{
    size_t count, bytes;
    if (!dlrt_dtype_find(t->dtype))
        return dlrt_fail(err, err_size, path, "cannot write dtype code %d", t->dtype);
    if (t->rank < 0 || t->rank > DLRT_MAX_RANK)
        return dlrt_fail(err, err_size, path, "rank %d is outside 0..8", t->rank);
    if (dlrt_shape_size(t->rank, t->dims, dlrt_dtype_size(t->dtype), &count, &bytes))
        return dlrt_fail(err, err_size, path, "shape has a negative or too large dimension");
    if (bytes != t->bytes)
        return dlrt_fail(err, err_size, path, "tensor holds %lu bytes, its %s shape needs %lu",
                         (unsigned long)t->bytes, dlrt_dtype_name(t->dtype), (unsigned long)bytes);
    if (bytes > 0 && !t->data)
        return dlrt_fail(err, err_size, path, "tensor data is NULL");
    return 0;
}

/* Writes the data little-endian, through a small buffer on big-endian hosts. */
static int dlrt_npy_write_data(FILE *f, const dlrt_tensor *t)
{
    size_t elem = dlrt_dtype_size(t->dtype), done = 0;
    unsigned char chunk[4096];
    if (t->bytes == 0)
        return 0;
    if (elem < 2 || dlrt_host_is_little_endian())
        return fwrite(t->data, 1, t->bytes, f) == t->bytes ? 0 : -1;
    while (done < t->bytes) {
        size_t n = t->bytes - done < sizeof chunk ? t->bytes - done : sizeof chunk;
        memcpy(chunk, (const unsigned char *)t->data + done, n);
        dlrt_to_host_order(chunk, n / elem, elem);   /* the swap is its own inverse */
        if (fwrite(chunk, 1, n, f) != n)
            return -1;
        done += n;
    }
    return 0;
}

int dlrt_write_npy(const char *path, const dlrt_tensor *t, char *err, size_t err_size)
{
    char header[512];
    size_t header_len;
    FILE *f;
    int failed;
    if (dlrt_npy_check_writable(path, t, err, err_size))
        return -1;
    header_len = dlrt_npy_format_header(t, dlrt_dtype_find(t->dtype), header, sizeof header);
    errno = 0;
    f = fopen(path, "wb");
    if (!f)
        return dlrt_fail(err, err_size, path, "cannot open for writing%s%s", errno ? ": " : "",
                         errno ? strerror(errno) : "");
    failed = fwrite(header, 1, header_len, f) != header_len || dlrt_npy_write_data(f, t) != 0;
    failed |= fclose(f) != 0;
    if (failed) {
        remove(path);   /* never leave a partial file behind */
        return dlrt_fail(err, err_size, path, "write failed");
    }
    return 0;
}

/* ---------------------------------------------------------------- .pb */

/* ONNX TensorProto field numbers (onnx.proto). */
enum {
    DLRT_PB_DIMS = 1, DLRT_PB_DATA_TYPE = 2, DLRT_PB_FLOAT_DATA = 4, DLRT_PB_INT32_DATA = 5,
    DLRT_PB_STRING_DATA = 6, DLRT_PB_INT64_DATA = 7, DLRT_PB_NAME = 8, DLRT_PB_RAW_DATA = 9,
    DLRT_PB_DOUBLE_DATA = 10, DLRT_PB_UINT64_DATA = 11,
    DLRT_PB_DATA_LOCATION = 14
};
enum { DLRT_PB_VARINT = 0, DLRT_PB_FIXED64 = 1, DLRT_PB_LEN = 2, DLRT_PB_FIXED32 = 5 };

typedef struct dlrt_pb_reader {
    const unsigned char *p;
    size_t n, i;
    const char *why;   /* set on the first error */
} dlrt_pb_reader;

static int dlrt_pb_varint(dlrt_pb_reader *r, uint64_t *v)
{
    int shift;
    *v = 0;
    for (shift = 0; shift < 70; shift += 7) {
        unsigned char c;
        if (r->i >= r->n) {
            r->why = "truncated varint";
            return -1;
        }
        c = r->p[r->i++];
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return 0;
    }
    r->why = "varint longer than 10 bytes";
    return -1;
}

/* The payload of a length-delimited field, as a sub-reader. */
static int dlrt_pb_span(dlrt_pb_reader *r, dlrt_pb_reader *sub)
{
    uint64_t len;
    if (dlrt_pb_varint(r, &len))
        return -1;
    if (len > r->n - r->i) {
        r->why = "length-delimited field runs past the end";
        return -1;
    }
    sub->p = r->p + r->i;
    sub->n = (size_t)len;
    sub->i = 0;
    sub->why = NULL;
    r->i += (size_t)len;
    return 0;
}

static int dlrt_pb_skip(dlrt_pb_reader *r, int wire)
{
    size_t width = wire == DLRT_PB_FIXED64 ? 8 : 4;
    uint64_t ignored;
    dlrt_pb_reader sub;
    switch (wire) {
    case DLRT_PB_VARINT:
        return dlrt_pb_varint(r, &ignored);
    case DLRT_PB_LEN:
        return dlrt_pb_span(r, &sub);
    case DLRT_PB_FIXED64:
    case DLRT_PB_FIXED32:
        if (width > r->n - r->i) {
            r->why = "truncated fixed-width field";
            return -1;
        }
        r->i += width;
        return 0;
    default:
        r->why = "unsupported wire type (groups are not used by TensorProto)";
        return -1;
    }
}

/* The typed repeated field that carries values of a dtype when raw_data is absent. */
static int dlrt_pb_typed_field(int dtype)
{
    switch (dtype) {
    case DLRT_FLOAT: return DLRT_PB_FLOAT_DATA;
    case DLRT_DOUBLE: return DLRT_PB_DOUBLE_DATA;
    case DLRT_INT64: return DLRT_PB_INT64_DATA;
    case DLRT_UINT32: case DLRT_UINT64: return DLRT_PB_UINT64_DATA;
    default: return DLRT_PB_INT32_DATA;   /* int32, int16, int8, uint16, uint8, bool, float16 */
    }
}

static const char *dlrt_pb_field_name(int field)
{
    switch (field) {
    case DLRT_PB_FLOAT_DATA: return "float_data";
    case DLRT_PB_INT32_DATA: return "int32_data";
    case DLRT_PB_INT64_DATA: return "int64_data";
    case DLRT_PB_DOUBLE_DATA: return "double_data";
    case DLRT_PB_UINT64_DATA: return "uint64_data";
    default: return "?";
    }
}

/* Fixed-width element size of a typed field (0: varints). */
static size_t dlrt_pb_fixed_width(int field)
{
    return field == DLRT_PB_FLOAT_DATA ? 4 : field == DLRT_PB_DOUBLE_DATA ? 8 : 0;
}

/* What the first pass learns. */
typedef struct dlrt_pb_tensor {
    int64_t dims[DLRT_MAX_RANK];
    int rank, data_type, external, has_strings;
    dlrt_pb_reader raw;
    int has_raw;
    size_t counts[DLRT_PB_UINT64_DATA + 1];   /* values seen per typed field */
    const unsigned char *name;
    size_t name_len;
} dlrt_pb_tensor;

/* Stores one value of a typed field at out[index]. Floats arrive as their
 * bit patterns; integers keep their low bytes (two's complement truncation,
 * as onnx.numpy_helper does when it casts int32_data). */
static void dlrt_pb_store(int dtype, void *out, size_t index, uint64_t bits)
{
    size_t size = dlrt_dtype_size(dtype);
    unsigned char *dst = (unsigned char *)out + index * size;
    uint8_t u8 = (uint8_t)(dtype == DLRT_BOOL ? bits != 0 : bits);
    uint16_t u16 = (uint16_t)bits;
    uint32_t u32 = (uint32_t)bits;
    const void *src = size == 1 ? (const void *)&u8
                    : size == 2 ? (const void *)&u16
                    : size == 4 ? (const void *)&u32 : (const void *)&bits;
    memcpy(dst, src, size);
}

/* Reads one occurrence of a repeated numeric field (packed or not); counts
 * its values into *count and, when out is set, stores them from there on. */
static int dlrt_pb_values(dlrt_pb_reader *r, int field, int wire, int dtype, void *out,
                          size_t *count, size_t limit)
{
    size_t width = dlrt_pb_fixed_width(field);
    uint64_t v;
    dlrt_pb_reader sub;
    if (wire == DLRT_PB_LEN) {
        if (dlrt_pb_span(r, &sub))
            return -1;
        if (width && sub.n % width) {
            r->why = "packed fixed-width field has a length that is not a multiple of its width";
            return -1;
        }
        while (sub.i < sub.n) {
            if (width) {
                v = dlrt_load_le(sub.p + sub.i, (int)width);
                sub.i += width;
            } else if (dlrt_pb_varint(&sub, &v)) {
                r->why = sub.why;
                return -1;
            }
            if (out && *count < limit)
                dlrt_pb_store(dtype, out, *count, v);
            (*count)++;
        }
        return 0;
    }
    if (wire != (width == 4 ? DLRT_PB_FIXED32 : width == 8 ? DLRT_PB_FIXED64 : DLRT_PB_VARINT)) {
        r->why = "numeric field has the wrong wire type";
        return -1;
    }
    if (width) {
        if (width > r->n - r->i) {
            r->why = "truncated fixed-width value";
            return -1;
        }
        v = dlrt_load_le(r->p + r->i, (int)width);
        r->i += width;
    } else if (dlrt_pb_varint(r, &v)) {
        return -1;
    }
    if (out && *count < limit)
        dlrt_pb_store(dtype, out, *count, v);
    (*count)++;
    return 0;
}

static int dlrt_pb_dims(dlrt_pb_reader *r, int wire, dlrt_pb_tensor *pt)
{
    int64_t dims[DLRT_MAX_RANK + 1];
    size_t count = (size_t)pt->rank, i;
    /* Decode as int64 into a scratch array one longer than allowed, so a
     * ninth dim is detected without writing past pt->dims. */
    for (i = 0; i < count; i++)
        dims[i] = pt->dims[i];
    if (dlrt_pb_values(r, DLRT_PB_INT64_DATA, wire, DLRT_INT64, dims, &count, DLRT_MAX_RANK + 1))
        return -1;
    if (count > DLRT_MAX_RANK) {
        r->why = "more than 8 dims";
        return -1;
    }
    for (i = 0; i < count; i++)
        pt->dims[i] = dims[i];
    pt->rank = (int)count;
    return 0;
}

/* First pass: shape, type, name, raw_data, and how many typed values each field holds. */
static int dlrt_pb_scan_field(dlrt_pb_reader *r, int field, int wire, dlrt_pb_tensor *pt)
{
    uint64_t v;
    switch (field) {
    case DLRT_PB_DIMS:
        return dlrt_pb_dims(r, wire, pt);
    case DLRT_PB_DATA_TYPE:
    case DLRT_PB_DATA_LOCATION:
        if (wire != DLRT_PB_VARINT) {
            r->why = field == DLRT_PB_DATA_TYPE ? "data_type is not a varint"
                                                : "data_location is not a varint";
            return -1;
        }
        if (dlrt_pb_varint(r, &v))
            return -1;
        if (field == DLRT_PB_DATA_TYPE)
            pt->data_type = v > 1000 ? -1 : (int)v;
        else
            pt->external = v == 1;
        return 0;
    case DLRT_PB_FLOAT_DATA:
    case DLRT_PB_INT32_DATA:
    case DLRT_PB_INT64_DATA:
    case DLRT_PB_DOUBLE_DATA:
    case DLRT_PB_UINT64_DATA:
        return dlrt_pb_values(r, field, wire, DLRT_INT64, NULL, &pt->counts[field], 0);
    case DLRT_PB_NAME:
    case DLRT_PB_RAW_DATA:
        if (wire != DLRT_PB_LEN) {
            r->why = field == DLRT_PB_NAME ? "name is not length-delimited"
                                           : "raw_data is not length-delimited";
            return -1;
        }
        if (field == DLRT_PB_NAME) {
            dlrt_pb_reader sub;
            if (dlrt_pb_span(r, &sub))
                return -1;
            pt->name = sub.p;
            pt->name_len = sub.n;
            return 0;
        }
        pt->has_raw = 1;
        return dlrt_pb_span(r, &pt->raw);   /* the last occurrence wins, as in protobuf */
    default:
        pt->has_strings |= field == DLRT_PB_STRING_DATA;
        return dlrt_pb_skip(r, wire);
    }
}

static int dlrt_pb_next_tag(dlrt_pb_reader *r, int *field, int *wire)
{
    uint64_t tag;
    if (dlrt_pb_varint(r, &tag))
        return -1;
    *field = (int)(tag >> 3 > 0x1fffffff ? 0 : tag >> 3);
    *wire = (int)(tag & 7);
    if (*field == 0) {
        r->why = "field number 0";
        return -1;
    }
    return 0;
}

static int dlrt_pb_scan(dlrt_pb_reader *r, dlrt_pb_tensor *pt)
{
    int field, wire;
    memset(pt, 0, sizeof *pt);
    while (r->i < r->n)
        if (dlrt_pb_next_tag(r, &field, &wire) || dlrt_pb_scan_field(r, field, wire, pt))
            return -1;
    return 0;
}

/* Second pass: decode the typed field that carries t's values into t->data. */
static int dlrt_pb_fill(dlrt_pb_reader *r, int typed, dlrt_tensor *t, size_t count)
{
    int field, wire;
    size_t filled = 0;
    r->i = 0;
    while (r->i < r->n) {
        if (dlrt_pb_next_tag(r, &field, &wire))
            return -1;
        if (field == typed) {
            if (dlrt_pb_values(r, field, wire, t->dtype, t->data, &filled, count))
                return -1;
        } else if (dlrt_pb_skip(r, wire)) {
            return -1;
        }
    }
    return 0;
}

/* Checks what the scan found against the dtype and shape; sets t's header. */
static int dlrt_pb_check(const char *path, const dlrt_pb_tensor *pt, dlrt_tensor *t, size_t *count,
                         char *err, size_t err_size)
{
    int typed, field;
    if (pt->external)
        return dlrt_fail(err, err_size, path, "tensor data is stored externally (data_location EXTERNAL)");
    if (pt->data_type == 8 || pt->has_strings)
        return dlrt_fail(err, err_size, path, "string tensors are not supported");
    if (!dlrt_dtype_find(pt->data_type))
        return dlrt_fail(err, err_size, path, "unsupported data_type %d", pt->data_type);
    t->dtype = pt->data_type;
    t->rank = pt->rank;
    memcpy(t->dims, pt->dims, sizeof t->dims);
    if (dlrt_shape_size(t->rank, t->dims, dlrt_dtype_size(t->dtype), count, &t->bytes))
        return dlrt_fail(err, err_size, path, "dims are negative or too large");
    typed = dlrt_pb_typed_field(t->dtype);
    for (field = DLRT_PB_FLOAT_DATA; field <= DLRT_PB_UINT64_DATA; field++) {
        if (!pt->counts[field])
            continue;
        if (field != typed || pt->has_raw)
            return dlrt_fail(err, err_size, path, "%s holds values, but %s tensors keep them in %s",
                             dlrt_pb_field_name(field), dlrt_dtype_name(t->dtype),
                             pt->has_raw ? "raw_data (also present)" : dlrt_pb_field_name(typed));
    }
    if (pt->has_raw && pt->raw.n != t->bytes)
        return dlrt_fail(err, err_size, path, "raw_data has %lu bytes, dims need %lu for %s",
                         (unsigned long)pt->raw.n, (unsigned long)t->bytes, dlrt_dtype_name(t->dtype));
    if (!pt->has_raw && pt->counts[typed] != *count)
        return dlrt_fail(err, err_size, path, "%s has %lu values, dims need %lu", dlrt_pb_field_name(typed),
                         (unsigned long)pt->counts[typed], (unsigned long)*count);
    return 0;
}

static void dlrt_pb_copy_name(const dlrt_pb_tensor *pt, char *name, size_t name_size)
{
    size_t n;
    if (!name || name_size == 0)
        return;
    n = pt->name_len < name_size - 1 ? pt->name_len : name_size - 1;
    if (n)
        memcpy(name, pt->name, n);
    name[n] = '\0';
}

static int dlrt_pb_decode(const char *path, const dlrt_bytes *b, dlrt_tensor *t, char *name,
                          size_t name_size, char *err, size_t err_size)
{
    dlrt_pb_reader r;
    dlrt_pb_tensor pt;
    size_t count = 0;
    r.p = b->p;
    r.n = b->n;
    r.i = 0;
    r.why = NULL;
    if (dlrt_pb_scan(&r, &pt))
        return dlrt_fail(err, err_size, path, "malformed TensorProto: %s at byte %lu", r.why,
                         (unsigned long)r.i);
    if (dlrt_pb_check(path, &pt, t, &count, err, err_size))
        return -1;
    t->data = malloc(t->bytes ? t->bytes : 1);
    if (!t->data)
        return dlrt_fail(err, err_size, path, "out of memory for %lu bytes", (unsigned long)t->bytes);
    if (pt.has_raw) {
        if (t->bytes)
            memcpy(t->data, pt.raw.p, t->bytes);
        dlrt_to_host_order(t->data, count, dlrt_dtype_size(t->dtype));
    } else if (dlrt_pb_fill(&r, dlrt_pb_typed_field(t->dtype), t, count)) {
        return dlrt_fail(err, err_size, path, "malformed TensorProto: %s at byte %lu", r.why,
                         (unsigned long)r.i);
    }
    dlrt_pb_copy_name(&pt, name, name_size);
    return 0;
}

int dlrt_read_pb_named(const char *path, dlrt_tensor *t, char *name, size_t name_size, char *err,
                       size_t err_size)
{
    dlrt_bytes b;
    int rc;
    dlrt_tensor_clear(t);
    if (name && name_size)
        name[0] = '\0';
    if (dlrt_read_file(path, &b, err, err_size))
        return -1;
    rc = dlrt_pb_decode(path, &b, t, name, name_size, err, err_size);
    free(b.p);
    if (rc)
        dlrt_tensor_free(t);
    return rc;
}

int dlrt_read_pb(const char *path, dlrt_tensor *t, char *err, size_t err_size)
{
    return dlrt_read_pb_named(path, t, NULL, 0, err, err_size);
}
