#!/usr/bin/env bash
# Scripted input test of the trainer console under a virtual X server (xdotool):
#
#  1. a trainee selects team T01 in the units list and clicks a point on the map: the
#     dispatch must be in events.jsonl and in the replay with origin "trainee";
#  2. the trainer arms "levee breach" in the trainer panel and clicks the map: the
#     inject must be in events.jsonl and in the replay with origin "trainer";
#  3. the session's replay verifies (re-simulated, every snapshot digest equal).
#
# Where to click comes from the console's own --ui-marks file (panel and widget
# rectangles, unit positions, the district's extent on screen), not from guesses.
#
# usage: tools/gui/console-test.sh FLOODRILL_BINARY OUT_DIR [SCENARIO]
set -euo pipefail
BIN=$(realpath "$1")
OUT=$2
SCEN=${3:-tests/data/mini/mini.ron}
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
MARKS=$OUT/marks.json
export WGPU_BACKEND=${WGPU_BACKEND:-vulkan}
XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR

DISP=:$((90 + RANDOM % 100))
Xvfb "$DISP" -screen 0 1280x800x24 -nolisten tcp >"$OUT/xvfb.log" 2>&1 &
XVFB=$!
GUI=
cleanup() {
    [ -n "$GUI" ] && kill "$GUI" 2>/dev/null || true
    kill "$XVFB" 2>/dev/null || true
}
trap cleanup EXIT
export DISPLAY=$DISP
sleep 1

"$BIN" gui "$SCEN" --out "$OUT/session" --start-at 10m --paused --threads 1 \
    --ui-marks "$MARKS" --exit-after-frames 20000 >"$OUT/gui.log" 2>&1 </dev/null &
GUI=$!

# Python reads the marks: `mark EXPR` prints what EXPR gives for the marks dict `m`.
mark() {
    python3 - "$MARKS" "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))
PY
}

# A point on the district that no panel covers: "x y" in pixels.
free_point() {
    python3 - "$MARKS" "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
x0, y0, x1, y1 = m["map_extent_px"]
w, h = m["window"]
rects = list(m["rects"].values())
pts = []
for fy in [i / 20 for i in range(2, 19)]:
    for fx in [i / 20 for i in range(2, 19)]:
        x, y = x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy
        if not (60 < y < h - 10 and 10 < x < w - 10):
            continue
        if any(r[0] - 12 <= x <= r[2] + 12 and r[1] - 12 <= y <= r[3] + 12 for r in rects):
            continue
        pts.append((x, y))
if not pts:
    sys.exit("no free point on the map: every candidate is under a panel")
k = int(sys.argv[2]) % len(pts)
print(int(pts[k][0]), int(pts[k][1]))
PY
}

wait_for() { # wait_for SECONDS PYTHON_CONDITION
    local until=$((SECONDS + $1))
    while [ $SECONDS -lt $until ]; do
        if [ -s "$MARKS" ] && [ "$(mark "$2" 2>/dev/null)" = "True" ]; then
            return 0
        fi
        if ! kill -0 "$GUI" 2>/dev/null; then
            echo "the console exited early:"; cat "$OUT/gui.log"; exit 1
        fi
        sleep 0.5
    done
    echo "timed out waiting for: $2"; cat "$OUT/gui.log"; [ -s "$MARKS" ] && cat "$MARKS"
    exit 1
}

click() { xdotool mousemove --sync "$1" "$2"; sleep 0.3; xdotool click 1; sleep 0.5; }
centre_of() { mark "' '.join(str(int(v)) for v in ((m['rects']['$1'][0]+m['rects']['$1'][2])/2, (m['rects']['$1'][1]+m['rects']['$1'][3])/2))"; }

echo "waiting for the console (fast-forward to 10m, paused)..."
wait_for 300 "m['t'] >= 600 and m['paused'] and 'unit:T01' in m['rects'] and 'breach_button' in m['rects']"

# 1. The trainee: select T01 in the list, click the map.
read -r X Y < <(centre_of unit:T01)
click "$X" "$Y"
read -r X Y < <(free_point 7)
echo "dispatch T01 to the map point at pixel ($X, $Y)"
click "$X" "$Y"
wait_for 30 "any('accepted' in x['text'] and 'Dispatch' in x['text'] for x in m['messages'])"

# 2. The trainer: arm the breach, click the map.
read -r X Y < <(centre_of breach_button)
click "$X" "$Y"
read -r X Y < <(free_point 40)
echo "levee breach at pixel ($X, $Y)"
click "$X" "$Y"
wait_for 30 "any('accepted' in x['text'] and 'LeveeBreach' in x['text'] for x in m['messages'])"

# Run on a little so both apply (Space resumes), then end the session (Ctrl+Q).
WIN=$(xdotool search --name floodrill | head -1)
xdotool windowfocus --sync "$WIN" 2>/dev/null || true
xdotool key space
wait_for 60 "m['t'] >= 700"
# Ctrl held across frames (a press and release inside one frame is not a chord).
xdotool keydown ctrl; sleep 0.3
xdotool key q; sleep 0.3
xdotool keyup ctrl
for _ in $(seq 1 120); do kill -0 "$GUI" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$GUI" 2>/dev/null; then echo "the console did not end on Ctrl+Q"; exit 1; fi
wait "$GUI" || { echo "the console failed:"; cat "$OUT/gui.log"; exit 1; }
GUI=
cat "$OUT/gui.log"

python3 - "$OUT/session" <<'PY'
import json, sys
d = sys.argv[1]
events = [json.loads(l) for l in open(f"{d}/events.jsonl")]
def find(pred, what):
    hits = [e for e in events if pred(e)]
    if not hits:
        sys.exit(f"events.jsonl has no {what}")
    print(f"events.jsonl: {what}: {json.dumps(hits[0], ensure_ascii=False)}")
find(lambda e: e.get("origin") == "trainee" and "Dispatch" in json.dumps(e) and "T01" in json.dumps(e),
     "trainee dispatch of T01")
find(lambda e: e.get("origin") == "trainer" and "LeveeBreach" in json.dumps(e),
     "trainer levee breach")
cmds = []
for line in open(f"{d}/drill.replay", encoding="utf-8", errors="replace"):
    if line.startswith("command "):
        cmds.append(json.loads(line.split(" ", 2)[2]))
if not any(c["origin"] == "trainee" and "Dispatch" in c["what"] for c in cmds):
    sys.exit(f"the replay has no trainee dispatch: {cmds}")
if not any(c["origin"] == "trainer" and "LeveeBreach" in c["what"] for c in cmds):
    sys.exit(f"the replay has no trainer breach: {cmds}")
print(f"drill.replay: {len(cmds)} commands, trainee dispatch and trainer breach among them")
PY
"$BIN" replay "$OUT/session/drill.replay" --verify
echo "console scripted test passed"
