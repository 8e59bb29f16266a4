//! The event log: every order, inject and state change a reviewer or the scorer needs,
//! with its sim time and origin, as one typed stream ([`SimEvent`]). `events.jsonl` is
//! its serde form, one [`LogEntry`] a line:
//! `{"t":…,"origin":…,"kind":"<event>","detail":{…}}`.
//!
//! Consumers (the scorer, the runner's figures, the report, the console) match on the
//! enum; the kind's name exists only in the serde attributes here. Detail fields are
//! declared in name order, so a line's keys are sorted as they always were.

use serde::{Deserialize, Serialize};

use crate::agents::HouseholdId;
use crate::forces::Outcome;
use crate::scenario::schema::{InjectEvent, Order};
use crate::world::roads::Mode;

/// Who caused an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The contingency plan's rules.
    Plan,
    /// A trainee at the console or a command stream.
    Trainee,
    /// The trainer (injects).
    Trainer,
    /// The simulation itself (state changes).
    Sim,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Plan => "plan",
            Self::Trainee => "trainee",
            Self::Trainer => "trainer",
            Self::Sim => "sim",
        })
    }
}

/// Something that happened in the drill, past tense, with typed ids and values.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum SimEvent {
    // ---- the exercise: plan, orders, injects -------------------------------------
    /// A plan rule's condition held and it fired.
    RuleFired {
        /// Rule id.
        rule: String,
    },
    /// An order was issued (by a plan rule, or from outside with its source).
    #[serde(rename = "order")]
    OrderIssued {
        /// The order.
        #[serde(serialize_with = "sorted")]
        order: Order,
        /// The plan rule that issued it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
        /// Where an outside order came from (`orders.txt:3`, `console`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// An inject was applied.
    #[serde(rename = "inject")]
    InjectApplied {
        /// What it does.
        #[serde(serialize_with = "sorted")]
        event: InjectEvent,
        /// Inject id.
        id: String,
        /// Where it came from (`injects[2]`, `orders.txt:5`).
        source: String,
    },
    /// A scenario inject still to come was skipped by the trainer.
    #[serde(rename = "inject_skipped")]
    InjectSkipped {
        /// Inject id.
        id: String,
        /// Where the skip came from (`console:trainer`, `orders.txt:5`).
        source: String,
    },
    /// An order could not be carried out.
    OrderFailed {
        /// Why.
        error: String,
        /// The order, where known.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            serialize_with = "sorted_opt"
        )]
        order: Option<Order>,
    },

    // ---- warnings and the public ---------------------------------------------------
    /// A warning was issued to zones over a channel.
    WarningIssued {
        /// What residents were told: `prepare`, `shelter_in_place` (absent:
        /// `evacuate`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<String>,
        /// Channel id.
        channel: String,
        /// Households of these zones that had been reached before.
        households_reached_earlier: u64,
        /// Zone ids.
        zones: Vec<String>,
    },
    /// A communication outage began in zones.
    CommOutage {
        /// The inject that caused it.
        inject: String,
        /// Until, s (infinite: for the rest of the drill).
        until_s: f64,
        /// Zone ids.
        zones: Vec<String>,
    },
    /// A road was closed (by order, or by an inject's collapse).
    RoadClosed {
        /// The inject that collapsed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inject: Option<String>,
        /// Road id.
        road: String,
    },
    /// A shelter was opened.
    ShelterOpened {
        /// Shelter id.
        shelter: String,
    },
    /// A shelter was closed.
    ShelterClosed {
        /// Shelter id.
        shelter: String,
    },
    /// A warning reached a household (its earliest reception).
    WarningReceived {
        /// Channel id.
        channel: String,
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
    },
    /// A household decided not to leave (non-compliant).
    #[serde(rename = "stays_home")]
    Refused {
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
    },
    /// A zone acknowledged the warning (叫应).
    ZoneAcknowledged {
        /// Zone id.
        zone: Option<String>,
    },
    /// A household left home.
    Departed {
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// Travel mode.
        mode: Mode,
        /// Shelter it heads for (`None`: no reachable shelter, waiting).
        shelter: Option<String>,
    },
    /// A household changed destination on the way.
    Rerouted {
        /// Previous shelter (`None` if it was waiting).
        from: Option<String>,
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// New shelter.
        to: String,
    },
    /// A household reached a full or closed shelter and was sent on.
    TurnedAway {
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// The shelter that turned it away.
        shelter: String,
    },
    /// A household stopped on the road: no shelter can be reached from there now.
    Waiting {
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// Why: `no_shelter_with_room` or `cut_off`.
        reason: String,
        /// Map x of the node it waits at, m.
        x: f64,
        /// Map y, m.
        y: f64,
    },
    /// A household that waited took refuge in a building where it was.
    TookRefuge {
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// Why it could not go on.
        reason: String,
        /// Map x, m.
        x: f64,
        /// Map y, m.
        y: f64,
    },
    /// A household that was to leave stays in (upstairs): no shelter can be reached
    /// from home.
    StayedHome {
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// Why.
        reason: String,
    },
    /// A household was admitted to a shelter.
    Sheltered {
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// Persons admitted.
        persons: u32,
        /// Shelter.
        shelter: String,
    },
    /// A household left the district by an exit (relatives, a place of its own).
    LeftDistrict {
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// Persons.
        persons: u32,
    },
    /// A household was caught by the water.
    Trapped {
        /// Water depth, m.
        depth_m: f64,
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// Persons.
        persons: u32,
        /// Water speed, m/s.
        velocity_m_s: f64,
        /// Map x, m.
        x: f64,
        /// Map y, m.
        y: f64,
    },
    /// A household was rescued.
    Rescued {
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// Persons.
        persons: u32,
    },
    /// The casualty rule fired for a trapped household.
    Casualty {
        /// Water depth, m.
        depth_m: f64,
        /// Household.
        #[serde(with = "hh_text")]
        household: HouseholdId,
        /// Persons.
        persons: u32,
        /// Water speed, m/s.
        velocity_m_s: f64,
    },

    // ---- forces --------------------------------------------------------------------
    /// A rescue request was raised (a trapped household, or a trainer's report).
    RescueRequested {
        /// The trapped household (none for a trainer's report).
        #[serde(default, skip_serializing_if = "Option::is_none", with = "hh_text_opt")]
        household: Option<HouseholdId>,
        /// The inject that raised it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inject: Option<String>,
        /// Persons reported.
        persons: u32,
        /// Request id.
        request: u32,
        /// Map x, m.
        x: f64,
        /// Map y, m.
        y: f64,
    },
    /// Requests were waiting and no team could take one.
    NoTeamAvailable {
        /// Requests waiting.
        waiting_requests: usize,
    },
    /// A unit set off.
    UnitDeparted {
        /// Planned travel time, s.
        eta_s: f64,
        /// Distance by which the route stops short of the goal, m.
        gap_m: f64,
        /// What for (`post P01`, `request 3`, …).
        to: String,
        /// Unit id.
        unit: String,
    },
    /// A unit found no route.
    NoRoute {
        /// What for.
        to: String,
        /// Unit id.
        unit: String,
    },
    /// A unit reached a staging post.
    AtPost {
        /// Post id.
        post: String,
        /// Unit id.
        unit: String,
    },
    /// A unit reached an ordered location.
    OnScene {
        /// Location label.
        at: String,
        /// Unit id.
        unit: String,
    },
    /// A team reached a rescue request.
    RequestReached {
        /// Request id.
        request: u32,
        /// Since the request was raised, s.
        response_s: f64,
        /// Team id.
        unit: String,
    },
    /// A team rescued the people of a request.
    PeopleRescued {
        /// Persons.
        persons: u32,
        /// Request id.
        request: u32,
        /// Team id.
        unit: String,
    },
    /// A request was closed without a rescue.
    RequestClosed {
        /// Why.
        outcome: Outcome,
        /// Request id.
        request: u32,
        /// Team id.
        unit: String,
    },
    /// A team delivered rescued people to a shelter.
    Delivered {
        /// Persons.
        persons: u32,
        /// Shelter id.
        shelter: String,
        /// Team id.
        unit: String,
    },
    /// A unit is back at its post or depot.
    UnitReturned {
        /// Unit id.
        unit: String,
    },
    /// A robot started pumping.
    PumpingStarted {
        /// Cells within reach.
        cells: usize,
        /// Discharging into the river (else out of the district).
        to_river: bool,
        /// Robot id.
        unit: String,
    },
    /// A robot stopped pumping.
    PumpingStopped {
        /// Pumped at this site, m³.
        pumped_m3: f64,
        /// Robot id.
        unit: String,
    },
    /// A robot failed.
    UnitFailed {
        /// Robot id.
        unit: String,
    },
    /// A robot was restored.
    UnitRestored {
        /// Robot id.
        unit: String,
    },

    // ---- water ---------------------------------------------------------------------
    /// A levee breach opened.
    LeveeBreach {
        /// Bottom elevation, m.
        bottom_m: f64,
        /// Cells lowered.
        cells: usize,
        /// The inject.
        inject: String,
        /// Width, m.
        width_m: f64,
        /// Map x, m.
        x: f64,
        /// Map y, m.
        y: f64,
    },
    /// A pump station failed.
    PumpStationFailed {
        /// Cells whose per-class drainage it stops (0 with a pipe network).
        cells: usize,
        /// The inject.
        inject: String,
        /// Network pumps it stops (0 without a pipe network).
        #[serde(default, skip_serializing_if = "is_zero")]
        pumps: usize,
        /// The station.
        station: String,
        /// Until, s (`None`: for the rest of the drill).
        until_s: Option<f64>,
    },
    /// A failed pump station works again.
    PumpStationRestored {
        /// The station.
        station: String,
    },
}

