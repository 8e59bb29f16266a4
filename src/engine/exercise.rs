//! The exercise in the tick: virtual sensors (`SimSet::Sense`), the contingency plan's
//! rules and the orders they issue (`SimSet::Inputs`), and the event log.
//!
//! Orders issued this tick are put in [`IssuedOrders`]; each domain's adapter carries
//! out the ones it owns in `SimSet::Inputs` after [`evaluate_plan`] (people: warnings,
//! shelters, road closures). Orders no domain carries out yet (the forces' orders) are
//! logged as `order_not_simulated`, so a reviewer sees the plan asked for them.

use bevy::prelude::*;

use super::hydro::Water;
use super::{RunSeed, ScenarioRes, register_digest};
use crate::exercise::log::{EventLog, Origin};
use crate::exercise::plan::{PlanState, PlanView};
use crate::exercise::sensors::{Measure, Sensor};
use crate::exercise::{SimClock, SimSet, SimTick};
use crate::scenario::schema::{Order, SensorKind};

/// The virtual sensors, in scenario order.
#[derive(Resource, Debug, Clone, Default)]
pub struct Sensors(pub Vec<Sensor>);

/// The plan rules' firing state.
#[derive(Resource, Debug, Clone, Default)]
pub struct Plan(pub PlanState);

/// The run's event log.
#[derive(Resource, Debug, Clone, Default)]
pub struct Log(pub EventLog);

/// An order issued this tick.
#[derive(Debug, Clone)]
pub struct IssuedOrder {
    /// Sim time, s.
    pub t: f64,
    /// Who issued it.
    pub origin: Origin,
    /// The order.
    pub order: Order,
}

/// Orders issued this tick, for the domains to carry out in `SimSet::Inputs`.
#[derive(Resource, Debug, Clone, Default)]
pub struct IssuedOrders(pub Vec<IssuedOrder>);

/// New rescue requests raised since the plan last looked (set by the people adapter).
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct RescueRequested(pub bool);

/// Adds sensors, plan evaluation and the log to `SimTick`.
pub struct ExercisePlugin;

impl Plugin for ExercisePlugin {
    fn build(&self, app: &mut App) {
        let scenario = app.world().resource::<ScenarioRes>().0.clone();
        let seed = app.world().resource::<RunSeed>().0;
        let sensors = scenario
            .file
            .sensors
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let at = scenario.location(&s.at)?;
                let measure = match &s.kind {
                    SensorKind::WaterLevel => Measure::WaterDepth,
                    SensorKind::RainGauge => Measure::Rain,
                    SensorKind::PumpStatus(u) => Measure::PumpStatus(u.clone()),
                };
                Some(Sensor::new(
                    &s.id,
                    measure,
                    at,
                    s.noise,
                    s.latency.secs(),
                    s.interval.secs(),
                    seed,
                    i as u64,
                ))
            })
            .collect();
        app.insert_resource(Sensors(sensors))
            .init_resource::<Plan>()
            .init_resource::<Log>()
            .init_resource::<IssuedOrders>()
            .init_resource::<RescueRequested>()
            .add_systems(SimTick, evaluate_plan.in_set(SimSet::Inputs))
            .add_systems(SimTick, sample_sensors.in_set(SimSet::Sense));
        register_digest(app, "sensors", |w, h| {
            for s in &w.resource::<Sensors>().0 {
                if let Some(r) = s.visible() {
                    h.update(&r.t_sample.to_le_bytes());
                    h.update(&r.value.to_le_bytes());
                }
            }
        });
    }
}

/// Evaluate the plan's rules on what the trainees see at the start of the tick and
/// issue the orders of the rules that fire.
pub fn evaluate_plan(
    clock: Res<SimClock>,
    scenario: Res<ScenarioRes>,
    sensors: Res<Sensors>,
    mut plan: ResMut<Plan>,
    mut log: ResMut<Log>,
    mut issued: ResMut<IssuedOrders>,
    mut rescue: ResMut<RescueRequested>,
) {
    issued.0.clear();
    let reading = |id: &str| {
        sensors
            .0
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.visible())
            .map(|r| r.value)
    };
    let view = PlanView {
        t: clock.t,
        reading: &reading,
        rescue_requested: rescue.0,
    };
    rescue.0 = false;
    let rules = &scenario.0.file.plan;
    for (i, orders) in plan.0.evaluate(rules, &view) {
        log.0.push(
            clock.t,
            Origin::Plan,
            "rule_fired",
            serde_json::json!({ "rule": rules[i].id }),
        );
        for o in orders {
            let detail = serde_json::to_value(o).unwrap_or_default();
            log.0.push(
                clock.t,
                Origin::Plan,
                "order",
                serde_json::json!({ "rule": rules[i].id, "order": detail }),
            );
            let owned_by_people = matches!(
                o,
                Order::Warn { .. }
                    | Order::OpenShelter(_)
                    | Order::CloseShelter(_)
                    | Order::CloseRoad(_)
            );
            if !owned_by_people {
                log.0.push(
                    clock.t,
                    Origin::Sim,
                    "order_not_simulated",
                    serde_json::json!({ "order": detail, "why": "teams and robots are not simulated in this version" }),
                );
            }
            issued.0.push(IssuedOrder {
                t: clock.t,
                origin: Origin::Plan,
                order: o.clone(),
            });
        }
    }
}

/// Sample the sensors at the end of the tick from the true water and rain.
pub fn sample_sensors(
    clock: Res<SimClock>,
    water: Option<Res<Water>>,
    mut sensors: ResMut<Sensors>,
) {
    let t = clock.t_end();
    for s in &mut sensors.0 {
        let truth = match (&s.measure, &water) {
            (Measure::WaterDepth, Some(w)) => {
                w.0.spec()
                    .cell_at(s.at.0, s.at.1)
                    .map(|(r, c)| w.0.depth_grid_at(r, c))
            }
            (Measure::Rain, Some(w)) => {
                Some(w.0.rain_field().intensity_at(w.0.spec(), s.at.0, s.at.1, t))
            }
            _ => None,
        };
        s.advance(t, truth);
    }
}
