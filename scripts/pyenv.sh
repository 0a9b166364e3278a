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
# The wheels are kept in $BEAMLENS_CACHE/wheels (pip's own HTTP cache stays
# empty here: the registry's answers are not cacheable), so a venv that is
# re-created installs them offline, without resolving or downloading again.
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
  wheels="$cache/wheels"
  mkdir -p "$(dirname "$venv")" "$wheels"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  if [ "$(cat "$wheels/.beamlens-requirements" 2>/dev/null)" != "$want" ]; then
    "$venv/bin/python" -m pip download -q --disable-pip-version-check -d "$wheels" -r "$req" >&2
    echo "$want" >"$wheels/.beamlens-requirements"
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-index --find-links "$wheels" -r "$req" >&2
  echo "$want" >"$stamp"
fi
lib="$(ls "$venv"/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so* 2>/dev/null | sort | tail -1)"
if [ -z "$lib" ]; then
  echo "pyenv: no libonnxruntime.so in $venv (the onnxruntime wheel)" >&2
  exit 1
fi
echo "BEAMLENS_PYENV=$venv"
echo "ONNXRUNTIME_SHARED_LIBRARY_PATH=$lib"
