//! The event log read aloud: one sentence per [`SimEvent`] (Chinese and English), an
//! icon, a kind a reader filters by, and where it happened — for the report's timeline
//! and the console.
//!
//! Ids are kept (a reviewer cross-checks them against the scorecard) and followed by
//! the name the scenario gives them, looked up through a [`Names`] the caller supplies,
//! so this module needs nothing of the scenario.

use super::log::SimEvent;
use crate::scenario::schema::{InjectEvent, Location, Order, WarnAction};
use crate::scenario::{format_clock, format_duration};

/// What kind of entry a row is, for filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// A trainer's inject and what it set off (breach, outage, failure).
    Inject,
    /// An order, and plan rules firing.
    Order,
    /// Warnings and acknowledgements.
    Warning,
    /// Units moving, arriving, pumping, delivering.
    Unit,
    /// Shelters and roads opened or closed.
    Place,
    /// Something that went wrong: a failed order, no route, a failed robot or station.
    Failure,
}

impl Class {
    /// Every class, in the order a filter lists them.
    pub const ALL: [Class; 6] = [
        Class::Inject,
        Class::Order,
        Class::Warning,
        Class::Unit,
        Class::Place,
        Class::Failure,
    ];

    /// Short id (a CSS class, a filter key).
    pub fn id(self) -> &'static str {
        match self {
            Class::Inject => "inject",
            Class::Order => "order",
            Class::Warning => "warning",
            Class::Unit => "unit",
            Class::Place => "place",
            Class::Failure => "failure",
        }
    }

    /// Label, Chinese and English.
    pub fn label(self) -> &'static str {
        match self {
            Class::Inject => "导调 injects",
            Class::Order => "指令 orders",
            Class::Warning => "预警 warnings",
            Class::Unit => "力量 units",
            Class::Place => "场所与道路 places and roads",
            Class::Failure => "故障与失败 failures",
        }
    }

    /// Icon.
    pub fn icon(self) -> &'static str {
        match self {
            Class::Inject => "★",
            Class::Order => "▶",
            Class::Warning => "◆",
            Class::Unit => "●",
            Class::Place => "■",
            Class::Failure => "▲",
        }
    }
}

/// Where an event happened, by what the log names.
#[derive(Debug, Clone, PartialEq)]
pub enum Spot {
    /// A place id.
    Place(String),
    /// A map point, metres.
    Point(f64, f64),
    /// Zone ids (the first is shown).
    Zones(Vec<String>),
    /// A road id.
    Road(String),
    /// A unit id (where its depot is, for want of better).
    Unit(String),
}

/// An event as a reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// Kind for filtering.
    pub class: Class,
    /// The sentence.
    pub text: String,
    /// Where, when the event says.
    pub spot: Option<Spot>,
}

/// The names of ids (places, zones, units, roads), for sentences.
pub trait Names {
    /// The display name of an id, if it has one.
    fn name(&self, id: &str) -> Option<String>;
}

/// No names: ids only.
pub struct NoNames;

impl Names for NoNames {
    fn name(&self, _: &str) -> Option<String> {
        None
    }
}

/// An id followed by its name, if it has one: `H01 兴中路下穿`.
pub fn named(n: &dyn Names, id: &str) -> String {
    match n.name(id) {
        Some(name) if !name.is_empty() && name != id => format!("{id} {name}"),
        _ => id.to_string(),
    }
}

fn list(n: &dyn Names, ids: &[String]) -> String {
    const MOST: usize = 6;
    let mut v: Vec<String> = ids.iter().take(MOST).map(|z| named(n, z)).collect();
    if ids.len() > MOST {
        v.push(format!("+{} more", ids.len() - MOST));
    }
    v.join(", ")
}

fn location(n: &dyn Names, l: &Location) -> String {
    match l {
        Location::Place(p) => named(n, p),
        Location::Point(x, y) => format!("({x:.0}, {y:.0})"),
    }
}

fn location_spot(l: &Location) -> Spot {
    match l {
        Location::Place(p) => Spot::Place(p.clone()),
        Location::Point(x, y) => Spot::Point(*x, *y),
    }
}

