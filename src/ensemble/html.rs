//! The ensemble's self-contained report (`ensemble.html`): the question, the plans,
//! what varied, each plan's scores over the members, the paired differences against
//! the baseline with their bootstrap intervals, the distributions as SVG charts, the
//! probability maps, and every member's row. Chinese and English, with the subset of
//! the bundled CJK font it uses.

use std::fmt::Write as _;

use super::member::MemberResult;
use super::spec::EnsembleFile;
use super::stats::{Collected, Merged, Stats};
use crate::report::html::esc;
use crate::report::maps::Canvas;
use crate::report::table::{display_width, pad};
use crate::scenario::Scenario;

/// Plan colours (baseline first).
const PLAN_COLOURS: [&str; 6] = [
    "#2c5d8f", "#c0562d", "#17803d", "#6b3fa0", "#8a6d00", "#b3196b",
];

/// A map of a per-cell probability over the terrain (white → purple; cells never
/// over the threshold are left clear).
pub fn probability_map(
    s: &Scenario,
    p: &[f64],
    title: &str,
) -> Result<Vec<u8>, png::EncodingError> {
    let ramp = |v: f64| -> [u8; 4] {
        // 0 → pale yellow, 0.5 → orange, 1 → deep purple.
        let stops = [
            (0.0, [255.0, 237.0, 160.0]),
            (0.5, [240.0, 120.0, 40.0]),
            (1.0, [90.0, 20.0, 120.0]),
        ];
        let v = v.clamp(0.0, 1.0);
        let (a, b) = if v <= 0.5 {
            (stops[0], stops[1])
        } else {
            (stops[1], stops[2])
        };
        let t = (v - a.0) / (b.0 - a.0);
        let c = |k: usize| (a.1[k] + (b.1[k] - a.1[k]) * t).round() as u8;
        [c(0), c(1), c(2), 225]
    };
    let mut c = Canvas::terrain(s, 0.55);
    c.cells(|i| {
        let v = *p.get(i)?;
        (v > 0.0).then(|| ramp(v))
    });
    let items: Vec<(String, [u8; 4])> = [0.05, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|v| (format!("{:.0} %", v * 100.0), ramp(*v)))
        .collect();
    c.furnish(title, &items);
    c.png()
}

fn f1(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1}")
    } else {
        "–".into()
    }
}

fn pct(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}

fn signed(v: f64) -> String {
    if v >= 0.0 {
        format!("+{v:.1}")
    } else {
        format!("{v:.1}")
    }
}

fn quant_cells(s: &Option<Stats>) -> String {
    match s {
        Some(s) => format!(
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            s.n,
            f1(s.mean),
            f1(s.q[0]),
            f1(s.q[1]),
            f1(s.q[2]),
            f1(s.q[3]),
            f1(s.q[4])
        ),
        None => "<td colspan=7>–</td>".into(),
    }
}

/// A strip chart: one row per metric, one dot per member per plan, with each plan's
/// median as a tick. Scores 0–100.
fn strip_chart(m: &Merged, c: &Collected) -> String {
    let metrics: Vec<(String, String)> = m.plans[0]
        .scores
        .iter()
        .map(|s| (s.metric.clone(), s.name.clone()))
        .collect();
    let np = m.plans.len();
    let row_h = 18.0 * np as f64 + 16.0;
    let (w, l, r, t) = (1100.0, 230.0, 20.0, 30.0);
    let h = t + row_h * metrics.len() as f64 + 30.0;
    let px = |v: f64| l + (w - l - r) * v.clamp(0.0, 100.0) / 100.0;
    let mut o = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\"><text x=\"{l}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">每个成员的得分 score of every member (dot), median (bar)</text>"
    );
    for (pi, p) in m.plans.iter().enumerate() {
        let x = w - r - 60.0 * (np - pi) as f64;
        let _ = write!(
            o,
            "<circle cx=\"{x}\" cy=\"12\" r=\"5\" fill=\"{}\"/><text x=\"{}\" y=\"16\">{}</text>",
            PLAN_COLOURS[pi % PLAN_COLOURS.len()],
            x + 8.0,
            esc(&p.id)
        );
    }
    for v in [0.0, 20.0, 40.0, 60.0, 80.0, 100.0] {
        let x = px(v);
        let _ = write!(
            o,
            "<line x1=\"{x}\" y1=\"{t}\" x2=\"{x}\" y2=\"{}\" stroke=\"#dde3e8\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#6a7480\">{v}</text>",
            h - 26.0,
            h - 12.0
        );
    }
    for (mi, (id, name)) in metrics.iter().enumerate() {
        let y0 = t + row_h * mi as f64;
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            l - 8.0,
            y0 + row_h / 2.0 + 4.0,
            esc(name)
        );
        for (pi, p) in m.plans.iter().enumerate() {
            let y = y0 + 10.0 + 18.0 * pi as f64;
            let col = PLAN_COLOURS[pi % PLAN_COLOURS.len()];
            for ((rp, _), r) in &c.results {
                if *rp != pi {
                    continue;
                }
                let v = score(r, id);
                if let Some(v) = v {
                    let _ = write!(
                        o,
                        "<circle cx=\"{:.1}\" cy=\"{y}\" r=\"3.5\" fill=\"{col}\" fill-opacity=\"0.45\"/>",
                        px(v)
                    );
                }
            }
            if let Some(s) = p
                .scores
                .iter()
                .find(|s| &s.metric == id)
                .and_then(|s| s.stats.as_ref())
            {
                let x = px(s.q[2]);
                let _ = write!(
                    o,
                    "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"{col}\" stroke-width=\"3\"/>",
                    y - 7.0,
                    y + 7.0
                );
            }
        }
    }
    o.push_str("</svg>");
    o
}

