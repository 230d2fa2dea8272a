#!/bin/sh
# Checks that an installed dlcc works from another project:
#   run_install_test.sh BUILD_DIR
# installs BUILD_DIR into a temporary prefix, moves the prefix (the package must
# be relocatable), then configures, builds and runs consumer/, which uses
# find_package(dlcc) and dlcc_add_model(... WEIGHTS file) on
# examples/classify/classify_model.onnx. Uses $CMAKE if set (ctest passes
# ${CMAKE_COMMAND}), else cmake from PATH. Exits non-zero on any failure and
# keeps the temporary folder then, for a look.
set -eu

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 BUILD_DIR  (a configured and built dlcc build tree)" >&2
    exit 2
fi
build_dir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
cmake=${CMAKE:-cmake}
work=$(mktemp -d "${TMPDIR:-/tmp}/dlcc-install-test.XXXXXX")

fail() {
    echo "install test FAILED: $*" >&2
    echo "  (files kept in $work)" >&2
    exit 1
}

run() {   # run LOG COMMAND...: quiet unless it fails
    log=$1; shift
    "$@" >"$work/$log" 2>&1 || { cat "$work/$log" >&2; fail "$* (log: $work/$log)"; }
}

run install.log "$cmake" --install "$build_dir" --prefix "$work/stage"
mv "$work/stage" "$work/prefix"
prefix=$work/prefix

[ -x "$prefix/bin/dlcc" ] || fail "bin/dlcc was not installed"
[ -f "$prefix/include/dlcc/dlrt.h" ] || fail "include/dlcc/dlrt.h was not installed"
config=$(find "$prefix" -name dlccConfig.cmake | head -n 1)
[ -n "$config" ] || fail "dlccConfig.cmake was not installed"
for f in dlccConfigVersion.cmake dlccTargets.cmake DlccAddModel.cmake; do
    [ -f "$(dirname "$config")/$f" ] || fail "$f is missing beside $config"
done

run configure.log "$cmake" -S "$here/consumer" -B "$work/build" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
    -DDLCC_TEST_MODEL="$source_dir/examples/classify/classify_model.onnx"
grep -qF "DLCC_EXECUTABLE=$prefix/bin/dlcc" "$work/configure.log" ||
    fail "the consumer did not pick the installed dlcc: $(grep dlcc_consumer "$work/configure.log")"

run build.log "$cmake" --build "$work/build"
[ -f "$work/build/dlcc_net/net.weights" ] || fail "dlcc_add_model(WEIGHTS file) wrote no net.weights"

# From another folder: the weights path compiled in must not depend on the cwd.
out=$(cd / && "$work/build/consumer") || fail "the consumer failed: $out"
echo "$out"
# classify_model ends in Softmax: its outputs sum to 1.
case $out in
    *"output sum 1.0000"*) ;;
    *) fail "expected 'output sum 1.0000' (a softmax output)" ;;
esac

rm -rf "$work"
echo "install test passed"
