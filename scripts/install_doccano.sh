#!/usr/bin/env bash
# Create the virtual environment that runs the Doccano server, apart from the project's own venv:
# doccano 1.8.4 pins libraries (pydantic, numpy, Django's stack) that conflict with spaCy's.
# Idempotent: an environment whose `doccano` already imports is left as it is.
#   GOVNER_DOCCANO_VENV  where to create it (default ~/.cache/govner/doccano-venv)
#   PYTHON               the interpreter to build it with (default python3)
set -euo pipefail

VENV="${GOVNER_DOCCANO_VENV:-$HOME/.cache/govner/doccano-venv}"
PYTHON="${PYTHON:-python3}"
# Without the numpy and marshmallow pins every `doccano` command crashes at import.
PINS=("doccano==1.8.4" "numpy<2" "marshmallow<4" "gunicorn")

ready() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as md
import backend, gunicorn  # noqa: F401  (doccano's Django project and the server that runs it)
assert md.version("doccano") == "1.8.4"
PY
}

if ready; then
    echo "doccano venv ready: $VENV"
    exit 0
fi

echo "installing doccano 1.8.4 into $VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
if ! ready; then
    echo "doccano venv at $VENV does not import after install" >&2
    exit 1
fi
echo "doccano venv ready: $VENV"
