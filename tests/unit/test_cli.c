/* The dlcc command on good and bad input: one clear message, exit code 1,
 * and no output file left behind. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dlrt.h"
#define SCRATCH_TAG "cli"
#include "scratch_dir.h"
#include "model_builder.h"

static char err_text[8192];

/* Runs dlcc with args (a shell word list); returns its exit status; stderr in err_text. */
static int run_dlcc(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s/stderr.txt' >/dev/null", DLCC_BIN, args, dir);
    int status = system(cmd);
    FILE *f = fopen(path("stderr.txt"), "r");
    size_t n = f ? fread(err_text, 1, sizeof err_text - 1, f) : 0;
    err_text[n] = 0;
    if (f)
        fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The common checks for a rejected model: exit 1, the message, no output. */
static void expect_rejected(const char *model, const char *extra_args, const char *needle1, const char *needle2)
{
    char args[1024];
    snprintf(args, sizeof args, "'%s' -o '%s' %s", model, path("out.c"), extra_args);
    int rc = run_dlcc(args);
    ck_assert_msg(rc == 1, "exit code %d, stderr: %s", rc, err_text);
    ck_assert_msg(strstr(err_text, needle1), "stderr lacks '%s': %s", needle1, err_text);
    if (needle2)
        ck_assert_msg(strstr(err_text, needle2), "stderr lacks '%s': %s", needle2, err_text);
    ck_assert_msg(strstr(err_text, model), "stderr does not name the file: %s", err_text);
    ck_assert_msg(access(path("out.c"), F_OK) != 0, "out.c was left behind");
    ck_assert_msg(access(path("out.h"), F_OK) != 0, "out.h was left behind");
}

static const int64_t x_dims[4] = {1, 3, 8, 8};
static const int64_t w_dims[4] = {4, 3, 3, 3};

/* x[1,3,8,8] -> Conv(w[4,3,3,3]) -> Relu -> y */
static mb_model *conv_relu(const int64_t *wd)
{
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x_dims);
    mb_init_f32(m, "w", 4, wd, NULL);
    mb_node(m, "Conv", "conv1", "x,w", "c");
    mb_node(m, "Relu", "relu1", "c", "y");
    mb_output(m, "y");
    return m;
}

START_TEST(test_good_model_compiles)
{
    make_dir();
    ck_assert_int_eq(mb_save(conv_relu(w_dims), path("good.onnx")), 0);
    char args[1024];
    snprintf(args, sizeof args, "'%s' -o '%s'", path("good.onnx"), path("out.c"));
    ck_assert_msg(run_dlcc(args) == 0, "stderr: %s", err_text);
    ck_assert_int_eq(access(path("out.c"), F_OK), 0);
    ck_assert_int_eq(access(path("out.h"), F_OK), 0);
    remove_dir();
}
END_TEST

START_TEST(test_not_protobuf)
{
    make_dir();
    FILE *f = fopen(path("text.onnx"), "w");
    fputs("this is not an ONNX model\n", f);
    fclose(f);
    expect_rejected(path("text.onnx"), "", "not a valid ONNX model", NULL);
    ck_assert_int_eq(count_lines(err_text), 1);
    remove_dir();
}
END_TEST

START_TEST(test_truncated)
{
    make_dir();
    ck_assert_int_eq(mb_save(conv_relu(w_dims), path("full.onnx")), 0);
    FILE *in = fopen(path("full.onnx"), "rb");
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    FILE *out = fopen(path("cut.onnx"), "wb");
    fwrite(buf, 1, n / 2, out);
    fclose(out);
    expect_rejected(path("cut.onnx"), "", "not a valid ONNX model", NULL);
    remove_dir();
}
END_TEST

START_TEST(test_unknown_ops_listed_at_once)
{
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x_dims);
    mb_node(m, "FooOp", "foo_node", "x", "a");
    mb_node(m, "BarOp", "bar_node", "a", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("unknown.onnx")), 0);
    expect_rejected(path("unknown.onnx"), "", "FooOp", "BarOp");
    ck_assert_msg(strstr(err_text, "foo_node") && strstr(err_text, "bar_node"), "node names missing: %s", err_text);
    ck_assert_int_eq(count_lines(err_text), 1);
    remove_dir();
}
END_TEST

