//! The after-action report: one self-contained `report.html` (no network: styles
//! inline, charts as inline SVG, maps as embedded PNG) and the maps as PNG files.
//!
//! What it holds, in the order a review team reads it: the drill (scenario, storm,
//! seed, outcome figures); the four-in-place scorecard with each criterion's evidence;
//! an improvement plan listing each failed criterion with what its evidence points to;
//! a timeline of injects, orders and key events; charts (rain, stored and pumped water,
//! households by state, rescue response times); maps (maximum depth with hotspots,
//! household outcomes, team and robot tracks).
//!
//! It reads the finished run's record ([`RunRecord`]) and the scorecard; it never
//! changes the simulation.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use super::RunSummary;
use super::maps::{Canvas, STATE_RGBA, TRACK_RGBA, hex, paint_depth};
use super::terrain::{CLASS_LABELS, CLASS_RGBA};
use super::{ReportError, RunRecord};
use crate::agents::{HouseholdId, HouseholdState};
use crate::scenario::{Scenario, format_clock};
use crate::scoring::Scorecard;
use crate::world::PlaceKind;

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Most rows on the timeline.
const TIMELINE_MAX: usize = 600;

/// What a row needs to link to its moment: the replay to open, the names and
/// positions of the run, and the maps' pixel geometry.
struct Links<'a> {
    replay: Option<&'a str>,
    atlas: &'a super::moments::Atlas<'a>,
    geo: &'a Canvas,
}

impl Links<'_> {
    fn cell(&self, t: Option<f64>, pt: Option<crate::world::Pt>, label: &str) -> String {
        super::moments::link(self.replay, t, pt, label, self.geo)
    }
}

