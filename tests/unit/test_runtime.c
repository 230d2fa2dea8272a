/* Tests of the runtime library: .npy read/write, TensorProto .pb reading,
 * the dtype table and the clock.
 *
 * Reference bytes are built by hand here (the arithmetic is in comments) or
 * copied from what numpy 2.4 (np.save) and onnx 1.23 (SerializeToString)
 * wrote, so the test needs no Python. Malformed files must fail with a
 * message naming the file; truncated and mutated files must never crash. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlrt.h"

/* ------------------------------------------------------------ helpers */

/* A per-test file path: Check forks each test, so the pid makes it unique. */
static void tmp_path(char *out, size_t size, const char *name)
{
    const char *dir = getenv("TMPDIR");
    snprintf(out, size, "%s/dlrt_test_%ld_%s", dir && *dir ? dir : "/tmp", (long)getpid(), name);
}

static void write_file(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* Reads a whole (small) file into buf; returns its size. */
static size_t read_file(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    ck_assert_msg(f != NULL, "cannot open %s", path);
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

typedef struct bytes {
    unsigned char b[4096];
    size_t n;
} bytes;

static void put(bytes *s, const void *p, size_t n)
{
    ck_assert_uint_le(s->n + n, sizeof s->b);
    memcpy(s->b + s->n, p, n);
    s->n += n;
}

static void put_str(bytes *s, const char *str)
{
    put(s, str, strlen(str));
}

static void put_byte(bytes *s, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(s, &c, 1);
}

/* Protobuf base-128 varint: 7 bits a byte, low group first, high bit = more. */
static void put_varint(bytes *s, uint64_t v)
{
    do {
        put_byte(s, (unsigned)(v & 0x7f) | (v > 0x7f ? 0x80u : 0u));
        v >>= 7;
    } while (v);
}

static void put_tag(bytes *s, unsigned field, unsigned wire)
{
    put_varint(s, (uint64_t)field << 3 | wire);
}

static void put_le(bytes *s, uint64_t v, int n)
{
    int i;
    for (i = 0; i < n; i++)
        put_byte(s, (unsigned)(v >> (8 * i)) & 0xff);
}

static void put_f32(bytes *s, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_le(s, u, 4);
}

static void put_f64(bytes *s, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    put_le(s, u, 8);
}

/* Converts "08 02 10 01 ..." (spaces optional) to bytes. */
static void put_hex(bytes *s, const char *hex)
{
    while (*hex) {
        unsigned v;
        if (*hex == ' ') {
            hex++;
            continue;
        }
        ck_assert_int_eq(sscanf(hex, "%2x", &v), 1);
        put_byte(s, v);
        hex += 2;
    }
}

/* A .npy file: version major.0 with `header` padded by spaces to `align`. */
static void put_npy(bytes *s, int major, const char *header, size_t align)
{
    size_t pre = major == 1 ? 10 : 12, len = strlen(header) + 1, i;
    while ((pre + len) % align)
        len++;
    put(s, "\x93NUMPY", 6);
    put_byte(s, (unsigned)major);
    put_byte(s, 0);
    put_le(s, len, major == 1 ? 2 : 4);
    put_str(s, header);
    for (i = strlen(header) + 1; i < len; i++)
        put_byte(s, ' ');
    put_byte(s, '\n');
}

/* Reads `s` as a .npy file and expects success. */
static void read_npy_ok(const char *name, const bytes *s, dlrt_tensor *t)
{
    char path[512], err[512] = "";
    tmp_path(path, sizeof path, name);
    write_file(path, s->b, s->n);
    ck_assert_msg(dlrt_read_npy(path, t, err, sizeof err) == 0, "read %s: %s", name, err);
    remove(path);
}

/* Reads `s` as .npy or .pb and expects an error naming the file and containing `needle`. */
static void read_fails(int pb, const char *name, const bytes *s, const char *needle)
{
    char path[512], err[512] = "";
    dlrt_tensor t;
    int rc;
    tmp_path(path, sizeof path, name);
    write_file(path, s->b, s->n);
    rc = pb ? dlrt_read_pb(path, &t, err, sizeof err) : dlrt_read_npy(path, &t, err, sizeof err);
    remove(path);
    ck_assert_msg(rc == -1, "%s: read succeeded, expected an error about '%s'", name, needle);
    ck_assert_msg(t.data == NULL && t.bytes == 0, "%s: tensor not left empty", name);
    ck_assert_msg(strstr(err, path) != NULL, "%s: error does not name the file: %s", name, err);
    ck_assert_msg(strstr(err, needle) != NULL, "%s: expected '%s' in: %s", name, needle, err);
}

static void read_pb_ok(const char *name, const bytes *s, dlrt_tensor *t)
{
    char path[512], err[512] = "";
    tmp_path(path, sizeof path, name);
    write_file(path, s->b, s->n);
    ck_assert_msg(dlrt_read_pb(path, t, err, sizeof err) == 0, "read %s: %s", name, err);
    remove(path);
}

/* ------------------------------------------------------------ dtypes, clock */

START_TEST(test_dtype_table)
{
    ck_assert_uint_eq(dlrt_dtype_size(DLRT_FLOAT), 4);
    ck_assert_uint_eq(dlrt_dtype_size(DLRT_INT64), 8);
    ck_assert_uint_eq(dlrt_dtype_size(DLRT_INT32), 4);
    ck_assert_uint_eq(dlrt_dtype_size(DLRT_BOOL), 1);
    ck_assert_uint_eq(dlrt_dtype_size(DLRT_DOUBLE), 8);
    ck_assert_uint_eq(dlrt_dtype_size(DLRT_UINT8), 1);
    ck_assert_uint_eq(dlrt_dtype_size(DLRT_INT8), 1);
    ck_assert_uint_eq(dlrt_dtype_size(0), 0);
    ck_assert_uint_eq(dlrt_dtype_size(8), 0);   /* STRING */
    ck_assert_uint_eq(dlrt_dtype_size(99), 0);
    ck_assert_str_eq(dlrt_dtype_name(1), "float32");
    ck_assert_str_eq(dlrt_dtype_name(7), "int64");
    ck_assert_str_eq(dlrt_dtype_name(6), "int32");
    ck_assert_str_eq(dlrt_dtype_name(9), "bool");
    ck_assert_str_eq(dlrt_dtype_name(11), "float64");
    ck_assert_str_eq(dlrt_dtype_name(2), "uint8");
    ck_assert_str_eq(dlrt_dtype_name(3), "int8");
    ck_assert_str_eq(dlrt_dtype_name(-3), "unknown");
}
END_TEST

START_TEST(test_tensor_count)
{
    dlrt_tensor t;
    memset(&t, 0, sizeof t);
    ck_assert_uint_eq(dlrt_tensor_count(&t), 1);   /* rank 0: a scalar */
    t.rank = 3;
    t.dims[0] = 2;
    t.dims[1] = 3;
    t.dims[2] = 4;
    ck_assert_uint_eq(dlrt_tensor_count(&t), 24);
    t.dims[1] = 0;
    ck_assert_uint_eq(dlrt_tensor_count(&t), 0);
    dlrt_tensor_free(&t);   /* data NULL: nothing to free, must not crash */
    dlrt_tensor_free(NULL);
}
END_TEST

START_TEST(test_clock_is_monotonic)
{
    double t0 = dlrt_now_seconds(), prev = t0, now = t0;
    long i;
    for (i = 0; i < 100000000L && now == t0; i++) {
        now = dlrt_now_seconds();
        ck_assert_msg(now >= prev, "clock went back: %.9f after %.9f", now, prev);
        prev = now;
    }
    ck_assert_msg(now > t0, "clock did not advance");
    ck_assert_msg(now - t0 < 1.0, "one tick took %.3f s", now - t0);
}
END_TEST

/* ------------------------------------------------------------ .npy */

/* np.save(f, np.arange(6, dtype=np.float32).reshape(2, 3)) wrote exactly
 * this (numpy 2.4): version 1.0, header length 0x76 = 118 so data starts at
 * 10 + 118 = 128, header = dict + spaces + '\n', then 0..5 little-endian:
 * 1.0f = 0x3f800000, 2.0f = 0x40000000 ... 5.0f = 0x40a00000. */
static void put_numpy_arange(bytes *s)
{
    put_hex(s, "93 4e 55 4d 50 59 01 00 76 00");
    put_str(s, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    while (s->n < 127)
        put_byte(s, ' ');
    put_byte(s, '\n');
    put_hex(s, "00000000 0000803f 00000040 00004040 00008040 0000a040");
}

START_TEST(test_npy_reads_numpy_file)
{
    bytes s = {{0}, 0};
    dlrt_tensor t;
    const float *v;
    int i;
    put_numpy_arange(&s);
    ck_assert_uint_eq(s.n, 152);
    read_npy_ok("arange.npy", &s, &t);
    ck_assert_int_eq(t.dtype, DLRT_FLOAT);
    ck_assert_int_eq(t.rank, 2);
    ck_assert_int_eq(t.dims[0], 2);
    ck_assert_int_eq(t.dims[1], 3);
    ck_assert_uint_eq(t.bytes, 24);
    v = (const float *)t.data;
    for (i = 0; i < 6; i++)
        ck_assert_msg(v[i] == (float)i, "element %d is %g, expected %d", i, v[i], i);
    dlrt_tensor_free(&t);
    ck_assert_ptr_null(t.data);
}
END_TEST

START_TEST(test_npy_write_matches_numpy)
{
    bytes want = {{0}, 0};
    unsigned char got[512];
    float data[6] = {0, 1, 2, 3, 4, 5};
    dlrt_tensor t;
    char path[512], err[256] = "";
    size_t n;
    put_numpy_arange(&want);
    memset(&t, 0, sizeof t);
    t.dtype = DLRT_FLOAT;
    t.rank = 2;
    t.dims[0] = 2;
    t.dims[1] = 3;
    t.data = data;
    t.bytes = sizeof data;
    tmp_path(path, sizeof path, "w.npy");
    ck_assert_msg(dlrt_write_npy(path, &t, err, sizeof err) == 0, "%s", err);
    n = read_file(path, got, sizeof got);
    remove(path);
    ck_assert_uint_eq(n, want.n);
    ck_assert_mem_eq(got, want.b, n);
}
END_TEST

/* Headers numpy writes for other shapes (numpy 2.4, np.save): a scalar and a
 * 1-D array; both 128 bytes long with the data after. */
START_TEST(test_npy_write_scalar_and_vector_headers)
{
    static const char *const want[2] = {
        "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
        "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }"};
    double scalar = 2.5;
    int64_t vec[2] = {1, -2};
    unsigned char got[512];
    char path[512], err[256] = "";
    dlrt_tensor t;
    int k;
    for (k = 0; k < 2; k++) {
        memset(&t, 0, sizeof t);
        t.dtype = k ? DLRT_INT64 : DLRT_DOUBLE;
        t.rank = k;
        t.dims[0] = 2;
        t.data = k ? (void *)vec : (void *)&scalar;
        t.bytes = k ? sizeof vec : sizeof scalar;
        tmp_path(path, sizeof path, "hdr.npy");
        ck_assert_msg(dlrt_write_npy(path, &t, err, sizeof err) == 0, "%s", err);
        ck_assert_uint_eq(read_file(path, got, sizeof got), 128 + t.bytes);
        remove(path);
        ck_assert_uint_eq(got[8] | got[9] << 8, 118);
        ck_assert_mem_eq(got + 10, want[k], strlen(want[k]));
        ck_assert_int_eq(got[127], '\n');
        ck_assert_mem_eq(got + 128, t.data, t.bytes);   /* little-endian host */
    }
}
END_TEST

/* numpy leaves room for the first dim to grow to 21 digits: this 98-char
 * dict needs 10 + 98 + 1 = 109 bytes, but 10 + 98 + (21 - 1) + 1 = 129 with
 * the room, so numpy.lib.format.write_array_header_1_0 pads it to 192. */
START_TEST(test_npy_write_leaves_growth_room_like_numpy)
{
    static const char want[] =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2222, 3333, 4444, 5555, 6666, 7777, 8888), }";
    static const int64_t dims[8] = {0, 2222, 3333, 4444, 5555, 6666, 7777, 8888};
    unsigned char got[512];
    char path[512], err[256] = "";
    dlrt_tensor t;
    size_t i;
    memset(&t, 0, sizeof t);
    t.dtype = DLRT_FLOAT;
    t.rank = 8;
    memcpy(t.dims, dims, sizeof dims);
    t.data = got;   /* zero elements: never read */
    tmp_path(path, sizeof path, "grow.npy");
    ck_assert_msg(dlrt_write_npy(path, &t, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(read_file(path, got, sizeof got), 192);
    remove(path);
    ck_assert_uint_eq(strlen(want), 98);
    ck_assert_mem_eq(got + 10, want, 98);
    for (i = 10 + 98; i < 191; i++)
        ck_assert_int_eq(got[i], ' ');
    ck_assert_int_eq(got[191], '\n');
}
END_TEST

START_TEST(test_npy_versions_2_and_3)
{
    int major;
    for (major = 2; major <= 3; major++) {
        bytes s = {{0}, 0};
        dlrt_tensor t;
        const int64_t *v;
        /* Double quotes, no trailing comma, odd spacing: still a Python dict. */
        put_npy(&s, major, "{ \"shape\" : (3,) , \"fortran_order\":False,\"descr\":\"<i8\" }", 16);
        put_le(&s, 1, 8);
        put_le(&s, (uint64_t)-2, 8);
        put_le(&s, 0x0102030405060708ull, 8);
        read_npy_ok("v23.npy", &s, &t);
        ck_assert_int_eq(t.dtype, DLRT_INT64);
        ck_assert_int_eq(t.rank, 1);
        ck_assert_int_eq(t.dims[0], 3);
        v = (const int64_t *)t.data;
        ck_assert_int_eq(v[0], 1);
        ck_assert_int_eq(v[1], -2);
        ck_assert_int_eq(v[2], 0x0102030405060708ll);
        dlrt_tensor_free(&t);
    }
}
END_TEST

START_TEST(test_npy_scalar_and_empty)
{
    bytes s = {{0}, 0}, e = {{0}, 0};
    dlrt_tensor t;
    put_npy(&s, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 64);
    put_f64(&s, -0.75);
    read_npy_ok("scalar.npy", &s, &t);
    ck_assert_int_eq(t.rank, 0);
    ck_assert_uint_eq(t.bytes, 8);
    ck_assert_double_eq(*(const double *)t.data, -0.75);
    dlrt_tensor_free(&t);

    put_npy(&e, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 3), }", 64);
    read_npy_ok("empty.npy", &e, &t);
    ck_assert_int_eq(t.rank, 2);
    ck_assert_int_eq(t.dims[0], 0);
    ck_assert_int_eq(t.dims[1], 3);
    ck_assert_uint_eq(t.bytes, 0);
    ck_assert_ptr_nonnull(t.data);
    dlrt_tensor_free(&t);
}
END_TEST

/* Every dtype, ranks 0..8: write, check the descr and the 64-byte alignment,
 * read back and compare bytes. */
START_TEST(test_npy_roundtrip_all_dtypes_and_ranks)
{
    static const struct { int dtype; const char *descr; } cases[] = {
        {DLRT_FLOAT, "'<f4'"}, {DLRT_UINT8, "'|u1'"},  {DLRT_INT8, "'|i1'"},   {DLRT_UINT16, "'<u2'"},
        {DLRT_INT16, "'<i2'"}, {DLRT_INT32, "'<i4'"},  {DLRT_INT64, "'<i8'"},  {DLRT_BOOL, "'|b1'"},
        {DLRT_FLOAT16, "'<f2'"}, {DLRT_DOUBLE, "'<f8'"}, {DLRT_UINT32, "'<u4'"}, {DLRT_UINT64, "'<u8'"}};
    unsigned char data[4096], file[8192];
    char path[512], err[256] = "";
    size_t c, i, n, hlen;
    int rank;
    for (i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + 1);
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (rank = 0; rank <= DLRT_MAX_RANK; rank++) {
            dlrt_tensor t, back;
            memset(&t, 0, sizeof t);
            t.dtype = cases[c].dtype;
            t.rank = rank;
            for (i = 0; i < (size_t)rank; i++)
                t.dims[i] = i == 0 ? 5 : (int64_t)(i % 3 + 1);   /* 5, 2, 3, 1, 2, 3, 1, 2 */
            t.data = data;
            t.bytes = dlrt_tensor_count(&t) * dlrt_dtype_size(t.dtype);
            ck_assert_uint_le(t.bytes, sizeof data);
            tmp_path(path, sizeof path, "rt.npy");
            ck_assert_msg(dlrt_write_npy(path, &t, err, sizeof err) == 0, "%s", err);
            n = read_file(path, file, sizeof file);
            hlen = (size_t)(file[8] | file[9] << 8);
            ck_assert_msg((10 + hlen) % 64 == 0, "dtype %d rank %d: header ends at %lu", t.dtype, rank,
                          (unsigned long)(10 + hlen));
            ck_assert_int_eq(file[10 + hlen - 1], '\n');
            ck_assert_uint_eq(n, 10 + hlen + t.bytes);
            ck_assert_msg(strstr((const char *)file + 10, cases[c].descr) != NULL, "descr %s missing",
                          cases[c].descr);
            ck_assert_msg(dlrt_read_npy(path, &back, err, sizeof err) == 0, "%s", err);
            remove(path);
            ck_assert_int_eq(back.dtype, t.dtype);
            ck_assert_int_eq(back.rank, rank);
            ck_assert_mem_eq(back.dims, t.dims, sizeof t.dims);
            ck_assert_uint_eq(back.bytes, t.bytes);
            ck_assert_mem_eq(back.data, data, t.bytes);
            dlrt_tensor_free(&back);
        }
}
END_TEST

START_TEST(test_npy_rejects_malformed)
{
    static const struct { const char *header; size_t data; const char *needle; } cases[] = {
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "fortran_order True"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "not little-endian"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, "unsupported dtype '<c8'"},
        {"{'descr': 'f4', 'fortran_order': False, 'shape': (2,), }", 8, "byte-order"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, "quoted string"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 4, "data has 4 bytes"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 12, "data has 12 bytes"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 0, "non-negative dimension"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", 24, "expected ',' or ')'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 4, "more than 8"},
        {"{'descr': '<f4', 'fortran_order': False, }", 4, "missing one of the keys"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", 4, "unexpected or repeated key"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4, "repeated key"},
        {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}", 4, "True or False"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", 4, "after a value"},
        {"{'descr' '<f4', 'fortran_order': False, 'shape': (1,)}", 4, "expected ':'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", 4, "after the closing"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 4, "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,4)}", 4, "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", 4, "expected ',' or '}'"},
        {"", 4, "expected '{'"}};
    size_t c, i;
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        bytes s = {{0}, 0};
        put_npy(&s, 1, cases[c].header, 64);
        for (i = 0; i < cases[c].data; i++)
            put_byte(&s, 0);
        read_fails(0, "bad.npy", &s, cases[c].needle);
    }
}
END_TEST

