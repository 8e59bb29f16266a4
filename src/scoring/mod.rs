//! The four-in-place rubric (四到位) → a [`Scorecard`] with evidence.
//!
//! How it works: the engine gathers the facts of a run into [`Facts`] (zones with
//! their hazard onset, warnings and acknowledgement; residents sheltered before onset;
//! posts and rescue requests with their times; hotspot depths after the rain; pump and
//! robot failures), and [`score`] turns them into one score 0–100 per criterion of the
//! scenario's rubric, pass/fail, and the evidence behind it. The arithmetic is simple
//! on purpose, so a reviewer can redo it by hand from the evidence:
//!
//! - 预警到位 (`WarningLead`): share of at-risk zones (hazard onset during the drill)
//!   warned at least `lead` before onset and acknowledged within `ack_within` of the
//!   warning. Also reported: warning precision and recall, overall and for warnings
//!   issued by plan rules on sensor readings.
//! - 转移到位 (`Evacuation`): at-risk residents (hazard reached their home — the street at
//!   the door became dangerous to walk, HR at the scenario's trapping threshold — or
//!   they were caught in water) safe before the hazard reached their home by the plan
//!   (in a shelter, or staying in upstairs under a shelter-in-place order; not a refuge
//!   taken where a household was stopped, not staying in because no shelter could be
//!   reached, not refusing to leave),
//!   over all at-risk residents, divided by `target_share` (capped at 100). Passing also
//!   needs nobody caught in hazardous water and no shelter over capacity.
//! - 力量到位 (`Forces`): share of the items met — every pre-position ordered before
//!   `posts_by` reached by `posts_by`, every rescue request reached within
//!   `response_within` (requests still inside their target at the end are left out).
//! - 处置到位 (`Response`): mean of the shares that apply — hotspots that ponded drained
//!   below `drained_below_m` within `within` of the rain stopping, rescue requests
//!   closed, failed pumps and robots restored or compensated by a robot pumping there.
//!
//! A criterion passes at or above its `pass_score`; the overall score is the
//! weight-averaged score and passes at or above the rubric's `pass_mark`.

use serde::Serialize;
use serde_json::json;

use crate::scenario::Duration;
use crate::scenario::schema::{Criterion, Metric, Rubric};

/// A zone's facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ZoneFacts {
    /// Zone id.
    pub id: String,
    /// Residents (persons).
    pub persons: u32,
    /// Hazard onset (first road or occupied building in the zone at the onset depth), s.
    pub onset: Option<f64>,
    /// What reached the onset depth first (road id) and how deep, m.
    pub onset_where: Option<(String, f64)>,
    /// First warning issued to the zone, s.
    pub warned: Option<f64>,
    /// The zone acknowledged (叫应), s.
    pub acknowledged: Option<f64>,
    /// Residents at risk: hazard (HR at the trapping threshold) reached their home
    /// street, or they were caught in water.
    pub at_risk_persons: u32,
    /// At-risk persons sheltered (a public shelter or an assembly point) before hazard
    /// reached their home.
    pub sheltered_before_onset: u32,
    /// At-risk persons who left the district (relatives, a place of their own) before
    /// hazard reached their home.
    pub away_before_onset: u32,
    /// At-risk persons staying in upstairs as told before hazard reached their home.
    pub in_place_before_onset: u32,
    /// At-risk persons safe before hazard reached their home by the plan: sheltered,
    /// or staying in upstairs as told (a shelter-in-place order).
    pub safe_before_onset: u32,
    /// Households caught in hazardous water (trapped, rescued or lost).
    pub caught_households: u32,
    /// Persons caught in hazardous water.
    pub caught_persons: u32,
}

/// A warning issued to zones.
#[derive(Debug, Clone, Serialize)]
pub struct WarningFacts {
    /// Sim time, s.
    pub t: f64,
    /// Zone indices into [`Facts::zones`].
    pub zones: Vec<usize>,
    /// Channel id.
    pub channel: String,
    /// Issued by a plan rule on sensor readings.
    pub from_sensor_rule: bool,
    /// The rule, if any.
    pub rule: Option<String>,
}

