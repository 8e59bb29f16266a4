//! The forces' inputs: a checked scenario → teams and robots at their depots.

use crate::forces::{Forces, RobotSpec, TeamKind, TeamSpec};
use crate::scenario::Scenario;
use crate::scenario::schema::TeamKind as SchemaKind;

/// Build the forces of a scenario (units at their depots).
pub fn build_forces(s: &Scenario) -> Forces {
    let f = &s.file.forces;
    let depot = |id: &str| s.place(id).map_or((f64::NAN, f64::NAN), |p| p.at);
    let teams = f
        .teams
        .iter()
        .map(|t| TeamSpec {
            id: t.id.clone(),
            name: t.name.clone(),
            kind: match t.kind {
                SchemaKind::Vehicle => TeamKind::Vehicle,
                SchemaKind::Boat => TeamKind::Boat,
                SchemaKind::OnFoot => TeamKind::OnFoot,
            },
            crew: t.crew,
            capacity: t.capacity,
            wading_limit_m: t.wading_limit_m,
            speed_m_s: t.speed_kmh / 3.6,
            rescue_s_per_person: t.rescue_time_per_person.secs(),
            depot: depot(&t.depot),
        })
        .collect();
    let robots = f
        .robots
        .iter()
        .map(|r| RobotSpec {
            id: r.id.clone(),
            name: r.name.clone(),
            capacity_m3_s: r.capacity_m3_h / 3600.0,
            setup_s: r.setup.secs(),
            wading_limit_m: r.wading_limit_m,
            speed_m_s: r.speed_kmh / 3.6,
            hose_reach_m: r.hose_reach_m,
            discharge_reach_m: r.discharge_reach_m,
            depot: depot(&r.depot),
        })
        .collect();
    Forces::new(teams, robots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_start_at_their_depots_in_si_units() {
        let sc = crate::setup::tests::mini();
        let f = build_forces(&sc);
        let depot = sc.place("D01").expect("the depot").at;
        let t = &f.teams[0].spec;
        assert_eq!(t.id, "T01");
        assert_eq!(t.kind, TeamKind::Boat);
        assert!((t.speed_m_s - 8.0 / 3.6).abs() < 1e-12);
        assert_eq!(t.depot, depot);
        let r = &f.robots[0].spec;
        assert!((r.capacity_m3_s - 500.0 / 3600.0).abs() < 1e-12);
        assert_eq!(r.setup_s, 600.0);
        assert_eq!(f.robots[0].pos, depot);
    }
}
