//! Network-only mode: route a SWMM model with its own subcatchments from start to end,
//! sampling node depths, node flooding, link flows, outfall inflows and pump flows at
//! the report step, and closing the runoff and routing continuity tables.

use std::io::Write;
use std::path::Path;

use super::dynwave::{Continuity, Router, interp};
use super::network::{LinkKind, Network, NodeKind};
use super::runoff::{Runoff, RunoffTotals};

/// Series sampled at the report step (time in s; one column per node or link).
#[derive(Debug, Clone, Default)]
pub struct NetSeries {
    /// Sample times, s.
    pub t: Vec<f64>,
    /// Node depths, m: `[sample][node]`.
    pub depth: Vec<Vec<f64>>,
    /// Node flooding rates, m³/s.
    pub flooding: Vec<Vec<f64>>,
    /// Link flows, m³/s.
    pub flow: Vec<Vec<f64>>,
    /// Rain on gauge 0, mm/h.
    pub rain: Vec<f64>,
    /// Runoff to the network, m³/s.
    pub runoff: Vec<f64>,
    /// Water in the network (nodes, conduits' share and ponds), m³.
    pub stored: Vec<f64>,
}

/// The result of a network run.
#[derive(Debug, Clone)]
pub struct NetResult {
    /// Series.
    pub series: NetSeries,
    /// Routing continuity.
    pub routing: Continuity,
    /// Runoff continuity.
    pub runoff: RunoffTotals,
    /// Per-node peak depth over every routing step, m.
    pub peak_depth: Vec<f64>,
    /// Per-node time of the peak depth, s.
    pub peak_time: Vec<f64>,
    /// Per-node time spent surcharged (depth above the highest crown of its conduits), s.
    pub surcharged_s: Vec<f64>,
    /// Per-node flooding volume, m³.
    pub flood_volume: Vec<f64>,
    /// Routing steps, and those that did not converge.
    pub steps: (u64, u64),
}

/// Route `net` from its start to its end.
pub fn run(net: &Network) -> NetResult {
    let mut router = Router::new(net);
    let mut runoff = Runoff::new(net);
    let n = net.nodes.len();
    let end = net.options.end_s.max(0.0);
    let max_dt = net.options.routing_step_s.clamp(0.01, 3600.0);
    let report = net.options.report_step_s.max(1.0);
    let mut s = NetSeries::default();
    let mut peak = vec![0.0f64; n];
    let mut peak_time = vec![0.0f64; n];
    let mut surcharged = vec![0.0f64; n];
    let crown = super::coupling::node_crowns(net);
    let mut flood = vec![0.0f64; n];
    let mut next_report = report;
    let mut lateral = vec![0.0; n];
    let mut t = 0.0;
    let mut last_runoff = 0.0;
    while t < end - 1e-9 {
        let mut dt = router.stable_dt(max_dt).min(end - t);
        // Land on the report times.
        if t + dt > next_report - 1e-9 && next_report > t {
            dt = next_report - t;
        }
        lateral.iter_mut().for_each(|x| *x = 0.0);
        runoff.step(net, t, dt, &mut lateral);
        last_runoff = lateral.iter().sum();
        for inf in &net.inflows {
            let v = inf.baseline
                + inf
                    .series
                    .and_then(|k| net.timeseries.get(k))
                    .map_or(0.0, |ts| inf.scale * interp(&ts.points, t + dt));
            if let Some(x) = lateral.get_mut(inf.node) {
                *x += v;
            }
        }
        router.step(dt, &lateral);
        t += dt;
        for i in 0..n {
            let y = router.depth[i];
            if y > peak[i] {
                peak[i] = y;
                peak_time[i] = t;
            }
            if crown[i] > 0.0 && y > crown[i] + 1e-9 {
                surcharged[i] += dt;
            }
            flood[i] += router.overflow[i] * dt;
        }
        if t >= next_report - 1e-9 {
            s.t.push(t);
            s.depth.push(router.depth.clone());
            s.flooding.push(router.overflow.clone());
            s.flow.push(router.flow.clone());
            s.rain.push(if net.raingages.is_empty() {
                0.0
            } else {
                Runoff::rain_mm_h(net, 0, t - 1e-6)
            });
            s.runoff.push(last_runoff);
            s.stored.push(router.totals.storage);
            next_report += report;
        }
    }
    let _ = last_runoff;
    NetResult {
        series: s,
        routing: router.totals,
        runoff: runoff.totals,
        peak_depth: peak,
        peak_time,
        surcharged_s: surcharged,
        flood_volume: flood,
        steps: (router.steps, router.unconverged),
    }
}

impl NetResult {
    /// The continuity tables as text (volumes in m³, errors in %).
    pub fn continuity_table(&self) -> String {
        let r = &self.runoff;
        let c = &self.routing;
        let mut out = String::new();
        out += "径流连续性 Runoff continuity            volume m³\n";
        out += &format!(
            "  rain 降雨                              {:>14.3}\n",
            r.rain
        );
        out += &format!(
            "  infiltration 下渗                      {:>14.3}\n",
            r.infiltration
        );
        out += &format!(
            "  runoff 径流                            {:>14.3}\n",
            r.runoff
        );
        out += &format!(
            "  final storage 地表滞留                 {:>14.3}\n",
            r.storage
        );
        out += &format!(
            "  continuity error 误差 %                {:>14.6}\n",
            100.0 * r.error()
        );
        out += "管网连续性 Flow routing continuity      volume m³\n";
        out += &format!(
            "  initial storage 初始蓄水               {:>14.3}\n",
            c.initial_storage
        );
        out += &format!(
            "  inflow 入流                            {:>14.3}\n",
            c.inflow
        );
        out += &format!(
            "  outfall outflow 排口出流               {:>14.3}\n",
            c.outflow
        );
        out += &format!(
            "  flooding lost 溢流损失                 {:>14.3}\n",
            c.flooding_lost
        );
        out += &format!(
            "  flooding (above rims) 溢流             {:>14.3}\n",
            c.flooding
        );
        out += &format!(
            "  final storage 终了蓄水                 {:>14.3}\n",
            c.storage
        );
        out += &format!(
            "  continuity error 误差 %                {:>14.6}\n",
            100.0 * c.error()
        );
        out += &format!(
            "  routing steps 步数                     {:>14} ({} not converged)\n",
            self.steps.0, self.steps.1
        );
        out
    }