impl SimEvent {
    /// True for the events a reviewer reads one by one (injects, orders, plan rules,
    /// warnings, failures, unit milestones); the household-level ones are counted.
    pub fn on_timeline(&self) -> bool {
        match self {
            Self::InjectApplied { .. }
            | Self::InjectSkipped { .. }
            | Self::OrderIssued { .. }
            | Self::RuleFired { .. }
            | Self::WarningIssued { .. }
            | Self::LeveeBreach { .. }
            | Self::PumpStationFailed { .. }
            | Self::PumpStationRestored { .. }
            | Self::UnitFailed { .. }
            | Self::UnitRestored { .. }
            | Self::CommOutage { .. }
            | Self::RoadClosed { .. }
            | Self::ShelterOpened { .. }
            | Self::ShelterClosed { .. }
            | Self::AtPost { .. }
            | Self::OnScene { .. }
            | Self::PumpingStarted { .. }
            | Self::PumpingStopped { .. }
            | Self::NoRoute { .. }
            | Self::OrderFailed { .. }
            | Self::ZoneAcknowledged { .. }
            | Self::Delivered { .. } => true,
            Self::WarningReceived { .. }
            | Self::Refused { .. }
            | Self::Departed { .. }
            | Self::Rerouted { .. }
            | Self::TurnedAway { .. }
            | Self::Waiting { .. }
            | Self::TookRefuge { .. }
            | Self::StayedHome { .. }
            | Self::Sheltered { .. }
            | Self::LeftDistrict { .. }
            | Self::Trapped { .. }
            | Self::Rescued { .. }
            | Self::Casualty { .. }
            | Self::RescueRequested { .. }
            | Self::NoTeamAvailable { .. }
            | Self::UnitDeparted { .. }
            | Self::RequestReached { .. }
            | Self::PeopleRescued { .. }
            | Self::RequestClosed { .. }
            | Self::UnitReturned { .. } => false,
        }
    }

