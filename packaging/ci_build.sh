#!/usr/bin/env bash
# CI: build the one-folder app and run the BUILT app's self-test offscreen.
#   bash packaging/ci_build.sh
# Installs pyinstaller into .venv (creating .venv through ./run on a fresh clone), builds
# dist/acctdesk/ with packaging/build.sh, prints its size, then runs
# `dist/acctdesk/acctdesk --self-test` in an almost empty environment (as a user's desktop
# session would start it: no venv, no PYTHONPATH). Exits non-zero when the build or any
# self-test step fails. About 2-3 minutes on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CI=true

if [ ! -x .venv/bin/python ]; then
  ./run acctdesk --version < /dev/null || { echo "ci_build: setting up .venv failed" >&2; exit 1; }
fi
if ! .venv/bin/python -c "import PyInstaller" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "pyinstaller>=6.10" \
    || { echo "ci_build: installing pyinstaller failed" >&2; exit 1; }
fi

rm -rf build dist
if ! packaging/build.sh < /dev/null; then
  echo "ci_build: the build failed" >&2
  exit 1
fi
APP=$ROOT/dist/acctdesk/acctdesk
if [ ! -x "$APP" ]; then
  echo "ci_build: $APP was not built" >&2
  exit 1
fi
echo "ci_build: bundle size $(du -sh dist/acctdesk | cut -f1) ($(du -sb dist/acctdesk | cut -f1) bytes)"

work=$(mktemp -d)
mkdir -p "$work/home"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 TMPDIR="$work" \
  QT_QPA_PLATFORM=offscreen "$APP" --self-test --verbose < /dev/null
rc=$?
echo "ci_build: built app's self-test exited $rc after $(( $(date +%s) - start )) s"
exit "$rc"
