//! The contingency plan: rules "when condition, then orders", evaluated once per tick
//! on what the trainees can see (visible sensor readings, the clock, rescue requests).
//!
//! A rule fires the first time its condition holds; with `repeat` it fires again each
//! time the condition becomes true after having been false (and on every tick with a new
//! rescue request for `RescueRequested`). Orders it issues carry origin "plan".

use crate::scenario::schema::{Condition, Order, PlanRule};

/// What the rules can see this tick.
pub struct PlanView<'a> {
    /// Sim time, s.
    pub t: f64,
    /// Visible reading of a sensor by id.
    pub reading: &'a dyn Fn(&str) -> Option<f64>,
    /// New rescue requests were raised since the last evaluation.
    pub rescue_requested: bool,
}

/// Firing state of the rules.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PlanState {
    fired: Vec<bool>,
    was_true: Vec<bool>,
}

/// Evaluate a condition.
pub fn holds(c: &Condition, v: &PlanView<'_>) -> bool {
    match c {
        Condition::At(d) => v.t >= d.secs() - 1e-9,
        Condition::SensorAbove(id, x) => (v.reading)(id).is_some_and(|r| r >= *x),
        Condition::SensorBelow(id, x) => (v.reading)(id).is_some_and(|r| r < *x),
        Condition::RescueRequested => v.rescue_requested,
        Condition::All(cs) => cs.iter().all(|c| holds(c, v)),
        Condition::Any(cs) => cs.iter().any(|c| holds(c, v)),
    }
}

fn is_edge_free(c: &Condition) -> bool {
    matches!(c, Condition::RescueRequested)
}

impl PlanState {
    /// Evaluate every rule; return `(rule index, orders)` of the rules that fire, in
    /// rule order.
    pub fn evaluate<'r>(
        &mut self,
        rules: &'r [PlanRule],
        v: &PlanView<'_>,
    ) -> Vec<(usize, &'r [Order])> {
        self.fired.resize(rules.len(), false);
        self.was_true.resize(rules.len(), false);
        let mut out = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let now = holds(&r.when, v);
            let fire = if r.repeat {
                now && (!self.was_true[i] || is_edge_free(&r.when))
            } else {
                now && !self.fired[i]
            };
            if fire {
                self.fired[i] = true;
                out.push((i, r.then.as_slice()));
            }
            self.was_true[i] = now;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Duration;

    fn rule(when: Condition, repeat: bool) -> PlanRule {
        PlanRule {
            id: "r".into(),
            when,
            then: vec![Order::Recall { unit: "T01".into() }],
            repeat,
        }
    }

    #[test]
    fn once_rules_fire_once_and_repeat_rules_on_each_rise() {
        let rules = vec![
            rule(Condition::SensorAbove("WL".into(), 0.2), false),
            rule(Condition::SensorAbove("WL".into(), 0.2), true),
            rule(Condition::At(Duration(60.0)), false),
        ];
        let mut st = PlanState::default();
        let mut fired = Vec::new();
        for (t, level) in [
            (0.0, 0.1),
            (30.0, 0.25),
            (60.0, 0.3),
            (90.0, 0.1),
            (120.0, 0.4),
        ] {
            let f = move |_: &str| Some(level);
            let v = PlanView {
                t,
                reading: &f,
                rescue_requested: false,
            };
            for (i, _) in st.evaluate(&rules, &v) {
                fired.push((t, i));
            }
        }
        assert_eq!(fired, vec![(30.0, 0), (30.0, 1), (60.0, 2), (120.0, 1)]);
    }

    #[test]
    fn all_and_any_combine() {
        let c = Condition::All(vec![
            Condition::At(Duration(10.0)),
            Condition::Any(vec![
                Condition::SensorBelow("A".into(), 1.0),
                Condition::RescueRequested,
            ]),
        ]);
        let f = |_: &str| Some(2.0);
        assert!(!holds(
            &c,
            &PlanView {
                t: 20.0,
                reading: &f,
                rescue_requested: false
            }
        ));
        assert!(holds(
            &c,
            &PlanView {
                t: 20.0,
                reading: &f,
                rescue_requested: true
            }
        ));
        assert!(!holds(
            &c,
            &PlanView {
                t: 5.0,
                reading: &f,
                rescue_requested: true
            }
        ));
        let none = |_: &str| None;
        assert!(!holds(
            &Condition::SensorBelow("A".into(), 1.0),
            &PlanView {
                t: 0.0,
                reading: &none,
                rescue_requested: false
            }
        ));
    }
}