/// A pre-position order.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PostFacts {
    /// Unit id.
    pub unit: String,
    /// Post id.
    pub post: String,
    /// Ordered at, s.
    pub ordered: f64,
    /// Arrived at, s.
    pub arrived: Option<f64>,
}

/// A rescue request.
#[derive(Debug, Clone, Serialize)]
pub struct RequestFacts {
    /// Request id.
    pub id: u32,
    /// Raised at, s.
    pub t: f64,
    /// Persons.
    pub persons: u32,
    /// A false report.
    pub false_report: bool,
    /// First team on scene, s.
    pub reached: Option<f64>,
    /// Team that reached it.
    pub unit: Option<String>,
    /// Closed at, s, and how.
    pub closed: Option<(f64, String)>,
    /// Where: the place or road (empty when unknown).
    pub place: String,
}

/// A waterlogging hotspot.
#[derive(Debug, Clone, Serialize)]
pub struct HotspotFacts {
    /// Place id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Deepest water seen, m.
    pub max_depth: f64,
    /// Depth after the rain stopped, sampled: `(t, depth)`.
    pub after_rain: Vec<(f64, f64)>,
    /// Drainage rate of the hotspot's land class, mm/h (a rate per cell; 0 where the
    /// pipe network replaces it).
    #[serde(default)]
    pub drainage_mm_h: f64,
    /// The pump station whose pumps lift this hotspot's water (a wet well within
    /// 300 m), when the district has a pipe network.
    #[serde(default)]
    pub station: Option<String>,
}

/// A pump station or robot failure.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FailureFacts {
    /// Unit id.
    pub unit: String,
    /// Failed at, s.
    pub t: f64,
    /// Restored at, s.
    pub restored: Option<f64>,
    /// A robot pumped at the failed unit's site: `(robot, from t)`.
    pub compensated: Option<(String, f64)>,
}

/// A shelter's peak occupancy.
#[derive(Debug, Clone, Serialize)]
pub struct ShelterFacts {
    /// Shelter id.
    pub id: String,
    /// Peak persons.
    pub peak: u32,
    /// Capacity, persons.
    pub capacity: u32,
}

/// Everything the rubric looks at.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    /// Zones.
    pub zones: Vec<ZoneFacts>,
    /// Warnings, in order.
    pub warnings: Vec<WarningFacts>,
    /// Pre-position orders.
    pub posts: Vec<PostFacts>,
    /// Rescue requests.
    pub requests: Vec<RequestFacts>,
    /// Hotspots.
    pub hotspots: Vec<HotspotFacts>,
    /// Failures.
    pub failures: Vec<FailureFacts>,
    /// Shelters.
    pub shelters: Vec<ShelterFacts>,
    /// Last time it rained anywhere, s (none: no rain).
    pub rain_stopped: Option<f64>,
    /// End of the facts (sim time), s.
    pub end: f64,
    /// A card of a drill still running (the live card, or a run stopped by `--until`):
    /// a criterion with nothing to judge yet is "not yet", never 100.
    pub live: bool,
}

/// One criterion's result.
#[derive(Debug, Clone, Serialize)]
pub struct CriterionScore {
    /// Id.
    pub id: String,
    /// What the criterion measures (the rubric's metric), for the report to act on.
    #[serde(skip)]
    pub metric: Metric,
    /// Name (预警到位).
    pub name: String,
    /// Weight.
    pub weight: f64,
    /// Score 0–100.
    pub score: f64,
    /// Pass mark of the criterion.
    pub pass_score: f64,
    /// Passed (false while [`CriterionScore::not_yet`]).
    pub pass: bool,
    /// Nothing to judge yet in a live card: no zone at risk, no post or request due, no
    /// ponded hotspot past its deadline. Its score is left out of the overall.
    pub not_yet: bool,
    /// One-line account.
    pub summary: String,
    /// Measured values (shares, precision, recall…).
    pub measures: serde_json::Map<String, serde_json::Value>,
    /// Evidence: entities, times, values.
    pub evidence: Vec<serde_json::Value>,
}

