#!/usr/bin/env python3
"""Check a console screenshot for the features it must show (not only its size).

usage: check-shot.py KIND SHOT.png MARKS.json
KIND: live | route | trainer | trainee | review

The PNG is decoded here (standard library only); MARKS is the console's --ui-marks file
written beside the screenshot (panel rectangles, unit positions, the district on
screen). Colours are the console's own: household states and unit markers are opaque,
so their exact colours appear on the map; the legends' swatches are opaque too.
"""
import json
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, w, h, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and ctype in (2, 6), "8-bit RGB(A) only"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 255
        elif f == 3:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((a + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


class Shot:
    def __init__(self, path):
        self.w, self.h, self.bpp, self.rows = read_png(path)

    def px(self, x, y):
        r = self.rows[y]
        i = x * self.bpp
        return r[i], r[i + 1], r[i + 2]

    def count(self, colour, rect=None, tol=6, exclude=()):
        x0, y0, x1, y1 = rect or (0, 0, self.w, self.h)
        x0, y0 = max(0, int(x0)), max(0, int(y0))
        x1, y1 = min(self.w, int(x1)), min(self.h, int(y1))
        n = 0
        for y in range(y0, y1):
            for x in range(x0, x1):
                if any(r[0] <= x < r[2] and r[1] <= y < r[3] for r in exclude):
                    continue
                p = self.px(x, y)
                if all(abs(p[k] - colour[k]) <= tol for k in range(3)):
                    n += 1
        return n


GROUND = (225, 220, 205)
HAZARD = [(120, 200, 120, 150), (250, 230, 90, 185), (250, 170, 50, 200),
          (235, 100, 40, 215), (200, 30, 30, 230), (110, 20, 90, 240)]
HOUSEHOLDS = {"moving": (255, 140, 0), "waiting": (255, 220, 0), "safe": (30, 170, 60),
              "warned": (90, 140, 255), "staying": (150, 60, 200), "trapped": (230, 20, 20)}
ZONES = {"warned": (230, 200, 0), "evacuating": (255, 130, 0), "cleared": (40, 180, 70)}
TRACK = [(220, 40, 40), (240, 140, 0), (150, 40, 190), (0, 150, 140), (200, 0, 120),
         (90, 90, 0), (0, 90, 200), (120, 60, 20)]


def blend(c):
    a = c[3] / 255
    return tuple(round(c[k] * a + GROUND[k] * (1 - a)) for k in range(3))


def fail(msg):
    sys.exit(f"check-shot: {msg}")


def main():
    kind, png, marks_path = sys.argv[1:4]
    m = json.load(open(marks_path))
    s = Shot(png)
    rects = m["rects"]
    panels = [tuple(r) for k, r in rects.items() if ":" not in k and not k.endswith("_button")]
    ext = m["map_extent_px"]
    found = {}

    def households():
        return {k: s.count(c, ext, tol=4, exclude=panels) for k, c in HOUSEHOLDS.items()}

    if kind in ("live", "route", "review"):
        hh = households()
        found["households"] = hh
        if sum(v for k, v in hh.items() if k != "trapped") < 50:
            fail(f"too few household dots on the map: {hh}")
    if kind == "live":
        water = rects.get("water")
        if not water:
            fail("no water/hazard legend")
        sw = [s.count(blend(c), water, tol=3) for c in HAZARD]
        found["hazard_swatches_px"] = sw
        if sum(1 for v in sw if v >= 100) < 6:
            fail(f"the hazard legend does not show H1-H6: {sw}")
        units = [s.count(c, ext, tol=3, exclude=panels) for c in TRACK]
        found["unit_marker_px"] = units
        if sum(1 for v in units if v >= 12) < 2:
            fail(f"fewer than two unit markers visible: {units}")
        zones = {k: s.count(c, ext, tol=3, exclude=panels) for k, c in ZONES.items()}
        found["zone_outline_px"] = zones
        if sum(zones.values()) < 100:
            fail(f"no zone outlined as warned, evacuating or cleared: {zones}")
    if kind == "route":
        sel = [k for k in rects if k.startswith("unit:")]
        uid = m.get("selected")
        ids = [u[0] for u in m["units"]]
        if not uid or uid not in ids:
            fail(f"no unit selected in the marks ({m.get('selected')})")
        k = ids.index(uid)
        x, y = m["units"][k][1:3]
        ring = s.count((255, 255, 255), (x - 19, y - 19, x + 20, y + 20), tol=20)
        # The unit's own marker (24 m square) is left out: only its route counts.
        half = 24 / max(m["metres_per_pixel"], 1e-6) / 2 + 4
        marker = (x - half, y - half, x + half, y + half)
        col = s.count(TRACK[k % len(TRACK)], ext, tol=8, exclude=panels + [marker])
        found.update(selected=uid, ring_px=ring, route_px=col, rows=len(sel))
        if ring < 40:
            fail(f"no selection ring around {uid} at ({x:.0f}, {y:.0f}): {ring} white px")
        if col < 150:
            fail(f"no route drawn for {uid}: {col} px of its colour")
    if kind == "trainer":
        r = rects.get("trainer")
        if not r or r[3] - r[1] < 150:
            fail(f"no trainer panel (or too small): {r}")
        if "breach_button" not in rects:
            fail("the trainer panel has no levee-breach tool")
        found["pending_injects"] = m.get("pending_injects")
        if not m.get("pending_injects"):
            fail("the injects list is empty")
        found["trainer_rect"] = r
    if kind == "trainee":
        if "trainer" in rects or "water" in rects:
            fail(f"the trainee view shows the trainer's panels: {sorted(rects)}")
        hh = households()
        found["households"] = hh
        if sum(hh.values()) > 30:
            fail(f"the trainee view shows the households: {hh}")
        if "trainee" not in rects:
            fail("no trainee panel")
    if kind == "review":
        for k in ("review", "timeline"):
            if k not in rects:
                fail(f"no {k} window")
        if m.get("log_entries", 0) < 3:
            fail(f"the timeline has no events: {m.get('log_entries')}")
    print(f"check-shot {kind} {png}: ok {json.dumps(found)}")


if __name__ == "__main__":
    main()
