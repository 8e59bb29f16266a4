//! Scoring in the tick: `track_score` (`SimSet::Score`) keeps the facts the rubric
//! needs as the drill runs — each zone's hazard onset (the first road edge in the zone,
//! of a zone with residents, at the onset depth), hotspot depths, the last rain,
//! pre-position orders and arrivals, pump and robot failures and whether a robot
//! pumped at the failed site, shelter peaks. [`scorecard`] turns them, with the
//! households' and forces' state, into a [`Scorecard`] at any moment (the GUI's live
//! card, the end-of-run card).

use bevy::prelude::*;

use super::ScenarioRes;
use super::exercise::{IssuedOrders, Log, UnitStatus};
use super::forces::ForcesRes;
use super::hydro::{StationFailures, Water};
use super::people::{People, Warnings};
use crate::exercise::log::SimEvent;
use crate::exercise::{SimClock, SimSet, SimTick};
use crate::forces::{RobotState, dist};
use crate::scenario::schema::{Condition, Order, Rubric};
use crate::scoring::{
    Facts, FailureFacts, HotspotFacts, PostFacts, RequestFacts, Scorecard, ShelterFacts,
    WarningFacts, ZoneFacts, default_rubric, onset_depth, score,
};
use crate::world::roads::EdgeId;
use crate::world::{PlaceKind, rasterize_zones};

/// The rubric in force (the scenario's, or the default).
#[derive(Resource, Debug, Clone)]
pub struct RubricRes(pub Rubric);

/// A hotspot: place id, name, grid cell.
/// A hotspot: id, name, cell, the drainage rate of its land class (mm/h).
type HotspotCell = (String, String, Option<(usize, usize)>, f64, Option<String>);

/// A failure under way: its facts, the failed robot's site, the failed station's cells
/// (sorted).
type OpenFailure = (FailureFacts, Option<(f64, f64)>, Vec<usize>);

/// Facts gathered as the drill runs.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ScoreTracker {
    /// Onset per zone: time, road id, depth.
    onset: Vec<Option<(f64, String, f64)>>,
    hotspots_max: Vec<f64>,
    hotspots_after: Vec<Vec<(f64, f64)>>,
    last_rain: Option<f64>,
    rain_volume: f64,
    posts: Vec<PostFacts>,
    failures: Vec<OpenFailure>,
    shelter_peak: Vec<u32>,
    /// When hazard (HR at the trapping threshold) first reached each household's home
    /// street, s (∞: never).
    hh_onset: Vec<f64>,
    log_cursor: usize,
    last_sample: f64,
}

/// What the tracker reads and never changes, derived from the scenario when the drill
/// is set up: rebuilt on load, never saved (a snapshot holds no copy of the setup).
#[derive(Resource, Debug, Clone, Default)]
pub struct ScoreSetup {
    /// Zone index of each road edge (none: outside every zone).
    edge_zone: Vec<Option<u32>>,
    /// Zones with residents.
    occupied: Vec<bool>,
    /// Hotspots: id, name, cell, drainage rate, the pump station lifting its water.
    hotspot_cells: Vec<HotspotCell>,
    /// Grid cell of each household's home (its road node), if inside the grid.
    home_cell: Vec<Option<u32>>,
}

/// Adds the score tracker to `SimTick`.
pub struct ScoringPlugin;