/// The scorecard of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    /// Weighted overall score 0–100.
    pub overall: f64,
    /// Overall pass mark.
    pub pass_mark: f64,
    /// Overall pass.
    pub pass: bool,
    /// A live card in which some criterion has nothing to judge yet: `overall` weighs
    /// the criteria judged so far and there is no overall verdict.
    pub not_yet: bool,
    /// Criteria in rubric order.
    pub criteria: Vec<CriterionScore>,
    /// Sim time the card was computed at, s.
    pub at: f64,
}

/// The default rubric of `shared/DOMAIN.md` §8.
pub fn default_rubric() -> Rubric {
    let c = |id: &str, name: &str, metric: Metric| Criterion {
        id: id.into(),
        name: name.into(),
        weight: 25.0,
        metric,
        pass_score: 80.0,
    };
    Rubric {
        criteria: vec![
            c(
                "warning",
                "预警到位 warning in place",
                Metric::WarningLead {
                    lead: Duration(1800.0),
                    ack_within: Duration(900.0),
                    onset_depth_m: 0.15,
                },
            ),
            c(
                "evacuation",
                "转移到位 evacuation in place",
                Metric::Evacuation {
                    target_share: 1.0,
                    evacuate_zones: Vec::new(),
                },
            ),
            c(
                "forces",
                "力量到位 forces in place",
                Metric::Forces {
                    posts_by: Duration(3600.0),
                    response_within: Duration(1800.0),
                },
            ),
            c(
                "response",
                "处置到位 response in place",
                Metric::Response {
                    drained_below_m: 0.15,
                    within: Duration(7200.0),
                },
            ),
        ],
        pass_mark: 80.0,
    }
}

/// The onset depth the rubric uses (its first `WarningLead`), default 0.15 m.
pub fn onset_depth(r: &Rubric) -> f64 {
    r.criteria
        .iter()
        .find_map(|c| match c.metric {
            Metric::WarningLead { onset_depth_m, .. } => Some(onset_depth_m),
            _ => None,
        })
        .unwrap_or(0.15)
}

fn clock(t: f64) -> String {
    crate::scenario::format_clock(t)
}

/// Metres to the millimetre, for evidence.
fn mm(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 { 1.0 } else { n as f64 / d as f64 }
}

/// Score a run's facts against a rubric.
pub fn score(rubric: &Rubric, f: &Facts) -> Scorecard {
    let criteria: Vec<CriterionScore> = rubric
        .criteria
        .iter()
        .map(|c| {
            let (score, summary, measures, evidence, judged) = match &c.metric {
                Metric::WarningLead {
                    lead, ack_within, ..
                } => warning(f, lead.secs(), ack_within.secs()),
                Metric::Evacuation {
                    target_share,
                    evacuate_zones,
                } => evacuation(f, *target_share, evacuate_zones),
                Metric::Forces {
                    posts_by,
                    response_within,
                } => forces(f, posts_by.secs(), response_within.secs()),
                Metric::Response {
                    drained_below_m,
                    within,
                } => response(f, *drained_below_m, within.secs()),
            };
            let score = (score * 100.0).round() / 100.0;
            let extra_fail = match &c.metric {
                Metric::Evacuation { .. } => {
                    measures
                        .get("caught_households")
                        .and_then(|v| v.as_u64())
                        .unwrap_or(0)
                        > 0
                        || measures
                            .get("shelters_over_capacity")
                            .and_then(|v| v.as_u64())
                            .unwrap_or(0)
                            > 0
                }
                _ => false,
            };
            let not_yet = f.live && !judged;
            CriterionScore {
                id: c.id.clone(),
                metric: c.metric.clone(),
                name: c.name.clone(),
                weight: c.weight,
                score,
                pass_score: c.pass_score,
                pass: !not_yet && score >= c.pass_score && !extra_fail,
                not_yet,
                summary,
                measures,
                evidence,
            }
        })
        .collect();
    // The overall weighs the criteria judged so far (all of them in a final card).
    let judged = || criteria.iter().filter(|c| !c.not_yet);
    let wsum: f64 = judged().map(|c| c.weight).sum();
    let overall = if wsum > 0.0 {
        judged().map(|c| c.weight * c.score).sum::<f64>() / wsum
    } else {
        0.0
    };
    let overall = (overall * 100.0).round() / 100.0;
    // A live card passes or fails overall only once every criterion has been judged.
    let not_yet = criteria.iter().any(|c| c.not_yet);
    Scorecard {
        overall,
        pass_mark: rubric.pass_mark,
        pass: !not_yet && overall >= rubric.pass_mark,
        not_yet,
        criteria,
        at: f.end,
    }
}

