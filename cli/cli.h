/* Shared by the dlcc subcommands. */
#ifndef DLCC_CLI_H
#define DLCC_CLI_H

#include "dlcc/dlcc.h"

#define MAX_SHAPES 64

/* The compile options every subcommand accepts. */
typedef struct compile_args {
    dlcc_options opt;
    dl_shape_binding shapes[MAX_SHAPES];
    dl_value_binding values[MAX_SHAPES];
    const char *enable[MAX_SHAPES], *disable[MAX_SHAPES];
    bool verbose;
} compile_args;

/* Zeroes a and sets the defaults (-O2). */
void cli_compile_args_init(compile_args *a);
/* dlcc run/compare --threads N: 1..64, or -1 with a message. */
int cli_parse_threads(const char *arg);
/* Parses one compile option; returns 1 if it consumed it, 0 if not one, -1 on a bad value. */
int cli_compile_option(compile_args *a, int opt, const char *arg);
/* Frees what cli_compile_option allocated. */
void cli_compile_args_free(compile_args *a);
void cli_print_diag(const dl_diag *d);
int cli_run_command(int argc, char **argv);      /* dlcc run */
int cli_compare_command(int argc, char **argv);  /* dlcc compare */

/* getopt_long codes of the shared options. */
enum {
    OPT_NAME = 1000, OPT_SHAPE, OPT_BIND, OPT_WEIGHTS, OPT_DUMP_AFTER, OPT_DUMP_FILE, OPT_DUMP_FORMAT,
    OPT_INPUT, OPT_OUTPUT_DIR, OPT_RTOL, OPT_ATOL, OPT_KEEP, OPT_HELP, OPT_VERSION, OPT_LIST_OPS,
    OPT_ENABLE_PASS, OPT_DISABLE_PASS, OPT_LIST_PASSES, OPT_REPORT, OPT_THREADS, OPT_PROFILE, OPT_CPU,
};

#define CLI_COMPILE_LONG_OPTIONS                                        \
    {"name", required_argument, NULL, OPT_NAME},                        \
    {"shape", required_argument, NULL, OPT_SHAPE},                      \
    {"bind", required_argument, NULL, OPT_BIND},                        \
    {"weights", required_argument, NULL, OPT_WEIGHTS},                  \
    {"dump-after", required_argument, NULL, OPT_DUMP_AFTER},            \
    {"enable-pass", required_argument, NULL, OPT_ENABLE_PASS},          \
    {"disable-pass", required_argument, NULL, OPT_DISABLE_PASS},        \
    {"dump-file", required_argument, NULL, OPT_DUMP_FILE},              \
    {"dump-format", required_argument, NULL, OPT_DUMP_FORMAT},          \
    {"profile", no_argument, NULL, OPT_PROFILE},                        \
    {"cpu", required_argument, NULL, OPT_CPU},                          \
    {"verbose", no_argument, NULL, 'v'},                                \
    {"help", no_argument, NULL, OPT_HELP}

#define CLI_COMPILE_HELP                                                                         \
    "  --name NAME            C prefix of the generated symbols (default: the output's base name)\n" \
    "  --shape INPUT=d,d,...  bind an input's shape (symbolic dims must be bound); repeatable\n"       \
    "  --bind INPUT=FILE      fix an input's value at compile time (.npy or .pb), e.g. axes that decide\n" \
    "                         shapes; the code returns -2 if run with another value; repeatable\n"      \
    "  --weights=embed|file   weights inside the .c file (default) or in NAME.weights + a loader;\n"   \
    "                         with file, constants computed from constants (ConstantOfShape...) are\n" \
    "                         folded whatever their size (embedded: only up to 64 KiB each)\n"         \
    "  -O0, -O1, -O2, -O3     optimisation level (default -O2; see --list-passes)\n"                 \
    "  --cpu=native|avx512|avx2|generic\n"                                                         \
    "                         the CPU the generated C is built for (default native: this machine's);\n" \
    "                         with 512-bit vectors the layout pass (-O2) puts regions of pointwise\n" \
    "                         and depthwise convs in NCHW16c and conv-tiles takes other convs: their\n" \
    "                         kernels are fast only where the C compiler targets AVX-512\n"          \
    "                         (-march=native; elsewhere their portable C runs)\n"                    \
    "  --enable-pass=NAME     run a pass the -O level leaves out; repeatable\n"                       \
    "  --disable-pass=NAME    skip an optional pass; repeatable\n"                                      \
    "  --profile              time every node: the code keeps a static table (profile builds only; runs\n" \
    "                         must not overlap) and NAME_profile_print(FILE *) lists the nodes, slowest\n" \
    "                         first (name, op + fused ops, calls, total ms, ms/call, %% of the run);\n"   \
    "                         dlcc run prints it on stderr\n"                                          \
    "  -v, --verbose          print one line per pass\n"                                              \
    "  --dump-after=PASS|all  print the graph after PASS, or after every pass\n"                     \
    "  --dump-format=text|dot format of the dump (default text)\n"                                    \
    "  --dump-file=PATH       write the dump to PATH instead of stderr\n"

#endif
