//! Root causes and corrective actions drawn from a scorecard's evidence (the improvement
//! plan of an after-action report, HSEEP style), and the executive summary a director
//! reads.
//!
//! Each failed criterion is traced through its evidence rows to the zones, places,
//! units and times behind it, and each finding names the element to change (a zone's
//! warning time, an underpass to close, a shelter's places, a unit's post), the
//! capability element (planning, organisation, equipment, training, exercise), an
//! owner and when. Findings are ranked by what they cost: the points the criterion
//! lost (its weight × its shortfall), then the persons involved; a warning failure
//! ranks ahead of the evacuation failure of the same size, since warning comes first in
//! the chain that ends with people caught in water.

use serde::Serialize;
use serde_json::Value;

use crate::scenario::Scenario;
use crate::scenario::schema::Metric;
use crate::scoring::{CriterionScore, Scorecard};
use crate::world::PlaceKind;

/// The HSEEP rating of a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rating {
    /// Performed without challenges.
    P,
    /// Performed with some challenges.
    S,
    /// Performed with major challenges.
    M,
    /// Unable to be performed.
    U,
}

impl Rating {
    /// The rating of a criterion by its score against its pass mark: P at 95 or more
    /// and passed, S passed, M failed at half the pass mark or more, U below.
    pub fn of(c: &CriterionScore) -> Self {
        if c.pass && c.score >= 95.0 {
            Self::P
        } else if c.pass {
            Self::S
        } else if c.score >= 0.5 * c.pass_score {
            Self::M
        } else {
            Self::U
        }
    }

    /// Label for the report.
    pub fn label(self) -> &'static str {
        match self {
            Self::P => "P — 顺利完成 performed without challenges",
            Self::S => "S — 基本完成 performed with some challenges",
            Self::M => "M — 存在较大问题 performed with major challenges",
            Self::U => "U — 未能完成 unable to be performed",
        }
    }
}

/// Capability element a corrective action belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Element {
    /// The plan: triggers, times, assignments.
    Planning,
    /// Who does what: teams, command, reinforcements.
    Organisation,
    /// Pumps, boats, shelter places.
    Equipment,
    /// People who carry the plan out.
    Training,
    /// The next exercise.
    Exercise,
}

impl Element {
    /// Label for the report.
    pub fn label(self) -> &'static str {
        match self {
            Self::Planning => "预案 planning",
            Self::Organisation => "组织 organisation",
            Self::Equipment => "装备 equipment",
            Self::Training => "培训 training",
            Self::Exercise => "演练 exercise",
        }
    }
}

/// A counterfactual: command-stream lines (`0:45:25 Warn(...)`) applied from `at`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct WhatIf {
    /// Sim time to branch at, s.
    pub at: f64,
    /// Command-stream lines.
    pub orders: Vec<String>,
}

