#!/usr/bin/env python3
"""Run an EPA SWMM 5 model in EPA SWMM itself (the `swmm-toolkit` that `pip install
pyswmm` brings) and write its results in the form of `shared/data/drainage/street_*`:
summary.json, node_depth.csv, outfall_inflow.csv, pump_flow.csv (one row per report
step), so that tests/drainage_street_vs_swmm.rs compares floodrill with it.

    python3 tools/swmm_reference.py MODEL.inp OUTDIR
"""
import csv
import json
import os
import re
import sys

from swmm.toolkit import output, shared_enum, solver


def main(inp, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rpt = os.path.join(out_dir, "swmm.rpt")
    out = os.path.join(out_dir, "swmm.out")
    solver.swmm_run(inp, rpt, out)
    text = open(rpt, encoding="utf-8", errors="replace").read()

    def section(title, until):
        return text.split(title, 1)[1].split(until, 1)[0]

    depth = {}
    for line in section("Node Depth Summary", "Node Inflow Summary").splitlines():
        f = line.split()
        if len(f) >= 7 and re.fullmatch(r"[\d.]+", f[3]):
            depth[f[0]] = {"max_depth_m": float(f[3]), "max_hgl_m": float(f[4])}
    flood = 0.0
    if "Node Flooding Summary" in text and "No nodes were flooded" not in text:
        for line in section("Node Flooding Summary", "Storage Volume Summary" if "Storage Volume Summary" in text else "Outfall Loading Summary").splitlines():
            f = line.split()
            if len(f) >= 7 and f[0] in depth:
                flood += float(f[5]) * 1000.0  # 10^6 ltr -> m3
    routing = section("Flow Routing Continuity", "Highest Continuity Errors" if "Highest Continuity Errors" in text else "Time-Step Critical")

    def vol(label):
        m = re.search(re.escape(label) + r"\s*\.+\s+[-\d.]+\s+([-\d.]+)", routing)
        return float(m.group(1)) * 1000.0 if m else 0.0

    err = re.search(r"Continuity Error \(%\) \.+\s+(-?[\d.]+)", routing)
    h = output.init()
    output.open(h, out)
    n = output.get_times(h, shared_enum.Time.NUM_PERIODS)
    step = output.get_times(h, shared_enum.Time.REPORT_STEP)
    size = output.get_proj_size(h)
    nodes = [output.get_elem_name(h, shared_enum.ElementType.NODE, i) for i in range(size[1])]
    links = [output.get_elem_name(h, shared_enum.ElementType.LINK, i) for i in range(size[2])]
    series = {}
    for i, name in enumerate(nodes):
        series[name + "_depth_m"] = output.get_node_series(
            h, i, shared_enum.NodeAttribute.INVERT_DEPTH, 0, n - 1)
    outfalls = [m.group(1) for m in re.finditer(r"^\s*(\S+)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s*$",
                section("Outfall Loading Summary", "Link Flow Summary"), re.M)
                if m.group(1) != "System"]
    inflow = {o: output.get_node_series(h, nodes.index(o), shared_enum.NodeAttribute.TOTAL_INFLOW, 0, n - 1)
              for o in outfalls if o in nodes}
    pumps = [l for l in links if l in pump_ids(inp)]
    pump = {p: output.get_link_series(h, links.index(p), shared_enum.LinkAttribute.FLOW_RATE, 0, n - 1)
            for p in pumps}
    output.close(h)

    def write(name, cols):
        with open(os.path.join(out_dir, name), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["time", "minute"] + list(cols))
            for k in range(n):
                t = (k + 1) * step
                w.writerow([t, t / 60.0] + [f"{cols[c][k]:.6g}" for c in cols])

    write("node_depth.csv", series)
    write("outfall_inflow.csv", {o + "_total_inflow_cms": v for o, v in inflow.items()})
    write("pump_flow.csv", {p + "_flow_cms": v for p, v in pump.items()})
    summary = {
        "engine": {"swmm-toolkit": solver.swmm_version_info() if hasattr(solver, "swmm_version_info") else "pyswmm"},
        "input_file": os.path.abspath(inp),
        "outfall_volume_m3": vol("External Outflow"),
        "external_inflow_m3": vol("External Inflow"),
        "outfall_net_volume_m3": vol("External Outflow") - vol("External Inflow"),
        "total_flooding_volume_m3": flood,
        "routing_continuity_error_pct": float(err.group(1)) if err else None,
        "max_depth_per_node": depth,
    }
    json.dump(summary, open(os.path.join(out_dir, "summary.json"), "w"), indent=1)


def pump_ids(inp):
    ids, on = set(), False
    for line in open(inp, encoding="utf-8", errors="replace"):
        s = line.split(";", 1)[0].strip()
        if s.startswith("["):
            on = s.upper() == "[PUMPS]"
        elif on and s:
            ids.add(s.split()[0])
    return ids


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
