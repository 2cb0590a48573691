#!/usr/bin/env bash
# Installs what the tests need: the Python oracles that judge our output
# (Debian 12 packages for the old versions: anndata 0.8, zarr-python 2, h5py 3.7),
# Slurm + munge for the cluster test, chromium for the viewer test.
# Idempotent: packages already present are reused.
# Then the PyPI peers (anndata latest, scPortrait 1.7, annbatch) in venvs:
# see setup-peers.sh and .ci/peers/*.txt.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

pkgs=(python3-anndata python3-h5py python3-zarr python3-numcodecs python3-scipy
      python3-skimage python3-tifffile python3-pandas python3-pil python3-torch hdf5-tools
      slurm-wlm munge chromium)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "oracles ready: $(/usr/bin/python3 -c 'import anndata, h5py, zarr; print("anndata", anndata.__version__, "h5py", h5py.__version__, "zarr", zarr.__version__)')"
bash "$(dirname "$0")/setup-peers.sh"
