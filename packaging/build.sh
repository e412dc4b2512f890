#!/usr/bin/env bash
# Build the one-folder desktop app into dist/acctdesk/ (Linux; macOS works the same way).
#   packaging/build.sh            build with the venv of ./run (created on first use)
#   PYTHON=/path/python packaging/build.sh   use another interpreter's environment
# Prints the bundle's size and the build time. Build on the OS you ship for: pyinstaller
# does not cross-compile. Exactly one Qt binding (PySide6) may be installed in that env.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}

if [ ! -x "$PY" ]; then
  ./run acctdesk --version >/dev/null   # creates .venv and installs acctdesk
  PY=$ROOT/.venv/bin/python
fi
for other in PyQt5 PyQt6 PySide2; do
  if "$PY" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$other') is None)"; then
    echo "build: $other is installed next to PySide6; build in an environment without it" >&2
    exit 1
  fi
done
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
  echo "build: installing pyinstaller" >&2
  "$PY" -m pip install --quiet --disable-pip-version-check "pyinstaller>=6.10"
fi

start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$ROOT/dist" --workpath "$ROOT/build" "$ROOT/packaging/acctdesk.spec"
end=$(date +%s)

APPDIR=$ROOT/dist/acctdesk
size=$(du -sm "$APPDIR" | cut -f1)
files=$(find "$APPDIR" -type f | wc -l)
echo "build: $APPDIR: ${size} MB in ${files} files, built in $((end - start)) s"