/// A criterion's result: score, summary, measures, evidence, and whether anything was
/// judged (false: the score is the 100 of "nothing went wrong because nothing was due").
type Part = (
    f64,
    String,
    serde_json::Map<String, serde_json::Value>,
    Vec<serde_json::Value>,
    bool,
);

fn warning(f: &Facts, lead: f64, ack_within: f64) -> Part {
    let mut ev = Vec::new();
    let mut ok = 0;
    let at_risk: Vec<usize> = (0..f.zones.len())
        .filter(|&z| f.zones[z].onset.is_some())
        .collect();
    let mut late = Vec::new();
    for &z in &at_risk {
        let zf = &f.zones[z];
        let onset = zf.onset.unwrap_or(f64::NAN);
        let lead_s = zf.warned.map(|w| onset - w);
        let lead_ok = lead_s.is_some_and(|l| l >= lead - 1e-9);
        let ack_s = match (zf.warned, zf.acknowledged) {
            (Some(w), Some(a)) => Some(a - w),
            _ => None,
        };
        let ack_ok = ack_s.is_some_and(|a| a <= ack_within + 1e-9);
        let pass = lead_ok && ack_ok;
        if pass {
            ok += 1;
        } else {
            late.push(zf.id.clone());
        }
        let why = match (zf.warned, lead_ok, ack_ok) {
            (None, _, _) => "never warned".to_string(),
            (Some(_), false, _) => {
                let l = (lead_s.unwrap_or(0.0) / 60.0).round();
                if l < 0.0 {
                    format!(
                        "warned {} min after onset, {} min before it required",
                        -l,
                        (lead / 60.0).round()
                    )
                } else {
                    format!(
                        "warned {l} min before onset, {} min required",
                        (lead / 60.0).round()
                    )
                }
            }
            (Some(_), true, false) => match ack_s {
                None => "never acknowledged".into(),
                Some(a) => format!(
                    "acknowledged after {} min, {} min allowed",
                    (a / 60.0).round(),
                    (ack_within / 60.0).round()
                ),
            },
            _ => "in time".into(),
        };
        ev.push(json!({
            "zone": zf.id,
            "onset": clock(onset),
            "onset_s": onset,
            "onset_at": zf.onset_where.as_ref().map(|w| format!("road {} at {:.2} m", w.0, w.1)),
            "warned": zf.warned.map(clock),
            "warned_s": zf.warned,
            "lead_min": lead_s.map(|l| (l / 6.0).round() / 10.0),
            "acknowledged": zf.acknowledged.map(clock),
            "ack_min": ack_s.map(|a| (a / 6.0).round() / 10.0),
            "pass": pass,
            "why": why,
        }));
    }
    // Precision and recall of warnings against what happened.
    let issues: Vec<(usize, f64, bool)> = f
        .warnings
        .iter()
        .flat_map(|w| w.zones.iter().map(move |&z| (z, w.t, w.from_sensor_rule)))
        .collect();
    let hit = |z: usize| f.zones.get(z).is_some_and(|zf| zf.onset.is_some());
    let precision = |sel: &dyn Fn(bool) -> bool| {
        let v: Vec<_> = issues.iter().filter(|i| sel(i.2)).collect();
        (!v.is_empty()).then(|| share(v.iter().filter(|i| hit(i.0)).count(), v.len()))
    };
    let recall = |sel: &dyn Fn(bool) -> bool| {
        (!at_risk.is_empty()).then(|| {
            share(
                at_risk
                    .iter()
                    .filter(|&&z| {
                        issues.iter().any(|i| {
                            i.0 == z && sel(i.2) && f.zones[z].onset.is_some_and(|o| i.1 <= o)
                        })
                    })
                    .count(),
                at_risk.len(),
            )
        })
    };
    let mut m = serde_json::Map::new();
    m.insert("at_risk_zones".into(), json!(at_risk.len()));
    m.insert("zones_in_time".into(), json!(ok));
    m.insert("warning_precision".into(), json!(precision(&|_| true)));
    m.insert("warning_recall".into(), json!(recall(&|_| true)));
    m.insert("sensor_rule_precision".into(), json!(precision(&|s| s)));
    m.insert("sensor_rule_recall".into(), json!(recall(&|s| s)));
    let score = 100.0 * share(ok, at_risk.len());
    let summary = if at_risk.is_empty() {
        "no zone reached the hazard onset depth".to_string()
    } else if late.is_empty() {
        format!(
            "all {} at-risk zones warned and acknowledged in time",
            at_risk.len()
        )
    } else {
        format!(
            "{ok} of {} at-risk zones in time; late or missing: {}",
            at_risk.len(),
            late.join(", ")
        )
    };
    (score, summary, m, ev, !at_risk.is_empty())
}