fn score(r: &MemberResult, id: &str) -> Option<f64> {
    if id == "overall" {
        r.overall
    } else {
        r.criteria.iter().find(|c| c.id == id).map(|c| c.score)
    }
}

/// A forest plot of the paired differences (plan − baseline) with their intervals.
fn forest(m: &Merged) -> String {
    let rows: Vec<(usize, &super::stats::Paired)> = m
        .plans
        .iter()
        .enumerate()
        .skip(1)
        .flat_map(|(pi, p)| p.paired.iter().map(move |d| (pi, d)))
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let span = rows
        .iter()
        .flat_map(|(_, d)| {
            let (a, b) = d.ci95.unwrap_or((d.mean_diff, d.mean_diff));
            [a.abs(), b.abs(), d.mean_diff.abs()]
        })
        .fold(5.0f64, f64::max);
    let span = (span / 5.0).ceil() * 5.0;
    let (w, l, r, t) = (1100.0, 330.0, 30.0, 30.0);
    let h = t + 22.0 * rows.len() as f64 + 34.0;
    let px = |v: f64| l + (w - l - r) * (v + span) / (2.0 * span);
    let mut o = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\"><text x=\"{l}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">配对差值 paired difference (plan − {}), mean and 95 % bootstrap interval</text>",
        esc(&m.plans[0].id)
    );
    let zero = px(0.0);
    let _ = write!(
        o,
        "<line x1=\"{zero}\" y1=\"{t}\" x2=\"{zero}\" y2=\"{}\" stroke=\"#1d2733\"/>",
        h - 26.0
    );
    for k in [-1.0, -0.5, 0.5, 1.0] {
        let v = span * k;
        let x = px(v);
        let _ = write!(
            o,
            "<line x1=\"{x}\" y1=\"{t}\" x2=\"{x}\" y2=\"{}\" stroke=\"#dde3e8\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#6a7480\">{}</text>",
            h - 26.0,
            h - 12.0,
            signed(v)
        );
    }
    for (i, (pi, d)) in rows.iter().enumerate() {
        let y = t + 12.0 + 22.0 * i as f64;
        let col = PLAN_COLOURS[pi % PLAN_COLOURS.len()];
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} · {}</text>",
            l - 8.0,
            y + 4.0,
            esc(&m.plans[*pi].id),
            esc(&d.name)
        );
        if let Some((a, b)) = d.ci95 {
            let _ = write!(
                o,
                "<line x1=\"{:.1}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\" stroke=\"{col}\" stroke-width=\"2.5\"/>",
                px(a),
                px(b)
            );
        }
        let _ = write!(
            o,
            "<circle cx=\"{:.1}\" cy=\"{y}\" r=\"5\" fill=\"{col}\"/>",
            px(d.mean_diff)
        );
    }
    o.push_str("</svg>");
    o
}

