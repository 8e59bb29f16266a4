//! The drainage network's outputs of a coupled run, in `network/`:
//! - `nodes.csv`: one row per node — `id`, `kind`, `x`, `y`, `invert_m`, `rim_m`,
//!   `crown_m` (crown of its highest pipe above the invert), `max_depth_m`,
//!   `max_head_m`, `max_time_s`, `surcharged_s` (time above the crown), `flooded_m3`
//!   (water the node put onto the street), `captured_m3` (water it took in),
//!   `discharged_m3` (what an outfall on the grid put into its cell, the river);
//! - `links.csv`: one row per link — `id`, `kind`, `from`, `to`, `capacity_cms`
//!   (full-bore Manning capacity at the invert slope; empty for pumps and regulators),
//!   `max_flow_cms`, `max_time_s`, `max_over_capacity`;
//! - the series sampled at the scenario's `series_interval`: `node_depth.csv`,
//!   `node_flooding.csv` (flow put onto the street, m³/s), `link_flow.csv`,
//!   `outfall_inflow.csv`, `pump_flow.csv` (the same layout as `floodrill network run`);
//! - `continuity.txt`: the network's own continuity table.
//!
//! [`network_figures`] gives the summary's figures and the nodes the report lists.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::ReportError;
use crate::hydro::drainage::{DualDrainage, LinkKind, NodeKind, link_capacities};

/// Water a node must put onto the street to count as flooding, m³.
pub const FLOODING_MIN_M3: f64 = 0.5;

fn kind_of(k: &NodeKind) -> &'static str {
    match k {
        NodeKind::Junction => "junction",
        NodeKind::Outfall { .. } => "outfall",
        NodeKind::Storage { .. } => "storage",
    }
}

fn link_kind(k: &LinkKind) -> &'static str {
    match k {
        LinkKind::Conduit(_) => "conduit",
        LinkKind::Pump(_) => "pump",
        LinkKind::Orifice(_) => "orifice",
        LinkKind::Weir(_) => "weir",
        LinkKind::Outlet(_) => "outlet",
    }
}

/// Write `network/` into `dir`.
pub fn write_network(dir: &Path, dd: &DualDrainage) -> Result<(), ReportError> {
    let out = dir.join("network");
    std::fs::create_dir_all(&out).map_err(ReportError::io(&out))?;
    let net = dd.network();
    let pk = &dd.peaks;
    let r = &dd.router;
    let mut s = String::from(
        "id,kind,x,y,invert_m,rim_m,crown_m,max_depth_m,max_head_m,max_time_s,surcharged_s,flooded_m3,captured_m3,discharged_m3\n",
    );
    for (i, n) in net.nodes.iter().enumerate() {
        let (x, y) = n.xy.map_or((String::new(), String::new()), |(x, y)| {
            (format!("{x:.2}"), format!("{y:.2}"))
        });
        let _ = writeln!(
            s,
            "{},{},{x},{y},{:.3},{:.3},{:.3},{:.4},{:.4},{:.0},{:.0},{:.3},{:.3},{:.3}",
            n.id,
            kind_of(&n.kind),
            n.invert_m,
            n.invert_m + n.max_depth_m,
            dd.crown(i),
            pk.max_depth[i],
            n.invert_m + pk.max_depth[i],
            pk.max_depth_t[i],
            pk.surcharge_s[i],
            pk.returned_m3[i],
            pk.captured_m3[i],
            pk.discharged_m3[i],
        );
    }
    let path = out.join("nodes.csv");
    std::fs::write(&path, s).map_err(ReportError::io(&path))?;

    let cap = link_capacities(net);
    let mut s =
        String::from("id,kind,from,to,capacity_cms,max_flow_cms,max_time_s,max_over_capacity\n");
    for (l, link) in net.links.iter().enumerate() {
        let (c, ratio) = if cap[l] > 0.0 {
            (
                format!("{:.4}", cap[l]),
                format!("{:.3}", pk.max_flow[l] / cap[l]),
            )
        } else {
            (String::new(), String::new())
        };
        let _ = writeln!(
            s,
            "{},{},{},{},{c},{:.4},{:.0},{ratio}",
            link.id,
            link_kind(&link.kind),
            net.nodes[link.from].id,
            net.nodes[link.to].id,
            pk.max_flow[l],
            pk.max_flow_t[l],
        );
    }
    let path = out.join("links.csv");
    std::fs::write(&path, s).map_err(ReportError::io(&path))?;

    crate::hydro::drainage::netrun::write_series_csv(net, &dd.series, &out)
        .map_err(ReportError::io(&out))?;

    let c = r.totals;
    let discharged: f64 = pk.discharged_m3.iter().sum();
    let mut t = String::new();
    let _ = writeln!(t, "管网连续性 Network continuity (coupled run)   volume m³");
    for (label, v) in [
        ("initial storage 初始蓄水", c.initial_storage),
        ("from the surface 地表入流", c.exchange_in),
        ("external inflows 外部入流", c.inflow),
        ("outfalls off the grid 网外排口出流", c.outflow),
        ("outfalls into their cells 排入河道", discharged),
        (
            "back onto the streets 回溢街面",
            c.exchange_out - discharged,
        ),
        ("flooding lost 溢流损失", c.flooding_lost),
        ("pumped out by mobile pumps 移动泵抽排", c.pumped),
        ("final storage 终了蓄水", c.storage),
    ] {
        let _ = writeln!(t, "  {label:<36} {v:>14.3}");
    }
    let _ = writeln!(
        t,
        "  {:<36} {:>14.6}",
        "continuity error 误差 %",
        100.0 * c.error()
    );
    let _ = writeln!(
        t,
        "  {:<36} {:>14} ({} not converged)",
        "routing steps 步数", r.steps, r.unconverged
    );
    let path = out.join("continuity.txt");
    std::fs::write(&path, t).map_err(ReportError::io(&path))?;
    Ok(())
}