fn evacuation(f: &Facts, target: f64, must_leave: &[String]) -> Part {
    let mut ev = Vec::new();
    let (mut at_risk, mut safe, mut caught_hh, mut caught_p) = (0u64, 0u64, 0u64, 0u64);
    let (mut left, mut in_place, mut stayed_wrongly) = (0u64, 0u64, 0u64);
    for zf in &f.zones {
        caught_hh += zf.caught_households as u64;
        caught_p += zf.caught_persons as u64;
        if zf.at_risk_persons == 0 {
            continue;
        }
        let must = must_leave.contains(&zf.id);
        let gone = zf.sheltered_before_onset + zf.away_before_onset;
        let ok = if must { gone } else { zf.safe_before_onset };
        at_risk += zf.at_risk_persons as u64;
        safe += ok as u64;
        left += gone as u64;
        if must {
            stayed_wrongly += zf.in_place_before_onset as u64;
        } else {
            in_place += zf.in_place_before_onset as u64;
        }
        let sh = ok as f64 / zf.at_risk_persons as f64;
        let mut e = json!({
            "zone": zf.id,
            "residents": zf.persons,
            "at_risk_persons": zf.at_risk_persons,
            "safe_before_hazard": ok,
            "sheltered_before_hazard": zf.sheltered_before_onset,
            "away_before_hazard": zf.away_before_onset,
            "in_place_as_told": zf.in_place_before_onset,
            "share": (sh * 1000.0).round() / 1000.0,
            "pass": zf.caught_persons == 0 && sh >= target - 1e-9,
            "caught_households": zf.caught_households,
            "caught_persons": zf.caught_persons,
        });
        if must {
            e["must_evacuate"] = json!(true);
            if zf.in_place_before_onset > 0 {
                e["stayed_in_though_must_evacuate"] = json!(zf.in_place_before_onset);
            }
        }
        ev.push(e);
    }
    // Where people were caught: the places of the (true) rescue requests.
    // (requests, persons, first and last request), by place.
    type Caught = (u64, u64, f64, f64);
    let mut at: std::collections::BTreeMap<&str, Caught> = Default::default();
    for r in f
        .requests
        .iter()
        .filter(|r| !r.false_report && !r.place.is_empty())
    {
        let e = at
            .entry(r.place.as_str())
            .or_insert((0, 0, f64::INFINITY, f64::NEG_INFINITY));
        e.0 += 1;
        e.1 += r.persons as u64;
        e.2 = e.2.min(r.t);
        e.3 = e.3.max(r.t);
    }
    let mut at: Vec<(&str, Caught)> = at.into_iter().collect();
    at.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));
    for (place, (n, p, first, last)) in &at {
        ev.push(json!({
            "caught_at": place, "requests": n, "persons": p,
            "first": clock(*first), "first_s": first, "last": clock(*last),
        }));
    }
    let over: Vec<&ShelterFacts> = f.shelters.iter().filter(|s| s.peak > s.capacity).collect();
    for s in &over {
        ev.push(json!({ "shelter": s.id, "peak": s.peak, "capacity": s.capacity, "over_capacity": true }));
    }
    let sh = if at_risk == 0 {
        1.0
    } else {
        safe as f64 / at_risk as f64
    };
    let score = 100.0 * (sh / target.max(1e-9)).min(1.0);
    let mut m = serde_json::Map::new();
    m.insert("at_risk_persons".into(), json!(at_risk));
    m.insert("safe_before_onset".into(), json!(safe));
    m.insert("left_before_onset".into(), json!(left));
    m.insert("in_place_as_told".into(), json!(in_place));
    m.insert(
        "stayed_in_though_must_evacuate".into(),
        json!(stayed_wrongly),
    );
    m.insert("share".into(), json!(sh));
    m.insert("target_share".into(), json!(target));
    m.insert("caught_households".into(), json!(caught_hh));
    m.insert("caught_persons".into(), json!(caught_p));
    m.insert("shelters_over_capacity".into(), json!(over.len()));
    let most = at
        .first()
        .map(|(place, (_, p, _, _))| format!(" (most at {place}: {p})"))
        .unwrap_or_default();
    let wrong = if stayed_wrongly > 0 {
        format!("; {stayed_wrongly} stayed in where the rubric says everyone must leave")
    } else {
        String::new()
    };
    let full = if over.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = over
            .iter()
            .map(|s| format!("{} {}/{}", s.id, s.peak, s.capacity))
            .collect();
        format!("; shelters over capacity: {}", list.join(", "))
    };
    let summary = format!(
        "{safe} of {at_risk} at-risk residents safe before the water reached home ({left} left for a shelter, an assembly point or out of the district; {in_place} upstairs as told) — {:.1} %, target {:.0} %; {caught_p} persons caught in water{most}{wrong}{full}",
        100.0 * sh,
        100.0 * target
    );
    let judged = at_risk > 0 || caught_p > 0 || !over.is_empty();
    (score, summary, m, ev, judged)
}