    /// Write `node_depth.csv`, `node_flooding.csv`, `link_flow.csv`, `outfall_inflow.csv`,
    /// `pump_flow.csv`, `system.csv` and `node_summary.csv` into `dir`.
    pub fn write_csv(&self, net: &Network, dir: &Path) -> std::io::Result<()> {
        write_series_csv(net, &self.series, dir)?;
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("node_summary.csv"))?);
        // SWMM's "Node Depth Summary" and "Node Flooding Summary" in one table: the peak
        // is over every routing step, not only the report samples.
        writeln!(
            f,
            "node,kind,max_depth_m,max_head_m,time_of_max_s,surcharged_h,flood_volume_m3"
        )?;
        for (i, node) in net.nodes.iter().enumerate() {
            let kind = match node.kind {
                NodeKind::Junction => "junction",
                NodeKind::Outfall { .. } => "outfall",
                NodeKind::Storage { .. } => "storage",
            };
            writeln!(
                f,
                "{},{kind},{:.4},{:.4},{},{:.4},{:.3}",
                node.id,
                self.peak_depth[i],
                node.invert_m + self.peak_depth[i],
                self.peak_time[i],
                self.surcharged_s[i] / 3600.0,
                self.flood_volume[i]
            )?;
        }
        f.flush()
    }
}

/// Write a network's series as `node_depth.csv`, `node_flooding.csv`, `link_flow.csv`,
/// `outfall_inflow.csv`, `pump_flow.csv` and (when it has rain and runoff) `system.csv`
/// into `dir`: `time_s` then one column per node or link.
pub fn write_series_csv(net: &Network, s: &NetSeries, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let nodes: Vec<usize> = (0..net.nodes.len()).collect();
    let write = |name: &str,
                 header: Vec<String>,
                 rows: &dyn Fn(usize) -> Vec<f64>|
     -> std::io::Result<()> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
        writeln!(f, "time_s,{}", header.join(","))?;
        for (k, t) in s.t.iter().enumerate() {
            let vals: Vec<String> = rows(k).iter().map(|v| format!("{v:.6}")).collect();
            writeln!(f, "{t},{}", vals.join(","))?;
        }
        f.flush()
    };
    write(
        "node_depth.csv",
        nodes
            .iter()
            .map(|&i| format!("{}_depth_m", net.nodes[i].id))
            .collect(),
        &|k| s.depth[k].clone(),
    )?;
    write(
        "node_flooding.csv",
        nodes
            .iter()
            .map(|&i| format!("{}_flooding_cms", net.nodes[i].id))
            .collect(),
        &|k| s.flooding[k].clone(),
    )?;
    write(
        "link_flow.csv",
        net.links
            .iter()
            .map(|l| format!("{}_flow_cms", l.id))
            .collect(),
        &|k| s.flow[k].clone(),
    )?;
    let outfalls: Vec<usize> = (0..net.nodes.len())
        .filter(|&i| matches!(net.nodes[i].kind, NodeKind::Outfall { .. }))
        .collect();
    write(
        "outfall_inflow.csv",
        outfalls
            .iter()
            .map(|&i| format!("{}_inflow_cms", net.nodes[i].id))
            .collect(),
        &|k| {
            outfalls
                .iter()
                .map(|&i| outfall_inflow(net, &s.flow[k], i))
                .collect()
        },
    )?;
    let pumps: Vec<usize> = (0..net.links.len())
        .filter(|&l| matches!(net.links[l].kind, LinkKind::Pump(_)))
        .collect();
    write(
        "pump_flow.csv",
        pumps
            .iter()
            .map(|&l| format!("{}_flow_cms", net.links[l].id))
            .collect(),
        &|k| pumps.iter().map(|&l| s.flow[k][l]).collect(),
    )?;
    if s.rain.len() != s.t.len() || s.runoff.len() != s.t.len() {
        return Ok(());
    }
    write(
        "system.csv",
        vec![
            "rainfall_mm_per_h".into(),
            "runoff_cms".into(),
            "flooding_cms".into(),
            "outfall_flows_cms".into(),
            "stored_volume_m3".into(),
        ],
        &|k| {
            vec![
                s.rain[k],
                s.runoff[k],
                s.flooding[k].iter().sum(),
                outfalls
                    .iter()
                    .map(|&i| outfall_inflow(net, &s.flow[k], i))
                    .sum(),
                s.stored.get(k).copied().unwrap_or(0.0),
            ]
        },
    )?;
    Ok(())
}

/// Flow into outfall node `i` from its links, m³/s.
pub fn outfall_inflow(net: &Network, flow: &[f64], i: usize) -> f64 {
    net.links
        .iter()
        .enumerate()
        .map(|(l, link)| {
            if link.to == i {
                flow[l]
            } else if link.from == i {
                -flow[l]
            } else {
                0.0
            }
        })
        .sum()
}