    /// The event's kind and detail in their serde form (`"at_post"`, `{"post":…}`),
    /// for display.
    pub fn kind_and_detail(&self) -> (String, serde_json::Value) {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut m)) => {
                let kind = match m.remove("kind") {
                    Some(serde_json::Value::String(k)) => k,
                    _ => String::new(),
                };
                (kind, m.remove("detail").unwrap_or(serde_json::Value::Null))
            }
            _ => (String::new(), serde_json::Value::Null),
        }
    }
}

/// Serialise through a JSON value, so the keys of a nested order or inject come out
/// sorted (as the log has always written them).
fn sorted<T: Serialize, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    serde_json::to_value(v)
        .map_err(serde::ser::Error::custom)?
        .serialize(s)
}

fn sorted_opt<T: Serialize, S: serde::Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => sorted(v, s),
        None => s.serialize_none(),
    }
}

/// A household id as the log writes it: `"H7"`.
mod hh_text {
    use super::HouseholdId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &HouseholdId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(h)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<HouseholdId, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a household id (H<number>)"))
        })
    }

    pub fn parse(text: &str) -> Option<HouseholdId> {
        text.strip_prefix('H')?.parse().ok().map(HouseholdId)
    }
}

/// An optional household id as the log writes it.
mod hh_text_opt {
    use super::HouseholdId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &Option<HouseholdId>, s: S) -> Result<S::Ok, S::Error> {
        match h {
            Some(h) => s.collect_str(h),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HouseholdId>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => super::hh_text::parse(&text).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("`{text}` is not a household id (H<number>)"))
            }),
        }
    }
}

