//! Where every household is at the end of a drill, and why: `households_final.csv`
//! (one row per household) and the groups the summary lists (households not safe yet,
//! by state, reason and place).
//!
//! A position is named by [`name_at`]: the nearest place within 80 m (`兴中路下穿
//! (H01)`), else the nearest road (its name, else its id); a household at home is
//! "home".

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::agents::{HouseholdId, HouseholdState, Households, Reason};
use crate::scenario::Scenario;
use crate::world::roads::{RoadGraph, name_at};
use crate::world::vector::Pt;

/// One household at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Whereabout {
    /// The household.
    pub hh: HouseholdId,
    /// Home zone id (`-` outside every zone).
    pub zone: String,
    /// Final state.
    pub state: HouseholdState,
    /// Since, sim seconds.
    pub since: f64,
    /// Map position, metres.
    pub at: Pt,
    /// The place or road there ("home" at home; for a household on its way, the road
    /// and where it is going: "工农路 (R326) → S04").
    pub place: String,
    /// Why it waits, stayed in or took refuge.
    pub reason: Reason,
    /// Persons.
    pub persons: u32,
}

/// True for the final states in which a household is not yet safe, or was caught:
/// the ones the summary lists by place.
pub fn not_safe(st: HouseholdState) -> bool {
    matches!(
        st,
        HouseholdState::Moving
            | HouseholdState::Waiting
            | HouseholdState::Trapped
            | HouseholdState::Casualty
    )
}

/// True for a household that ended in a refuge (safe, but not where it was going).
pub fn in_refuge(st: HouseholdState) -> bool {
    st == HouseholdState::Refuge
}

/// The name of the place or road at `p` ([`name_at`]).
pub fn locate(s: &Scenario, graph: &RoadGraph, p: Pt) -> String {
    name_at(graph, &s.roads, &s.places, p)
}

/// Every household's whereabouts, in id order.
pub fn whereabouts(s: &Scenario, graph: &RoadGraph, hh: &Households) -> Vec<Whereabout> {
    let mut named: BTreeMap<(u64, u64), String> = BTreeMap::new();
    (0..hh.len() as u32)
        .map(HouseholdId)
        .map(|id| {
            let state = hh.state(id);
            let at = hh.position(id, graph);
            let place = if state.at_home() {
                "home".to_string()
            } else if state == HouseholdState::Away {
                format!("离开辖区 left the district ({})", locate(s, graph, at))
            } else if state == HouseholdState::Sheltered {
                hh.target(id)
                    .map(|k| hh.shelters().id(k as usize).to_string())
                    .unwrap_or_else(|| locate(s, graph, at))
            } else {
                let here = named
                    .entry((at.0.to_bits(), at.1.to_bits()))
                    .or_insert_with(|| locate(s, graph, at))
                    .clone();
                // On the way: where to, so a household still moving at the end says so.
                match hh.target(id) {
                    Some(k) if state == HouseholdState::Moving => {
                        let sh = hh.shelters();
                        let to = if sh.kind(k as usize) == crate::agents::DestKind::Exit {
                            "离开辖区 out of the district".to_string()
                        } else {
                            sh.id(k as usize).to_string()
                        };
                        format!("{here} → {to}")
                    }
                    _ => here,
                }
            };
            Whereabout {
                hh: id,
                zone: hh
                    .zone(id)
                    .and_then(|z| s.zones.get(z as usize))
                    .map_or("-".into(), |z| z.id.clone()),
                state,
                since: hh.state_time(id),
                at,
                place,
                reason: hh.reason(id),
                persons: hh.persons(id),
            }
        })
        .collect()
}

/// `households_final.csv`: `household,zone,state,since_s,persons,x,y,place,reason`.
pub fn csv(rows: &[Whereabout]) -> String {
    let mut out = String::from("household,zone,state,since_s,persons,x,y,place,reason\n");
    for w in rows {
        let place = w.place.replace('"', "'");
        let _ = writeln!(
            out,
            "{},{},{},{},{},{:.1},{:.1},\"{}\",{}",
            w.hh, w.zone, w.state, w.since, w.persons, w.at.0, w.at.1, place, w.reason
        );
    }
    out
}

/// A group of households not safe at the end: same state, reason and place.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Group {
    /// Final state.
    pub state: String,
    /// Reason (empty when none).
    pub reason: String,
    /// Place or road.
    pub place: String,
    /// Households.
    pub households: u32,
    /// Persons.
    pub persons: u32,
    /// The earliest of their state times, sim seconds.
    pub since_s: f64,
}

/// The households whose final state passes `which` (e.g. [`not_safe`]), grouped by
/// state, reason and place, most persons first (ties by state, then place).
pub fn groups(rows: &[Whereabout], which: fn(HouseholdState) -> bool) -> Vec<Group> {
    let mut by: BTreeMap<(HouseholdState, Reason, &str), Group> = BTreeMap::new();
    for w in rows.iter().filter(|w| which(w.state)) {
        let g = by
            .entry((w.state, w.reason, w.place.as_str()))
            .or_insert_with(|| Group {
                state: w.state.name().into(),
                reason: w.reason.name().into(),
                place: w.place.clone(),
                households: 0,
                persons: 0,
                since_s: f64::INFINITY,
            });
        g.households += 1;
        g.persons += w.persons;
        g.since_s = g.since_s.min(w.since);
    }
    let mut v: Vec<Group> = by.into_values().collect();
    v.sort_by(|a, b| {
        b.persons
            .cmp(&a.persons)
            .then(a.state.cmp(&b.state))
            .then(a.place.cmp(&b.place))
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(i: u32, state: HouseholdState, place: &str, persons: u32, since: f64) -> Whereabout {
        Whereabout {
            hh: HouseholdId(i),
            zone: "Z01".into(),
            state,
            since,
            at: (0.0, 0.0),
            place: place.into(),
            reason: Reason::CutOff,
            persons,
        }
    }

    #[test]
    fn groups_count_only_households_not_safe_most_persons_first() {
        let rows = vec![
            w(0, HouseholdState::Waiting, "A路 (R1)", 2, 600.0),
            w(1, HouseholdState::Waiting, "A路 (R1)", 3, 300.0),
            w(2, HouseholdState::Sheltered, "S01", 4, 100.0),
            w(3, HouseholdState::Trapped, "H01", 6, 900.0),
            w(4, HouseholdState::InPlace, "home", 1, 50.0),
        ];
        let g = groups(&rows, not_safe);
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].state.as_str(), g[0].persons), ("trapped", 6));
        assert_eq!((g[1].households, g[1].persons, g[1].since_s), (2, 5, 300.0));
        let text = csv(&rows);
        assert_eq!(text.lines().count(), 6);
        assert!(
            text.contains("H1,Z01,waiting,300,3,0.0,0.0,\"A路 (R1)\",cut_off"),
            "{text}"
        );
    }
}