/// The nodes worth naming: surcharged or flooding, most surcharged first.
pub fn notable_nodes(dd: &DualDrainage) -> Vec<usize> {
    let pk = &dd.peaks;
    let mut v: Vec<usize> = (0..dd.network().nodes.len())
        .filter(|&i| pk.surcharge_s[i] > 0.0 || pk.returned_m3[i] >= FLOODING_MIN_M3)
        .collect();
    v.sort_by(|&a, &b| {
        pk.returned_m3[b]
            .total_cmp(&pk.returned_m3[a])
            .then(pk.surcharge_s[b].total_cmp(&pk.surcharge_s[a]))
            .then(a.cmp(&b))
    });
    v
}

/// The network's figures for `summary.json`.
pub fn network_figures(dd: &DualDrainage, figures: &mut serde_json::Map<String, Value>) {
    let net = dd.network();
    let pk = &dd.peaks;
    let c = dd.router.totals;
    let surcharged = (0..net.nodes.len())
        .filter(|&i| dd.was_surcharged(i))
        .count();
    let flooding = pk
        .returned_m3
        .iter()
        .filter(|&&v| v >= FLOODING_MIN_M3)
        .count();
    let cap = link_capacities(net);
    let over = (0..net.links.len())
        .filter(|&l| cap[l] > 0.0 && pk.max_flow[l] > cap[l])
        .count();
    let pumps: Vec<usize> = (0..net.links.len())
        .filter(|&l| matches!(net.links[l].kind, LinkKind::Pump(_)))
        .collect();
    let pumped: f64 = pumps.iter().map(|&l| pk.max_flow[l]).fold(0.0, f64::max);
    figures.insert("network_nodes".into(), json!(net.nodes.len()));
    figures.insert("network_links".into(), json!(net.links.len()));
    figures.insert("network_surcharged_nodes".into(), json!(surcharged));
    figures.insert("network_flooding_nodes".into(), json!(flooding));
    figures.insert("network_links_over_capacity".into(), json!(over));
    figures.insert(
        "network_flooded_m3".into(),
        json!(pk.returned_m3.iter().sum::<f64>()),
    );
    figures.insert("network_captured_m3".into(), json!(c.exchange_in));
    figures.insert(
        "network_outflow_m3".into(),
        json!(c.outflow + pk.discharged_m3.iter().sum::<f64>()),
    );
    figures.insert("network_continuity_error_pct".into(), json!(c.error()));
    figures.insert("network_peak_pump_cms".into(), json!(pumped));
    let top: Vec<Value> = notable_nodes(dd)
        .into_iter()
        .take(12)
        .map(|i| {
            let n = &net.nodes[i];
            json!({
                "id": n.id,
                "x": n.xy.map(|p| p.0),
                "y": n.xy.map(|p| p.1),
                "surcharged_min": pk.surcharge_s[i] / 60.0,
                "flooded_m3": pk.returned_m3[i],
                "max_head_m": n.invert_m + pk.max_depth[i],
                "rim_m": n.invert_m + n.max_depth_m,
            })
        })
        .collect();
    figures.insert("network_notable_nodes".into(), Value::Array(top));
}