impl Plugin for ScoringPlugin {
    fn build(&self, app: &mut App) {
        let scenario = app.world().resource::<ScenarioRes>().0.clone();
        let s = &scenario;
        let rubric = s.file.rubric.clone().unwrap_or_else(default_rubric);
        let spec = s.dem.spec;
        let mut tr = ScoreTracker {
            last_sample: -1e18,
            ..Default::default()
        };
        let mut su = ScoreSetup::default();
        if let Some(p) = app.world().get_resource::<People>() {
            let ids = rasterize_zones(&spec, &s.zones);
            su.edge_zone = (0..p.graph.edge_count() as u32)
                .map(|e| {
                    let m = p.graph.edge(EdgeId(e)).mid;
                    ids.sample(m.0, m.1)
                        .copied()
                        .filter(|&v| v > 0)
                        .map(|v| (v - 1) as u32)
                })
                .collect();
            let t = p.households.counts_by_state_and_zone();
            su.occupied = (0..s.zones.len())
                .map(|z| t.households[z].iter().sum::<u32>() > 0)
                .collect();
            tr.shelter_peak = vec![0; p.households.shelters().len()];
            let hh = &p.households;
            su.home_cell = (0..hh.len())
                .map(|i| {
                    let n = hh.home_node(crate::agents::HouseholdId(i as u32))?;
                    let q = p.graph.pos(n);
                    spec.cell_at(q.0, q.1).map(|(r, c)| spec.idx(r, c) as u32)
                })
                .collect();
            tr.hh_onset = vec![f64::INFINITY; hh.len()];
        }
        tr.onset = vec![None; s.zones.len()];
        for pl in &s.places {
            if pl.kind == PlaceKind::Hotspot {
                let cell = spec.cell_at(pl.at.0, pl.at.1);
                let network_only = s
                    .file
                    .drainage
                    .as_ref()
                    .is_some_and(|d| s.network.is_some() && !d.class_drainage);
                let drainage = if network_only {
                    0.0
                } else {
                    cell.and_then(|(r, c)| {
                        let code = s.landuse.data[spec.idx(r, c)];
                        s.file.district.land_classes.iter().find(|k| k.code == code)
                    })
                    .map_or(0.0, |k| k.drainage_mm_h)
                };
                su.hotspot_cells.push((
                    pl.id.clone(),
                    pl.name.clone(),
                    cell,
                    drainage,
                    hotspot_station(s, pl.at),
                ));
            }
        }
        tr.hotspots_max = vec![0.0; su.hotspot_cells.len()];
        tr.hotspots_after = vec![Vec::new(); su.hotspot_cells.len()];
        super::register_state_resource::<ScoreTracker>(app, "score_tracker");
        app.insert_resource(RubricRes(rubric))
            .insert_resource(tr)
            .insert_resource(su)
            .add_systems(SimTick, track_score.in_set(SimSet::Score));
    }
}

#[allow(clippy::too_many_arguments)]
fn track_score(
    clock: Res<SimClock>,
    scenario: Res<ScenarioRes>,
    rubric: Res<RubricRes>,
    issued: Res<IssuedOrders>,
    status: Res<UnitStatus>,
    log: Res<Log>,
    people: Option<Res<People>>,
    water: Option<Res<Water>>,
    forces: Option<Res<ForcesRes>>,
    stations: Option<Res<StationFailures>>,
    su: Res<ScoreSetup>,
    mut tr: ResMut<ScoreTracker>,
) {
    let t = clock.t_end();
    let s = &scenario.0;
    let tr = &mut *tr;
    let od = onset_depth(&rubric.0);
    if let Some(p) = &people {
        for (e, z) in su.edge_zone.iter().enumerate() {
            let Some(z) = *z else { continue };
            let zi = z as usize;
            if tr.onset[zi].is_some() || !su.occupied.get(zi).copied().unwrap_or(false) {
                continue;
            }
            let d = p.costs.depth(EdgeId(e as u32));
            if d >= od {
                tr.onset[zi] = Some((t, p.graph.road_id(EdgeId(e as u32)).to_string(), d));
            }
        }
        let sh = p.households.shelters();
        for k in 0..tr.shelter_peak.len() {
            tr.shelter_peak[k] = tr.shelter_peak[k].max(sh.occupancy(k));
        }
    }
    if let Some(w) = &water {
        let rain = w.0.balance().rain;
        if rain > tr.rain_volume + 1e-9 {
            tr.last_rain = Some(t);
        }
        tr.rain_volume = rain;
        let sample = t >= tr.last_sample + 60.0 - 1e-9;
        for (k, (_, _, cell, _, _)) in su.hotspot_cells.iter().enumerate() {
            let Some((r, c)) = *cell else { continue };
            let d = w.0.depth_grid_at(r, c);
            tr.hotspots_max[k] = tr.hotspots_max[k].max(d);
            if sample && tr.last_rain.is_some_and(|lr| lr < t) {
                tr.hotspots_after[k].push((t, d));
            }
            if tr.last_rain == Some(t) {
                tr.hotspots_after[k].clear();
            }
        }
        if sample {
            // Hazard reaches a home when the street at its door becomes dangerous to
            // walk through: HR = d·(v + 0.5) + DF at the trapping threshold of the
            // scenario's `population.hazard`.
            if let Some(p) = &people {
                let hz = &p.households.params().hazard;
                let nc = w.0.spec().ncols;
                for (i, cell) in su.home_cell.iter().enumerate() {
                    let Some(c) = *cell else { continue };
                    let d = w.0.depth_grid_at(c as usize / nc, c as usize % nc);
                    if !tr.hh_onset[i].is_infinite() || hz.rating(d, 0.0) < hz.hr_threshold * 0.5 {
                        continue;
                    }
                    let (u, v) = w.0.velocity(c as usize / nc, c as usize % nc);
                    if hz.rating(d, u.hypot(v)) >= hz.hr_threshold {
                        tr.hh_onset[i] = t;
                    }
                }
            }
            tr.last_sample = t;
        }
    }
    for io in &issued.0 {
        if let Order::PrePosition { unit, post } = &io.order {
            tr.posts.push(PostFacts {
                unit: unit.clone(),
                post: post.clone(),
                ordered: io.t,
                arrived: None,
            });
        }
    }
    for e in log.0.since(tr.log_cursor) {
        if let SimEvent::AtPost { unit, post } = &e.event
            && let Some(p) = tr
                .posts
                .iter_mut()
                .rev()
                .find(|p| &p.unit == unit && &p.post == post && p.arrived.is_none())
        {
            p.arrived = Some(e.t);
        }
    }
    tr.log_cursor = log.0.entries.len();
    // Failures: open on status 0, close when back; compensated when a robot pumps there.
    for (unit, &v) in &status.0 {
        let open = tr
            .failures
            .iter()
            .position(|f| &f.0.unit == unit && f.0.restored.is_none());
        match (v == 0.0, open) {
            (true, None) => {
                let (site, cells) = match s.place(unit) {
                    Some(_) => (
                        None,
                        stations
                            .as_ref()
                            .and_then(|st| st.0.iter().find(|f| &f.station == unit))
                            .map(|f| f.cells.clone())
                            .unwrap_or_default(),
                    ),
                    None => (
                        forces
                            .as_ref()
                            .and_then(|f| f.0.robot_index(unit).map(|k| f.0.robots[k].pos)),
                        Vec::new(),
                    ),
                };
                tr.failures.push((
                    FailureFacts {
                        unit: unit.clone(),
                        t,
                        restored: None,
                        compensated: None,
                    },
                    site,
                    cells,
                ));
            }
            (false, Some(k)) => tr.failures[k].0.restored = Some(t),
            _ => {}
        }
    }
    if let Some(f) = &forces {
        let spec = s.dem.spec;
        for (ff, site, cells) in tr.failures.iter_mut() {
            if ff.restored.is_some() || ff.compensated.is_some() {
                continue;
            }
            for r in &f.0.robots {
                if r.state != RobotState::Pumping || r.spec.id == ff.unit {
                    continue;
                }
                let here = match site {
                    Some(p) => dist(*p, r.pos) <= 500.0,
                    None => spec
                        .cell_at(r.pos.0, r.pos.1)
                        .is_some_and(|(rr, cc)| cells.binary_search(&spec.idx(rr, cc)).is_ok()),
                };
                if here {
                    ff.compensated = Some((r.spec.id.clone(), t));
                    break;
                }
            }
        }
    }
}