fn forces(f: &Facts, posts_by: f64, within: f64) -> Part {
    let mut ev = Vec::new();
    let (mut items, mut ok) = (0usize, 0usize);
    let (mut posts_ok, mut posts_n) = (0, 0);
    for p in f.posts.iter().filter(|p| p.ordered <= posts_by + 1e-9) {
        items += 1;
        posts_n += 1;
        let pass = p.arrived.is_some_and(|a| a <= posts_by + 1e-9);
        if pass {
            ok += 1;
            posts_ok += 1;
        }
        ev.push(json!({
            "unit": p.unit, "post": p.post, "ordered": clock(p.ordered),
            "arrived": p.arrived.map(clock), "required_by": clock(posts_by), "pass": pass,
        }));
    }
    let (mut req_ok, mut req_n, mut waiting) = (0, 0, 0);
    let mut times = Vec::new();
    for r in &f.requests {
        let resp = r.reached.map(|x| x - r.t);
        if resp.is_none() && f.end - r.t < within {
            // Still inside its target when the card was made: waiting, not judged.
            waiting += 1;
            ev.push(json!({
                "request": r.id, "raised": clock(r.t), "persons": r.persons,
                "false_report": r.false_report, "reached": null, "waiting": true,
                "pass": null,
            }));
            continue;
        }
        items += 1;
        req_n += 1;
        let pass = resp.is_some_and(|x| x <= within + 1e-9);
        if pass {
            ok += 1;
            req_ok += 1;
        }
        if let Some(x) = resp {
            times.push(x);
        }
        ev.push(json!({
            "request": r.id, "raised": clock(r.t), "persons": r.persons,
            "false_report": r.false_report, "reached": r.reached.map(clock),
            "by": r.unit, "response_min": resp.map(|x| (x / 6.0).round() / 10.0), "pass": pass,
            "at": (!r.place.is_empty()).then_some(&r.place),
        }));
    }
    times.sort_by(f64::total_cmp);
    let mut m = serde_json::Map::new();
    m.insert("posts".into(), json!(posts_n));
    m.insert("posts_in_time".into(), json!(posts_ok));
    m.insert("requests".into(), json!(req_n));
    m.insert("requests_in_time".into(), json!(req_ok));
    m.insert("requests_waiting".into(), json!(waiting));
    m.insert(
        "median_response_min".into(),
        json!(times.get(times.len() / 2).map(|x| x / 60.0)),
    );
    let mut summary = format!(
        "{posts_ok} of {posts_n} posts manned by {}; {req_ok} of {req_n} rescue requests reached within {} min",
        clock(posts_by),
        (within / 60.0).round()
    );
    if waiting > 0 {
        summary.push_str(&format!(
            "; {waiting} request{} waiting, not yet reached",
            if waiting == 1 { "" } else { "s" }
        ));
    }
    (100.0 * share(ok, items), summary, m, ev, items > 0)
}

