//! Comparing two runs from their replays: the scorecards side by side, the first moment
//! the two diverge, and difference maps of maximum depth and household outcomes.
//!
//! How it works: both replays are opened at their ends from their last full states (no
//! re-simulation), so the scorecards, maxima and household states are those the runs
//! ended with. The divergence comes from the snapshot digests the two files share by
//! time; where both hold full states at the last shared moment, the two drills are
//! restored there and stepped tick by tick in lockstep to name the first tick whose
//! states differ.

use std::path::Path;

use serde::Serialize;

use super::{ReplayError, open_at};
use crate::agents::HouseholdState;
use crate::engine::DigestScheme;
use crate::engine::Engine;
use crate::scenario::format_clock;
use crate::scoring::Scorecard;

/// Depth differences below this are "the same", m.
pub const DEPTH_TOLERANCE_M: f64 = 0.05;

/// How the two runs relate and where they part.
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    /// B branches from A (or A from B), at this time, s.
    pub branch_at: Option<f64>,
    /// Which file is the branch (`a` or `b`).
    pub branch_of: Option<String>,
    /// The last shared snapshot whose digests agree, s.
    pub same_until: Option<f64>,
    /// The first shared snapshot whose digests differ, s.
    pub differ_at: Option<f64>,
    /// The first tick whose states differ (found by stepping both), and its end time.
    pub first_tick: Option<(u64, f64)>,
    /// The first input (command) that differs: time and what, in A and in B.
    pub first_input: Option<(f64, String, String)>,
}

/// The stretch of the drill a replay covers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Span {
    /// Sim time it ends at (its scorecard is that of this moment), s.
    pub end_t: f64,
    /// How it ended: `completed`, `interrupted`, `failed`, or `cut short` (the run did
    /// not close the file: killed, or still running).
    pub status: String,
    /// The scenario's duration, s.
    pub duration_s: f64,
}

impl Span {
    fn of(r: &super::Replay, e: &Engine) -> Self {
        let duration_s = e
            .world()
            .resource::<crate::engine::ScenarioRes>()
            .0
            .duration();
        Self {
            end_t: e.clock().t,
            status: r
                .end
                .as_ref()
                .map_or("cut short".to_string(), |e| e.status.clone()),
            duration_s,
        }
    }

    fn describe(&self) -> String {
        let whole = if self.end_t + 1e-9 >= self.duration_s {
            "the whole drill".to_string()
        } else {
            format!(
                "{} of {}",
                format_clock(self.end_t),
                format_clock(self.duration_s)
            )
        };
        format!(
            "ends at {} ({}, {whole})",
            format_clock(self.end_t),
            self.status
        )
    }
}

/// Household outcomes at the end, A against B.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutcomeChange {
    /// Households whose outcome is better in B.
    pub better_in_b: u32,
    /// Households whose outcome is worse in B.
    pub worse_in_b: u32,
    /// Persons by final state in A.
    pub persons_a: serde_json::Map<String, serde_json::Value>,
    /// Persons by final state in B.
    pub persons_b: serde_json::Map<String, serde_json::Value>,
}

/// Maximum depth, A against B.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DepthChange {
    /// Cells at least [`DEPTH_TOLERANCE_M`] deeper in B.
    pub deeper_cells: usize,
    /// Cells at least [`DEPTH_TOLERANCE_M`] shallower in B.
    pub shallower_cells: usize,
    /// Largest increase, m.
    pub max_increase_m: f64,
    /// Largest decrease, m.
    pub max_decrease_m: f64,
}

/// What `floodrill compare` finds.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Scenario name (of A).
    pub scenario_name: String,
    /// File A.
    pub a: String,
    /// File B.
    pub b: String,
    /// The two embed the same scenario text.
    pub same_scenario: bool,
    /// Where they part.
    pub divergence: Divergence,
    /// What each run covers: where it ends and how (each is scored at its own end).
    pub span_a: Span,
    /// What run B covers.
    pub span_b: Span,
    /// Scorecard of A at its end.
    pub scorecard_a: Scorecard,
    /// Scorecard of B at its end.
    pub scorecard_b: Scorecard,
    /// Maximum depth.
    pub max_depth: DepthChange,
    /// Households.
    pub households: OutcomeChange,
}