START_TEST(test_npy_rejects_bad_preamble)
{
    bytes magic = {{0}, 0}, version = {{0}, 0}, past_end = {{0}, 0}, v2_short = {{0}, 0};
    bytes open_quote = {{0}, 0};
    put_str(&magic, "\x93NUMPX\x01\x00\x10\x00{}");
    read_fails(0, "magic.npy", &magic, "not a .npy file");
    put_npy(&version, 4, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 64);
    read_fails(0, "version.npy", &version, "unsupported .npy format version 4.0");
    put_hex(&past_end, "93 4e 55 4d 50 59 01 00 ff 00");   /* header of 255 bytes, none there */
    put_str(&past_end, "{}");
    read_fails(0, "past_end.npy", &past_end, "runs past the end");
    put_hex(&v2_short, "93 4e 55 4d 50 59 02 00 00 00");   /* 2.0 needs a 4-byte length */
    read_fails(0, "v2short.npy", &v2_short, "truncated .npy preamble");
    put_npy(&open_quote, 1, "{'a", 16);   /* "{'a  \n": the quote never closes */
    read_fails(0, "quote.npy", &open_quote, "unterminated string");
}
END_TEST

START_TEST(test_missing_file_is_named)
{
    char err[256] = "";
    dlrt_tensor t;
    ck_assert_int_eq(dlrt_read_npy("/nonexistent/dir/x.npy", &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "/nonexistent/dir/x.npy: cannot open for reading") == err, "%s", err);
    ck_assert_ptr_null(t.data);
    ck_assert_int_eq(dlrt_read_pb("/nonexistent/dir/x.pb", &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "/nonexistent/dir/x.pb") != NULL, "%s", err);
    /* err may be NULL or tiny. */
    ck_assert_int_eq(dlrt_read_npy("/nonexistent/dir/x.npy", &t, NULL, 0), -1);
    ck_assert_int_eq(dlrt_read_npy("/nonexistent/dir/x.npy", &t, err, 4), -1);
    ck_assert_str_eq(err, "/no");
}
END_TEST

