#!/usr/bin/env bash
# Installs what the tests need: the Python oracles that judge our output,
# Slurm + munge for the cluster test, chromium for the viewer test;
# Debian 12 packages on this machine, and a Debian 13 root for zarr-python 3.
# Idempotent: packages already present and an existing root are reused.
# Then the PyPI peers (anndata latest, scPortrait 1.7, annbatch) in venvs:
# see setup-peers.sh and .ci/peers/*.txt.
set -euo pipefail
ROOT13="${CELLFOLIO_DEBIAN13_ROOT:-/opt/cellfolio-trixie}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

pkgs=(python3-anndata python3-h5py python3-zarr python3-numcodecs python3-scipy
      python3-skimage python3-tifffile python3-pandas python3-pil python3-torch hdf5-tools debootstrap
      slurm-wlm munge chromium)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! [ -x "$ROOT13/usr/bin/python3" ] || ! $SUDO chroot "$ROOT13" python3 -c 'import zarr, h5py' 2>/dev/null; then
  if ! [ -d "$ROOT13/usr" ]; then
    $SUDO debootstrap --variant=minbase trixie "$ROOT13"
  fi
  $SUDO chroot "$ROOT13" apt-get install -y -qq --no-install-recommends python3-zarr python3-numcodecs python3-h5py
fi
# The tests hand the Debian 13 python host paths as /host/<path>: bind the host's root there.
$SUDO mkdir -p "$ROOT13/host"
mountpoint -q "$ROOT13/host" || $SUDO mount --bind / "$ROOT13/host"
mountpoint -q "$ROOT13/proc" || $SUDO mount -t proc proc "$ROOT13/proc"
echo "oracles ready: $(/usr/bin/python3 -c 'import anndata, h5py, zarr; print("anndata", anndata.__version__, "h5py", h5py.__version__, "zarr", zarr.__version__)')"
echo "debian 13 root: $($SUDO chroot "$ROOT13" python3 -c 'import zarr, h5py; print("zarr", zarr.__version__, "h5py", h5py.__version__)')"
bash "$(dirname "$0")/setup-peers.sh"