impl Comparison {
    /// Where the runs part, one sentence a line: the branch relation, the divergence
    /// and the first different input (for the terminal and `compare.html`).
    pub fn divergence_lines(&self) -> Vec<String> {
        let d = &self.divergence;
        let mut out = Vec::new();
        if !self.same_scenario {
            out.push("note: the two replays embed different scenario texts".into());
        }
        if let (Some(t), Some(who)) = (d.branch_at, &d.branch_of) {
            let (child, parent) = if who == "b" { ("B", "A") } else { ("A", "B") };
            out.push(format!(
                "{child} branches from {parent} at {}",
                format_clock(t)
            ));
        }
        let (ea, eb) = (self.span_a.end_t, self.span_b.end_t);
        let shorter = ea.min(eb);
        if (ea - eb).abs() > 1e-9 {
            let (who, other) = if ea < eb { ("A", "B") } else { ("B", "A") };
            out.push(format!(
                "the runs cover different spans: A {}; B {}. {who} ends {} before {other}: each is scored at its own end, so the scorecards are of different moments, and they are compared only up to {}",
                self.span_a.describe(),
                self.span_b.describe(),
                crate::scenario::format_duration((ea - eb).abs()),
                format_clock(shorter)
            ));
        } else if self.span_a.status != "completed" || self.span_b.status != "completed" {
            out.push(format!(
                "both runs end at {} (A {}, B {})",
                format_clock(ea),
                self.span_a.status,
                self.span_b.status
            ));
        }
        out.push(match (d.same_until, d.differ_at) {
            (_, None) => format!(
                "the two runs do not diverge at any shared snapshot up to {}{}",
                format_clock(d.same_until.map_or(shorter, |t| t.min(shorter))),
                if (ea - eb).abs() > 1e-9 {
                    " (nothing is known of the longer run's rest)"
                } else {
                    ""
                }
            ),
            (Some(t0), Some(t1)) => format!(
                "diverge: identical up to {}, different at the snapshot at {}{}",
                format_clock(t0),
                format_clock(t1),
                d.first_tick.map_or(String::new(), |(tick, t)| format!(
                    "; the first different state is after tick {tick} ({})",
                    format_clock(t)
                ))
            ),
            (None, Some(t1)) => format!(
                "diverge: different from the first shared snapshot, at {}",
                format_clock(t1)
            ),
        });
        if let Some((t, x, y)) = &d.first_input {
            out.push(format!(
                "first different input at {}:\n  A: {x}\n  B: {y}",
                format_clock(*t)
            ));
        }
        out
    }
}

/// What the difference maps of a comparison show: the district, both runs' maximum
/// depth per cell, and the households whose outcome changed. The report draws them.
pub struct DiffData {
    /// The scenario of run A (terrain, grid).
    pub scenario: std::sync::Arc<crate::scenario::Scenario>,
    /// Maximum depth per cell in A, m.
    pub max_depth_a: Vec<f32>,
    /// Maximum depth per cell in B, m.
    pub max_depth_b: Vec<f32>,
    /// Home position of each household whose outcome changed, and whether it fared
    /// better in B.
    pub changed: Vec<(crate::world::Pt, bool)>,
}