START_TEST(test_npy_write_rejects_bad_tensors)
{
    float data[4] = {0};
    char path[512], err[256] = "";
    dlrt_tensor t;
    FILE *f;
    tmp_path(path, sizeof path, "never.npy");
    memset(&t, 0, sizeof t);
    t.dtype = DLRT_FLOAT;
    t.rank = 1;
    t.dims[0] = 4;
    t.data = data;
    t.bytes = 12;   /* 4 floats need 16 */
    ck_assert_int_eq(dlrt_write_npy(path, &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "holds 12 bytes") && strstr(err, path), "%s", err);
    t.bytes = 16;
    t.dtype = 8;   /* STRING */
    ck_assert_int_eq(dlrt_write_npy(path, &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "dtype code 8") != NULL, "%s", err);
    t.dtype = DLRT_FLOAT;
    t.rank = 9;
    ck_assert_int_eq(dlrt_write_npy(path, &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "rank 9") != NULL, "%s", err);
    t.rank = 1;
    t.dims[0] = -4;
    ck_assert_int_eq(dlrt_write_npy(path, &t, err, sizeof err), -1);
    t.dims[0] = 4;
    t.data = NULL;
    ck_assert_int_eq(dlrt_write_npy(path, &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "NULL") != NULL, "%s", err);
    f = fopen(path, "rb");
    ck_assert_msg(f == NULL, "a rejected tensor left %s behind", path);
    t.data = data;
    ck_assert_int_eq(dlrt_write_npy("/nonexistent/dir/y.npy", &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "/nonexistent/dir/y.npy: cannot open for writing") == err, "%s", err);
}
END_TEST

