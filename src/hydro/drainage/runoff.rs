//! Subcatchment runoff for the network-only mode: SWMM's nonlinear reservoir with
//! Horton infiltration on the pervious part.
//!
//! How it works. A subcatchment has three subareas: impervious without depression
//! storage (`pct_zero` of the impervious part), impervious with it, and pervious. Each
//! holds a ponded depth d fed by rain (and, on the pervious part, reduced by
//! infiltration); it runs off at `alpha·(d − ds)^(5/3)` per unit area with
//! `alpha = W·√S / (n·A_part)` (Manning's equation for a sheet of width W over the
//! impervious or the pervious part's area, as SWMM). Depths advance by an implicit (Newton) step of the reservoir equation so
//! that no step drains more than the subarea holds. Horton's capacity follows the
//! cumulative infiltration F through the equivalent time tp with
//! F = fc·tp + (f0 − fc)/k·(1 − e^(−k·tp)); it recovers while the surface is dry.
//!
//! Water is booked exactly: rain = infiltration + runoff + change in ponded depth.

use super::dynwave::interp;
use super::network::{Network, RainFormat, SubInfiltration, SubOutlet};

/// Runoff totals over all subcatchments, m³.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunoffTotals {
    /// Rain fallen.
    pub rain: f64,
    /// Infiltrated.
    pub infiltration: f64,
    /// Runoff to the nodes.
    pub runoff: f64,
    /// Ponded on the subcatchments now.
    pub storage: f64,
}

impl RunoffTotals {
    /// Relative error (rain − infiltration − runoff − storage) ÷ rain.
    pub fn error(&self) -> f64 {
        if self.rain <= 0.0 {
            return 0.0;
        }
        (self.rain - self.infiltration - self.runoff - self.storage) / self.rain
    }
}

/// The subcatchments' state.
#[derive(Debug, Clone)]
pub struct Runoff {
    /// Ponded depth of each subarea: `[imperv0, imperv1, perv]` per subcatchment, m.
    depth: Vec<[f64; 3]>,
    /// Horton cumulative infiltration, m.
    infil: Vec<f64>,
    /// Runoff of each subcatchment in the last step, m³/s.
    pub flow: Vec<f64>,
    /// Water on its way from each subcatchment to the one it drains to, m³ (run on in
    /// the next step).
    pending: Vec<f64>,
    /// Totals.
    pub totals: RunoffTotals,
}

impl Runoff {
    /// Dry subcatchments.
    pub fn new(net: &Network) -> Self {
        let n = net.subcatchments.len();
        Self {
            depth: vec![[0.0; 3]; n],
            infil: vec![0.0; n],
            flow: vec![0.0; n],
            pending: vec![0.0; n],
            totals: RunoffTotals::default(),
        }
    }

    /// Rain intensity at gauge `g` at time `t`, mm/h.
    pub fn rain_mm_h(net: &Network, g: usize, t: f64) -> f64 {
        let Some(gauge) = net.raingages.get(g) else {
            return 0.0;
        };
        let Some(ts) = net.timeseries.get(gauge.series) else {
            return 0.0;
        };
        let p = &ts.points;
        // The value recorded at time τ holds over [τ, τ + interval).
        let k = p.partition_point(|q| q.0 <= t);
        if k == 0 {
            return 0.0;
        }
        let (t0, v) = p[k - 1];
        if t >= t0 + gauge.interval_s.max(1.0) && k == p.len() {
            return 0.0;
        }
        let dt_h = gauge.interval_s.max(1.0) / 3600.0;
        let raw = v * gauge.scf * gauge.to_mm;
        match gauge.format {
            RainFormat::Intensity => raw,
            RainFormat::Volume => raw / dt_h,
            RainFormat::Cumulative => {
                let prev = if k >= 2 { p[k - 2].1 } else { 0.0 } * gauge.scf * gauge.to_mm;
                (raw - prev).max(0.0) / dt_h
            }
        }
    }

