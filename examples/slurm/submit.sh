#!/bin/bash
# Submits N extraction parts as one Slurm array job and a finalize job that
# runs only if all of them succeed. Prints "<array job id> <finalize job id>".
#   IMAGE=slide.tif NUCLEUS=nuc.tif CYTOSOL=cyto.tif OUT=/shared/slide.zarr \
#   EXTRACT_ARGS="--size 128" ./submit.sh 16
# Extra sbatch options (partition, account, time): SBATCH_ARGS.
set -euo pipefail
N="${1:?usage: submit.sh N (number of parts)}"
HERE="$(cd "$(dirname "$0")" && pwd)"
: "${IMAGE:?set IMAGE}" "${NUCLEUS:?set NUCLEUS}" "${OUT:?set OUT (a .zarr path)}"
array=$(sbatch --parsable ${SBATCH_ARGS:-} --array="0-$((N - 1))" "$HERE/extract-array.sbatch")
array=${array%%;*}
final=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency="afterok:${array}" --kill-on-invalid-dep=yes "$HERE/finalize.sbatch")
echo "${array} ${final%%;*}"