/* A small deterministic generator for the mutation tests. */
static uint32_t lcg_next(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Every proper prefix of a valid file must fail; random byte changes must
 * give success or an error, never a crash (also run this under valgrind/ASan). */
static void fuzz_file(int pb, const bytes *valid, int expect_prefix_fail)
{
    char path[512], err[512];
    dlrt_tensor t;
    size_t cut, i;
    uint32_t seed = 12345;
    tmp_path(path, sizeof path, pb ? "fuzz.pb" : "fuzz.npy");
    for (cut = 0; cut < valid->n; cut++) {
        int rc;
        write_file(path, valid->b, cut);
        rc = pb ? dlrt_read_pb(path, &t, err, sizeof err) : dlrt_read_npy(path, &t, err, sizeof err);
        ck_assert_msg(!expect_prefix_fail || rc == -1, "prefix of %lu bytes was accepted", (unsigned long)cut);
        dlrt_tensor_free(&t);
    }
    for (i = 0; i < 3000; i++) {
        bytes m = *valid;
        int k, changes = 1 + (int)(lcg_next(&seed) % 3), rc;
        for (k = 0; k < changes; k++)
            m.b[lcg_next(&seed) % m.n] = (unsigned char)lcg_next(&seed);
        write_file(path, m.b, m.n);
        rc = pb ? dlrt_read_pb(path, &t, err, sizeof err) : dlrt_read_npy(path, &t, err, sizeof err);
        if (rc == 0)
            ck_assert_uint_eq(t.bytes, dlrt_tensor_count(&t) * dlrt_dtype_size(t.dtype));
        else
            ck_assert_ptr_null(t.data);
        dlrt_tensor_free(&t);
    }
    remove(path);
}

START_TEST(test_npy_truncated_and_mutated_files)
{
    bytes s = {{0}, 0};
    put_numpy_arange(&s);
    fuzz_file(0, &s, 1);
}
END_TEST

/* ------------------------------------------------------------ .pb */

/* onnx.numpy_helper.from_array(np.array([[1.5, -2], [0.25, 8]], np.float32), 'x')
 * .SerializeToString(): dims 2, 2 unpacked (tag 0x08), data_type 1 (0x10),
 * name "x" (0x42 = field 8, wire 2), raw_data 16 bytes (0x4a = field 9, wire 2):
 * 1.5f = 0x3fc00000, -2f = 0xc0000000, 0.25f = 0x3e800000, 8f = 0x41000000. */
static const char *const onnx_float_raw =
    "08 02 08 02 10 01 42 01 78 4a 10 0000c03f 000000c0 0000803e 00000041";

START_TEST(test_pb_reads_onnx_raw_float)
{
    bytes s = {{0}, 0};
    char path[512], err[256] = "", name[16];
    dlrt_tensor t;
    const float *v;
    put_hex(&s, onnx_float_raw);
    tmp_path(path, sizeof path, "x.pb");
    write_file(path, s.b, s.n);
    ck_assert_msg(dlrt_read_pb_named(path, &t, name, sizeof name, err, sizeof err) == 0, "%s", err);
    remove(path);
    ck_assert_str_eq(name, "x");
    ck_assert_int_eq(t.dtype, DLRT_FLOAT);
    ck_assert_int_eq(t.rank, 2);
    ck_assert_int_eq(t.dims[0], 2);
    ck_assert_int_eq(t.dims[1], 2);
    ck_assert_uint_eq(t.bytes, 16);
    v = (const float *)t.data;
    ck_assert_float_eq(v[0], 1.5f);
    ck_assert_float_eq(v[1], -2.0f);
    ck_assert_float_eq(v[2], 0.25f);
    ck_assert_float_eq(v[3], 8.0f);
    dlrt_tensor_free(&t);
}
END_TEST

/* onnx.helper.make_tensor('y', INT64, [3], [1, -1, 300]): int64_data packed
 * (0x3a = field 7, wire 2, 13 bytes): 01; -1 as ten bytes ff..ff 01;
 * 300 = 0b10_0101100 -> ac 02. */
START_TEST(test_pb_reads_onnx_int64_data)
{
    bytes s = {{0}, 0};
    dlrt_tensor t;
    const int64_t *v;
    put_hex(&s, "08 03 10 07 3a 0d 01 ffffffffffffffffff01 ac02 42 01 79");
    read_pb_ok("y.pb", &s, &t);
    ck_assert_int_eq(t.dtype, DLRT_INT64);
    ck_assert_int_eq(t.rank, 1);
    ck_assert_int_eq(t.dims[0], 3);
    v = (const int64_t *)t.data;
    ck_assert_int_eq(v[0], 1);
    ck_assert_int_eq(v[1], -1);
    ck_assert_int_eq(v[2], 300);
    dlrt_tensor_free(&t);
}
END_TEST

/* float_data packed (onnx writes 0x22 = field 4, wire 2) and unpacked
 * (0x25 = field 4, wire 5, one fixed32 each): both give [1, -2]. */
START_TEST(test_pb_float_data_packed_and_unpacked)
{
    bytes packed = {{0}, 0}, unpacked = {{0}, 0};
    dlrt_tensor t;
    put_hex(&packed, "08 02 10 01 22 08 0000803f 000000c0 42 01 7a");
    put_hex(&unpacked, "08 02 10 01 25 0000803f 25 000000c0");
    read_pb_ok("packed.pb", &packed, &t);
    ck_assert_float_eq(((const float *)t.data)[0], 1.0f);
    ck_assert_float_eq(((const float *)t.data)[1], -2.0f);
    dlrt_tensor_free(&t);
    read_pb_ok("unpacked.pb", &unpacked, &t);
    ck_assert_int_eq(t.rank, 1);
    ck_assert_float_eq(((const float *)t.data)[0], 1.0f);
    ck_assert_float_eq(((const float *)t.data)[1], -2.0f);
    dlrt_tensor_free(&t);
}
END_TEST

/* int32_data carries bool, int8, uint8, int16 and int32 tensors. onnx wrote
 * make_tensor('b', BOOL, [3], [True, False, True]) as 2a 03 01 00 01. */
START_TEST(test_pb_int32_data_types)
{
    bytes b = {{0}, 0}, i8 = {{0}, 0}, u8 = {{0}, 0}, i32 = {{0}, 0};
    dlrt_tensor t;
    const int32_t *v;
    put_hex(&b, "08 03 10 09 2a 03 01 00 01 42 01 62");
    read_pb_ok("b.pb", &b, &t);
    ck_assert_int_eq(t.dtype, DLRT_BOOL);
    ck_assert_uint_eq(t.bytes, 3);
    ck_assert_mem_eq(t.data, "\1\0\1", 3);
    dlrt_tensor_free(&t);
    /* Any non-zero int32 is true (numpy's astype(bool)); 256 must not wrap to 0. */
    b.n = 0;
    put_hex(&b, "08 02 10 09 2a 03 02 80 02");
    read_pb_ok("b2.pb", &b, &t);
    ck_assert_mem_eq(t.data, "\1\1", 2);
    dlrt_tensor_free(&t);

    /* int8 [-1, 100]: -1 is sign-extended to 64 bits, ten varint bytes. */
    put_hex(&i8, "08 02 10 03 2a 0b ffffffffffffffffff01 64");
    read_pb_ok("i8.pb", &i8, &t);
    ck_assert_int_eq(((const int8_t *)t.data)[0], -1);
    ck_assert_int_eq(((const int8_t *)t.data)[1], 100);
    dlrt_tensor_free(&t);

    /* uint8 [200, 7] unpacked: 200 = 0x48 | 1 << 7 -> c8 01; tag 0x28 = field 5, wire 0. */
    put_hex(&u8, "08 02 10 02 28 c801 28 07");
    read_pb_ok("u8.pb", &u8, &t);
    ck_assert_uint_eq(((const uint8_t *)t.data)[0], 200);
    ck_assert_uint_eq(((const uint8_t *)t.data)[1], 7);
    dlrt_tensor_free(&t);

    /* int32 2x3, dims packed (0x0a = field 1, wire 2): [-5, 0, 7, 1, 2, 3]. */
    put_hex(&i32, "0a 02 02 03 10 06 2a");
    put_varint(&i32, 15);
    put_varint(&i32, (uint64_t)(int64_t)-5);   /* ten bytes */
    put_hex(&i32, "00 07 01 02 03");
    read_pb_ok("i32.pb", &i32, &t);
    ck_assert_int_eq(t.rank, 2);
    ck_assert_int_eq(t.dims[0], 2);
    ck_assert_int_eq(t.dims[1], 3);
    v = (const int32_t *)t.data;
    ck_assert_int_eq(v[0], -5);
    ck_assert_int_eq(v[1], 0);
    ck_assert_int_eq(v[2], 7);
    ck_assert_int_eq(v[5], 3);
    dlrt_tensor_free(&t);
}
END_TEST

/* double_data packed (0x52 = field 10, wire 2) and unpacked (0x51, wire 1);
 * uint64_data (0x58 = field 11, wire 0) for uint32 and uint64 tensors. */
START_TEST(test_pb_double_and_uint64_data)
{
    bytes d = {{0}, 0}, u32 = {{0}, 0}, u64 = {{0}, 0};
    dlrt_tensor t;
    put_hex(&d, "08 03 10 0b 52 10");
    put_f64(&d, 0.1);
    put_f64(&d, -1e300);
    put_hex(&d, "51");
    put_f64(&d, 3.0);
    read_pb_ok("d.pb", &d, &t);
    ck_assert_int_eq(t.dtype, DLRT_DOUBLE);
    ck_assert_double_eq(((const double *)t.data)[0], 0.1);
    ck_assert_double_eq(((const double *)t.data)[1], -1e300);
    ck_assert_double_eq(((const double *)t.data)[2], 3.0);
    dlrt_tensor_free(&t);

    put_hex(&u32, "08 02 10 0c 58");
    put_varint(&u32, 4000000000u);
    put_hex(&u32, "58 01");
    read_pb_ok("u32.pb", &u32, &t);
    ck_assert_uint_eq(((const uint32_t *)t.data)[0], 4000000000u);
    ck_assert_uint_eq(((const uint32_t *)t.data)[1], 1);
    dlrt_tensor_free(&t);

    put_hex(&u64, "08 01 10 0d 5a 0a ffffffffffffffffff01");   /* packed: 2^64 - 1 */
    read_pb_ok("u64.pb", &u64, &t);
    ck_assert_uint_eq(((const uint64_t *)t.data)[0], UINT64_MAX);
    dlrt_tensor_free(&t);
}
END_TEST

/* raw_data of a scalar (no dims) and of int64; fields in unusual order. */
START_TEST(test_pb_raw_scalar_and_int64)
{
    bytes s = {{0}, 0}, i = {{0}, 0};
    dlrt_tensor t;
    put_hex(&s, "4a 04");
    put_f32(&s, 42.5f);
    put_hex(&s, "10 01");
    read_pb_ok("scalar.pb", &s, &t);
    ck_assert_int_eq(t.rank, 0);
    ck_assert_uint_eq(t.bytes, 4);
    ck_assert_float_eq(*(const float *)t.data, 42.5f);
    dlrt_tensor_free(&t);

    put_hex(&i, "10 07 4a 10");
    put_le(&i, (uint64_t)-7, 8);
    put_le(&i, 1ull << 40, 8);
    put_hex(&i, "08 02");
    read_pb_ok("i64raw.pb", &i, &t);
    ck_assert_int_eq(((const int64_t *)t.data)[0], -7);
    ck_assert_int_eq(((const int64_t *)t.data)[1], 1ll << 40);
    dlrt_tensor_free(&t);
}
END_TEST

/* Fields the reader does not use are skipped by wire type: segment (3, a
 * message), doc_string (12), and unknown fields 100 (varint), 101 (fixed32),
 * 102 (fixed64): tags 100 << 3 = 800 -> a0 06, 101 << 3 | 5 = 813 -> ad 06,
 * 102 << 3 | 1 = 817 -> b1 06. */
START_TEST(test_pb_skips_unknown_fields)
{
    bytes s = {{0}, 0};
    dlrt_tensor t;
    put_hex(&s, "1a 04 08 00 10 01");        /* segment {begin 0, end 1} */
    put_hex(&s, "08 01 10 01");
    put_hex(&s, "62 02 68 69");              /* doc_string "hi" */
    put_hex(&s, "a0 06 96 01");              /* field 100 = 150 */
    put_hex(&s, "ad 06 01 02 03 04");
    put_hex(&s, "b1 06 01 02 03 04 05 06 07 08");
    put_hex(&s, "70 00");                    /* data_location DEFAULT */
    put_tag(&s, 1000, 2);                    /* unknown field 1000, 3 bytes */
    put_hex(&s, "03 01 02 03");
    put_hex(&s, "25");
    put_f32(&s, -3.25f);
    read_pb_ok("skip.pb", &s, &t);
    ck_assert_int_eq(t.rank, 1);
    ck_assert_float_eq(*(const float *)t.data, -3.25f);
    dlrt_tensor_free(&t);
}
END_TEST

START_TEST(test_pb_name_is_truncated_to_fit)
{
    bytes s = {{0}, 0};
    char path[512], err[256] = "", name[4];
    dlrt_tensor t;
    put_hex(&s, "42 06");
    put_str(&s, "abcdef");
    put_hex(&s, "10 01 4a 04 00000000");
    tmp_path(path, sizeof path, "name.pb");
    write_file(path, s.b, s.n);
    ck_assert_msg(dlrt_read_pb_named(path, &t, name, sizeof name, err, sizeof err) == 0, "%s", err);
    remove(path);
    ck_assert_str_eq(name, "abc");
    dlrt_tensor_free(&t);
}
END_TEST

START_TEST(test_pb_rejects_malformed)
{
    static const struct { const char *hex; const char *needle; } cases[] = {
        {"", "unsupported data_type 0"},
        {"08", "truncated varint"},
        {"08 02 10 01 4a 09 00", "runs past the end"},
        {"10 01 4a 04 00 00 00", "runs past the end"},
        {"10 01 0b", "wrong wire type"},                        /* dims with wire 3 (group) */
        {"10 01 a3 06", "unsupported wire type"},               /* unknown field 100, wire 3 */
        {"00 01", "field number 0"},
        {"0a 09 01 01 01 01 01 01 01 01 01 10 01", "more than 8 dims"},
        {"08 01 10 01 4a 04 00 00 80 3f 70 01", "externally"},
        {"08 01 10 08 32 01 61", "string tensors"},
        {"08 03 10 01 4a 04 00 00 80 3f", "raw_data has 4 bytes, dims need 12"},
        {"08 03 10 01 22 04 00 00 80 3f", "float_data has 1 values, dims need 3"},
        {"08 02 10 01 22 06 00 00 80 3f 00 00", "not a multiple of its width"},
        {"08 01 10 01 25 00 00 80 3f 4a 04 00 00 80 3f", "raw_data (also present)"},
        {"08 01 10 07 25 00 00 80 3f", "float_data holds values, but int64 tensors keep them in int64_data"},
        {"08 01 10 01 2d 00 00 80 3f", "wrong wire type"},      /* int32_data as fixed32 */
        {"0d 01 00 00 00 10 01", "wrong wire type"},            /* dims as fixed32 */
        {"08 ff ff ff ff ff ff ff ff ff ff 01", "longer than 10 bytes"},
        {"08 ff ff ff ff ff ff ff ff ff 01 10 01", "dims are negative"},
        {"08 80 80 80 80 80 80 80 80 40 08 80 80 80 80 80 80 80 80 40 10 01", "too large"},
        {"11 01 00 00 00 00 00 00 00", "data_type is not a varint"},
        {"40 01 10 01", "name is not length-delimited"},
        {"08 01 10 01 48 00", "raw_data is not length-delimited"},
        {"08 01 10 63 4a 01 00", "unsupported data_type 99"},
        {"08 01 10 01 25 00 00", "truncated fixed-width value"}};
    size_t c;
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        bytes s = {{0}, 0};
        put_hex(&s, cases[c].hex);
        read_fails(1, "bad.pb", &s, cases[c].needle);
    }
}
END_TEST

