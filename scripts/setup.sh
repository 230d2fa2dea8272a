#!/bin/sh
# Installs what dlcc needs on Debian 12 (as root, or with sudo), and with
# --venv also the pinned Python test tools in BUILD/venv. Safe to re-run:
# it installs only what is missing.
set -eu
BUILD=${BUILD:-build}
PACKAGES="build-essential clang cmake pkg-config protobuf-c-compiler libprotobuf-c-dev libonnx-dev check python3 python3-venv graphviz"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

if [ "${1:-}" = "--venv" ]; then
    PY=/usr/bin/python3
    [ -x "$PY" ] || PY=python3
    if [ ! -x "$BUILD/venv/bin/python" ]; then
        echo "setup: creating $BUILD/venv"
        mkdir -p "$BUILD"
        "$PY" -m venv "$BUILD/venv"
    fi
    if ! "$BUILD/venv/bin/python" -c 'import onnx, onnxruntime, numpy' 2>/dev/null ||
       ! cmp -s tests/requirements.txt "$BUILD/venv/.requirements"; then
        "$BUILD/venv/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
        cp tests/requirements.txt "$BUILD/venv/.requirements"
    fi
fi
