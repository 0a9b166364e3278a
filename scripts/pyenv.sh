#!/usr/bin/env bash
# Creates (once) the Python virtualenv of the model detector's tools:
# scikit-learn, skl2onnx and onnxruntime (whose wheel ships ONNX Runtime's
# shared library, libonnxruntime.so, which beamlens loads for --model=FILE.onnx),
# and MLServer with its scikit-learn runtime (the KServe v2 path), at the
# versions pinned in scripts/models/requirements.txt, for Python 3.11.
#
# Usage: scripts/pyenv.sh [print]
#   Installs when the venv is missing or the pins changed (a stamp file holds
#   their hash), then prints, for eval or for the tests:
#     BEAMLENS_PYENV=<venv>
#     ONNXRUNTIME_SHARED_LIBRARY_PATH=<venv>/.../onnxruntime/capi/libonnxruntime.so.X
#
# Environment (optional):
#   BEAMLENS_PYENV   the venv's folder (default $BEAMLENS_CACHE/venv-models)
#   BEAMLENS_CACHE   default ~/.cache/beamlens
#   PYTHON           the interpreter (default python3.11, else python3)
# pip keeps its wheels in ~/.cache/pip, so a second machine state or a
# re-created venv installs without downloading.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$SCRIPT_DIR/models/requirements.txt"
cache="${BEAMLENS_CACHE:-$HOME/.cache/beamlens}"
venv="${BEAMLENS_PYENV:-$cache/venv-models}"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"

stamp="$venv/.beamlens-requirements"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "pyenv: installing $req into $venv ($("$python" --version))" >&2
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >&2
  echo "$want" >"$stamp"
fi
lib="$(ls "$venv"/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so* 2>/dev/null | sort | tail -1)"
if [ -z "$lib" ]; then
  echo "pyenv: no libonnxruntime.so in $venv (the onnxruntime wheel)" >&2
  exit 1
fi
echo "BEAMLENS_PYENV=$venv"
echo "ONNXRUNTIME_SHARED_LIBRARY_PATH=$lib"