START_TEST(test_missing_initializer)
{
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x_dims);
    mb_node(m, "Conv", "conv1", "x,w_missing", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("missing.onnx")), 0);
    expect_rejected(path("missing.onnx"), "", "w_missing", "conv1");
    remove_dir();
}
END_TEST

START_TEST(test_conv_channel_mismatch)
{
    make_dir();
    static const int64_t bad_w[4] = {4, 2, 3, 3};
    ck_assert_int_eq(mb_save(conv_relu(bad_w), path("mismatch.onnx")), 0);
    expect_rejected(path("mismatch.onnx"), "", "conv1", "Conv");
    ck_assert_msg(strstr(err_text, "3") && strstr(err_text, "2"), "numbers missing: %s", err_text);
    remove_dir();
}
END_TEST

START_TEST(test_cycle)
{
    make_dir();
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x_dims);
    mb_node(m, "Add", "add_a", "x,b", "a");
    mb_node(m, "Relu", "relu_b", "a", "b");
    mb_output(m, "a");
    ck_assert_int_eq(mb_save(m, path("cycle.onnx")), 0);
    expect_rejected(path("cycle.onnx"), "", "cycle", NULL);
    remove_dir();
}
END_TEST

START_TEST(test_unbound_symbolic_dim)
{
    make_dir();
    static const int64_t sym[4] = {-1, 3, 8, 8};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, sym);
    mb_node(m, "Relu", "relu1", "x", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("symbolic.onnx")), 0);
    expect_rejected(path("symbolic.onnx"), "", "'x'", "--shape");
    /* Bound on the command line, it compiles. */
    char args[1024];
    snprintf(args, sizeof args, "'%s' -o '%s' --shape x=2,3,8,8", path("symbolic.onnx"), path("out.c"));
    ck_assert_msg(run_dlcc(args) == 0, "stderr: %s", err_text);
    remove_dir();
}
END_TEST

START_TEST(test_external_data_outside_folder)
{
    make_dir();
    mb_model *m = conv_relu(w_dims);
    mb_external(m->inits[0], "../evil.bin");
    FILE *f = fopen(path("evil.bin"), "wb");
    static float zeros[4 * 3 * 3 * 3];
    fwrite(zeros, sizeof zeros, 1, f);
    fclose(f);
    ck_assert_int_eq(mb_save(m, path("models/external.onnx")), 0);
    expect_rejected(path("models/external.onnx"), "", "evil.bin", NULL);
    remove_dir();
}
END_TEST

/* Graph tensors named like the generated code's own symbols (w_* pools, keywords)
   become parameters with another name (this once looped forever). */
START_TEST(test_reserved_names)
{
    make_dir();
    static const int64_t d2[2] = {2, 3};
    mb_model *m = mb_new(13);
    mb_input(m, "w_scale", 2, d2);
    mb_input(m, "int", 2, d2);
    mb_node(m, "Add", "add", "w_scale,int", "w_f32");
    mb_output(m, "w_f32");
    ck_assert_int_eq(mb_save(m, path("names.onnx")), 0);
    char args[1024];
    snprintf(args, sizeof args, "'%s' -o '%s' && cc -std=c99 -Wall -Wextra -pedantic -Werror -c '%s' -o '%s'",
             path("names.onnx"), path("out.c"), path("out.c"), path("out.o"));
    ck_assert_msg(run_dlcc(args) == 0, "%s", err_text);
    remove_dir();
}
END_TEST

/* A model of a newer opset loads when its ops' schemas only added types since
   opset 23 (Relu last changed at 14). */
