//! The exercise in the tick: virtual sensors (`SimSet::Sense`), the contingency plan's
//! rules and the orders they issue (`SimSet::Inputs`), and the event log.
//!
//! Orders issued this tick are put in [`IssuedOrders`]; each domain's adapter carries
//! out the ones it owns in `SimSet::Inputs` after [`evaluate_plan`] (people: warnings,
//! shelters, road closures). Orders no domain carries out yet (the forces' orders) are
//! logged as `order_not_simulated`, so a reviewer sees the plan asked for them.

use bevy::prelude::*;

use super::{RunSeed, ScenarioRes, register_digest, state_fns};
use crate::exercise::commands::{Command, CommandKind, scenario_injects};
use crate::exercise::log::{EventLog, Origin, SimEvent};
use crate::exercise::plan::{PlanState, PlanView};
use crate::exercise::sensors::{Measure, Sensor};
use crate::exercise::{SimClock, SimSet, SimTick};
use crate::scenario::schema::{InjectEvent, Order, SensorKind};

/// The virtual sensors, in scenario order.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Sensors(pub Vec<Sensor>);

/// The plan rules' firing state.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Plan(pub PlanState);

/// The run's event log.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Log(pub EventLog);

/// An order issued this tick.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IssuedOrder {
    /// Sim time, s.
    pub t: f64,
    /// Who issued it.
    pub origin: Origin,
    /// The order.
    pub order: Order,
    /// The plan rule that issued it, if any.
    pub rule: Option<String>,
}

/// Orders issued this tick, for the domains to carry out in `SimSet::Inputs`.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct IssuedOrders(pub Vec<IssuedOrder>);

/// A rescue request is waiting for a team: raised since the plan last looked (set by
/// the people and forces adapters), or still unassigned at a minute boundary.
#[derive(Resource, Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct RescueRequested(pub bool);

/// Commands from outside the plan, in time order: the scenario's injects, a command
/// stream, and whatever the live API pushes. Applied when due in `SimSet::Inputs`.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Inbox {
    /// Pending commands, sorted by time (stable).
    pub pending: std::collections::VecDeque<Command>,
}

impl Inbox {
    /// Add commands (kept in time order; equal times keep arrival order).
    pub fn push(&mut self, cmds: impl IntoIterator<Item = Command>) {
        let mut v: Vec<Command> = self.pending.drain(..).collect();
        v.extend(cmds);
        v.sort_by(|a, b| a.t.total_cmp(&b.t));
        self.pending = v.into();
    }
}

/// Status of pump stations and robots by id, for `PumpStatus` sensors: 0 failed,
/// 1 in working order (idle or travelling), 2 pumping.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct UnitStatus(pub std::collections::BTreeMap<String, f64>);

/// An inject due this tick.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DueInject {
    /// Sim time, s.
    pub t: f64,
    /// Inject id.
    pub id: String,
    /// What happens.
    pub event: InjectEvent,
}

/// Injects due this tick, for the domains to carry out in `SimSet::Inputs`.
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct DueInjects(pub Vec<DueInject>);

/// Every order and inject applied so far with its time and origin (for the replay and
/// the report).
#[derive(Resource, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Applied(pub Vec<Command>);

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
        for (name, save, load) in [
            state_fns::<Sensors>("sensors"),
            state_fns::<Plan>("plan"),
            state_fns::<Log>("log"),
            state_fns::<IssuedOrders>("issued_orders"),
            state_fns::<RescueRequested>("rescue_requested"),
            state_fns::<DueInjects>("due_injects"),
            state_fns::<Applied>("applied"),
            state_fns::<UnitStatus>("unit_status"),
        ] {
            super::register_state(app, name, save, load);
        }
        let (name, save, load) = state_fns::<Inbox>("inbox");
        super::register_input(app, name, save, load);
        app.insert_resource(Sensors(sensors))
            .init_resource::<Plan>()
            .init_resource::<Log>()
            .init_resource::<IssuedOrders>()
            .init_resource::<RescueRequested>()
            .init_resource::<DueInjects>()
            .init_resource::<Applied>()
            .init_resource::<UnitStatus>()
            .insert_resource(Inbox {
                pending: scenario_injects(&scenario).into(),
            })
            .add_systems(
                SimTick,
                (apply_inbox, evaluate_plan).chain().in_set(SimSet::Inputs),
            );
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
            SimEvent::RuleFired {
                rule: rules[i].id.clone(),
            },
        );
        for o in orders {
            log.0.push(
                clock.t,
                Origin::Plan,
                SimEvent::OrderIssued {
                    order: o.clone(),
                    rule: Some(rules[i].id.clone()),
                    source: None,
                },
            );
            issued.0.push(IssuedOrder {
                t: clock.t,
                origin: Origin::Plan,
                order: o.clone(),
                rule: Some(rules[i].id.clone()),
            });
        }
    }
}

/// Take the commands due by the start of this tick from the inbox: orders go to
/// [`IssuedOrders`], injects to [`DueInjects`]; both are logged with their origin.
pub fn apply_inbox(
    clock: Res<SimClock>,
    mut inbox: ResMut<Inbox>,
    mut issued: ResMut<IssuedOrders>,
    mut due: ResMut<DueInjects>,
    mut applied: ResMut<Applied>,
    mut log: ResMut<Log>,
) {
    issued.0.clear();
    due.0.clear();
    while inbox.pending.front().is_some_and(|c| c.t <= clock.t + 1e-9) {
        let Some(c) = inbox.pending.pop_front() else {
            break;
        };
        match &c.kind {
            CommandKind::Order(o) => {
                log.0.push(
                    clock.t,
                    c.origin,
                    SimEvent::OrderIssued {
                        order: o.clone(),
                        rule: None,
                        source: Some(c.source.clone()),
                    },
                );
                issued.0.push(IssuedOrder {
                    t: clock.t,
                    origin: c.origin,
                    order: o.clone(),
                    rule: None,
                });
            }
            CommandKind::Inject(e) => {
                log.0.push(
                    clock.t,
                    c.origin,
                    SimEvent::InjectApplied {
                        event: e.clone(),
                        id: c.id.clone(),
                        source: c.source.clone(),
                    },
                );
                due.0.push(DueInject {
                    t: clock.t,
                    id: c.id.clone(),
                    event: e.clone(),
                });
            }
            CommandKind::Skip(id) => {
                let before = inbox.pending.len();
                inbox
                    .pending
                    .retain(|p| !(p.source.starts_with("injects[") && &p.id == id));
                if inbox.pending.len() < before {
                    log.0.push(
                        clock.t,
                        c.origin,
                        SimEvent::InjectSkipped {
                            id: id.clone(),
                            source: c.source.clone(),
                        },
                    );
                }
            }
        }
        applied.0.push(c);
    }
}