fn action(a: WarnAction) -> &'static str {
    match a {
        WarnAction::Prepare => "准备转移 prepare to leave",
        WarnAction::ShelterInPlace => "就地避险 shelter in place",
        WarnAction::Evacuate => "转移 evacuate",
    }
}

/// An order as a sentence, and where it points.
pub fn order_sentence(o: &Order, n: &dyn Names) -> (String, Option<Spot>) {
    match o {
        Order::Dispatch { unit, to } => (
            format!("派遣 dispatch {} → {}", named(n, unit), location(n, to)),
            Some(location_spot(to)),
        ),
        Order::PrePosition { unit, post } => (
            format!("前置 pre-position {} at {}", named(n, unit), named(n, post)),
            Some(Spot::Place(post.clone())),
        ),
        Order::Recall { unit } => (
            format!("召回 recall {} to its depot", named(n, unit)),
            Some(Spot::Unit(unit.clone())),
        ),
        Order::DispatchNearestToRescue => (
            "派遣最近空闲队伍 send the nearest free team to the oldest rescue request".into(),
            None,
        ),
        Order::Warn {
            zones,
            channel,
            action: a,
        } => (
            format!(
                "预警 warn {} by {}: {}",
                list(n, zones),
                named(n, channel),
                action(*a)
            ),
            Some(Spot::Zones(zones.clone())),
        ),
        Order::OpenShelter(s) => (
            format!("开放安置点 open shelter {}", named(n, s)),
            Some(Spot::Place(s.clone())),
        ),
        Order::CloseShelter(s) => (
            format!("关闭安置点 close shelter {}", named(n, s)),
            Some(Spot::Place(s.clone())),
        ),
        Order::CloseRoad(r) => (
            format!("封闭道路 close road {}", named(n, r)),
            Some(Spot::Road(r.clone())),
        ),
    }
}

/// An inject as a sentence, and where it happens.
pub fn inject_sentence(e: &InjectEvent, n: &dyn Names) -> (String, Option<Spot>) {
    match e {
        InjectEvent::LeveeBreach {
            x,
            y,
            width_m,
            bottom_m,
            over,
        } => (
            format!(
                "堤防决口 levee breach at ({x:.0}, {y:.0}): {width_m:.0} m wide, crest down to {bottom_m:.2} m over {}",
                format_duration(over.0)
            ),
            Some(Spot::Point(*x, *y)),
        ),
        InjectEvent::PumpFailure { unit, duration } => (
            format!(
                "泵站/机器人故障 {} fails{}",
                named(n, unit),
                duration.map_or(" for the rest of the drill".into(), |d| format!(
                    " for {}",
                    format_duration(d.0)
                ))
            ),
            Some(Spot::Place(unit.clone())),
        ),
        InjectEvent::RoadCollapse { road } => (
            format!("道路塌陷 road {} collapses", named(n, road)),
            Some(Spot::Road(road.clone())),
        ),
        InjectEvent::CommOutage { zones, duration } => (
            format!(
                "通信中断 communication outage in {} for {}",
                list(n, zones),
                format_duration(duration.0)
            ),
            Some(Spot::Zones(zones.clone())),
        ),
        InjectEvent::RainCell { .. } => ("额外降雨单元 an extra rain cell".into(), None),
        InjectEvent::FalseReport { at } => (
            format!("虚假求救 a false rescue report at {}", location(n, at)),
            Some(location_spot(at)),
        ),
    }
}