fn response(f: &Facts, below: f64, within: f64) -> Part {
    let mut ev = Vec::new();
    let mut parts: Vec<f64> = Vec::new();
    let mut m = serde_json::Map::new();
    let mut text = Vec::new();
    // Hotspots.
    if let Some(stop) = f.rain_stopped {
        let (mut n, mut ok) = (0, 0);
        let mut deepest: Option<(&HotspotFacts, f64, Option<f64>)> = None;
        for h in &f.hotspots {
            if h.max_depth < below {
                ev.push(json!({ "hotspot": h.id, "name": h.name, "max_depth_m": mm(h.max_depth), "pass": true, "why": "never ponded" }));
                continue;
            }
            let drained = h
                .after_rain
                .iter()
                .find(|(t, d)| *t >= stop && *d < below)
                .map(|x| x.0);
            let deadline = stop + within;
            let depth_at_deadline = h
                .after_rain
                .iter()
                .rev()
                .find(|(t, _)| *t <= deadline)
                .map(|x| x.1);
            if drained.is_none() && f.end < deadline {
                ev.push(json!({ "hotspot": h.id, "name": h.name, "max_depth_m": mm(h.max_depth), "pass": null, "why": "drill ended before the deadline", "deadline": clock(deadline) }));
                continue;
            }
            n += 1;
            let pass = drained.is_some_and(|d| d <= deadline + 1e-9);
            if pass {
                ok += 1;
            }
            let mut e = json!({
                "hotspot": h.id, "name": h.name, "max_depth_m": mm(h.max_depth),
                "rain_stopped": clock(stop), "drained": drained.map(clock),
                "deadline": clock(deadline), "depth_at_deadline_m": depth_at_deadline.map(mm), "pass": pass,
                "drainage_mm_h": h.drainage_mm_h,
            });
            if let Some(ps) = &h.station {
                e["pump_station"] = json!(ps);
                if let Some(x) = f.failures.iter().find(|x| &x.unit == ps) {
                    e["station_failed"] = json!(match x.restored {
                        Some(r) => format!("failed at {}, back at {}", clock(x.t), clock(r)),
                        None => format!("failed at {}, never restored", clock(x.t)),
                    });
                }
            }
            if !pass {
                // How long the district's own drainage would need for what is left.
                let d = depth_at_deadline.unwrap_or(h.max_depth);
                let hours = (h.drainage_mm_h > 0.0).then(|| 1000.0 * d / h.drainage_mm_h);
                e["hours_to_drain_by_drainage"] = json!(hours.map(|x| (x * 10.0).round() / 10.0));
                if deepest.as_ref().is_none_or(|(_, dd, _)| d > *dd) {
                    deepest = Some((h, d, hours));
                }
            }
            ev.push(e);
        }
        if n > 0 {
            parts.push(share(ok, n));
            let mut t = format!(
                "{ok} of {n} ponded hotspots drained within {} min",
                (within / 60.0).round()
            );
            if let Some((h, d, hours)) = deepest {
                t += &match hours {
                    Some(x) => format!(
                        " (deepest left: {} ({}) {d:.2} m, which the district's drainage of {} mm/h — a rate per cell, no pipe network is modelled — would take {x:.0} h to remove: only pumping clears it in time)",
                        h.name, h.id, h.drainage_mm_h
                    ),
                    None => match &h.station {
                        Some(ps) => {
                            let fail = f.failures.iter().find(|x| &x.unit == ps);
                            let why = match fail {
                                Some(x) => match x.restored {
                                    Some(r) => format!(
                                        "its pump station {ps} failed at {} and was back only at {}",
                                        clock(x.t),
                                        clock(r)
                                    ),
                                    None => format!(
                                        "its pump station {ps} failed at {} and was never restored",
                                        clock(x.t)
                                    ),
                                },
                                None => format!(
                                    "its pump station {ps} ran but could not empty it in time"
                                ),
                            };
                            format!(" (deepest left: {} ({}) {d:.2} m: {why})", h.name, h.id)
                        }
                        None => format!(
                            " (deepest left: {} ({}) {d:.2} m, with no drainage there: only pumping clears it)",
                            h.name, h.id
                        ),
                    },
                };
            }
            text.push(t);
        }
        m.insert("hotspots_drained".into(), json!(ok));
        m.insert("hotspots_ponded".into(), json!(n));
    } else {
        text.push("the rain had not stopped".into());
    }
    // Requests closed; in a live card a request still open and younger than the
    // window is under way, not yet judged.
    let due: Vec<&RequestFacts> = f
        .requests
        .iter()
        .filter(|r| !f.live || r.closed.is_some() || f.end - r.t >= within)
        .collect();
    if !due.is_empty() {
        let closed = due.iter().filter(|r| r.closed.is_some()).count();
        parts.push(share(closed, due.len()));
        m.insert("requests_closed".into(), json!(closed));
        m.insert("requests".into(), json!(due.len()));
        text.push(format!("{closed} of {} rescue requests closed", due.len()));
        for r in due.iter().filter(|r| r.closed.is_none()) {
            ev.push(json!({ "request": r.id, "raised": clock(r.t), "persons": r.persons, "open_at_end": true }));
        }
    }
    // Failures.
    if !f.failures.is_empty() {
        let handled = f
            .failures
            .iter()
            .filter(|x| x.restored.is_some() || x.compensated.is_some())
            .count();
        parts.push(share(handled, f.failures.len()));
        for x in &f.failures {
            ev.push(json!({
                "failed": x.unit, "at": clock(x.t), "restored": x.restored.map(clock),
                "compensated_by": x.compensated.as_ref().map(|c| json!({"robot": c.0, "from": clock(c.1)})),
                "pass": x.restored.is_some() || x.compensated.is_some(),
            }));
        }
        m.insert("failures".into(), json!(f.failures.len()));
        m.insert("failures_handled".into(), json!(handled));
        text.push(format!(
            "{handled} of {} failures restored or compensated",
            f.failures.len()
        ));
    }
    let score = if parts.is_empty() {
        100.0
    } else {
        100.0 * parts.iter().sum::<f64>() / parts.len() as f64
    };
    (score, text.join("; "), m, ev, !parts.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(id: &str, onset: Option<f64>, warned: Option<f64>, ack: Option<f64>) -> ZoneFacts {
        ZoneFacts {
            id: id.into(),
            persons: 100,
            onset,
            warned,
            acknowledged: ack,
            ..Default::default()
        }
    }

    #[test]
    fn warning_lead_counts_zones_in_time() {
        let f = Facts {
            zones: vec![
                zone("A", Some(3600.0), Some(1200.0), Some(1500.0)), // lead 40 min, ack 5: ok
                zone("B", Some(3600.0), Some(2400.0), Some(2500.0)), // lead 20 min: late
                zone("C", None, Some(1200.0), None),                 // not at risk
                zone("D", Some(5000.0), None, None),                 // never warned
            ],
            warnings: vec![WarningFacts {
                t: 1200.0,
                zones: vec![0, 2],
                channel: "sms".into(),
                from_sensor_rule: true,
                rule: None,
            }],
            end: 7200.0,
            ..Default::default()
        };
        let card = score(&default_rubric(), &f);
        let w = &card.criteria[0];
        assert!((w.score - 100.0 / 3.0).abs() < 0.01, "{}", w.score);
        assert!(!w.pass);
        assert_eq!(w.measures["warning_precision"], json!(0.5));
        assert!((w.measures["warning_recall"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(w.evidence.len(), 3);
        assert!(w.summary.contains("B, D"), "{}", w.summary);
    }
}
