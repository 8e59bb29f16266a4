#!/usr/bin/env bash
# The ensemble on a real Slurm (CI): a 4-task job array of the test ensemble and its
# dependent merge job, submitted with submit.sh to the one-node cluster ci-cluster.sh
# started; waits for both and checks that the merged result is the same bytes as the
# one-process run. Run from the repository root: tools/slurm/ci-test.sh [FLOODRILL]
set -euo pipefail
FLOODRILL=$(realpath "${1:-target/debug/floodrill}")
SPEC=tests/data/mini_ensemble/ensemble.ron
WORK=$(realpath -m target/ci/slurm)
rm -rf "$WORK"
mkdir -p "$WORK"
"$FLOODRILL" ensemble "$SPEC" --out "$WORK/one" --quiet >/dev/null
IDS=$(FLOODRILL="$FLOODRILL" tools/slurm/submit.sh "$SPEC" "$WORK/cluster" 4)
echo "$IDS"
ARRAY=$(echo "$IDS" | awk '/^array/ {print $2}')
MERGE=$(echo "$IDS" | awk '/^merge/ {print $2}')
for _ in $(seq 1 600); do
    if [ -z "$(squeue -h -j "$ARRAY,$MERGE" 2>/dev/null)" ]; then
        break
    fi
    sleep 1
done
if [ -n "$(squeue -h -j "$ARRAY,$MERGE" 2>/dev/null)" ]; then
    echo "slurm: jobs still queued or running after 10 minutes:" >&2
    squeue >&2
    exit 1
fi
STATE=$(scontrol show job "$MERGE" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1)
echo "merge job $MERGE: $STATE"
for f in "$WORK"/cluster/*.out; do
    echo "--- $(basename "$f")"
    tail -3 "$f"
done
[ "$STATE" = COMPLETED ] || { echo "slurm: the merge job did not complete" >&2; exit 1; }
ls "$WORK"/cluster | grep -c '^shard-' | grep -qx 4 || { echo "expected 4 shard folders" >&2; exit 1; }
N=0
for f in members.csv criteria.csv paired.csv ensemble_summary.json ensemble.html; do
    cmp "$WORK/one/$f" "$WORK/cluster/merged/$f"
    N=$((N + 1))
done
for f in "$WORK"/one/prob_*.asc "$WORK"/one/maps/*.png; do
    rel=${f#"$WORK/one/"}
    cmp "$f" "$WORK/cluster/merged/$rel"
    N=$((N + 1))
done
echo "slurm: the merged result of 4 array tasks equals the one-process run ($N files, bit for bit)"