    /// Advance by `dt` seconds; adds each node's inflow (m³/s) into `to_nodes`.
    pub fn step(&mut self, net: &Network, t: f64, dt: f64, to_nodes: &mut [f64]) {
        let n = net.subcatchments.len();
        // Run-on from subcatchments that drain to this one, in the last step.
        let mut runon = vec![0.0; n];
        for (j, sc) in net.subcatchments.iter().enumerate() {
            if let SubOutlet::Subcatchment(k) = sc.outlet
                && k < n
            {
                runon[k] += self.pending[j] / dt;
            }
            self.pending[j] = 0.0;
        }
        for (j, sc) in net.subcatchments.iter().enumerate() {
            let rain = Self::rain_mm_h(net, sc.raingage, t) / 3.6e6; // m/s
            let area = sc.area_m2.max(0.0);
            if area <= 0.0 {
                self.flow[j] = 0.0;
                continue;
            }
            let shares = [
                sc.imperv * sc.pct_zero,
                sc.imperv * (1.0 - sc.pct_zero),
                1.0 - sc.imperv,
            ];
            let ds = [0.0, sc.s_imperv_m, sc.s_perv_m];
            let ns = [sc.n_imperv, sc.n_imperv, sc.n_perv];
            let extra = runon[j] / area; // m/s spread over the whole area
            let mut q_total = 0.0;
            for s in 0..3 {
                if shares[s] <= 0.0 {
                    continue;
                }
                let input = rain + extra;
                let d0 = self.depth[j][s];
                let mut f_rate = 0.0;
                if s == 2 {
                    let cap = horton_capacity(&sc.infiltration, self.infil[j]);
                    let avail = input + d0 / dt;
                    f_rate = cap.min(avail).max(0.0);
                    self.infil[j] += f_rate * dt;
                    if cap <= 0.0 && input <= 0.0 && d0 <= 0.0 {
                        self.infil[j] = recover(&sc.infiltration, self.infil[j], dt);
                    }
                }
                // As SWMM: the whole width drains each of the impervious and pervious
                // parts, over that part's area.
                let part = if s == 2 { 1.0 - sc.imperv } else { sc.imperv };
                let alpha = if ns[s] > 0.0 && part > 0.0 {
                    sc.width_m * sc.slope.max(0.0).sqrt() / (ns[s] * area * part)
                } else {
                    0.0
                };
                let net_in = input - f_rate;
                let d1 = reservoir(d0, net_in, alpha, ds[s], dt);
                // Outflow by balance: exact bookkeeping.
                let out_rate = ((d0 - d1) / dt + net_in).max(0.0);
                self.depth[j][s] = d1;
                let a_s = shares[s] * area;
                self.totals.infiltration += f_rate * dt * a_s;
                q_total += out_rate * a_s;
                self.totals.rain += rain * dt * a_s;
            }
            self.flow[j] = q_total;
            match sc.outlet {
                SubOutlet::Node(i) => {
                    if let Some(x) = to_nodes.get_mut(i) {
                        *x += q_total;
                    }
                    self.totals.runoff += q_total * dt;
                }
                SubOutlet::Subcatchment(_) => self.pending[j] = q_total * dt,
            }
        }
        self.totals.storage = net
            .subcatchments
            .iter()
            .enumerate()
            .map(|(j, sc)| {
                let area = sc.area_m2.max(0.0);
                let shares = [
                    sc.imperv * sc.pct_zero,
                    sc.imperv * (1.0 - sc.pct_zero),
                    1.0 - sc.imperv,
                ];
                (0..3)
                    .map(|s| self.depth[j][s] * shares[s] * area)
                    .sum::<f64>()
                    + self.pending[j]
            })
            .sum();
    }
}

/// One implicit step of dd/dt = i − alpha·(d − ds)^(5/3) from d0 over dt.
fn reservoir(d0: f64, i: f64, alpha: f64, ds: f64, dt: f64) -> f64 {
    let q = |d: f64| {
        if d > ds {
            alpha * (d - ds).powf(5.0 / 3.0)
        } else {
            0.0
        }
    };
    let mut d = (d0 + i * dt).max(0.0);
    if alpha <= 0.0 || d <= ds {
        return d;
    }
    // Newton on g(d) = d − d0 − dt·(i − q(d)) = 0 (g increasing in d).
    for _ in 0..30 {
        let g = d - d0 - dt * (i - q(d));
        let dg = 1.0
            + dt * if d > ds {
                alpha * 5.0 / 3.0 * (d - ds).powf(2.0 / 3.0)
            } else {
                0.0
            };
        let next = (d - g / dg).max(ds.min(d0 + i * dt).max(0.0));
        if (next - d).abs() < 1e-10 {
            d = next;
            break;
        }
        d = next;
    }
    d.max(0.0)
}

/// Horton capacity (m/s) after cumulative infiltration `f_cum` (m).
fn horton_capacity(inf: &SubInfiltration, f_cum: f64) -> f64 {
    let SubInfiltration::Horton {
        max_mm_h,
        min_mm_h,
        decay_per_h,
        max_mm,
        ..
    } = *inf
    else {
        return 0.0;
    };
    if max_mm > 0.0 && f_cum * 1000.0 >= max_mm {
        return 0.0;
    }
    let f0 = max_mm_h / 3.6e6;
    let fc = min_mm_h / 3.6e6;
    let k = decay_per_h / 3600.0;
    if k <= 0.0 {
        return f0;
    }
    // Equivalent time tp with F(tp) = f_cum, by Newton.
    let big_f = |tp: f64| fc * tp + (f0 - fc) / k * (1.0 - (-k * tp).exp());
    let mut tp = 0.0;
    for _ in 0..50 {
        let r = big_f(tp) - f_cum;
        let dr = fc + (f0 - fc) * (-k * tp).exp();
        if dr <= 0.0 {
            break;
        }
        let next = (tp - r / dr).max(0.0);
        if (next - tp).abs() < 1e-6 {
            tp = next;
            break;
        }
        tp = next;
    }
    fc + (f0 - fc) * (-k * tp).exp()
}

/// Horton recovery while dry: the capacity returns toward f0 over `dry_days`.
fn recover(inf: &SubInfiltration, f_cum: f64, dt: f64) -> f64 {
    let SubInfiltration::Horton { dry_days, .. } = *inf else {
        return f_cum;
    };
    if dry_days <= 0.0 {
        return f_cum;
    }
    let kd = -(0.02f64.ln()) / (dry_days * 86_400.0);
    f_cum * (-kd * dt).exp()
}

/// Interpolate a series (exported for the runner's outputs).
pub fn series_at(points: &[(f64, f64)], t: f64) -> f64 {
    interp(points, t)
}