/// Rules whose condition reads a sensor.
fn on_sensor(c: &Condition) -> bool {
    match c {
        Condition::SensorAbove(..) | Condition::SensorBelow(..) => true,
        Condition::All(v) | Condition::Any(v) => v.iter().any(on_sensor),
        _ => false,
    }
}

/// The facts of the run so far.
pub fn facts(world: &World) -> Facts {
    let s = &world.resource::<ScenarioRes>().0;
    let clock = world.resource::<SimClock>();
    let tr = world.resource::<ScoreTracker>();
    let end = clock.t;
    let mut zones: Vec<ZoneFacts> = s
        .zones
        .iter()
        .enumerate()
        .map(|(z, zz)| ZoneFacts {
            id: zz.id.clone(),
            onset: tr.onset.get(z).cloned().flatten().map(|o| o.0),
            onset_where: tr.onset.get(z).cloned().flatten().map(|o| (o.1, o.2)),
            ..Default::default()
        })
        .collect();
    let mut shelters = Vec::new();
    if let Some(p) = world.get_resource::<People>() {
        let hh = &p.households;
        use crate::agents::{HouseholdId, HouseholdState as S};
        for i in 0..hh.len() {
            let id = HouseholdId(i as u32);
            let Some(z) = hh.zone(id) else { continue };
            let zf = &mut zones[z as usize];
            let persons = hh.persons(id);
            zf.persons += persons;
            let st = hh.state(id);
            // At risk: hazard reached the home, or the household was caught in water.
            let home_onset = tr.hh_onset.get(i).copied().unwrap_or(f64::INFINITY);
            let caught = matches!(st, S::Trapped | S::Rescued | S::Casualty);
            if home_onset.is_finite() || caught {
                zf.at_risk_persons += persons;
                // Safe before the water came by the plan: in a shelter, or staying in
                // upstairs as told. Not a refuge taken where it was stopped, nor staying
                // in because no shelter could be reached: those are the plan failing.
                if hh.state_time(id) <= home_onset {
                    match st {
                        S::Sheltered => {
                            zf.sheltered_before_onset += persons;
                            zf.safe_before_onset += persons;
                        }
                        S::Away => {
                            zf.away_before_onset += persons;
                            zf.safe_before_onset += persons;
                        }
                        S::InPlace if hh.reason(id) == crate::agents::Reason::Ordered => {
                            zf.in_place_before_onset += persons;
                            zf.safe_before_onset += persons
                        }
                        _ => {}
                    }
                }
            }
            if matches!(st, S::Trapped | S::Rescued | S::Casualty) {
                zf.caught_households += 1;
                zf.caught_persons += persons;
            }
        }
        for (z, zf) in zones.iter_mut().enumerate() {
            zf.acknowledged = hh.zone_ack_time(z as u32).filter(|&a| a <= end);
        }
        let sh = hh.shelters();
        shelters = (0..sh.len())
            .filter(|&k| sh.kind(k) != crate::agents::DestKind::Exit)
            .map(|k| ShelterFacts {
                id: sh.id(k).to_string(),
                peak: tr.shelter_peak.get(k).copied().unwrap_or(0),
                capacity: sh.capacity(k),
            })
            .collect();
    }
    let rules = &s.file.plan;
    let warnings: Vec<WarningFacts> = world
        .get_resource::<Warnings>()
        .map(|w| {
            w.0.iter()
                .map(|wi| WarningFacts {
                    t: wi.t,
                    zones: wi
                        .zones
                        .iter()
                        .filter_map(|z| s.zones.iter().position(|zz| &zz.id == z))
                        .collect(),
                    channel: wi.channel.clone(),
                    from_sensor_rule: wi
                        .rule
                        .as_ref()
                        .is_some_and(|r| rules.iter().any(|pr| &pr.id == r && on_sensor(&pr.when))),
                    rule: wi.rule.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    for w in &warnings {
        for &z in &w.zones {
            let zf = &mut zones[z];
            if zf.warned.is_none_or(|x| w.t < x) {
                zf.warned = Some(w.t);
            }
        }
    }
    let people = world.get_resource::<People>();
    let requests = world
        .get_resource::<ForcesRes>()
        .map(|f| {
            f.0.requests
                .iter()
                .map(|r| RequestFacts {
                    place: people.map_or_else(String::new, |p| {
                        crate::world::roads::name_at(&p.graph, &s.roads, &s.places, r.at)
                    }),
                    id: r.id,
                    t: r.t,
                    persons: r.persons,
                    false_report: r.false_report,
                    reached: r.reached,
                    unit: r.assigned.map(|k| f.0.teams[k].spec.id.clone()),
                    closed: r.closed.map(|c| {
                        (
                            c.0,
                            serde_json::to_value(c.1)
                                .ok()
                                .and_then(|v| v.as_str().map(String::from))
                                .unwrap_or_default(),
                        )
                    }),
                })
                .collect()
        })
        .unwrap_or_default();
    let hotspots = world
        .resource::<ScoreSetup>()
        .hotspot_cells
        .iter()
        .enumerate()
        .map(|(k, (id, name, _, drainage, station))| HotspotFacts {
            id: id.clone(),
            name: name.clone(),
            drainage_mm_h: *drainage,
            station: station.clone(),
            max_depth: tr.hotspots_max[k],
            after_rain: tr.hotspots_after[k].clone(),
        })
        .collect();
    Facts {
        zones,
        warnings,
        posts: tr.posts.clone(),
        requests,
        hotspots,
        failures: tr.failures.iter().map(|f| f.0.clone()).collect(),
        shelters,
        rain_stopped: tr.last_rain.filter(|&lr| lr < end),
        end,
        live: !clock.finished(),
    }
}

/// The scorecard of the run so far.
pub fn scorecard(world: &World) -> Scorecard {
    let rubric = &world.resource::<RubricRes>().0;
    score(rubric, &facts(world))
}

/// The pump station lifting a hotspot's water: the station whose pumps draw from the
/// wet well nearest the hotspot, within 300 m (none without a pipe network).
fn hotspot_station(s: &crate::scenario::Scenario, at: crate::world::vector::Pt) -> Option<String> {
    let net = s.network.as_ref()?;
    let mut best: Option<(f64, String)> = None;
    for p in s.places.iter().filter(|p| p.kind == PlaceKind::PumpStation) {
        for l in crate::setup::hydro::station_pumps(s, p) {
            let Some((x, y)) = net.nodes[net.links[l].from].xy else {
                continue;
            };
            let d = (x - at.0).hypot(y - at.1);
            if d <= 300.0 && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                best = Some((d, p.id.clone()));
            }
        }
    }
    best.map(|(_, id)| id)
}