impl SimEvent {
    /// The event as a reader sees it, for the events the timeline lists
    /// ([`SimEvent::on_timeline`]); `None` for the household-level ones, which are
    /// counted.
    pub fn describe(&self, n: &dyn Names) -> Option<Described> {
        let d = |class, text: String, spot| Some(Described { class, text, spot });
        match self {
            SimEvent::RuleFired { rule } => d(
                Class::Order,
                format!("预案规则触发 plan rule {rule} fired"),
                None,
            ),
            SimEvent::OrderIssued {
                order,
                rule,
                source,
            } => {
                let (s, spot) = order_sentence(order, n);
                let by = match (rule, source) {
                    (Some(r), _) => format!(" (rule {r})"),
                    (None, Some(src)) => format!(" (from {src})"),
                    _ => String::new(),
                };
                d(Class::Order, format!("{s}{by}"), spot)
            }
            SimEvent::InjectApplied { event, id, source } => {
                let (s, spot) = inject_sentence(event, n);
                d(
                    Class::Inject,
                    format!("导调 inject {id}: {s} ({source})"),
                    spot,
                )
            }
            SimEvent::InjectSkipped { id, source } => d(
                Class::Inject,
                format!("导调 inject {id} skipped 跳过 ({source})"),
                None,
            ),
            SimEvent::OrderFailed { error, order } => {
                let (what, spot) = order
                    .as_ref()
                    .map_or(("an order".to_string(), None), |o| order_sentence(o, n));
                d(
                    Class::Failure,
                    format!("指令未执行 could not carry out: {what} — {error}"),
                    spot,
                )
            }
            SimEvent::WarningIssued {
                action: a,
                channel,
                households_reached_earlier,
                zones,
            } => {
                let a = match a.as_deref() {
                    Some("prepare") => action(WarnAction::Prepare),
                    Some("shelter_in_place") => action(WarnAction::ShelterInPlace),
                    _ => action(WarnAction::Evacuate),
                };
                let again = if *households_reached_earlier > 0 {
                    format!(" ({households_reached_earlier} households had been reached before)")
                } else {
                    String::new()
                };
                d(
                    Class::Warning,
                    format!(
                        "预警发布 warning to {} by {}: {a}{again}",
                        list(n, zones),
                        named(n, channel)
                    ),
                    Some(Spot::Zones(zones.clone())),
                )
            }
            SimEvent::ZoneAcknowledged { zone } => d(
                Class::Warning,
                format!(
                    "叫应 zone {} acknowledged the warning",
                    zone.as_deref().map_or("?".into(), |z| named(n, z))
                ),
                zone.as_ref().map(|z| Spot::Zones(vec![z.clone()])),
            ),
            SimEvent::CommOutage {
                inject,
                until_s,
                zones,
            } => d(
                Class::Inject,
                format!(
                    "通信中断 warnings to {} cannot get through{} (inject {inject})",
                    list(n, zones),
                    if until_s.is_finite() {
                        format!(" until {}", format_clock(*until_s))
                    } else {
                        String::new()
                    }
                ),
                Some(Spot::Zones(zones.clone())),
            ),
            SimEvent::RoadClosed { inject, road } => d(
                Class::Place,
                format!(
                    "道路封闭 road {} closed{}",
                    named(n, road),
                    inject
                        .as_ref()
                        .map_or(String::new(), |i| format!(" (collapse, inject {i})"))
                ),
                Some(Spot::Road(road.clone())),
            ),
            SimEvent::ShelterOpened { shelter } => d(
                Class::Place,
                format!("安置点开放 shelter {} opened", named(n, shelter)),
                Some(Spot::Place(shelter.clone())),
            ),
            SimEvent::ShelterClosed { shelter } => d(
                Class::Place,
                format!("安置点关闭 shelter {} closed", named(n, shelter)),
                Some(Spot::Place(shelter.clone())),
            ),
            SimEvent::AtPost { post, unit } => d(
                Class::Unit,
                format!("到岗 {} is at post {}", named(n, unit), named(n, post)),
                Some(Spot::Place(post.clone())),
            ),
            SimEvent::OnScene { at, unit } => d(
                Class::Unit,
                format!("到达 {} is on scene at {}", named(n, unit), named(n, at)),
                Some(Spot::Unit(unit.clone())),
            ),
            SimEvent::PumpingStarted {
                cells,
                to_river,
                unit,
            } => d(
                Class::Unit,
                format!(
                    "开始排水 {} started pumping ({cells} cells within reach, into {})",
                    named(n, unit),
                    if *to_river {
                        "the river"
                    } else {
                        "a discharge line out of the district"
                    }
                ),
                Some(Spot::Unit(unit.clone())),
            ),
            SimEvent::PumpingStopped { pumped_m3, unit } => d(
                Class::Unit,
                format!(
                    "停止排水 {} stopped pumping ({pumped_m3:.0} m³ pumped here)",
                    named(n, unit)
                ),
                Some(Spot::Unit(unit.clone())),
            ),
            SimEvent::Delivered {
                persons,
                shelter,
                unit,
            } => d(
                Class::Unit,
                format!(
                    "送达 {} brought {persons} persons to {}",
                    named(n, unit),
                    named(n, shelter)
                ),
                Some(Spot::Place(shelter.clone())),
            ),
            SimEvent::NoRoute { to, unit } => d(
                Class::Failure,
                format!("无路可达 {} found no route to {to}", named(n, unit)),
                Some(Spot::Unit(unit.clone())),
            ),
            SimEvent::UnitFailed { unit } => d(
                Class::Failure,
                format!("故障 {} failed", named(n, unit)),
                Some(Spot::Unit(unit.clone())),
            ),
            SimEvent::UnitRestored { unit } => d(
                Class::Unit,
                format!("恢复 {} works again", named(n, unit)),
                Some(Spot::Unit(unit.clone())),
            ),
            SimEvent::LeveeBreach {
                bottom_m,
                cells,
                inject,
                width_m,
                x,
                y,
            } => d(
                Class::Inject,
                format!(
                    "决口 the levee opened at ({x:.0}, {y:.0}): {width_m:.0} m wide down to {bottom_m:.2} m, {cells} cells (inject {inject})"
                ),
                Some(Spot::Point(*x, *y)),
            ),
            SimEvent::PumpStationFailed {
                cells,
                inject,
                pumps,
                station,
                until_s,
            } => d(
                Class::Failure,
                format!(
                    "泵站停运 pump station {} stopped{} — {} (inject {inject})",
                    named(n, station),
                    until_s.map_or(" for the rest of the drill".into(), |u| format!(
                        " until {}",
                        format_clock(u)
                    )),
                    if *pumps > 0 {
                        format!("{pumps} network pumps off")
                    } else {
                        format!("drainage of {cells} cells off")
                    }
                ),
                Some(Spot::Place(station.clone())),
            ),
            SimEvent::PumpStationRestored { station } => d(
                Class::Place,
                format!("泵站恢复 pump station {} works again", named(n, station)),
                Some(Spot::Place(station.clone())),
            ),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Duration;

    struct Few;
    impl Names for Few {
        fn name(&self, id: &str) -> Option<String> {
            (id == "H01").then(|| "兴中路下穿".to_string())
        }
    }

    #[test]
    fn an_order_reads_as_a_sentence_with_names() {
        let e = SimEvent::OrderIssued {
            order: Order::Dispatch {
                unit: "T05".into(),
                to: Location::Place("H01".into()),
            },
            rule: None,
            source: Some("orders.txt:3".into()),
        };
        let d = e.describe(&Few).unwrap();
        assert_eq!(d.class, Class::Order);
        assert_eq!(
            d.text,
            "派遣 dispatch T05 → H01 兴中路下穿 (from orders.txt:3)"
        );
        assert_eq!(d.spot, Some(Spot::Place("H01".into())));
        assert!(!d.text.contains('{'), "no JSON in a sentence");
    }

    #[test]
    fn an_inject_names_what_it_does_and_how_long() {
        let e = SimEvent::InjectApplied {
            event: InjectEvent::CommOutage {
                zones: vec!["Z01".into(), "Z02".into()],
                duration: Duration(5400.0),
            },
            id: "I2".into(),
            source: "injects[1]".into(),
        };
        let d = e.describe(&NoNames).unwrap();
        assert_eq!(d.class, Class::Inject);
        assert!(d.text.contains("Z01, Z02"), "{}", d.text);
        assert!(d.text.contains("1h30m"), "{}", d.text);
    }

    #[test]
    fn every_timeline_event_is_described_and_no_other() {
        let shown = SimEvent::UnitFailed { unit: "R1".into() };
        assert!(shown.on_timeline() && shown.describe(&NoNames).is_some());
        let counted = SimEvent::UnitReturned { unit: "R1".into() };
        assert!(!counted.on_timeline() && counted.describe(&NoNames).is_none());
    }
}