/// One finding of the improvement plan.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Criterion id (`warning`).
    pub criterion: String,
    /// Criterion name (预警到位 warning in place).
    pub criterion_name: String,
    /// What went wrong, with the zones, places and times of the evidence.
    pub issue: String,
    /// Why, drawn from the evidence.
    pub cause: String,
    /// What to change, naming the element.
    pub action: String,
    /// Capability element.
    pub element: Element,
    /// Who owns the change.
    pub owner: String,
    /// By when.
    pub due: String,
    /// Points the criterion lost (weight × shortfall below 100).
    pub points_lost: f64,
    /// Persons involved.
    pub persons: u64,
    /// Within a criterion: 0 for people caught in water (life safety) and the causes
    /// upstream of it, 1 for overcrowding and delays, 2 for the rest.
    pub severity: u8,
    /// The orders that carry the action out, for a measured counterfactual (`floodrill
    /// review DIR --what-if` branches the drill's replay with them); none where the
    /// action is not an order (shelter places, more teams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what_if: Option<WhatIf>,
    /// The criteria whose failures follow from this one (rescue requests come from people
    /// caught in water; people are caught when warned late): their lost points count
    /// towards this finding's rank.
    pub leads_to: Vec<String>,
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("?")
}
fn f(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}
fn u(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}
fn failed(v: &Value) -> bool {
    v.get("pass").and_then(Value::as_bool) == Some(false)
}
fn clock(t: f64) -> String {
    crate::scenario::format_clock(t)
}
/// `a, b and c`.
fn list(items: &[String]) -> String {
    match items.len() {
        0 => "–".into(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// The place id in a name written as `名称 (H01)`.
fn id_in(name: &str) -> Option<&str> {
    let open = name.rfind('(')?;
    name[open + 1..].strip_suffix(')')
}

/// `t` as a command stream writes a time: `1h13m15s`, `45m`, `0s`.
fn duration_text(t: f64) -> String {
    let t = t.max(0.0).round() as u64;
    let (h, m, sec) = (t / 3600, (t / 60) % 60, t % 60);
    let mut out = String::new();
    if h > 0 {
        out += &format!("{h}h");
    }
    if m > 0 {
        out += &format!("{m}m");
    }
    if sec > 0 || out.is_empty() {
        out += &format!("{sec}s");
    }
    out
}

/// Distance from `p` to the segment `a`–`b`, m.
pub(crate) fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((a.0 + t * dx - p.0).powi(2) + (a.1 + t * dy - p.1).powi(2)).sqrt()
}

/// The findings of a scorecard, most costly first.
pub fn findings(card: &Scorecard, sc: &Scenario) -> Vec<Finding> {
    let mut out = Vec::new();
    for (rank, c) in card.criteria.iter().enumerate() {
        if c.pass || c.not_yet {
            continue;
        }
        let lost = c.weight * (100.0 - c.score).max(0.0) / 100.0;
        let mut fs = match c.metric {
            Metric::WarningLead { .. } => warning(c, sc),
            Metric::Evacuation { .. } => evacuation(c, sc),
            Metric::Forces { .. } => forces(c),
            Metric::Response { .. } => response(c),
        };
        for x in &mut fs {
            x.criterion = c.id.clone();
            x.criterion_name = c.name.clone();
            x.points_lost = lost;
        }
        out.extend(fs.into_iter().map(|x| (rank, x)));
    }
    // A finding's weight: its criterion's lost points and those of the failed criteria
    // that follow from it.
    let lost_of = |id: &str| {
        card.criteria
            .iter()
            .find(|c| c.id == id && !c.pass && !c.not_yet)
            .map_or(0.0, |c| c.weight * (100.0 - c.score).max(0.0) / 100.0)
    };
    let weight = |x: &Finding| x.points_lost + x.leads_to.iter().map(|id| lost_of(id)).sum::<f64>();
    out.sort_by(|(ra, a), (rb, b)| {
        weight(b)
            .total_cmp(&weight(a))
            .then(ra.cmp(rb))
            .then(a.severity.cmp(&b.severity))
            .then(b.persons.cmp(&a.persons))
    });
    out.into_iter().map(|(_, x)| x).collect()
}

fn finding(
    issue: String,
    cause: String,
    action: String,
    element: Element,
    owner: &str,
    due: &str,
    persons: u64,
) -> Finding {
    Finding {
        criterion: String::new(),
        criterion_name: String::new(),
        issue,
        cause,
        action,
        element,
        owner: owner.into(),
        due: due.into(),
        points_lost: 0.0,
        persons,
        severity: 2,
        leads_to: Vec::new(),
        what_if: None,
    }
}

fn warning(c: &CriterionScore, sc: &Scenario) -> Vec<Finding> {
    let lead_req = match c.metric {
        Metric::WarningLead { lead, .. } => lead.secs(),
        _ => 1800.0,
    };
    let bad: Vec<&Value> = c
        .evidence
        .iter()
        .filter(|e| failed(e) && e.get("zone").is_some())
        .collect();
    if bad.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    // Zones warned too late (or never): the warning must be out by onset − lead.
    let mut late: Vec<&Value> = bad
        .iter()
        .copied()
        .filter(|e| f(e, "lead_min").is_none_or(|l| l * 60.0 < lead_req - 1e-6))
        .collect();
    late.sort_by(|a, b| {
        f(a, "onset_s")
            .unwrap_or(0.0)
            .total_cmp(&f(b, "onset_s").unwrap_or(0.0))
    });
    if let Some(first) = late.first() {
        let zones: Vec<String> = late.iter().map(|e| s(e, "zone").to_string()).collect();
        let onset = f(first, "onset_s").unwrap_or(0.0);
        let by = (onset - lead_req).max(0.0);
        let never: Vec<String> = late
            .iter()
            .filter(|e| e.get("warned").is_none_or(Value::is_null))
            .map(|e| s(e, "zone").to_string())
            .collect();
        let after: Vec<&Value> = late
            .iter()
            .copied()
            .filter(|e| f(e, "lead_min").is_some_and(|l| l < 0.0))
            .collect();
        let warned_times: std::collections::BTreeSet<&str> = late
            .iter()
            .filter_map(|e| e.get("warned").and_then(Value::as_str))
            .collect();
        let issue = format!(
            "{} of the at-risk zones were warned less than {} min before the water reached them ({}); the first onset was in {} at {} ({}){}.",
            late.len(),
            (lead_req / 60.0).round(),
            list(&zones),
            s(first, "zone"),
            s(first, "onset"),
            first
                .get("onset_at")
                .and_then(Value::as_str)
                .unwrap_or("a road at the onset depth"),
            if never.is_empty() {
                String::new()
            } else {
                format!("; never warned: {}", list(&never))
            }
        );
        let cause = if !after.is_empty() {
            format!(
                "The warning waited for water already on the streets: it went out at {}, after the onset in {} of them (up to {} min after).",
                list(
                    &warned_times
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                ),
                after.len(),
                after
                    .iter()
                    .filter_map(|e| f(e, "lead_min"))
                    .fold(0.0f64, |m, l| m.max(-l))
                    .round()
            )
        } else if !never.is_empty() {
            format!("No warning reached {}.", list(&never))
        } else {
            format!(
                "The warning went out at {}: too close to the onset for the {} min the rubric requires.",
                list(
                    &warned_times
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                ),
                (lead_req / 60.0).round()
            )
        };
        let action = format!(
            "Issue the warning to {} by {} ({} min before the first onset at {}), on the forecast or on a rain-gauge threshold rather than on water at the underpasses.",
            list(&zones),
            clock(by),
            (lead_req / 60.0).round(),
            s(first, "onset")
        );
        out.push(tag(
            finding(
                issue,
                cause,
                action,
                Element::Planning,
                "防汛指挥部 预警发布 (the duty officer who issues warnings)",
                "before the next exercise",
                0,
            ),
            0,
            &["evacuation", "forces"],
        ));
        if let (Some(x), Some(ch)) = (out.last_mut(), sc.file.warnings.channels.first()) {
            let quoted: Vec<String> = zones.iter().map(|z| format!("{z:?}")).collect();
            x.what_if = Some(WhatIf {
                at: by,
                orders: vec![format!(
                    "{} Warn(zones: [{}], channel: {:?})",
                    duration_text(by),
                    quoted.join(", "),
                    ch.id
                )],
            });
        }
    }
    // Zones warned in time but slow to acknowledge.
    let slow: Vec<&Value> = bad
        .iter()
        .copied()
        .filter(|e| f(e, "lead_min").is_some_and(|l| l * 60.0 >= lead_req - 1e-6))
        .collect();
    if !slow.is_empty() {
        let zones: Vec<String> = slow
            .iter()
            .map(|e| format!("{} ({})", s(e, "zone"), s(e, "why")))
            .collect();
        out.push(tag(finding(
            format!("Warned in time but not acknowledged in time: {}.", list(&zones)),
            "The warning channel did not reach the residents quickly enough.".into(),
            format!(
                "Confirm the warning door to door (网格员) in {} and add a second channel (SMS or loudspeaker) there.",
                list(&slow.iter().map(|e| s(e, "zone").to_string()).collect::<Vec<_>>())
            ),
            Element::Organisation,
            "街道/社区 网格员 (community grid workers)",
            "before the flood season",
            0,
        ), 1, &["evacuation"]));
    }
    out
}

fn evacuation(c: &CriterionScore, sc: &Scenario) -> Vec<Finding> {
    let mut out = Vec::new();
    let place_kind = |id: &str| {
        sc.places
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.kind.clone())
    };
    // Where people were caught.
    let caught: Vec<&Value> = c
        .evidence
        .iter()
        .filter(|e| e.get("caught_at").is_some())
        .collect();
    let total_caught: u64 = caught.iter().map(|e| u(e, "persons")).sum();
    let (at_hotspots, on_roads): (Vec<&Value>, Vec<&Value>) =
        caught.iter().copied().partition(|e| {
            id_in(s(e, "caught_at")).is_some_and(|id| place_kind(id) == Some(PlaceKind::Hotspot))
        });
    for e in at_hotspots.iter().filter(|e| u(e, "persons") > 0) {
        let name = s(e, "caught_at");
        let first = f(e, "first_s");
        let close_by = first.map(|t| (t - 900.0).max(0.0));
        out.push(tag(finding(
            format!(
                "{} persons ({} rescue request{}) were caught at {}{}.",
                u(e, "persons"),
                u(e, "requests"),
                if u(e, "requests") == 1 { "" } else { "s" },
                name,
                match (e.get("first").and_then(Value::as_str), e.get("last").and_then(Value::as_str)) {
                    (Some(a), Some(b)) if a != b => format!(" between {a} and {b}"),
                    (Some(a), _) => format!(" at {a}"),
                    _ => String::new(),
                }
            ),
            format!(
                "{name} stayed open to people on foot and in cars while it filled; the evacuation routes ran through it."
            ),
            match close_by {
                Some(t) => format!(
                    "Close {name} to traffic and pedestrians by {} (15 min before the first person was caught there), and route the evacuation of its zones around it.",
                    clock(t)
                ),
                None => format!(
                    "Close {name} to traffic and pedestrians as soon as its gauge sees water, and route the evacuation around it."
                ),
            },
            Element::Planning,
            "交警 / 防汛指挥部 (traffic police with the command post)",
            "before the next exercise",
            u(e, "persons"),
        ), 0, &["forces"]));
        // The roads through the place: closing them is the order.
        let place = id_in(name).and_then(|id| sc.places.iter().find(|p| p.id == id));
        if let (Some(x), Some(p), Some(t)) = (out.last_mut(), place, close_by) {
            let mut near: Vec<(f64, &str)> = sc
                .roads
                .iter()
                .filter_map(|r| {
                    let d = r
                        .line
                        .windows(2)
                        .map(|w| segment_distance(p.at, w[0], w[1]))
                        .fold(f64::INFINITY, f64::min);
                    (d <= 60.0).then_some((d, r.id.as_str()))
                })
                .collect();
            near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
            if !near.is_empty() {
                x.what_if = Some(WhatIf {
                    at: t,
                    orders: near
                        .iter()
                        .take(4)
                        .map(|(_, id)| format!("{} CloseRoad({id:?})", duration_text(t)))
                        .collect(),
                });
            }
        }
    }
    let road_persons: u64 = on_roads.iter().map(|e| u(e, "persons")).sum();
    if road_persons > 0 {
        let top: Vec<String> = on_roads
            .iter()
            .take(3)
            .map(|e| format!("{} ({})", s(e, "caught_at"), u(e, "persons")))
            .collect();
        // The zones these people came from.
        let mut zones: Vec<(&str, u64)> = c
            .evidence
            .iter()
            .filter(|e| e.get("zone").is_some() && u(e, "caught_persons") > 0)
            .map(|e| (s(e, "zone"), u(e, "caught_persons")))
            .collect();
        zones.sort_by_key(|z| std::cmp::Reverse(z.1));
        let zl: Vec<String> = zones
            .iter()
            .take(4)
            .map(|z| format!("{} ({})", z.0, z.1))
            .collect();
        out.push(tag(finding(
            format!(
                "{road_persons} persons were caught in water on the streets, most on {}; they lived in {}.",
                list(&top),
                list(&zl)
            ),
            "They were on their way when the streets flooded: the order to leave came when the water was already rising on their routes.".into(),
            format!(
                "For {}: order the transfer before the streets flood, or, once they carry water, tell residents to stay upstairs (就地避险) instead of walking out.",
                list(&zones.iter().take(4).map(|z| z.0.to_string()).collect::<Vec<_>>())
            ),
            Element::Planning,
            "防汛指挥部 转移组 (the command post's evacuation group)",
            "before the next exercise",
            road_persons,
        ), 0, &["forces"]));
    }
    // Shelters over capacity.
    let over: Vec<&Value> = c
        .evidence
        .iter()
        .filter(|e| e.get("over_capacity").is_some())
        .collect();
    if !over.is_empty() {
        let items: Vec<String> = over
            .iter()
            .map(|e| {
                format!(
                    "{} {} for {} places",
                    s(e, "shelter"),
                    u(e, "peak"),
                    u(e, "capacity")
                )
            })
            .collect();
        let extra: u64 = over
            .iter()
            .map(|e| u(e, "peak").saturating_sub(u(e, "capacity")))
            .sum();
        out.push(tag(finding(
            format!("Shelters over capacity: {}.", list(&items)),
            "More residents were sent to these shelters than they hold.".into(),
            format!(
                "Add {extra} places at {} (or assign part of their zones to another shelter), and tell residents of tall buildings to stay upstairs rather than fill the shelters.",
                list(&over.iter().map(|e| s(e, "shelter").to_string()).collect::<Vec<_>>())
            ),
            Element::Equipment,
            "民政 / 街道 (civil affairs with the sub-district offices)",
            "before the flood season",
            extra,
        ), 1, &[]));
    }
    // Residents who were at risk and neither left nor stayed upstairs in time, where
    // nobody was caught (the caught are covered above).
    let stranded: Vec<&Value> = c
        .evidence
        .iter()
        .filter(|e| e.get("zone").is_some() && failed(e) && u(e, "caught_persons") == 0)
        .filter(|e| u(e, "at_risk_persons") > u(e, "safe_before_hazard"))
        .collect();
    if !stranded.is_empty() && total_caught == 0 {
        let zl: Vec<String> = stranded
            .iter()
            .map(|e| {
                format!(
                    "{} ({} of {} safe)",
                    s(e, "zone"),
                    u(e, "safe_before_hazard"),
                    u(e, "at_risk_persons")
                )
            })
            .collect();
        let persons: u64 = stranded
            .iter()
            .map(|e| u(e, "at_risk_persons").saturating_sub(u(e, "safe_before_hazard")))
            .sum();
        out.push(tag(finding(
            format!(
                "At-risk residents not safe before the water reached home: {}.",
                list(&zl)
            ),
            "They had not left, and had not been told to stay upstairs, when their homes flooded."
                .into(),
            format!(
                "Order {} to leave (or to stay upstairs, where buildings allow) before the onset.",
                list(
                    &stranded
                        .iter()
                        .map(|e| s(e, "zone").to_string())
                        .collect::<Vec<_>>()
                )
            ),
            Element::Planning,
            "防汛指挥部 转移组 (the command post's evacuation group)",
            "before the next exercise",
            persons,
        ), 2, &[]));
    }
    out
}

fn forces(c: &CriterionScore) -> Vec<Finding> {
    let mut out = Vec::new();
    let late_posts: Vec<&Value> = c
        .evidence
        .iter()
        .filter(|e| e.get("post").is_some() && failed(e))
        .collect();
    if !late_posts.is_empty() {
        let items: Vec<String> = late_posts
            .iter()
            .map(|e| {
                format!(
                    "{} at {} (ordered {}, arrived {}, required by {})",
                    s(e, "unit"),
                    s(e, "post"),
                    s(e, "ordered"),
                    e.get("arrived").and_then(Value::as_str).unwrap_or("never"),
                    s(e, "required_by")
                )
            })
            .collect();
        out.push(tag(
            finding(
                format!("Posts not manned in time: {}.", list(&items)),
                "The pre-positioning orders came too late for the travel time to the posts.".into(),
                format!(
                    "Order {} to their posts earlier, by the travel time before the deadline.",
                    list(
                        &late_posts
                            .iter()
                            .map(|e| s(e, "unit").to_string())
                            .collect::<Vec<_>>()
                    )
                ),
                Element::Planning,
                "防汛指挥部 力量调度 (dispatch)",
                "before the next exercise",
                0,
            ),
            1,
            &[],
        ));
    }
    let late_req: Vec<&Value> = c
        .evidence
        .iter()
        .filter(|e| {
            e.get("request").is_some()
                && failed(e)
                && e.get("false_report").and_then(Value::as_bool) != Some(true)
        })
        .collect();
    if !late_req.is_empty() {
        let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
        let mut never = 0usize;
        for e in &late_req {
            match e.get("by").and_then(Value::as_str) {
                Some(unit) => *by.entry(unit).or_default() += 1,
                None => never += 1,
            }
        }
        let mut by: Vec<(&str, usize)> = by.into_iter().collect();
        by.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let first = late_req
            .iter()
            .filter_map(|e| e.get("raised").and_then(Value::as_str))
            .min()
            .unwrap_or("?");
        let mut at: std::collections::BTreeMap<&str, usize> = Default::default();
        for e in &late_req {
            if let Some(p) = e.get("at").and_then(Value::as_str) {
                *at.entry(p).or_default() += 1;
            }
        }
        let mut at: Vec<(&str, usize)> = at.into_iter().collect();
        at.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let places = list(
            &at.iter()
                .take(3)
                .map(|a| format!("{} ({})", a.0, a.1))
                .collect::<Vec<_>>(),
        );
        let stage = at
            .first()
            .map_or("where the first requests came from".to_string(), |a| {
                a.0.to_string()
            });
        let persons: u64 = late_req.iter().map(|e| u(e, "persons")).sum();
        let n = c
            .measures
            .get("requests")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let med = c
            .measures
            .get("median_response_min")
            .and_then(Value::as_f64);
        out.push(tag(finding(
            format!(
                "{} of {n} rescue requests ({persons} persons) were reached late, from {first} on; median response {}{}.",
                late_req.len(),
                med.map_or("–".into(), |m| format!("{m:.0} min")),
                if at.is_empty() { String::new() } else { format!("; most came from {places}") }
            ),
            format!(
                "Too few boat teams for the backlog: {} answered them one after another{}.",
                list(&by.iter().take(3).map(|b| format!("{} ({})", b.0, b.1)).collect::<Vec<_>>()),
                if never > 0 { format!("; {never} were never reached") } else { String::new() }
            ),
            format!(
                "Request reinforcements (boat teams) when more than a few requests wait, and stage a boat team at {stage} before {first}."
            ),
            Element::Organisation,
            "防汛指挥部 力量调度 (dispatch)",
            "before the flood season",
            persons,
        ), 1, &[]));
    }
    out
}

fn response(c: &CriterionScore) -> Vec<Finding> {
    let mut out = Vec::new();
    let ponded: Vec<&Value> = c
        .evidence
        .iter()
        .filter(|e| e.get("hotspot").is_some() && failed(e))
        .collect();
    if !ponded.is_empty() {
        let items: Vec<String> = ponded
            .iter()
            .map(|e| {
                format!(
                    "{} ({}) {:.2} m at {}",
                    s(e, "name"),
                    s(e, "hotspot"),
                    f(e, "depth_at_deadline_m").unwrap_or(0.0),
                    s(e, "deadline")
                )
            })
            .collect();
        let failed_station: Vec<String> = ponded
            .iter()
            .filter_map(|e| {
                e.get("station_failed")
                    .and_then(Value::as_str)
                    .map(|x| format!("{} ({x})", s(e, "pump_station")))
            })
            .collect();
        let cause = if !failed_station.is_empty() {
            format!(
                "Their pump station failed and was not replaced: {}.",
                list(&failed_station)
            )
        } else if ponded
            .iter()
            .any(|e| f(e, "hours_to_drain_by_drainage").is_some())
        {
            "The district's drainage alone would take days to empty them; nothing pumped them out."
                .into()
        } else {
            "The pumping sent there was too small or too late.".into()
        };
        out.push(tag(finding(
            format!("Hotspots still ponded at their deadline: {}.", list(&items)),
            cause,
            if failed_station.is_empty() {
                format!(
                    "Send mobile pumping (drainage trucks of ~1,500 m³/h, robots where trucks cannot reach) to {} as soon as the rain eases.",
                    list(&ponded.iter().map(|e| s(e, "hotspot").to_string()).collect::<Vec<_>>())
                )
            } else {
                format!(
                    "Keep a standby pump at {} and send a drainage truck (~1,500 m³/h) to {} within 30 min of a station failure, with a repair crew to restore the station.",
                    list(&ponded.iter().filter_map(|e| e.get("pump_station").and_then(Value::as_str)).map(String::from).collect::<Vec<_>>()),
                    list(&ponded.iter().filter(|e| e.get("station_failed").is_some()).map(|e| s(e, "hotspot").to_string()).collect::<Vec<_>>())
                )
            },
            Element::Equipment,
            "排水抢险队 (the drainage emergency team)",
            "before the flood season",
            0,
        ), 2, &[]));
    }
    let open: Vec<&Value> = c
        .evidence
        .iter()
        .filter(|e| e.get("open_at_end").is_some())
        .collect();
    if !open.is_empty() {
        let persons: u64 = open.iter().map(|e| u(e, "persons")).sum();
        out.push(tag(finding(
            format!("{} rescue requests ({persons} persons) were still open at the end.", open.len()),
            "The teams could not close the requests before the drill ended.".into(),
            "Keep teams on until every request is closed, and hand open requests over at a shift change.".into(),
            Element::Organisation,
            "防汛指挥部 力量调度 (dispatch)",
            "next exercise",
            persons,
        ), 2, &[]));
    }
    out
}

/// `x` with its severity and the criteria its failure leads to.
fn tag(mut x: Finding, severity: u8, leads_to: &[&str]) -> Finding {
    x.severity = severity;
    x.leads_to = leads_to.iter().map(|s| s.to_string()).collect();
    x
}

/// Three sentences for a director: the score, the worst failure and its cause, the
/// change that would have helped most (none when nothing failed). Chinese labels, English
/// sentences, as the rest of the report.
pub fn executive_summary(card: &Scorecard, findings: &[Finding]) -> Vec<String> {
    let failed: Vec<&CriterionScore> = card
        .criteria
        .iter()
        .filter(|c| !c.pass && !c.not_yet)
        .collect();
    let names: Vec<String> = failed
        .iter()
        .map(|c| format!("{} ({:.0})", c.name, c.score))
        .collect();
    let open: Vec<String> = card
        .criteria
        .iter()
        .filter(|c| c.not_yet)
        .map(|c| c.name.clone())
        .collect();
    let mut out = vec![if !card.pass && !open.is_empty() && failed.is_empty() {
        // A drill stopped early: nothing has failed, and some criteria cannot be
        // judged yet — not a failure.
        format!(
            "总评 {:.1} / 100 so far，尚无结论 not yet judged (pass mark {:.0}): nothing failed so far; still open: {}.",
            card.overall,
            card.pass_mark,
            list(&open)
        )
    } else if card.pass {
        format!(
            "总评 {:.1} / 100，通过 (pass mark {:.0}){}.",
            card.overall,
            card.pass_mark,
            if failed.is_empty() {
                String::from("; every criterion passed")
            } else {
                format!("; failed: {}", list(&names))
            }
        )
    } else {
        format!(
            "总评 {:.1} / 100，未通过 (pass mark {:.0}); failed: {}{}.",
            card.overall,
            card.pass_mark,
            list(&names),
            if open.is_empty() {
                String::new()
            } else {
                format!("; still open: {}", list(&open))
            }
        )
    }];
    if let Some(top) = findings.first() {
        out.push(format!(
            "The costliest failure is {}: {} {}",
            top.criterion_name, top.issue, top.cause
        ));
        out.push(format!("The change that would help most: {}", top.action));
    }
    out
}