START_TEST(test_schema_versions)
{
    make_dir();
    static const int64_t d2[2] = {2, 3};
    mb_model *m = mb_new(28);
    mb_input(m, "x", 2, d2);
    mb_node(m, "Relu", "relu", "x", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("relu28.onnx")), 0);
    char args[1024];
    snprintf(args, sizeof args, "'%s' -o '%s'", path("relu28.onnx"), path("out.c"));
    ck_assert_msg(run_dlcc(args) == 0, "%s", err_text);
    remove_dir();
}
END_TEST

START_TEST(test_usage_errors)
{
    make_dir();
    ck_assert_int_eq(run_dlcc(""), 1);
    ck_assert_ptr_nonnull(strstr(err_text, "no model"));
    ck_assert_int_eq(run_dlcc("--help"), 0);
    ck_assert_int_eq(run_dlcc("x.onnx -o y.c --weights=bogus"), 1);
    ck_assert_ptr_nonnull(strstr(err_text, "embed or file"));
    ck_assert_int_eq(run_dlcc("x.onnx -o y.c --shape nonsense"), 1);
    ck_assert_ptr_nonnull(strstr(err_text, "INPUT=d,d"));
    ck_assert_int_eq(run_dlcc("/nonexistent/model.onnx -o y.c"), 1);
    ck_assert_ptr_nonnull(strstr(err_text, "/nonexistent/model.onnx"));
    remove_dir();
}
END_TEST

/* Constants are used in another order than the file declares them: each must
   still land at its own offset, embedded and in a weights file. */
START_TEST(test_constants_out_of_declaration_order)
{
    make_dir();
    static const int64_t d2[2] = {2, 3}, d1[1] = {3};
    static const float early[3] = {100, 200, 300}, late[6] = {1, 2, 3, 4, 5, 6};
    static const float x[6] = {0.5f, -1, 2, 0, 7, -3};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 2, d2);
    mb_init_f32(m, "b_early", 1, d1, early);
    mb_init_f32(m, "b_late", 2, d2, late);
    mb_node(m, "Add", "first", "x,b_late", "a");
    mb_node(m, "Add", "second", "a,b_early", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("order.onnx")), 0);
    dlrt_tensor in = {1, 2, {2, 3}, (void *)x, sizeof x};
    char err[256];
    ck_assert_int_eq(dlrt_write_npy(path("x.npy"), &in, err, sizeof err), 0);
    const char *modes[2] = {"--weights=embed", "--weights=file"};
    for (int k = 0; k < 2; k++) {
        char args[1024];
        snprintf(args, sizeof args, "run '%s' --input x='%s' --output-dir '%s' %s", path("order.onnx"), path("x.npy"),
                 path("out"), modes[k]);
        ck_assert_msg(run_dlcc(args) == 0, "%s: %s", modes[k], err_text);
        dlrt_tensor y;
        ck_assert_int_eq(dlrt_read_npy(path("out/y.npy"), &y, err, sizeof err), 0);
        ck_assert_int_eq((int)y.bytes, (int)sizeof x);
        for (int i = 0; i < 6; i++) {
            float want = x[i] + late[i] + early[i % 3];
            ck_assert_msg(((float *)y.data)[i] == want, "%s: y[%d] = %g, expected %g", modes[k], i,
                          (double)((float *)y.data)[i], (double)want);
        }
        dlrt_tensor_free(&y);
    }
    remove_dir();
}
END_TEST

/* x[2,3] -> ReduceSum(axes = graph input, keepdims 0) -> y. With --bind axes=[1] the
 * output shape is [2]; the generated code must refuse another axes value. */