/// Write `maps/*.png` and `report.html` into `dir`. Returns the report's path.
pub fn write_report(
    dir: &Path,
    r: &RunRecord<'_>,
    summary: &RunSummary,
    card: Option<&Scorecard>,
    replay: Option<&str>,
) -> Result<std::path::PathBuf, ReportError> {
    let s = r.scenario;
    let maps_dir = dir.join("maps");
    std::fs::create_dir_all(&maps_dir).map_err(ReportError::io(&maps_dir))?;
    let mut maps = Vec::new();
    let mut geo: Option<Canvas> = None;
    for (file, title, items, mut canvas) in
        [max_depth_map(s, r), outcomes_map(s, r), tracks_map(s, r)]
    {
        if geo.is_none() {
            geo = Some(Canvas {
                rgba: Vec::new(),
                ..canvas.clone()
            });
        }
        canvas.furnish(title, &items);
        let legend = legend(&items);
        let path = maps_dir.join(file);
        let png = canvas.png().map_err(ReportError::png(&path))?;
        std::fs::write(&path, &png).map_err(ReportError::io(&path))?;
        maps.push((file, title, legend, png, (canvas.width, canvas.height)));
    }
    let geo = geo.unwrap_or_else(|| Canvas::terrain(s, 0.0));
    let atlas = super::moments::Atlas::new(r);
    let links = Links {
        replay,
        atlas: &atlas,
        geo: &geo,
    };
    let mut h = String::with_capacity(1 << 20);
    head(&mut h, s, &summary.run_id);
    drill(&mut h, s, summary, r);
    overview(&mut h, s, r, &links);
    match card {
        Some(card) => {
            let fs = super::actions::findings(card, s);
            executive_summary(&mut h, card, &fs);
            scorecard(&mut h, card, &fs, &links);
            improvement_plan(&mut h, &fs);
        }
        None => {
            let _ = writeln!(
                h,
                "<h2>四到位评分 Four-in-place scorecard</h2><p>{}</p>",
                esc(summary.verdict.as_deref().unwrap_or("nothing to judge"))
            );
        }
    }
    timeline(&mut h, r, &links);
    charts(&mut h, s, r);
    let _ = writeln!(h, "<h2>地图 Maps</h2><div class=maps>");
    for (file, title, legend, png, (w, ht)) in &maps {
        let b64 = base64::engine::general_purpose::STANDARD.encode(png);
        let _ = writeln!(
            h,
            "<figure id=\"map-{}\"><figcaption>{}</figcaption><div class=mapbox><img alt=\"{}\" src=\"data:image/png;base64,{b64}\"><svg class=mark viewBox=\"0 0 {w} {ht}\"></svg></div><div class=legend>{legend}</div><div class=note>maps/{file}</div></figure>",
            file.trim_end_matches(".png"),
            esc(title),
            esc(title)
        );
    }
    let _ = writeln!(h, "</div>");
    let _ = writeln!(
        h,
        "<div id=goto><a href=\"#\" onclick=\"this.parentNode.style.display='none';return false\">×</a><b>◎</b> <span></span><code></code><div class=mapbox><img alt=\"\"><svg class=mark viewBox=\"0 0 {} {}\"></svg></div></div>",
        geo.width, geo.height
    );
    let _ = writeln!(
        h,
        "<footer>floodrill {} · run {} · scenario {} · digest {}</footer></body></html>",
        esc(&summary.engine_version),
        esc(&summary.run_id),
        esc(&summary.scenario_hash[..12.min(summary.scenario_hash.len())]),
        esc(&summary.final_state_digest[..16.min(summary.final_state_digest.len())])
    );
    let path = dir.join("report.html");
    let tmp = dir.join("report.html.part");
    std::fs::write(&tmp, super::font::embed_font(&h)).map_err(ReportError::io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(ReportError::io(&path))?;
    Ok(path)
}

fn head(h: &mut String, s: &Scenario, run_id: &str) {
    head_titled(
        h,
        &format!("{} — 演练复盘报告 after-action report", s.file.meta.name),
        &format!(
            "<meta name=\"floodrill-run-id\" content=\"{}\">",
            esc(run_id)
        ),
    );
}

pub(crate) fn head_titled(h: &mut String, title: &str, meta: &str) {
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">{}<title>{}</title>
<style>
{font}
body{{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC","{family}",sans-serif;margin:24px auto;max-width:1180px;color:#1d2733;background:#fbfbf8;line-height:1.45}}
h1{{font-size:26px;margin:0 0 4px}} h2{{font-size:20px;margin:28px 0 8px;border-bottom:2px solid #2c5d8f;padding-bottom:3px}}
table{{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0}} th,td{{border:1px solid #ccd3da;padding:3px 6px;text-align:left;vertical-align:top}}
th{{background:#e8eef4}} .pass{{color:#17803d;font-weight:bold}} .fail{{color:#c0262d;font-weight:bold}}
.score{{font-size:22px;font-weight:bold}} .card{{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}}
.crit{{border:1px solid #ccd3da;border-radius:6px;padding:10px;background:#fff}} .crit.failbox{{border-color:#e3a3a6;background:#fff6f6}}
.figs{{display:grid;grid-template-columns:repeat(4,1fr);gap:6px;font-size:13px}} .figs div{{background:#fff;border:1px solid #dde3e8;padding:6px;border-radius:4px}}
.figs b{{display:block;font-size:17px}} .charts{{display:grid;grid-template-columns:1fr 1fr;gap:12px}}
.maps{{display:grid;grid-template-columns:1fr 1fr;gap:14px}} figure{{margin:0;background:#fff;border:1px solid #dde3e8;padding:8px}}
figure img{{width:100%;image-rendering:pixelated}} figcaption{{font-weight:bold;margin-bottom:4px}} .legend span{{display:inline-block;margin:2px 8px 2px 0;font-size:12px}}
.legend i{{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle;border:1px solid #888}}
.note{{color:#6a7480;font-size:12px}} details{{margin:4px 0}} summary{{cursor:pointer}} footer{{margin-top:30px;color:#6a7480;font-size:12px}}
.exec p{{font-size:15px;margin:4px 0}} .origin-plan{{color:#2c5d8f}} .origin-trainer{{color:#b3541e;font-weight:bold}} .origin-trainee{{color:#6b3fa0}}
.mapbox{{position:relative}} svg.mark{{position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none}}
svg.mark .ring{{fill:none;stroke:#e0115f;stroke-width:7}} svg.mark .pin{{fill:#e0115f;stroke:#fff;stroke-width:3}} svg.mark text{{font-size:34px;font-weight:bold;fill:#e0115f;paint-order:stroke;stroke:#fff;stroke-width:7px}}
#goto{{display:none;position:fixed;right:12px;bottom:12px;width:400px;background:#1d2733;color:#fff;padding:8px 10px;font-size:13px;z-index:9;border-radius:6px;box-shadow:0 2px 12px #0006}}
#goto code{{display:block;background:#33414f;padding:3px 6px;margin:4px 0;user-select:all;word-break:break-all}} #goto>a{{color:#fff;float:right;text-decoration:none;font-size:16px}} #goto .mapbox img{{width:100%}}
.assess{{display:grid;grid-template-columns:1fr 1fr;gap:10px;font-size:13px;margin:6px 0}} .assess ul{{margin:2px 0;padding-left:18px}}
a.go{{white-space:nowrap;text-decoration:none;color:#2c5d8f}} a.go:hover{{text-decoration:underline}} .tlfilter label{{margin-right:12px;font-size:13px;white-space:nowrap}} td.icon{{text-align:center}}
.k-inject .icon,label.k-inject{{color:#b3541e}} .k-failure .icon,label.k-failure{{color:#c0262d}} .k-warning .icon,label.k-warning{{color:#8a6d00}} .k-order .icon,label.k-order{{color:#2c5d8f}} .k-unit .icon,label.k-unit{{color:#17803d}} .k-place .icon,label.k-place{{color:#6b3fa0}}
</style><script>
function go(a){{var x=a.dataset.x,y=a.dataset.y,c=a.dataset.c,l=a.dataset.l||'',ns='http://www.w3.org/2000/svg',b=document.getElementById('goto');
if(b){{var mi=b.querySelector('img'),src=document.querySelector('#map-max_depth img');if(mi&&src&&!mi.src)mi.src=src.src;b.querySelector('span').textContent=l+(x===undefined?' — no place on the map':'');b.querySelector('code').textContent=c||'(no replay recorded: run without --no-replay to review this moment)';b.style.display='block';}}
document.querySelectorAll('svg.mark').forEach(function(s){{while(s.firstChild)s.removeChild(s.firstChild);if(x===undefined)return;[['circle',{{cx:x,cy:y,r:34,'class':'ring'}}],['circle',{{cx:x,cy:y,r:9,'class':'pin'}}],['text',{{x:+x+42,y:+y+12}}]].forEach(function(d){{var e=document.createElementNS(ns,d[0]);for(var k in d[1])e.setAttribute(k,d[1][k]);if(d[0]==='text')e.textContent=l.split(' ')[0];s.appendChild(e);}});}});
if(c&&navigator.clipboard)navigator.clipboard.writeText(c).catch(function(){{}});return false;}}
function tl(i){{document.querySelectorAll('#timeline tr.k-'+i.dataset.k).forEach(function(r){{r.style.display=i.checked?'':'none';}});}}
document.addEventListener('click',function(e){{var th=e.target.closest('table.sortable th');if(!th)return;var tr=th.parentNode,tb=tr.parentNode,i=[].indexOf.call(tr.children,th),rows=[].slice.call(tb.querySelectorAll('tr')).slice(1),up=th.dataset.up!=='1';th.dataset.up=up?'1':'0';var key=function(r){{var t=r.children[i]?r.children[i].textContent.trim():'';var n=parseFloat(t);return isNaN(n)||!/^[-0-9.]/.test(t)?t:n;}};rows.sort(function(a,b){{var x=key(a),y=key(b);var c=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y));return up?c:-c;}});rows.forEach(function(r){{tb.appendChild(r);}});}});
</script></head><body>
"#,
        meta,
        esc(title),
        font = format_args!("{}{}", super::font::FONT_START, super::font::FONT_END),
        family = super::font::FAMILY,
    );
}

/// The comparison of two runs as one self-contained `compare.html`: where they part,
/// the scorecards side by side, persons by final state, and the difference maps.
pub fn comparison_html(
    c: &crate::replay::compare::Comparison,
    maps: &super::maps::DiffMaps,
) -> String {
    use super::maps::{BETTER_RGBA, DEEPER_RGBA, SHALLOWER_RGBA, WORSE_RGBA};
    use crate::replay::compare::DEPTH_TOLERANCE_M;
    let mut h = String::with_capacity(1 << 18);
    head_titled(
        &mut h,
        &format!("{} — 对比 comparison of two runs", c.scenario_name),
        "",
    );
    let _ = writeln!(
        h,
        "<h1>{} — 两次演练对比 comparison</h1><p>A (baseline): {}<br>B (variant): {}</p>",
        esc(&c.scenario_name),
        esc(&c.a),
        esc(&c.b)
    );
    let facts = c.divergence_lines();
    let _ = writeln!(h, "<h2>分歧 Where the runs part</h2><ul>");
    for f in &facts {
        let _ = writeln!(h, "<li>{}</li>", esc(f));
    }
    let _ = writeln!(h, "</ul>");
    let (a, b) = (&c.scorecard_a, &c.scorecard_b);
    let _ = writeln!(
        h,
        "<h2>四到位评分 Scorecards</h2><table><tr><th>criterion</th><th>A</th><th>B</th><th>B − A</th><th>B: account</th></tr>"
    );
    for ca in &a.criteria {
        let cb = b.criteria.iter().find(|x| x.id == ca.id);
        let _ = writeln!(
            h,
            "<tr><td><b>{}</b></td><td>{:.1} {}</td><td>{}</td><td>{}</td><td class=note>{}</td></tr>",
            esc(&ca.name),
            ca.score,
            verdict(ca.pass),
            cb.map_or("-".into(), |x| format!(
                "{:.1} {}",
                x.score,
                verdict(x.pass)
            )),
            cb.map_or("-".into(), |x| format!("{:+.1}", x.score - ca.score)),
            cb.map_or(String::new(), |x| esc(&x.summary))
        );
    }
    let _ = writeln!(
        h,
        "<tr><td><b>总分 overall</b></td><td>{:.1} {}</td><td>{:.1} {}</td><td>{:+.1}</td><td></td></tr></table>",
        a.overall,
        verdict(a.pass),
        b.overall,
        verdict(b.pass),
        b.overall - a.overall
    );
    let o = &c.households;
    let _ = writeln!(
        h,
        "<h2>人员 Persons by final state</h2><table><tr><th>state</th><th>A</th><th>B</th><th>B − A</th></tr>"
    );
    for (k, va) in &o.persons_a {
        let x = va.as_i64().unwrap_or(0);
        let y = o.persons_b.get(k).and_then(Value::as_i64).unwrap_or(0);
        if x != 0 || y != 0 {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{x}</td><td>{y}</td><td>{:+}</td></tr>",
                esc(k),
                y - x
            );
        }
    }
    let _ = writeln!(h, "</table>");
    let m = &c.max_depth;
    let _ = writeln!(h, "<h2>差异地图 Difference maps</h2><div class=maps>");
    for (title, png, legend_items, note) in [
        (
            "最大水深差 Maximum depth, B − A",
            &maps.max_depth,
            vec![
                (format!("deeper in B ({} cells)", m.deeper_cells), DEEPER_RGBA),
                (
                    format!("shallower in B ({} cells)", m.shallower_cells),
                    SHALLOWER_RGBA,
                ),
            ],
            format!(
                "cells changed by at least {:.2} m; stronger colour for larger changes, full at 0.5 m; largest increase {:.2} m, largest decrease {:.2} m",
                DEPTH_TOLERANCE_M, m.max_increase_m, m.max_decrease_m
            ),
        ),
        (
            "住户结果变化 Household outcomes, B against A",
            &maps.households,
            vec![
                (format!("better in B ({})", o.better_in_b), BETTER_RGBA),
                (format!("worse in B ({})", o.worse_in_b), WORSE_RGBA),
            ],
            "at each household's home; outcomes ranked sheltered; at home, in place or in a refuge; waiting; moving; rescued; trapped; casualty".to_string(),
        ),
    ] {
        let b64 = base64::engine::general_purpose::STANDARD.encode(png);
        let _ = writeln!(
            h,
            "<figure><figcaption>{}</figcaption><img alt=\"{}\" src=\"data:image/png;base64,{b64}\"><div class=legend>{}</div><div class=note>{}</div></figure>",
            esc(title),
            esc(title),
            legend(&legend_items),
            esc(&note)
        );
    }
    let _ = writeln!(
        h,
        "</div><footer>floodrill {}</footer></body></html>",
        esc(crate::ENGINE_VERSION)
    );
    super::font::embed_font(&h)
}

fn fig(label: &str, value: String) -> String {
    format!("<div>{}<b>{}</b></div>", esc(label), esc(&value))
}

fn drill(h: &mut String, s: &Scenario, summary: &RunSummary, r: &RunRecord<'_>) {
    let m = &s.file.meta;
    let _ = writeln!(
        h,
        "<h1>{}</h1><div class=note>演练复盘报告 after-action report · {} · start {} · {} of sim time · seed {} · status {:?}</div><p>{}</p>",
        esc(&m.name),
        esc(&s.file.district.name),
        s.start.format("%Y-%m-%d %H:%M"),
        esc(&summary.sim_time),
        summary.seed,
        summary.status,
        esc(&m.description)
    );
    if let Some(p) = &summary.parent {
        let _ = writeln!(
            h,
            "<p><b>分支 branch</b> of {} at {}{}; compare the two with <code>floodrill compare {} drill.replay</code>.</p>",
            esc(&p.file),
            format_clock(p.at),
            p.orders
                .as_ref()
                .map_or(" with no new orders".to_string(), |o| format!(
                    " with the orders of {}",
                    esc(o)
                )),
            esc(&p.file)
        );
    }
    let f = &summary.figures;
    let num = |k: &str| f.get(k).and_then(Value::as_f64);
    let mut figs = vec![
        fig(
            "降雨 rain volume",
            num("rain_m3").map_or("–".into(), |v| format!("{:.0} m³", v)),
        ),
        fig(
            "最大水深 deepest water",
            num("max_depth_m").map_or("–".into(), |v| format!("{v:.2} m")),
        ),
        fig(
            "水量平衡误差 balance error",
            num("balance_error_of_rain").map_or("–".into(), |v| format!("{v:.1e} of rain")),
        ),
        fig(
            "求救 rescue requests",
            num("rescue_requests").map_or("0".into(), |v| format!("{v:.0}")),
        ),
        fig(
            "获救 persons rescued",
            num("persons_rescued").map_or("0".into(), |v| format!("{v:.0}")),
        ),
        fig(
            "安置 persons sheltered",
            num("persons_sheltered").map_or("–".into(), |v| format!("{v:.0}")),
        ),
        fig(
            "被困 persons still trapped",
            num("persons_trapped").map_or("–".into(), |v| format!("{v:.0}")),
        ),
    ];
    if let Some(log) = r.log {
        let n = log
            .0
            .entries
            .iter()
            .filter(|e| {
                matches!(
                    e.event,
                    crate::exercise::log::SimEvent::InjectApplied { .. }
                )
            })
            .count();
        figs.push(fig("导调 injects", n.to_string()));
    }
    if let Some(n) = num("network_nodes") {
        figs.push(fig(
            "管网超载井 surcharged manholes",
            format!(
                "{:.0} of {n:.0}",
                num("network_surcharged_nodes").unwrap_or(0.0)
            ),
        ));
        figs.push(fig(
            "冒溢井 flooding manholes",
            format!(
                "{:.0} ({:.0} m³ onto the streets)",
                num("network_flooding_nodes").unwrap_or(0.0),
                num("network_flooded_m3").unwrap_or(0.0)
            ),
        ));
    }
    let _ = writeln!(h, "<div class=figs>{}</div>", figs.join(""));
    network_section(h, f);
}

/// The storm in a line per rain source.
fn storm_lines(s: &Scenario) -> Vec<String> {
    use crate::scenario::format_duration;
    use crate::scenario::schema::RainSource;
    s.file
        .rain
        .sources
        .iter()
        .map(|src| match src {
            RainSource::Uniform { .. } => "均匀降雨 uniform rain from a series".to_string(),
            RainSource::Chicago {
                return_period_years,
                duration,
                peak_ratio,
                start,
                ..
            } => format!(
                "芝加哥雨型 Chicago design storm, {return_period_years} year return period, {} long from {}, peak at {:.0} % of it",
                format_duration(duration.0),
                format_clock(start.0),
                peak_ratio * 100.0
            ),
            RainSource::MovingCell {
                peak_mm_h,
                radius_m,
                track,
            } => format!(
                "移动雨团 moving storm cell, {peak_mm_h} mm/h at its centre, radius {radius_m} m, {} track points",
                track.len()
            ),
            RainSource::Frames { frames } => {
                format!("雷达降雨 gridded rain, {} frames", frames.len())
            }
        })
        .collect()
}

/// The exercise overview (HSEEP's first section): the storm, the master events list,
/// who took part and in what role.
fn overview(h: &mut String, s: &Scenario, r: &RunRecord<'_>, links: &Links<'_>) {
    use crate::exercise::log::{Origin, SimEvent};
    use crate::scenario::format_duration;
    let f = &s.file;
    let _ = writeln!(h, "<h2>演练概况 Exercise overview</h2>");
    let _ = writeln!(
        h,
        "<p><b>降雨 Storm:</b> {}</p>",
        esc(&storm_lines(s).join("; "))
    );
    // Roles: who gave the orders.
    let (mut plan, mut trainee, mut trainer) = (0usize, 0usize, 0usize);
    if let Some(log) = r.log {
        for e in &log.0.entries {
            match (&e.event, e.origin) {
                (SimEvent::OrderIssued { .. }, Origin::Plan) => plan += 1,
                (SimEvent::OrderIssued { .. }, Origin::Trainee) => trainee += 1,
                (SimEvent::InjectApplied { .. }, _) => trainer += 1,
                _ => {}
            }
        }
    }
    let residents: u32 = s.buildings.iter().map(|b| b.residents).sum();
    let households: u32 = s.buildings.iter().map(|b| b.households).sum();
    let shelters: Vec<&crate::world::Place> = s
        .places
        .iter()
        .filter(|p| p.kind == PlaceKind::Shelter)
        .collect();
    let places_total: f64 = shelters.iter().filter_map(|p| p.capacity).sum();
    let _ = writeln!(
        h,
        "<p><b>角色 Roles:</b> 预案 the contingency plan ({} rules, {plan} orders issued) · 受训人员 trainees ({trainee} orders from the console or a command stream) · 导调 the trainer ({trainer} injects applied of {} on the list) · 公众 the public: {households} households, {residents} residents in {} zones, {} warning channels, {} shelters with {places_total:.0} places.</p>",
        f.plan.len(),
        f.injects.len(),
        s.zones.len(),
        f.warnings.channels.len(),
        shelters.len(),
    );
    // Participants: teams and robots.
    let ft = &f.forces;
    if !ft.teams.is_empty() || !ft.robots.is_empty() {
        let _ = writeln!(
            h,
            "<table><tr><th>参演力量 participant</th><th>name</th><th>kind</th><th>crew</th><th>capability</th><th>depot</th></tr>"
        );
        for t in &ft.teams {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{:?}</td><td>{}</td><td>carries {}, wades {} m, {} km/h</td><td>{}</td></tr>",
                esc(&t.id),
                esc(&t.name),
                t.kind,
                t.crew,
                t.capacity,
                t.wading_limit_m,
                t.speed_kmh,
                esc(&crate::exercise::describe::named(links.atlas, &t.depot))
            );
        }
        for rb in &ft.robots {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>排涝 pump</td><td></td><td>{} m³/h, hose {} m, set-up {}</td><td>{}</td></tr>",
                esc(&rb.id),
                esc(&rb.name),
                rb.capacity_m3_h,
                rb.hose_reach_m,
                format_duration(rb.setup.0),
                esc(&crate::exercise::describe::named(links.atlas, &rb.depot))
            );
        }
        let _ = writeln!(h, "</table>");
    }
    // The master events list (MSEL): the injects as scheduled.
    if !f.injects.is_empty() {
        let _ = writeln!(
            h,
            "<table><tr><th>导调脚本 injects (master events list)</th><th>at</th><th>what</th></tr>"
        );
        for i in &f.injects {
            let (text, spot) = crate::exercise::describe::inject_sentence(&i.event, links.atlas);
            let pt = spot
                .as_ref()
                .and_then(|sp| links.atlas.point(sp, Some(i.at.0)));
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&i.id),
                links.cell(Some(i.at.0), pt, &i.id),
                esc(&text)
            );
        }
        let _ = writeln!(h, "</table>");
    }
}

/// The drainage network's notable manholes (surcharged or flooding), from the summary.
fn network_section(h: &mut String, f: &serde_json::Map<String, Value>) {
    let Some(n) = f.get("network_nodes").and_then(Value::as_f64) else {
        return;
    };
    let num = |k: &str| f.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let _ = writeln!(
        h,
        "<h2>排水管网 Drainage network</h2><p>{n:.0} nodes, {:.0} links; the streets gave the pipes {:.0} m³ and the outfalls took {:.0} m³; {:.0} manholes surcharged (water above the pipe crown), {:.0} put {:.0} m³ back onto the streets; {:.0} pipes ran above their full-bore capacity; network continuity error {:.4} %.</p>",
        num("network_links"),
        num("network_captured_m3"),
        num("network_outflow_m3"),
        num("network_surcharged_nodes"),
        num("network_flooding_nodes"),
        num("network_flooded_m3"),
        num("network_links_over_capacity"),
        num("network_continuity_error_pct"),
    );
    let Some(rows) = f.get("network_notable_nodes").and_then(Value::as_array) else {
        return;
    };
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<table><tr><th>井 node</th><th>位置 x, y</th><th>超载 surcharged (min)</th><th>冒溢 flooded (m³)</th><th>最高水头 max head (m)</th><th>井口 rim (m)</th></tr>"
    );
    for r in rows {
        let g = |k: &str| r.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{:.0}, {:.0}</td><td>{:.0}</td><td>{:.1}</td><td>{:.2}</td><td>{:.2}</td></tr>",
            esc(r.get("id").and_then(Value::as_str).unwrap_or("")),
            g("x"),
            g("y"),
            g("surcharged_min"),
            g("flooded_m3"),
            g("max_head_m"),
            g("rim_m"),
        );
    }
    let _ = writeln!(
        h,
        "</table><div class=note>The most affected of them, most flooding first; every node and link is in network/nodes.csv and network/links.csv.</div>"
    );
}

/// A criterion's or card's verdict, "not yet" while it has nothing to judge.
fn verdict_of(pass: bool, not_yet: bool) -> &'static str {
    if not_yet {
        "<span class=note>尚无 not yet</span>"
    } else {
        verdict(pass)
    }
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "<span class=pass>通过 pass</span>"
    } else {
        "<span class=fail>未通过 fail</span>"
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => esc(s),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() != 0.0 => format!("{}", (x * 1000.0).round() / 1000.0),
            _ => n.to_string(),
        },
        other => esc(&other.to_string()),
    }
}

/// Most rows of one evidence table in the report (`scorecard.json` has them all).
const EVIDENCE_MAX: usize = 2000;

/// What an evidence row is about: its first identity field.
fn evidence_kind(v: &Value) -> &'static str {
    const KINDS: [&str; 9] = [
        "caught_at",
        "shelter",
        "post",
        "request",
        "hotspot",
        "zone",
        "failed",
        "unit",
        "open_at_end",
    ];
    KINDS
        .iter()
        .find(|k| v.get(**k).is_some())
        .copied()
        .unwrap_or("other")
}

/// The evidence of a criterion as one table per kind of row (zones, hotspots, requests,
/// places where people were caught, shelters…), each with its own columns and its count,
/// failing rows first, sortable by clicking a column's header; collapsed when all of a
/// table's rows passed.
fn evidence_table(all: &[Value], links: &Links<'_>) -> String {
    let failing = |v: &Value| v.get("pass").and_then(Value::as_bool) != Some(true);
    let mut kinds: Vec<&'static str> = Vec::new();
    for v in all {
        let k = evidence_kind(v);
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let mut t = String::new();
    for kind in kinds {
        let rows: Vec<&Value> = all.iter().filter(|v| evidence_kind(v) == kind).collect();
        let mut items: Vec<&Value> = rows.iter().copied().filter(|v| failing(v)).collect();
        let n_failing = items.len();
        items.extend(rows.iter().copied().filter(|v| !failing(v)));
        let more = items.len().saturating_sub(EVIDENCE_MAX);
        items.truncate(EVIDENCE_MAX);
        let mut cols: Vec<String> = Vec::new();
        for it in &items {
            if let Some(m) = it.as_object() {
                for k in m.keys() {
                    if !k.ends_with("_s") && !cols.contains(k) {
                        cols.push(k.clone());
                    }
                }
            }
        }
        // Identity first, verdict last.
        cols.sort_by_key(|k| {
            if k == kind {
                0
            } else if k == "pass" {
                2
            } else {
                1
            }
        });
        let _ = write!(
            t,
            "<details{}><summary>{} — {} rows{}</summary><table class=sortable><tr><th title=\"when and where: click for the map marker and the console command\">◎</th>",
            if n_failing > 0 { " open" } else { "" },
            esc(kind),
            rows.len(),
            if n_failing > 0 {
                format!(", {n_failing} failing")
            } else {
                String::new()
            }
        );
        for c in &cols {
            let _ = write!(t, "<th>{}</th>", esc(c));
        }
        t.push_str("</tr>");
        for it in &items {
            let (when, pt) = super::moments::evidence_moment(kind, it, links.atlas);
            let label = it
                .get(kind)
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => format!("{kind} {other}"),
                })
                .unwrap_or_default();
            let _ = write!(t, "<tr><td>{}</td>", links.cell(when, pt, &label));
            for c in &cols {
                let v = it.get(c).unwrap_or(&Value::Null);
                let text = match (c.as_str(), v) {
                    ("pass", Value::Bool(b)) => verdict(*b).to_string(),
                    _ => cell(v),
                };
                let _ = write!(t, "<td>{text}</td>");
            }
            t.push_str("</tr>");
        }
        t.push_str("</table>");
        if more > 0 {
            let _ = write!(t, "<p class=note>… {more} more rows in scorecard.json</p>");
        }
        t.push_str("</details>");
    }
    t
}

/// What went well in a criterion, from its passing evidence rows: per kind of row, how
/// many passed of how many, and which (with the row's telling figure).
fn strengths(c: &crate::scoring::CriterionScore) -> Vec<String> {
    const FIGURE: [(&str, &str); 6] = [
        ("lead_min", " min lead"),
        ("response_min", " min response"),
        ("share", " safe"),
        ("drained", " drained"),
        ("arrived", " arrived"),
        ("restored", " restored"),
    ];
    let mut kinds: Vec<&'static str> = Vec::new();
    for v in &c.evidence {
        let k = evidence_kind(v);
        if v.get("pass").is_some() && !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let mut out = Vec::new();
    for k in kinds {
        let judged: Vec<&Value> = c
            .evidence
            .iter()
            .filter(|v| evidence_kind(v) == k && v.get("pass").is_some_and(|p| !p.is_null()))
            .collect();
        let good: Vec<&Value> = judged
            .iter()
            .copied()
            .filter(|v| v.get("pass").and_then(Value::as_bool) == Some(true))
            .collect();
        if good.is_empty() {
            continue;
        }
        let names: Vec<String> = good
            .iter()
            .take(6)
            .map(|v| {
                let id = v.get(k).map_or(String::new(), |x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                match FIGURE
                    .iter()
                    .find(|(f, _)| v.get(*f).is_some_and(|x| !x.is_null()))
                {
                    Some((f, unit)) => format!("{id} ({}{unit})", cell(&v[*f])),
                    None => id,
                }
            })
            .collect();
        let more = if good.len() > 6 {
            format!(", +{} more", good.len() - 6)
        } else {
            String::new()
        };
        let label = match k {
            "failed" => "failures handled".to_string(),
            "open_at_end" => "requests".to_string(),
            other => format!("{other}s"),
        };
        out.push(format!(
            "{} of {} {label} passed: {}{more}",
            good.len(),
            judged.len(),
            names.join(", ")
        ));
    }
    out
}

fn scorecard(h: &mut String, card: &Scorecard, fs: &[super::actions::Finding], links: &Links<'_>) {
    let _ = writeln!(
        h,
        "<h2>四到位评分 Four-in-place scorecard</h2><p>总分 overall <span class=score>{:.1}</span> / 100 (pass mark {:.0}) — {}</p><div class=card>",
        card.overall,
        card.pass_mark,
        verdict_of(card.pass, card.not_yet)
    );
    for c in &card.criteria {
        let _ = writeln!(
            h,
            "<div class=\"crit{}\"><div><b>{}</b></div><div class=score>{}</div><div>{} · weight {:.0} · pass at {:.0}</div><div class=note>{}</div><div class=note>{}</div></div>",
            if c.pass || c.not_yet { "" } else { " failbox" },
            esc(&c.name),
            if c.not_yet {
                "—".to_string()
            } else {
                format!("{:.1}", c.score)
            },
            verdict_of(c.pass, c.not_yet),
            c.weight,
            c.pass_score,
            if c.not_yet {
                String::new()
            } else {
                format!("评级 rating {}", esc(super::actions::Rating::of(c).label()))
            },
            esc(&c.summary)
        );
    }
    let _ = writeln!(h, "</div>");
    for c in &card.criteria {
        let measures: Vec<String> = c
            .measures
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{} {}", esc(k), cell(v)))
            .collect();
        let good = strengths(c);
        let areas: Vec<String> = fs
            .iter()
            .filter(|f| f.criterion == c.id)
            .map(|f| format!("{} — {}", f.issue, f.cause))
            .collect();
        let mut assess = String::new();
        if !good.is_empty() || !areas.is_empty() {
            assess += "<div class=assess>";
            if !good.is_empty() {
                let _ = write!(
                    assess,
                    "<div><b class=pass>优点 Strengths</b><ul>{}</ul></div>",
                    good.iter()
                        .map(|g| format!("<li>{}</li>", esc(g)))
                        .collect::<String>()
                );
            }
            if !areas.is_empty() {
                let _ = write!(
                    assess,
                    "<div><b class=fail>待改进 Areas for improvement</b><ul>{}</ul></div>",
                    areas
                        .iter()
                        .map(|g| format!("<li>{}</li>", esc(g)))
                        .collect::<String>()
                );
            }
            assess += "</div>";
        }
        let _ = writeln!(
            h,
            "<details{}><summary><b>{}</b> — evidence ({} items) · {}</summary>{assess}{}</details>",
            if c.pass { "" } else { " open" },
            esc(&c.name),
            c.evidence.len(),
            measures.join(" · "),
            evidence_table(&c.evidence, links)
        );
    }
}

fn executive_summary(h: &mut String, card: &Scorecard, fs: &[super::actions::Finding]) {
    let _ = writeln!(h, "<h2>执行摘要 Executive summary</h2><div class=exec>");
    for line in super::actions::executive_summary(card, fs) {
        let _ = writeln!(h, "<p>{}</p>", esc(&line));
    }
    let _ = writeln!(h, "</div>");
}

/// The improvement plan: each finding with its issue, root cause, corrective action,
/// capability element, owner and due date, most costly first.
fn improvement_plan(h: &mut String, fs: &[super::actions::Finding]) {
    let _ = writeln!(h, "<h2>改进计划 Improvement plan</h2>");
    if fs.is_empty() {
        let _ = writeln!(
            h,
            "<p>每项指标均已通过。Every criterion passed. Keep the plan; try it against a harder storm.</p>"
        );
        return;
    }
    let _ = writeln!(
        h,
        "<table class=plan><tr><th>#</th><th>指标 criterion</th><th>问题 issue</th><th>原因 root cause</th><th>整改措施 corrective action</th><th>能力要素 capability element</th><th>责任 owner</th><th>期限 due</th></tr>"
    );
    for (k, x) in fs.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><b>{}</b><br><span class=note>−{:.1} points</span></td><td>{}</td><td>{}</td><td><b>{}</b></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            k + 1,
            esc(&x.criterion_name),
            x.points_lost,
            esc(&x.issue),
            esc(&x.cause),
            esc(&x.action),
            esc(x.element.label()),
            esc(&x.owner),
            esc(&x.due)
        );
    }
    let _ = writeln!(h, "</table>");
    let _ = writeln!(
        h,
        "{WHAT_IF_MARK}<p class=note>反事实推演 Counterfactuals: <code>floodrill review DIR --what-if</code> branches this drill's replay with the orders of the top actions and writes their measured effect here.</p>"
    );
}

/// Where `floodrill review --what-if` puts its measured counterfactuals in `report.html`.
pub const WHAT_IF_MARK: &str = "<!-- floodrill:what-if -->";

fn timeline(h: &mut String, r: &RunRecord<'_>, links: &Links<'_>) {
    use crate::exercise::describe::Class;
    let _ = writeln!(
        h,
        "<h2>时间线 Timeline: injects, orders and key events</h2>"
    );
    let Some(log) = r.log else {
        return;
    };
    let mut counts: std::collections::BTreeMap<String, (usize, f64)> = Default::default();
    // Identical entries (a repeating plan rule, its orders) collapse into one row with
    // a count and the last time.
    struct Row<'e> {
        e: &'e crate::exercise::log::LogEntry,
        d: crate::exercise::describe::Described,
        n: usize,
        last: f64,
    }
    let mut rows: Vec<Row<'_>> = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for e in &log.0.entries {
        match e.event.describe(links.atlas) {
            Some(d) => match seen.get(&d.text) {
                Some(&i) => {
                    rows[i].n += 1;
                    rows[i].last = e.t;
                }
                None => {
                    seen.insert(d.text.clone(), rows.len());
                    rows.push(Row {
                        e,
                        d,
                        n: 1,
                        last: e.t,
                    });
                }
            },
            None => {
                let c = counts
                    .entry(e.event.kind_and_detail().0)
                    .or_insert((0, e.t));
                c.0 += 1;
            }
        }
    }
    let total = rows.len();
    // Filters: one box per kind of row, with its count.
    let _ = write!(h, "<div class=tlfilter>");
    for c in Class::ALL {
        let n = rows.iter().filter(|r| r.d.class == c).count();
        if n > 0 {
            let _ = write!(
                h,
                "<label class=k-{id}><input type=checkbox checked data-k=\"{id}\" onchange=\"tl(this)\"> {} {} ({n})</label>",
                c.icon(),
                esc(c.label()),
                id = c.id()
            );
        }
    }
    let _ = writeln!(
        h,
        "</div><table id=timeline><tr><th>time</th><th></th><th>what happened</th><th>origin</th></tr>"
    );
    for row in rows.iter().take(TIMELINE_MAX) {
        let e = row.e;
        let o = serde_json::to_value(e.origin)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let times = if row.n > 1 {
            format!(
                " <span class=note>(× {}, last {})</span>",
                row.n,
                format_clock(row.last)
            )
        } else {
            String::new()
        };
        let pt = row
            .d
            .spot
            .as_ref()
            .and_then(|sp| links.atlas.point(sp, Some(e.t)));
        let _ = writeln!(
            h,
            "<tr class=k-{k}><td>{}</td><td class=icon>{}</td><td>{}{times}</td><td class=origin-{o}>{o}</td></tr>",
            links.cell(Some(e.t), pt, &row.d.text),
            row.d.class.icon(),
            esc(&row.d.text),
            k = row.d.class.id(),
        );
    }
    let _ = writeln!(h, "</table>");
    if total > TIMELINE_MAX {
        let _ = writeln!(
            h,
            "<p class=note>… {} more rows in events.jsonl</p>",
            total - TIMELINE_MAX
        );
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(k, (n, t))| format!("{k} × {n} (first {})", format_clock(*t)))
        .collect();
    let _ = writeln!(
        h,
        "<p class=note>Counted, not listed (household-level events, in events.jsonl): {}.</p>",
        esc(&summary.join("; "))
    );
}

/// A chart series: name, colour, points `(t s, value)`.
type Series = (String, String, Vec<(f64, f64)>);

/// An SVG line chart.
fn line_chart(
    title: &str,
    y_label: &str,
    series: &[Series],
    hline: Option<(f64, &str)>,
    dots: bool,
) -> String {
    let (w, hgt, l, r, t, b) = (540.0, 250.0, 62.0, 12.0, 26.0, 44.0);
    let xs = series.iter().flat_map(|s| s.2.iter().map(|p| p.0));
    let x1 = xs.clone().fold(0.0f64, f64::max).max(1.0);
    let mut y1 = series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    if let Some((v, _)) = hline {
        y1 = y1.max(v * 1.1);
    }
    let y1 = if y1 > 0.0 { nice(y1) } else { 1.0 };
    let px = |x: f64| l + (w - l - r) * x / x1;
    let py = |y: f64| hgt - b - (hgt - t - b) * y / y1;
    let mut o = format!(
        "<svg viewBox=\"0 0 {w} {hgt}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\"><text x=\"{l}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        esc(title)
    );
    for k in 0..=4 {
        let y = y1 * k as f64 / 4.0;
        let _ = write!(
            o,
            "<line x1=\"{l}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e3e7eb\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            w - r,
            py(y),
            py(y),
            l - 4.0,
            py(y) + 4.0,
            short(y)
        );
    }
    let hours = (x1 / 3600.0).ceil().max(1.0) as usize;
    let step = (hours / 8).max(1);
    for k in (0..=hours).step_by(step) {
        let x = k as f64 * 3600.0;
        if x <= x1 * 1.0001 {
            let _ = write!(
                o,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{k}h</text>",
                px(x),
                hgt - b + 14.0
            );
        }
    }
    let _ = write!(
        o,
        "<text x=\"12\" y=\"{:.1}\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">{}</text>",
        (t + hgt - b) / 2.0,
        (t + hgt - b) / 2.0,
        esc(y_label)
    );
    if let Some((v, label)) = hline {
        let _ = write!(
            o,
            "<line x1=\"{l}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#c0262d\" stroke-dasharray=\"5 4\"/><text x=\"{}\" y=\"{:.1}\" fill=\"#c0262d\" text-anchor=\"end\">{}</text>",
            w - r,
            py(v),
            py(v),
            w - r,
            py(v) - 3.0,
            esc(label)
        );
    }
    for (_, colour, pts) in series {
        if dots {
            for p in pts {
                let _ = write!(
                    o,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.2\" fill=\"{colour}\" fill-opacity=\"0.6\"/>",
                    px(p.0),
                    py(p.1)
                );
            }
        } else {
            let d: Vec<String> = pts
                .iter()
                .map(|p| format!("{:.1},{:.1}", px(p.0), py(p.1)))
                .collect();
            let _ = write!(
                o,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\" points=\"{}\"/>",
                d.join(" ")
            );
        }
    }
    // Legend under the axis.
    let mut x = l;
    for (name, colour, _) in series {
        let _ = write!(
            o,
            "<rect x=\"{x:.0}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{:.0}\" y=\"{}\">{}</text>",
            hgt - 16.0,
            x + 14.0,
            hgt - 7.0,
            esc(name)
        );
        x += 18.0 + 6.5 * name.chars().count() as f64;
    }
    o.push_str("</svg>");
    o
}

fn nice(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * p {
            return m * p;
        }
    }
    10.0 * p
}

fn short(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v >= 100.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn charts(h: &mut String, s: &Scenario, r: &RunRecord<'_>) {
    let _ = writeln!(h, "<h2>图表 Charts</h2><div class=charts>");
    if let Some(b) = r.balance {
        let open =
            r.water.map_or(0, |w| w.0.open_cells()) as f64 * s.dem.spec.cell * s.dem.spec.cell;
        let mut rain = Vec::new();
        for w in b.0.windows(2) {
            let dt = w[1].t - w[0].t;
            if dt > 0.0 && open > 0.0 {
                rain.push((w[1].t, (w[1].rain - w[0].rain) / open / dt * 3.6e6));
            }
        }
        let _ = write!(
            h,
            "<div>{}</div>",
            line_chart(
                "降雨强度 rain intensity (district mean)",
                "mm/h",
                &[("rain".into(), "#2c5d8f".into(), rain)],
                None,
                false
            )
        );
        let stored: Vec<(f64, f64)> = b.0.iter().map(|w| (w.t, w.storage)).collect();
        let pumped: Vec<(f64, f64)> = b.0.iter().map(|w| (w.t, w.pumped.max(0.0))).collect();
        let drained: Vec<(f64, f64)> = b.0.iter().map(|w| (w.t, w.drained)).collect();
        let _ = write!(
            h,
            "<div>{}</div>",
            line_chart(
                "地表积水 stored water, drained and pumped (cumulative)",
                "m³",
                &[
                    ("stored 积水".into(), "#1f6fb5".into(), stored),
                    ("drained 排水".into(), "#6aa84f".into(), drained),
                    ("pumped out 抽排".into(), "#e69138".into(), pumped),
                ],
                None,
                false
            )
        );
    }
    if let Some(ps) = r.people_series {
        let pick = [
            HouseholdState::Unaware,
            HouseholdState::Moving,
            HouseholdState::Waiting,
            HouseholdState::Sheltered,
            HouseholdState::Away,
            HouseholdState::InPlace,
            HouseholdState::Refuge,
            HouseholdState::Staying,
            HouseholdState::Trapped,
            HouseholdState::Rescued,
            HouseholdState::Casualty,
        ];
        let series: Vec<Series> = pick
            .iter()
            .map(|&st| {
                (
                    st.label().to_string(),
                    hex(STATE_RGBA[st as usize]),
                    ps.0.iter()
                        .map(|(t, tab)| (*t, tab.total(st) as f64))
                        .collect(),
                )
            })
            .collect();
        let _ = write!(
            h,
            "<div>{}</div>",
            line_chart("户 households by state", "households", &series, None, false)
        );
    }
    if let Some(f) = r.forces {
        let pts: Vec<(f64, f64)> =
            f.0.requests
                .iter()
                .filter_map(|r| r.reached.map(|x| (r.t, (x - r.t) / 60.0)))
                .collect();
        let target = s
            .file
            .rubric
            .as_ref()
            .and_then(|r| {
                r.criteria.iter().find_map(|c| match &c.metric {
                    crate::scenario::schema::Metric::Forces {
                        response_within, ..
                    } => Some(response_within.secs() / 60.0),
                    _ => None,
                })
            })
            .unwrap_or(30.0);
        let _ = write!(
            h,
            "<div>{}<div class=note>{} requests, {} reached; x: when raised.</div></div>",
            line_chart(
                "救援响应时间 rescue response times",
                "minutes",
                &[("response".into(), "#c0262d".into(), pts)],
                Some((target, "target")),
                true
            ),
            f.0.requests.len(),
            f.0.requests.iter().filter(|r| r.reached.is_some()).count()
        );
    }
    let _ = writeln!(h, "</div>");
}

fn legend(items: &[(String, [u8; 4])]) -> String {
    items
        .iter()
        .map(|(l, c)| {
            format!(
                "<span><i style=\"background:{}\"></i>{}</span>",
                hex(*c),
                esc(l)
            )
        })
        .collect()
}

type Map = (&'static str, &'static str, Vec<(String, [u8; 4])>, Canvas);

/// The places of these kinds as dots with their ids and names beside them.
fn places(c: &mut Canvas, s: &Scenario, kinds: &[(PlaceKind, [u8; 4])]) {
    let u = (c.width.min(c.height) as f64 / 1200.0).max(0.75);
    for p in &s.places {
        if let Some((_, col)) = kinds.iter().find(|k| k.0 == p.kind) {
            c.dot(p.at, 5.5 * u, *col, Some([255, 255, 255, 255]));
        }
    }
    for p in &s.places {
        if kinds.iter().any(|k| k.0 == p.kind) {
            c.label(p.at, &format!("{} {}", p.id, p.name));
        }
    }
}

/// Each zone's id and name at the middle of its largest polygon.
fn zone_labels(c: &mut Canvas, s: &Scenario) {
    for z in &s.zones {
        let Some(poly) = z.polygons.iter().max_by_key(|p| p.len()) else {
            continue;
        };
        if poly.is_empty() {
            continue;
        }
        let n = poly.len() as f64;
        let m = (
            poly.iter().map(|p| p.0).sum::<f64>() / n,
            poly.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let (x, y) = c.pixel(m);
        let u = (c.width.min(c.height) as f64 / 1200.0).max(0.75);
        let text = format!("{} {}", z.id, z.name);
        let w = Canvas::text_width(&text, (17.0 * u) as f32);
        c.text(
            x - w / 2.0,
            y,
            &text,
            (17.0 * u) as f32,
            [70, 40, 110, 255],
            Some([255, 255, 255, 200]),
        );
    }
}

const HOTSPOT: [u8; 4] = [230, 30, 30, 255];
const SHELTER: [u8; 4] = [30, 150, 60, 255];
const DEPOT: [u8; 4] = [20, 20, 20, 255];
const ASSEMBLY: [u8; 4] = [140, 80, 20, 255];
const CAUGHT: [u8; 4] = [200, 0, 60, 255];
const SURCHARGED: [u8; 4] = [255, 150, 0, 255];
const FLOODING: [u8; 4] = [200, 0, 200, 255];

fn max_depth_map(s: &Scenario, r: &RunRecord<'_>) -> Map {
    let mut c = Canvas::terrain(s, 0.15);
    if let Some(w) = r.water {
        paint_depth(&mut c, &w.0.outputs().max_depth);
    }
    let dd = r.water.and_then(|w| w.0.drainage());
    if let Some(dd) = dd {
        let net = dd.network();
        for (i, n) in net.nodes.iter().enumerate() {
            let Some(p) = n.xy else { continue };
            if dd.peaks.returned_m3[i] >= crate::report::network::FLOODING_MIN_M3 {
                c.dot(p, 3.5, FLOODING, None);
            } else if dd.was_surcharged(i) {
                c.dot(p, 2.5, SURCHARGED, None);
            }
        }
    }
    places(
        &mut c,
        s,
        &[(PlaceKind::Hotspot, HOTSPOT), (PlaceKind::Shelter, SHELTER)],
    );
    let mut items: Vec<(String, [u8; 4])> = CLASS_LABELS
        .iter()
        .zip(CLASS_RGBA)
        .map(|(l, c)| (format!("max depth {l}"), c))
        .collect();
    items.push(("积水点 hotspot".into(), HOTSPOT));
    items.push(("安置点 shelter".into(), SHELTER));
    if dd.is_some() {
        items.push(("超载井 surcharged manhole".into(), SURCHARGED));
        items.push(("冒溢井 flooding manhole".into(), FLOODING));
    }
    (
        "max_depth.png",
        "最大水深与积水点 Maximum depth and hotspots",
        items,
        c,
    )
}

fn outcomes_map(s: &Scenario, r: &RunRecord<'_>) -> Map {
    let mut c = Canvas::terrain(s, 0.55);
    if let Some(p) = r.people {
        let hh = &p.households;
        // One dot per household: those sharing a home node spread on a sunflower
        // spiral around it, worse outcomes nearest the node and drawn last.
        let r = (c.scale as f64 / c.stride as f64 * 0.3).clamp(1.6, 6.0);
        let mut idx: Vec<u32> = (0..hh.len() as u32).collect();
        idx.sort_by_key(|&i| {
            (
                std::cmp::Reverse(hh.state(HouseholdId(i)).outcome_rank()),
                i,
            )
        });
        let mut at_node = std::collections::HashMap::<u32, u32>::new();
        let mut dots = Vec::with_capacity(idx.len());
        let step_m = 2.2 * r * c.m_per_px();
        for i in idx {
            let id = HouseholdId(i);
            let Some(n) = hh.home_node(id) else { continue };
            let k = at_node.entry(n.0).or_insert(0);
            let (rad, ang) = (step_m * (*k as f64).sqrt(), *k as f64 * 2.399_963);
            *k += 1;
            let (x, y) = p.graph.pos(n);
            dots.push(((x + rad * ang.cos(), y + rad * ang.sin()), hh.state(id)));
        }
        for (pt, st) in dots.into_iter().rev() {
            c.dot(pt, r, STATE_RGBA[st as usize], None);
        }
    }
    // Where households were caught by the water: a ring per place, its size by the
    // persons caught there.
    let mut caught = false;
    if let Some(log) = r.log {
        let mut at: std::collections::BTreeMap<(i64, i64), (f64, f64, u32)> = Default::default();
        for e in &log.0.entries {
            if let crate::exercise::log::SimEvent::Trapped { persons, x, y, .. } = e.event {
                // Pooled on a 20 m lattice, so one underpass is one ring.
                let k = ((x / 20.0).round() as i64, (y / 20.0).round() as i64);
                let v = at.entry(k).or_insert((0.0, 0.0, 0));
                v.0 += x * persons as f64;
                v.1 += y * persons as f64;
                v.2 += persons;
            }
        }
        let u = (c.width.min(c.height) as f64 / 1200.0).max(0.75);
        for (sx, sy, p) in at.into_values().filter(|v| v.2 > 0) {
            let pt = (sx / p as f64, sy / p as f64);
            let rad = (4.0 + 2.2 * (p as f64).sqrt()).min(40.0) * u;
            c.ring(pt, rad, (2.5 * u).max(2.0), CAUGHT);
            caught = true;
        }
    }
    places(
        &mut c,
        s,
        &[
            (PlaceKind::Shelter, SHELTER),
            (PlaceKind::Assembly, ASSEMBLY),
        ],
    );
    let caught_item = caught.then(|| {
        (
            "被困处 where households were caught (ring size: persons)".to_string(),
            CAUGHT,
        )
    });
    let items: Vec<(String, [u8; 4])> = HouseholdState::ALL
        .iter()
        .map(|&st| (st.label().to_string(), STATE_RGBA[st as usize]))
        .chain([
            ("安置点 shelter".to_string(), SHELTER),
            ("临时避险点 assembly point".to_string(), ASSEMBLY),
        ])
        .chain(caught_item)
        .collect();
    zone_labels(&mut c, s);
    (
        "outcomes.png",
        "住户结局 Household outcomes (one dot per household, at home, by final state)",
        items,
        c,
    )
}

fn tracks_map(s: &Scenario, r: &RunRecord<'_>) -> Map {
    let mut c = Canvas::terrain(s, 0.45);
    if let Some(w) = r.water {
        let md = &w.0.outputs().max_depth;
        c.cells(|i| (md.get(i).copied().unwrap_or(0.0) > 0.15).then_some([90, 150, 230, 90]));
    }
    let mut items = Vec::new();
    if let Some(f) = r.forces {
        let units =
            f.0.teams
                .iter()
                .map(|t| (t.spec.id.clone(), t.spec.name.clone(), &t.track, false))
                .chain(
                    f.0.robots
                        .iter()
                        .map(|r| (r.spec.id.clone(), r.spec.name.clone(), &r.track, true)),
                );
        for (k, (id, name, track, robot)) in units.enumerate() {
            let col = TRACK_RGBA[k % TRACK_RGBA.len()];
            for w in track.windows(2) {
                c.line((w[0].1, w[0].2), (w[1].1, w[1].2), 2.5, col);
            }
            // Where the unit was at each full hour.
            let mut hour = 1.0;
            for w in track.windows(2) {
                while w[1].0 >= hour * 3600.0 {
                    if w[0].0 <= hour * 3600.0 {
                        let f = if w[1].0 > w[0].0 {
                            (hour * 3600.0 - w[0].0) / (w[1].0 - w[0].0)
                        } else {
                            0.0
                        };
                        let pt = (
                            w[0].1 + (w[1].1 - w[0].1) * f,
                            w[0].2 + (w[1].2 - w[0].2) * f,
                        );
                        c.dot(pt, 3.0, col, Some([255, 255, 255, 255]));
                        c.label(pt, &format!("{}h", hour as u32));
                    }
                    hour += 1.0;
                }
            }
            if let Some(last) = track.last() {
                c.dot(
                    (last.1, last.2),
                    if robot { 5.0 } else { 4.5 },
                    col,
                    Some([255, 255, 255, 255]),
                );
                c.label((last.1, last.2), &id);
            }
            items.push((format!("{id} {name}"), col));
        }
        for r in &f.0.requests {
            if r.reached.is_none() {
                c.dot(r.at, 1.8, [200, 0, 0, 200], None);
            }
        }
    }
    places(
        &mut c,
        s,
        &[(PlaceKind::Depot, DEPOT), (PlaceKind::Hotspot, HOTSPOT)],
    );
    items.push((
        "未到达求救 unreached rescue request".into(),
        [200, 0, 0, 255],
    ));
    items.push(("驻地 depot".into(), DEPOT));
    items.push(("积水点 hotspot".into(), HOTSPOT));
    (
        "tracks.png",
        "队伍与机器人轨迹 Team and robot tracks, hours marked (water > 0.15 m shaded)",
        items,
        c,
    )
}