/// The report page.
pub fn report(
    m: &Merged,
    spec: &EnsembleFile,
    c: &Collected,
    maps: &[(String, String, Vec<u8>)],
) -> String {
    use base64::Engine as _;
    let mut h = String::new();
    crate::report::html::head_titled(
        &mut h,
        &format!("{} — 集合分析 ensemble report", m.name),
        &format!(
            "<meta name=\"floodrill-ensemble\" content=\"{}\">",
            esc(&m.hash)
        ),
    );
    let base = &m.plans[0];
    let _ = write!(
        h,
        "<h1>{}</h1><p>{}</p><p class=\"note\">集合分析 ensemble of {} members × {} plans, every plan on the same members (common random numbers); ensemble hash {}…; bootstrap {} resamples.</p>",
        esc(&m.name),
        esc(&spec.description),
        m.members,
        m.plans.len(),
        esc(&m.hash[..16.min(m.hash.len())]),
        m.bootstrap
    );
    if !m.missing.is_empty() {
        let _ = write!(
            h,
            "<p class=\"fail\">不完整 incomplete: {} runs missing ({}) — figures are over the members present.</p>",
            m.missing.len(),
            esc(&m
                .missing
                .iter()
                .take(12)
                .map(|(p, k)| format!("{p}/{k}"))
                .collect::<Vec<_>>()
                .join(", "))
        );
    }
    // Headline: each plan against the baseline.
    h.push_str("<h2>结论 Findings</h2>");
    for p in &m.plans {
        let overall = p.scores.iter().find(|s| s.metric == "overall");
        let _ = write!(
            h,
            "<p><b>{}</b> {}: overall median {} (5–95 %: {} – {}), passes in {} of members.</p>",
            esc(&p.id),
            esc(&p.name),
            overall
                .and_then(|o| o.stats.as_ref())
                .map(|s| f1(s.q[2]))
                .unwrap_or("–".into()),
            overall
                .and_then(|o| o.stats.as_ref())
                .map(|s| f1(s.q[0]))
                .unwrap_or("–".into()),
            overall
                .and_then(|o| o.stats.as_ref())
                .map(|s| f1(s.q[4]))
                .unwrap_or("–".into()),
            overall
                .and_then(|o| o.pass_share)
                .map(pct)
                .unwrap_or("–".into())
        );
    }
    for p in &m.plans[1..] {
        for d in &p.paired {
            let Some((a, b)) = d.ci95 else { continue };
            let verdict = if a > 0.0 {
                format!("<span class=\"pass\">{} better</span>", esc(&p.id))
            } else if b < 0.0 {
                format!("<span class=\"fail\">{} worse</span>", esc(&p.id))
            } else {
                "no clear difference 无显著差异".to_string()
            };
            let _ = write!(
                h,
                "<p>{} vs {} · {}: {} points (95 % CI {} to {}), higher in {} and lower in {} of {} members — {}.</p>",
                esc(&p.id),
                esc(&base.id),
                esc(&d.name),
                signed(d.mean_diff),
                signed(a),
                signed(b),
                d.better,
                d.worse,
                d.n,
                verdict
            );
        }
    }
    // Plans and what varied.
    h.push_str("<h2>方案 Plans</h2><table><tr><th>id</th><th>plan</th><th>scenario</th><th>orders</th></tr>");
    for (i, p) in spec.plans.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td style=\"color:{}\"><b>{}</b>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            PLAN_COLOURS[i % PLAN_COLOURS.len()],
            esc(&p.id),
            if i == 0 { " (baseline 基准)" } else { "" },
            esc(&p.name),
            esc(&p.scenario),
            esc(p.orders.as_deref().unwrap_or("—"))
        );
    }
    h.push_str("</table><h2>成员变化 What varies per member</h2><table><tr><th>quantity</th><th>distribution</th><th>drawn: min</th><th>median</th><th>max</th></tr>");
    let vary_text = ron::ser::to_string_pretty(&spec.vary, ron::ser::PrettyConfig::default())
        .unwrap_or_default();
    let mut cols: Vec<&'static str> = Vec::new();
    for d in &m.draws {
        for (k, _) in d.columns() {
            if !cols.contains(&k) {
                cols.push(k);
            }
        }
    }
    let described = spec.vary.describe();
    for k in &cols {
        let dist = described
            .iter()
            .find(|(n, _)| n == k)
            .map(|x| x.1.clone())
            .unwrap_or_default();
        if *k == "seed" || *k == "pump_failure" || *k == "late_teams" {
            let vals: Vec<String> = m
                .draws
                .iter()
                .filter_map(|d| d.columns().into_iter().find(|(n, _)| n == k).map(|x| x.1))
                .collect();
            let drawn = if *k == "seed" {
                format!("{} seeds, one per member", vals.len())
            } else if *k == "late_teams" {
                let mut by: std::collections::BTreeMap<String, usize> = Default::default();
                for d in &m.draws {
                    for (t, _) in &d.late_teams {
                        *by.entry(t.clone()).or_default() += 1;
                    }
                }
                format!(
                    "{} of {} members have a late team: {}",
                    vals.len(),
                    m.members,
                    by.iter()
                        .map(|(u, n)| format!("{u} ×{n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                let mut by: std::collections::BTreeMap<String, usize> = Default::default();
                for v in &vals {
                    *by.entry(v.split(" at ").next().unwrap_or("").to_string())
                        .or_default() += 1;
                }
                format!(
                    "{} of {} members fail: {}",
                    vals.len(),
                    m.members,
                    by.iter()
                        .map(|(u, n)| format!("{u} ×{n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td colspan=3>{}</td></tr>",
                esc(k),
                esc(&dist),
                esc(&drawn)
            );
            continue;
        }
        let vals: Vec<String> = m
            .draws
            .iter()
            .filter_map(|d| d.columns().into_iter().find(|(n, _)| n == k).map(|x| x.1))
            .collect();
        let mut sorted = vals.clone();
        let numeric: Option<Vec<f64>> = vals.iter().map(|v| v.parse::<f64>().ok()).collect();
        let (lo, mid, hi) = match numeric {
            Some(mut v) if !v.is_empty() => {
                v.sort_by(f64::total_cmp);
                (
                    format!("{:.3}", v[0]),
                    format!("{:.3}", super::stats::quantile(&v, 0.5)),
                    format!("{:.3}", v[v.len() - 1]),
                )
            }
            _ => {
                sorted.sort();
                (
                    sorted.first().cloned().unwrap_or_default(),
                    format!("{} members", vals.len()),
                    sorted.last().cloned().unwrap_or_default(),
                )
            }
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(k),
            esc(&dist),
            esc(&lo),
            esc(&mid),
            esc(&hi)
        );
    }
    let _ = write!(
        h,
        "</table><details><summary>the specification's <code>vary</code></summary><pre>{}</pre></details>",
        esc(&vary_text)
    );
    // Scores per plan.
    h.push_str("<h2>四到位得分分布 Scores over the members</h2><table><tr><th>plan</th><th>criterion</th><th>n</th><th>mean</th><th>p5</th><th>p25</th><th>median</th><th>p75</th><th>p95</th><th>passing</th></tr>");
    for p in &m.plans {
        for s in &p.scores {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td>{}<td>{}</td></tr>",
                esc(&p.id),
                esc(&s.name),
                quant_cells(&s.stats),
                s.pass_share.map(pct).unwrap_or("–".into())
            );
        }
    }
    h.push_str("</table>");
    h.push_str(&strip_chart(m, c));
    // Paired.
    if m.plans.len() > 1 {
        let _ = write!(
            h,
            "<h2>配对比较 Paired comparison with {}</h2><table><tr><th>plan</th><th>criterion</th><th>members</th><th>mean difference</th><th>95 % CI</th><th>higher / lower</th><th>pass share difference (95 % CI)</th></tr>",
            esc(&base.id)
        );
        for p in &m.plans[1..] {
            for d in &p.paired {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td></tr>",
                    esc(&p.id),
                    esc(&d.name),
                    d.n,
                    signed(d.mean_diff),
                    d.ci95
                        .map(|(a, b)| format!("{} to {}", signed(a), signed(b)))
                        .unwrap_or("–".into()),
                    d.better,
                    d.worse,
                    match (d.pass_share_diff, d.pass_share_ci95) {
                        (Some(v), Some((a, b))) => format!(
                            "{:+.0} pp ({:+.0} to {:+.0})",
                            v * 100.0,
                            a * 100.0,
                            b * 100.0
                        ),
                        (Some(v), None) => format!("{:+.0} pp", v * 100.0),
                        _ => "–".into(),
                    }
                );
            }
        }
        h.push_str("</table>");
        h.push_str(&forest(m));
    }
    // Measures.
    h.push_str("<h2>人员与水情 People and water over the members</h2><table><tr><th>plan</th><th>measure</th><th>n</th><th>mean</th><th>p5</th><th>p25</th><th>median</th><th>p75</th><th>p95</th></tr>");
    for p in &m.plans {
        for s in &p.measures {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td>{}</tr>",
                esc(&p.id),
                esc(&s.name),
                quant_cells(&s.stats)
            );
        }
        let _ = write!(
            h,
            "<tr><td>{}</td><td>救援响应 rescue response, min (every request)</td>{}</tr>",
            esc(&p.id),
            quant_cells(&p.rescue_response_s.as_ref().map(|s| Stats {
                n: s.n,
                mean: s.mean / 60.0,
                sd: s.sd / 60.0,
                min: s.min / 60.0,
                q: s.q.map(|v| v / 60.0),
                max: s.max / 60.0,
            }))
        );
    }
    h.push_str("</table><p class=\"note\">Evacuation clearance (90 %, 100 %) appears where a plan told residents to evacuate; a shelter-in-place plan has none.</p>");
    // Maps.
    if !maps.is_empty() {
        h.push_str("<h2>积水概率图 Probability maps</h2><div class=\"maps\">");
        for (_, title, png) in maps {
            let _ = write!(
                h,
                "<figure><figcaption>{}</figcaption><img alt=\"{}\" src=\"data:image/png;base64,{}\"></figure>",
                esc(title),
                esc(title),
                base64::engine::general_purpose::STANDARD.encode(png)
            );
        }
        h.push_str("</div>");
    }
    // Members.
    h.push_str("<h2>成员 Members</h2><details><summary>every plan in every member (click a column to sort)</summary><table class=\"sortable\"><tr><th>plan</th><th>member</th><th>draws</th><th>overall</th>");
    for s in &base.scores[1..] {
        let _ = write!(h, "<th>{}</th>", esc(&s.name));
    }
    h.push_str("<th>status</th></tr>");
    for ((pi, k), r) in &c.results {
        let draws: Vec<String> = r
            .draws
            .columns()
            .into_iter()
            .map(|(n, v)| format!("{n} {v}"))
            .collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{k}</td><td class=\"note\">{}</td><td>{}</td>",
            esc(&m.plans[*pi].id),
            esc(&draws.join(", ")),
            r.overall.map(f1).unwrap_or("–".into())
        );
        for s in &base.scores[1..] {
            let _ = write!(
                h,
                "<td>{}</td>",
                score(r, &s.metric).map(f1).unwrap_or("–".into())
            );
        }
        let _ = write!(h, "<td>{}</td></tr>", esc(&r.status));
    }
    h.push_str("</table></details><footer>floodrill ensemble · members.csv, criteria.csv, paired.csv and ensemble_summary.json hold these figures</footer></body></html>\n");
    crate::report::font::embed_font(&h)
}

/// The terminal summary: per plan the overall and each criterion's median and share
/// passing, then each paired difference with its interval.
pub fn summary_table(m: &Merged) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} — {} members × {} plans",
        m.name,
        m.members,
        m.plans.len()
    );
    let name_w = m
        .plans
        .iter()
        .flat_map(|p| p.scores.iter().map(|s| display_width(&s.name)))
        .max()
        .unwrap_or(9)
        .max(9);
    let _ = writeln!(
        o,
        "{:<10} {} {:>6} {:>6} {:>6} {:>8}",
        "plan",
        pad("criterion", name_w),
        "p5",
        "median",
        "p95",
        "passing"
    );
    for p in &m.plans {
        for s in &p.scores {
            let (a, b, c) = s
                .stats
                .as_ref()
                .map(|s| (f1(s.q[0]), f1(s.q[2]), f1(s.q[4])))
                .unwrap_or(("–".into(), "–".into(), "–".into()));
            let _ = writeln!(
                o,
                "{:<10} {} {:>6} {:>6} {:>6} {:>8}",
                p.id,
                pad(&s.name, name_w),
                a,
                b,
                c,
                s.pass_share.map(pct).unwrap_or("–".into())
            );
        }
    }
    for p in &m.plans[1..] {
        for d in &p.paired {
            let _ = writeln!(
                o,
                "{} − {} · {}: {} ({})",
                p.id,
                m.plans[0].id,
                d.name,
                signed(d.mean_diff),
                d.ci95
                    .map(|(a, b)| format!("95 % CI {} to {}", signed(a), signed(b)))
                    .unwrap_or("no interval: fewer than 2 members".into())
            );
        }
    }
    o
}