/// One entry: when, who, what.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogEntry {
    /// Sim time, s.
    pub t: f64,
    /// Who caused it.
    pub origin: Origin,
    /// What happened.
    #[serde(flatten)]
    pub event: SimEvent,
}

/// The run's event log, in the order entries were made (sim time order).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EventLog {
    /// Entries.
    pub entries: Vec<LogEntry>,
}

impl EventLog {
    /// Add an entry.
    pub fn push(&mut self, t: f64, origin: Origin, event: SimEvent) {
        self.entries.push(LogEntry { t, origin, event });
    }

    /// The entries from index `from` on (a consumer's cursor).
    pub fn since(&self, from: usize) -> &[LogEntry] {
        &self.entries[from.min(self.entries.len())..]
    }

    /// The log as JSON lines.
    pub fn to_jsonl(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            if let Ok(line) = serde_json::to_string(e) {
                s.push_str(&line);
                s.push('\n');
            }
        }
        s
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(event: SimEvent) -> String {
        serde_json::to_string(&LogEntry {
            t: 60.0,
            origin: Origin::Sim,
            event,
        })
        .unwrap()
    }

    #[test]
    fn an_entry_is_written_as_kind_and_detail_with_sorted_keys() {
        let l = line(SimEvent::AtPost {
            post: "P01".into(),
            unit: "T01".into(),
        });
        assert_eq!(
            l,
            r#"{"t":60.0,"origin":"sim","kind":"at_post","detail":{"post":"P01","unit":"T01"}}"#
        );
    }

    #[test]
    fn optional_keys_are_left_out_and_renamed_kinds_keep_their_names() {
        let l = line(SimEvent::RoadClosed {
            inject: None,
            road: "R1".into(),
        });
        assert!(
            l.contains(r#""kind":"road_closed","detail":{"road":"R1"}"#),
            "{l}"
        );
        let l = line(SimEvent::Refused {
            household: HouseholdId(7),
        });
        assert!(
            l.contains(r#""kind":"stays_home","detail":{"household":"#),
            "{l}"
        );
    }

    #[test]
    fn an_entry_reads_back_as_itself() {
        let e = LogEntry {
            t: 5.0,
            origin: Origin::Plan,
            event: SimEvent::PumpStationFailed {
                cells: 3,
                pumps: 0,
                inject: "I1".into(),
                station: "PS1".into(),
                until_s: None,
            },
        };
        let json = serde_json::to_string(&e).unwrap();
        let back: LogEntry = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        let bytes = rmp_serde::to_vec_named(&e).unwrap();
        let back: LogEntry = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }

    #[test]
    fn the_fields_of_every_event_are_declared_in_name_order() {
        // events.jsonl has always had sorted detail keys; serde writes declaration order.
        let src = include_str!("log.rs");
        let body =
            &src[src.find("pub enum SimEvent {").unwrap()..src.find("\nimpl SimEvent").unwrap()];
        let mut fields: Vec<&str> = Vec::new();
        let check = |variant: &str, fields: &mut Vec<&str>| {
            let mut sorted = fields.clone();
            sorted.sort_unstable();
            assert_eq!(
                *fields, sorted,
                "the fields of {variant} are not in name order"
            );
            fields.clear();
        };
        let mut variant = "";
        for line in body.lines() {
            if let Some(v) = line.strip_prefix("    ").filter(|l| l.ends_with(" {")) {
                check(variant, &mut fields);
                variant = v.trim_end_matches(" {");
            } else if let Some(f) = line
                .strip_prefix("        ")
                .filter(|l| !l.starts_with('/') && !l.starts_with('#'))
                && let Some((name, _)) = f.split_once(':')
                && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            {
                fields.push(name);
            }
        }
        check(variant, &mut fields);
    }

    #[test]
    fn kind_and_detail_give_the_serde_names() {
        let (k, d) = SimEvent::UnitFailed { unit: "R1".into() }.kind_and_detail();
        assert_eq!(k, "unit_failed");
        assert_eq!(d["unit"], "R1");
    }
}