/// Compare two replays. Both must be of the same district (grid and households).
pub fn compare(
    a: &Path,
    b: &Path,
    threads: Option<usize>,
) -> Result<(Comparison, DiffData), ReplayError> {
    let (ea, _, _) = open_at(a, f64::INFINITY, threads)?;
    let (eb, _, _) = open_at(b, f64::INFINITY, threads)?;
    let (ra, rb) = (super::read(a)?, super::read(b)?);
    let (span_a, span_b) = (Span::of(&ra, &ea), Span::of(&rb, &eb));
    let pa = a.display().to_string();
    let misfit = |what: String| ReplayError::Diverged {
        path: b.display().to_string(),
        message: format!("cannot be compared with {pa}: {what}"),
    };
    let wa = &ea.world().resource::<crate::engine::hydro::Water>().0;
    let wb = &eb.world().resource::<crate::engine::hydro::Water>().0;
    if wa.spec() != wb.spec() {
        return Err(misfit("the two runs are on different grids".into()));
    }
    let hha = &ea
        .world()
        .resource::<crate::engine::people::People>()
        .households;
    let hhb = &eb
        .world()
        .resource::<crate::engine::people::People>()
        .households;
    if hha.len() != hhb.len() {
        return Err(misfit(format!(
            "{} households against {}",
            hha.len(),
            hhb.len()
        )));
    }
    // Divergence.
    let mut d = Divergence {
        branch_at: None,
        branch_of: None,
        same_until: None,
        differ_at: None,
        first_tick: None,
        first_input: None,
    };
    for (who, child, parent) in [("b", &rb, &ra), ("a", &ra, &rb)] {
        if let Some(p) = &child.header.parent
            && p.header_hash == parent.header_hash()
        {
            d.branch_at = Some(p.at);
            d.branch_of = Some(who.into());
        }
    }
    let sa: std::collections::BTreeMap<u64, (f64, &str)> = ra
        .snapshots
        .iter()
        .map(|(_, s)| (s.tick, (s.t, s.digest.as_str())))
        .collect();
    for (_, s) in &rb.snapshots {
        if let Some(&(t, dg)) = sa.get(&s.tick) {
            if dg == s.digest {
                if d.differ_at.is_none() {
                    d.same_until = Some(t);
                }
            } else if d.differ_at.is_none() {
                d.differ_at = Some(t);
            }
        }
    }
    // A branch shares its parent's past even where it holds no snapshot of it.
    if let (Some(t), None) = (d.branch_at, d.same_until) {
        d.same_until = Some(t);
    }
    if let (Some(t0), Some(t1)) = (d.same_until, d.differ_at) {
        d.first_tick = first_divergent_tick(a, b, t0, t1, threads)?;
    }
    let ca = ra
        .commands
        .iter()
        .map(|c| (c.t, format!("{} {}", c.kind, c.what)));
    let cb: Vec<(f64, String)> = rb
        .commands
        .iter()
        .map(|c| (c.t, format!("{} {}", c.kind, c.what)))
        .collect();
    let ca: Vec<(f64, String)> = ca.collect();
    let n = ca.len().max(cb.len());
    for k in 0..n {
        let (x, y) = (ca.get(k), cb.get(k));
        if x != y {
            let t = match (x, y) {
                (Some(x), Some(y)) => x.0.min(y.0),
                (Some(x), None) | (None, Some(x)) => x.0,
                (None, None) => 0.0,
            };
            let show = |c: Option<&(f64, String)>| {
                c.map_or("(none)".to_string(), |c| {
                    format!("{} {}", format_clock(c.0), c.1)
                })
            };
            d.first_input = Some((t, show(x), show(y)));
            break;
        }
    }
    // Scorecards.
    let card_a = crate::engine::scoring::scorecard(ea.world());
    let card_b = crate::engine::scoring::scorecard(eb.world());
    // Depth maxima.
    let (ma, mb) = (&wa.outputs().max_depth, &wb.outputs().max_depth);
    let mut dc = DepthChange::default();
    for (x, y) in ma.iter().zip(mb) {
        let diff = *y as f64 - *x as f64;
        if diff >= DEPTH_TOLERANCE_M {
            dc.deeper_cells += 1;
        } else if diff <= -DEPTH_TOLERANCE_M {
            dc.shallower_cells += 1;
        }
        dc.max_increase_m = dc.max_increase_m.max(diff);
        dc.max_decrease_m = dc.max_decrease_m.max(-diff);
    }
    // Households.
    let mut oc = OutcomeChange::default();
    let (sta, stb) = (hha.states(), hhb.states());
    let mut changed = Vec::new();
    for (i, (x, y)) in sta.iter().zip(stb).enumerate() {
        match HouseholdState::outcome_rank(*y).cmp(&HouseholdState::outcome_rank(*x)) {
            std::cmp::Ordering::Less => {
                oc.better_in_b += 1;
                changed.push((i, true));
            }
            std::cmp::Ordering::Greater => {
                oc.worse_in_b += 1;
                changed.push((i, false));
            }
            std::cmp::Ordering::Equal => {}
        }
    }
    let ta = hha.counts_by_state_and_zone();
    let tb = hhb.counts_by_state_and_zone();
    for st in HouseholdState::ALL {
        oc.persons_a
            .insert(st.name().into(), ta.total_persons(st).into());
        oc.persons_b
            .insert(st.name().into(), tb.total_persons(st).into());
    }
    let maps = diff_data(&ea, ma, mb, &changed);
    Ok((
        Comparison {
            scenario_name: ea
                .world()
                .resource::<crate::engine::ScenarioRes>()
                .0
                .file
                .meta
                .name
                .clone(),
            a: pa,
            b: b.display().to_string(),
            same_scenario: ra.header.scenario_hash == rb.header.scenario_hash,
            divergence: d,
            span_a,
            span_b,
            scorecard_a: card_a,
            scorecard_b: card_b,
            max_depth: dc,
            households: oc,
        },
        maps,
    ))
}

/// Restore both drills at `t0` and step them in lockstep until their states differ
/// (at most to `t1`). None when either file has no exact state at or before `t0`.
fn first_divergent_tick(
    a: &Path,
    b: &Path,
    t0: f64,
    t1: f64,
    threads: Option<usize>,
) -> Result<Option<(u64, f64)>, ReplayError> {
    let (mut ea, ra, sa) = open_at(a, t0, threads)?;
    let (mut eb, _, sb) = open_at(b, t0, threads)?;
    // Both exactly at t0 (each from its keyframe before it, re-simulated).
    if (sa.t - t0).abs() > 1e-9 || (sb.t - t0).abs() > 1e-9 || ra.states.is_empty() {
        return Ok(None);
    }
    while ea.clock().t < t1 - 1e-9 && !ea.finished() && !eb.finished() {
        let fail = |e: crate::engine::TickFailure| ReplayError::Diverged {
            path: a.display().to_string(),
            message: e.to_string(),
        };
        ea.tick().map_err(fail)?;
        eb.tick().map_err(fail)?;
        // The quick digest (water, households, forces, sensors) finds the tick.
        if ea.digest_by(DigestScheme::Parts) != eb.digest_by(DigestScheme::Parts) {
            let c = ea.clock();
            return Ok(Some((c.tick, c.t)));
        }
    }
    Ok(None)
}

fn diff_data(e: &Engine, ma: &[f32], mb: &[f32], changed: &[(usize, bool)]) -> DiffData {
    let scenario = e.world().resource::<crate::engine::ScenarioRes>().0.clone();
    let p = e.world().resource::<crate::engine::people::People>();
    let changed = changed
        .iter()
        .filter_map(|&(i, better)| {
            let n = p
                .households
                .home_node(crate::agents::HouseholdId(i as u32))?;
            Some((p.graph.pos(n), better))
        })
        .collect();
    DiffData {
        scenario,
        max_depth_a: ma.to_vec(),
        max_depth_b: mb.to_vec(),
        changed,
    }
}
