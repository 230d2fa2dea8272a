#!/bin/sh
# The stack sizes the README promises (section "Threads"): the generated code of
# light SqueezeNet and ResNet-50 (the stems' direct kernel, Winograd, the packed
# product) runs on a 320 KB thread by default and on 128 KB with
# -DDLK_SGEMM_NC=64, built with CC (the project's compiler) and, when
# installed, clang; the outputs are
# the bits of a run on 8 MB. A default build on 64 KB must crash (the check
# can fail).
#   check_stack.sh DLCC PYTHON WORKDIR [CC]
set -u
DLCC=$1 PYTHON=$2 WORK=$3 CC=${4:-cc}
HERE=$(cd "$(dirname "$0")" && pwd)
RUNTIME=$HERE/../../runtime
LIGHT=$("$PYTHON" -c "import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), 'backend/test/data/light'))") || exit 1
mkdir -p "$WORK"
fail=0
compilers=$CC
case $CC in
*clang*) ;;
*) command -v clang >/dev/null 2>&1 && compilers="$CC clang" || echo "clang not installed: $CC only" ;;
esac
for model in squeezenet resnet50; do
    dir=$WORK/$model
    mkdir -p "$dir"
    "$DLCC" "$LIGHT/light_$model.onnx" -o "$dir/stm.c" --name stm -O3 --weights=file || { echo "FAIL: dlcc $model"; exit 1; }
    for cc in $compilers; do
        for nc in default 64; do
            exe=$dir/run_$(basename "$cc")_$nc
            flags=""
            [ "$nc" = default ] || flags="-DDLK_SGEMM_NC=$nc"
            $cc -std=c99 -O3 -march=native $flags -I"$dir" -I"$RUNTIME" "$HERE/stack_main.c" "$dir/stm.c" -lm -pthread \
                -o "$exe" || { echo "FAIL: $cc $flags $model does not build"; fail=1; continue; }
            "$exe" "$dir/stm.weights" 8192 "$dir/ref.bin" || { echo "FAIL: $cc $flags $model on 8 MB"; fail=1; continue; }
            kb=320
            [ "$nc" = default ] || kb=128
            if "$exe" "$dir/stm.weights" $kb "$dir/out.bin" && cmp -s "$dir/ref.bin" "$dir/out.bin"; then
                echo "ok: $model, $cc $flags, on $kb KB"
            else
                echo "FAIL: $model, $cc $flags, on $kb KB"
                fail=1
            fi
            if [ "$nc" = default ] && [ "$model" = resnet50 ]; then
                if ( "$exe" "$dir/stm.weights" 64 "$dir/out.bin" ) >/dev/null 2>&1; then
                    echo "FAIL: $model, $cc, ran on 64 KB: the check cannot see an overflow"
                    fail=1
                else
                    echo "ok: $model, $cc, crashed on 64 KB as it must"
                fi
            fi
        done
    done
done
exit $fail
