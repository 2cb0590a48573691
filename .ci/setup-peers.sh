#!/usr/bin/env bash
# Installs the Python peers that judge our files as users run them today, one
# virtual environment per file .ci/peers/<name>.txt, under
# ${CELLFOLIO_PEERS:-/opt/cellfolio-peers}/<name>. Each file is a pip
# requirements file with a few "# key: value" lines this script reads:
#   # python: 3.12 | /usr/bin/python3   the interpreter (a version is looked up
#                                       as pythonX.Y on PATH, then in pyenv)
#   # venv: --system-site-packages      extra flags for `python -m venv`
#   # no-deps: pkg==1.2.3 ...           installed afterwards with --no-deps
#   # show: pkg ...                     versions printed at the end
#   # on-demand: yes                     only when named: peers the benches
#                                       alone use (CI does not install them)
# With names as arguments (bash .ci/setup-peers.sh zarr-fast), installs those only.
# A venv is reused while the sha256 of its file (and of its interpreter's
# version) matches the one stored in <venv>/.cellfolio-pins; otherwise it is
# rebuilt from scratch. Called by setup-system.sh; can run on its own.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PEERS="${CELLFOLIO_PEERS:-/opt/cellfolio-peers}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! mkdir -p "$PEERS" 2>/dev/null || ! [ -w "$PEERS" ]; then
  $SUDO mkdir -p "$PEERS" && $SUDO chown "$(id -u):$(id -g)" "$PEERS"
fi

# Wheels downloaded once are kept beside the venvs: a changed pin rebuilds a venv
# without fetching again what did not change.
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$PEERS/.pip-cache}"

# uv installs what pip would, several times faster (parallel downloads and
# unpacking): it is fetched once into its own small venv; pip is the fallback.
UV_VERSION=0.13.9
UV="$PEERS/.uv/bin/uv"
ensure_uv() {
  [ -x "$UV" ] && "$UV" --version 2>/dev/null | grep -q " $UV_VERSION" && return 0
  rm -rf "$PEERS/.uv"
  { python3 -m venv "$PEERS/.uv" && "$PEERS/.uv/bin/python" -m pip install -q --no-input \
      --disable-pip-version-check "uv==$UV_VERSION"; } >/dev/null 2>&1 || { UV=""; return 0; }
}
# uv reads the system's certificates as pip does, and the same extra wheel folder.
export UV_NATIVE_TLS=1 UV_CACHE_DIR="${UV_CACHE_DIR:-$PEERS/.uv-cache}"
[ -z "${PIP_FIND_LINKS:-}" ] || export UV_FIND_LINKS="$PIP_FIND_LINKS"
pip_install() { # <venv> <pip args...>
  local venv="$1"; shift
  if [ -n "$UV" ]; then
    "$UV" pip install -q --python "$venv/bin/python" "$@"
  else
    "$venv/bin/python" -m pip install -q --no-input --disable-pip-version-check "$@"
  fi
}

directive() { sed -n "s/^# $1: *//p" "$2" | head -1; }

find_python() {
  local spec="$1" p
  case "$spec" in
    /*) p="$spec" ;;
    *) # pyenv's versions first: its shims on PATH may refuse a version not selected
       p="$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$spec".*/bin/"python$spec" 2>/dev/null | sort -V | tail -1 || true)"
       [ -n "$p" ] || p="$(command -v "python$spec" 2>/dev/null || true)" ;;
  esac
  if [ -z "$p" ] || ! "$p" -V >/dev/null 2>&1; then
    echo "setup-peers: no Python $spec found (on PATH as python$spec, or in pyenv): install it, e.g. pyenv install $spec" >&2
    exit 1
  fi
  echo "$p"
}

# The peer files to install: those named on the command line, or every one
# not marked on-demand.
WANTED=()
if [ $# -gt 0 ]; then
  for name in "$@"; do
    [ -f "$HERE/peers/$name.txt" ] || { echo "setup-peers: no peer file .ci/peers/$name.txt" >&2; exit 1; }
    WANTED+=("$HERE/peers/$name.txt")
  done
else
  for req in "$HERE"/peers/*.txt; do
    [ "$(directive on-demand "$req")" = yes ] || WANTED+=("$req")
  done
fi

ensure_uv
for req in "${WANTED[@]}"; do
  name="$(basename "$req" .txt)"
  python="$(find_python "$(directive python "$req")")"
  dir="$PEERS/$name"
  stamp="$({ cat "$req"; "$python" -VV; } | sha256sum | cut -d' ' -f1)"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.cellfolio-pins" 2>/dev/null)" = "$stamp" ]; then
    continue
  fi
  echo "peer $name: installing into $dir ($("$python" -V))"
  start=$SECONDS
  rm -rf "$dir"
  # shellcheck disable=SC2046
  "$python" -m venv $(directive venv "$req") "$dir"
  pip_install "$dir" -r "$req"
  nodeps="$(directive no-deps "$req")"
  # shellcheck disable=SC2086
  [ -z "$nodeps" ] || pip_install "$dir" --no-deps $nodeps
  echo "$stamp" > "$dir/.cellfolio-pins"
  echo "peer $name: installed in $((SECONDS - start)) s, $(du -sh "$dir" | cut -f1)"
done

for req in "${WANTED[@]}"; do
  name="$(basename "$req" .txt)"
  # shellcheck disable=SC2046
  echo "peer $name: $("$PEERS/$name/bin/python" - $(directive show "$req") <<'PY'
import sys, platform
from importlib.metadata import version, PackageNotFoundError
def v(p):
    try:
        return version(p)
    except PackageNotFoundError:
        return "missing"
print("python", platform.python_version(), *(f"{p} {v(p)}" for p in sys.argv[1:]))
PY
)"
done