START_TEST(test_bind_fixes_an_input)
{
    make_dir();
    static const int64_t d2[2] = {2, 3}, d1[1] = {1};
    static const float x[6] = {1, 2, 3, 10, 20, 30};
    static const int64_t axes1[1] = {1}, axes0[1] = {0};
    mb_model *m = mb_new(18);
    mb_input(m, "x", 2, d2);
    mb_input(m, "axes", 1, d1);
    m->inputs[1]->type->tensor_type->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    mb_attr_int(mb_node(m, "ReduceSum", "sum", "x,axes", "y"), "keepdims", 0);
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("models/reduce.onnx")), 0);
    char err[256], args[2048];
    dlrt_tensor tx = {1, 2, {2, 3}, (void *)x, sizeof x};
    dlrt_tensor ta1 = {7, 1, {1}, (void *)axes1, sizeof axes1}, ta0 = {7, 1, {1}, (void *)axes0, sizeof axes0};
    ck_assert_int_eq(dlrt_write_npy(path("x.npy"), &tx, err, sizeof err), 0);
    ck_assert_int_eq(dlrt_write_npy(path("axes1.npy"), &ta1, err, sizeof err), 0);
    ck_assert_int_eq(dlrt_write_npy(path("axes0.npy"), &ta0, err, sizeof err), 0);
    dlrt_tensor tf = {1, 1, {1}, (void *)x, sizeof x[0]};
    ck_assert_int_eq(dlrt_write_npy(path("axesf.npy"), &tf, err, sizeof err), 0);

    /* without --bind: refused, naming the input and the option */
    expect_rejected(path("models/reduce.onnx"), "", "must be a constant", "--bind axes=FILE");

    /* bound to [1]: y = row sums 1+2+3 = 6, 10+20+30 = 60 */
    char model[512];
    snprintf(model, sizeof model, "%s", path("models/reduce.onnx")); /* path() reuses 4 buffers */
    snprintf(args, sizeof args, "run '%s' --bind axes='%s' --input x='%s' --input axes='%s' --output-dir '%s'",
             model, path("axes1.npy"), path("x.npy"), path("axes1.npy"), path("out"));
    ck_assert_msg(run_dlcc(args) == 0, "%s", err_text);
    dlrt_tensor y;
    ck_assert_int_eq(dlrt_read_npy(path("out/y.npy"), &y, err, sizeof err), 0);
    ck_assert_int_eq(y.rank, 1);
    ck_assert_int_eq((int)y.dims[0], 2);
    ck_assert(((float *)y.data)[0] == 6.0f && ((float *)y.data)[1] == 60.0f);
    dlrt_tensor_free(&y);

    /* run with another axes value than the bound one: the generated code returns -2 */
    snprintf(args, sizeof args, "run '%s' --bind axes='%s' --input x='%s' --input axes='%s' --output-dir '%s'",
             model, path("axes1.npy"), path("x.npy"), path("axes0.npy"), path("out2"));
    ck_assert_int_eq(run_dlcc(args), 1);
    ck_assert_msg(strstr(err_text, "returned -2"), "%s", err_text);

    /* a file of the wrong type, an unknown input */
    snprintf(args, sizeof args, "--bind axes='%s'", path("axesf.npy"));
    expect_rejected(model, args, "the file holds float32, but input 'axes' is int64", NULL);
    snprintf(args, sizeof args, "--bind axes='%s'", path("x.npy"));
    expect_rejected(model, args, "--bind axes: the file's value (rank 2) does not fit", NULL);
    snprintf(args, sizeof args, "--bind nope='%s'", path("axes1.npy"));
    expect_rejected(model, args, "--bind names 'nope'", "not an input of the model");
    remove_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *t = tcase_create("bad input");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_good_model_compiles);
    tcase_add_test(t, test_not_protobuf);
    tcase_add_test(t, test_truncated);
    tcase_add_test(t, test_unknown_ops_listed_at_once);
    tcase_add_test(t, test_missing_initializer);
    tcase_add_test(t, test_conv_channel_mismatch);
    tcase_add_test(t, test_cycle);
    tcase_add_test(t, test_unbound_symbolic_dim);
    tcase_add_test(t, test_external_data_outside_folder);
    tcase_add_test(t, test_usage_errors);
    tcase_add_test(t, test_schema_versions);
    tcase_add_test(t, test_reserved_names);
    tcase_add_test(t, test_constants_out_of_declaration_order);
    tcase_add_test(t, test_bind_fixes_an_input);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
