#!/usr/bin/env bash
# The console's screenshots, each checked for the features it must show
# (tools/gui/check-shot.py reads the PNG and the console's --ui-marks file):
#
#   live.png     the drill at 1h30m: households, hazard classes, units
#   route.png    a unit selected, its route drawn
#   trainer.png  the trainer panel with the scenario's injects still to come
#   trainee.png  the trainee view (no water, no households, no trainer panel)
#   review.png   review mode on a recorded drill, with the timeline
#
# usage: tools/gui/shots.sh FLOODRILL OUT_DIR SCENARIO SMALL SMALL_AT UNIT
#   SCENARIO  the drill for live / trainee / review (opened at 1h30m)
#   SMALL     a drill with injects to come and UNIT travelling at SMALL_AT, for
#             route.png and trainer.png
set -euo pipefail
BIN=$(realpath "$1")
OUT=$2
SCEN=$3
SMALL=$4
SMALL_AT=$5
UNIT=$6
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
export WGPU_BACKEND=${WGPU_BACKEND:-vulkan}
XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
CHECK="python3 $(dirname "$0")/check-shot.py"

shot() { # shot NAME ARGS...
    local name=$1
    shift
    rm -f "$OUT/$name.png" "$OUT/$name.json"
    timeout 900 xvfb-run -a -s "-screen 0 1280x800x24" "$BIN" gui "$@" \
        --screenshot "$OUT/$name.png" --ui-marks "$OUT/$name.json" --exit-after-frames 40000 \
        </dev/null >"$OUT/$name.log" 2>&1 || { cat "$OUT/$name.log"; exit 1; }
    grep "taking a screenshot" "$OUT/$name.log" || true
    $CHECK "$name" "$OUT/$name.png" "$OUT/$name.json"
}

shot live "$SCEN" --start-at 1h30m --paused --hazard
shot route "$SMALL" --start-at "$SMALL_AT" --paused --select "$UNIT"
shot trainer "$SMALL" --start-at "$SMALL_AT" --paused
shot trainee "$SCEN" --start-at 1h30m --paused --trainee

# Review: a recorded drill (headless, to 2h), opened at 1h30m.
rm -rf "$OUT/recorded"
"$BIN" run "$SCEN" --until 2h --out "$OUT/recorded" --quiet </dev/null
shot review --replay "$OUT/recorded/drill.replay" --at 1h30m
echo "console screenshots in $OUT: all checked"
