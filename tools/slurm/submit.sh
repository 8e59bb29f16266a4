#!/usr/bin/env bash
# Submit a floodrill ensemble to Slurm: an N-task job array of shards, then a merge job
# that runs when every shard has succeeded. Prints the two job ids.
#   tools/slurm/submit.sh SPEC OUT N [extra sbatch options...]
# e.g. tools/slurm/submit.sh scenarios/ensemble_demo.ron /shared/ens 8 --partition=batch
# FLOODRILL (default: floodrill on PATH) must name the binary on every node.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 SPEC OUT N [sbatch options...]" >&2
    exit 2
fi
SPEC=$(realpath "$1")
OUT=$(realpath -m "$2")
N=$3
shift 3
case "$N" in '' | *[!0-9]* | 0) echo "error: N must be a positive number, found '$N'" >&2; exit 2 ;; esac
FLOODRILL=${FLOODRILL:-$(command -v floodrill || true)}
[ -n "$FLOODRILL" ] || { echo "error: set FLOODRILL to the floodrill binary" >&2; exit 2; }
# Check the specification before anything is queued (exit 2 names the field).
"$FLOODRILL" validate "$SPEC" >/dev/null
mkdir -p "$OUT"
HERE=$(dirname "$(realpath "$0")")
export SPEC OUT FLOODRILL
ARRAY=$(sbatch --parsable --array=0-$((N - 1)) --chdir="$OUT" --export=ALL "$@" "$HERE/ensemble.sbatch")
ARRAY=${ARRAY%%;*}
MERGE=$(sbatch --parsable --dependency=afterok:"$ARRAY" --chdir="$OUT" --export=ALL "$@" "$HERE/merge.sbatch")
MERGE=${MERGE%%;*}
echo "array $ARRAY"
echo "merge $MERGE"
