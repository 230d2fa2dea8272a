#!/bin/sh
# Two dlcc binaries (or two sets of flags) on one bench model, in alternated
# rounds: A, B, A, B... each a run of bench_main (warm-up, then the median of
# RUNS runs), so that a slow spell of a shared machine falls on both. The
# numbers a change's commit message quotes ("alternated rounds") come from
# here; `make bench` must have run once (it makes the work folder's models
# and inputs).
#
#   bench/ab.sh MODEL THREADS ROUNDS DLCC_A DLCC_B
#   A_FLAGS / B_FLAGS: extra dlcc flags per side (e.g. B_FLAGS=--disable-pass=layout)
#   RUNS (default 40), WORKDIR (default $TMPDIR/dlcc-bench), CC (default cc)
set -eu
[ $# -eq 5 ] || { echo "usage: bench/ab.sh MODEL THREADS ROUNDS DLCC_A DLCC_B" >&2; exit 2; }
model=$1 threads=$2 rounds=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$here/..
work=${WORKDIR:-${TMPDIR:-/tmp}/dlcc-bench}
python=$root/build/venv/bin/python
case $model in
mobilenetv2 | efficientnet_b0) onnx=$work/models/$model.onnx ;;
*) onnx=$("$python" -c "import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), 'backend/test/data/light/light_$model.onnx'))") ;;
esac
input=$work/$model/input_0.npy
[ -f "$onnx" ] && [ -f "$input" ] || { echo "bench/ab.sh: no $onnx or $input: run make bench once" >&2; exit 2; }
out=$work/ab/$model
for side in A B; do
    if [ $side = A ]; then dlcc=$4 flags=${A_FLAGS:-}; else dlcc=$5 flags=${B_FLAGS:-}; fi
    mkdir -p "$out/$side"
    # shellcheck disable=SC2086
    "$dlcc" "$onnx" -o "$out/$side/bm.c" --name bm -O3 --weights=file --threads $flags
    ${CC:-cc} -O3 -march=native -I"$out/$side" -I"$root/runtime" -DBENCH_WEIGHTS=1 -DBENCH_THREADS=1 -pthread \
        "$here/bench_main.c" "$out/$side/bm.c" "$root/runtime/tensor_io.c" "$root/runtime/timing.c" -lm \
        -o "$out/$side/bench"
done
r=1
while [ $r -le "$rounds" ]; do
    line=""
    for side in A B; do
        ms=$("$out/$side/bench" --threads "$threads" --warmup 5 --runs "${RUNS:-40}" --out-dir "$out/$side/out" \
            --weights "$out/$side/bm.weights" "$input" 2>&1 | sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p')
        line="$line$side $ms ms  "
    done
    echo "round $r: $line"
    r=$((r + 1))
done