START_TEST(test_pb_truncated_and_mutated_files)
{
    bytes s = {{0}, 0};
    put_hex(&s, onnx_float_raw);
    fuzz_file(1, &s, 1);
    s.n = 0;
    put_hex(&s, "0a 02 02 03 10 06 2a 06 05 00 07 01 02 03 42 02 6e 6d");
    fuzz_file(1, &s, 0);   /* a prefix can be a whole valid message: only no-crash is checked */
}
END_TEST

static Suite *runtime_suite(void)
{
    Suite *s = suite_create("runtime");
    TCase *basics = tcase_create("basics"), *npy = tcase_create("npy"), *pb = tcase_create("pb");
    tcase_add_test(basics, test_dtype_table);
    tcase_add_test(basics, test_tensor_count);
    tcase_add_test(basics, test_clock_is_monotonic);
    tcase_add_test(basics, test_missing_file_is_named);
    tcase_add_test(npy, test_npy_reads_numpy_file);
    tcase_add_test(npy, test_npy_write_matches_numpy);
    tcase_add_test(npy, test_npy_write_scalar_and_vector_headers);
    tcase_add_test(npy, test_npy_write_leaves_growth_room_like_numpy);
    tcase_add_test(npy, test_npy_versions_2_and_3);
    tcase_add_test(npy, test_npy_scalar_and_empty);
    tcase_add_test(npy, test_npy_roundtrip_all_dtypes_and_ranks);
    tcase_add_test(npy, test_npy_rejects_malformed);
    tcase_add_test(npy, test_npy_rejects_bad_preamble);
    tcase_add_test(npy, test_npy_write_rejects_bad_tensors);
    tcase_add_test(npy, test_npy_truncated_and_mutated_files);
    tcase_add_test(pb, test_pb_reads_onnx_raw_float);
    tcase_add_test(pb, test_pb_reads_onnx_int64_data);
    tcase_add_test(pb, test_pb_float_data_packed_and_unpacked);
    tcase_add_test(pb, test_pb_int32_data_types);
    tcase_add_test(pb, test_pb_double_and_uint64_data);
    tcase_add_test(pb, test_pb_raw_scalar_and_int64);
    tcase_add_test(pb, test_pb_skips_unknown_fields);
    tcase_add_test(pb, test_pb_name_is_truncated_to_fit);
    tcase_add_test(pb, test_pb_rejects_malformed);
    tcase_add_test(pb, test_pb_truncated_and_mutated_files);
    suite_add_tcase(s, basics);
    suite_add_tcase(s, npy);
    suite_add_tcase(s, pb);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(runtime_suite());
    int failed;
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? 1 : 0;
}
