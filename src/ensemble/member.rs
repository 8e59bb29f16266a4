//! One member: its draws (a pure function of the ensemble's hash and the member's
//! index, the same for every plan — common random numbers), the plan scenario with
//! those draws applied, and the run that turns it into a [`MemberResult`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::spec::{Dist, Ensemble, TimeDist};
use crate::scenario::schema::{Boundary, InjectEvent, RainSource, Series};
use crate::scenario::{Duration, ScenarioFile};

/// What a member draws. `None`: not varied (the scenario's own value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Draws {
    /// Seed of the member's runs (every plan gets the same).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub seed: Option<u64>,
    /// Chicago return period, years.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub return_period_years: Option<f64>,
    /// Factor on every rain intensity.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rain_scale: Option<f64>,
    /// Chicago peak position.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peak_ratio: Option<f64>,
    /// Chicago storm duration, s.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub storm_duration_s: Option<f64>,
    /// Chicago storm start, s.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub storm_start_s: Option<f64>,
    /// Moving-cell track shift east, m.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub track_shift_x_m: Option<f64>,
    /// Moving-cell track shift north, m.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub track_shift_y_m: Option<f64>,
    /// Change of river stage, m.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub river_stage_m: Option<f64>,
    /// Factor on warning reception and acknowledgement times.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub warning_delay_scale: Option<f64>,
    /// Factor on mobilisation delays.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mobilisation_scale: Option<f64>,
    /// Compliance share.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub compliance: Option<f64>,
    /// The unit that fails and when (s), if this member has a failure.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pump_failure: Option<(String, f64)>,
    /// Teams that join late and when (s).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub late_teams: Vec<(String, f64)>,
}

impl Draws {
    /// The drawn values as (name, text) pairs for tables, in a fixed order.
    pub fn columns(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let f = |v: f64| format!("{v:.4}");
        let t = |v: f64| crate::scenario::format_duration(v);
        if let Some(v) = self.seed {
            out.push(("seed", v.to_string()));
        }
        let nums: [(&'static str, Option<f64>, bool); 11] = [
            ("return_period_years", self.return_period_years, false),
            ("rain_scale", self.rain_scale, false),
            ("peak_ratio", self.peak_ratio, false),
            ("storm_duration", self.storm_duration_s, true),
            ("storm_start", self.storm_start_s, true),
            ("track_shift_x_m", self.track_shift_x_m, false),
            ("track_shift_y_m", self.track_shift_y_m, false),
            ("river_stage_m", self.river_stage_m, false),
            ("warning_delay_scale", self.warning_delay_scale, false),
            ("mobilisation_scale", self.mobilisation_scale, false),
            ("compliance", self.compliance, false),
        ];
        for (name, v, time) in nums {
            if let Some(v) = v {
                out.push((name, if time { t(v) } else { f(v) }));
            }
        }
        if let Some((u, at)) = &self.pump_failure {
            out.push(("pump_failure", format!("{u} at {}", t(*at))));
        }
        if !self.late_teams.is_empty() {
            let v: Vec<String> = self
                .late_teams
                .iter()
                .map(|(u, at)| format!("{u} from {}", t(*at)))
                .collect();
            out.push(("late_teams", v.join(", ")));
        }
        out
    }
}

fn draw_num(d: &Dist, rng: &mut impl RngExt) -> f64 {
    let u: f64 = rng.random();
    match d {
        Dist::Fixed(v) => *v,
        Dist::Uniform(a, b) => a + (b - a) * u,
        Dist::LogUniform(a, b) => (a.ln() + (b.ln() - a.ln()) * u).exp(),
        Dist::Triangular(a, m, b) => {
            if b <= a {
                return *a;
            }
            let fc = (m - a) / (b - a);
            if u < fc {
                a + ((b - a) * (m - a) * u).sqrt()
            } else {
                b - ((b - a) * (b - m) * (1.0 - u)).sqrt()
            }
        }
        Dist::Choice(v) => v[((u * v.len() as f64) as usize).min(v.len() - 1)],
    }
}

fn draw_time(d: &TimeDist, rng: &mut impl RngExt) -> f64 {
    let u: f64 = rng.random();
    let s = match d {
        TimeDist::Fixed(v) => v.secs(),
        TimeDist::Uniform(a, b) => a.secs() + (b.secs() - a.secs()) * u,
        TimeDist::Choice(v) => v[((u * v.len() as f64) as usize).min(v.len() - 1)].secs(),
    };
    s.round()
}

/// The draws of member `index`: each quantity from its own stream of (the ensemble's
/// hash, index, quantity), so adding a quantity to the specification never changes
/// the others' draws.
pub fn draws(e: &Ensemble, index: u32) -> Draws {
    let seed = e.draw_seed();
    let v = &e.file.vary;
    let stream = |name: &str| crate::rng::stream(seed, index as u64, &format!("ensemble/{name}"));
    let num = |name: &str, d: &Option<Dist>| d.as_ref().map(|d| draw_num(d, &mut stream(name)));
    let time =
        |name: &str, d: &Option<TimeDist>| d.as_ref().map(|d| draw_time(d, &mut stream(name)));
    Draws {
        seed: v.seeds.then(|| stream("seed").random::<u64>() >> 11),
        return_period_years: num("return_period_years", &v.return_period_years),
        rain_scale: num("rain_scale", &v.rain_scale),
        peak_ratio: num("peak_ratio", &v.peak_ratio),
        storm_duration_s: time("storm_duration", &v.storm_duration),
        storm_start_s: time("storm_start", &v.storm_start),
        track_shift_x_m: num("track_shift_x_m", &v.track_shift_x_m),
        track_shift_y_m: num("track_shift_y_m", &v.track_shift_y_m),
        river_stage_m: num("river_stage_m", &v.river_stage_m),
        warning_delay_scale: num("warning_delay_scale", &v.warning_delay_scale),
        mobilisation_scale: num("mobilisation_scale", &v.mobilisation_scale),
        compliance: num("compliance", &v.compliance),
        pump_failure: v.pump_failure.as_ref().and_then(|pf| {
            let mut r = stream("pump_failure");
            let u: f64 = r.random();
            (u < pf.probability && !pf.units.is_empty()).then(|| {
                let k: f64 = r.random();
                let unit = pf.units[((k * pf.units.len() as f64) as usize).min(pf.units.len() - 1)]
                    .clone();
                (unit, draw_time(&pf.at, &mut r))
            })
        }),
        late_teams: v
            .team_availability
            .as_ref()
            .map(|ta| {
                let mut r = stream("team_availability");
                let mut late = Vec::new();
                for t in &ta.teams {
                    let u: f64 = r.random();
                    let at = draw_time(&ta.late_by, &mut r);
                    if u >= ta.probability {
                        late.push((t.clone(), at));
                    }
                }
                late
            })
            .unwrap_or_default(),
    }
}

fn scale_series(s: &mut Series, k: f64) {
    if let Series::Points(p) = s {
        for (_, v) in p.iter_mut() {
            *v *= k;
        }
    }
}

fn shift_series(s: &mut Series, d: f64) {
    if let Series::Points(p) = s {
        for (_, v) in p.iter_mut() {
            *v += d;
        }
    }
}

/// A plan's scenario with a member's draws applied.
pub fn apply(file: &ScenarioFile, d: &Draws, pump_failure_for: Option<Duration>) -> ScenarioFile {
    let mut f = file.clone();
    if let Some(seed) = d.seed {
        f.meta.seed = seed;
    }
    for src in &mut f.rain.sources {
        match src {
            RainSource::Chicago {
                a1,
                return_period_years,
                duration,
                peak_ratio,
                start,
                ..
            } => {
                if let Some(v) = d.return_period_years {
                    *return_period_years = v;
                }
                if let Some(v) = d.rain_scale {
                    *a1 *= v;
                }
                if let Some(v) = d.peak_ratio {
                    *peak_ratio = v;
                }
                if let Some(v) = d.storm_duration_s {
                    *duration = Duration(v);
                }
                if let Some(v) = d.storm_start_s {
                    *start = Duration(v);
                }
            }
            RainSource::Uniform { series } => {
                if let Some(k) = d.rain_scale {
                    scale_series(series, k);
                }
            }
            RainSource::MovingCell {
                peak_mm_h, track, ..
            } => {
                if let Some(k) = d.rain_scale {
                    *peak_mm_h *= k;
                }
                for p in track.iter_mut() {
                    p.1 += d.track_shift_x_m.unwrap_or(0.0);
                    p.2 += d.track_shift_y_m.unwrap_or(0.0);
                }
            }
            RainSource::Frames { .. } => {}
        }
    }
    if let Some(dz) = d.river_stage_m {
        let river = super::spec::river_codes(&f);
        for l in &mut f.hydro.initial_levels {
            if river.contains(&l.landuse) {
                l.level_m += dz;
            }
        }
        for b in &mut f.boundaries {
            if let Boundary::Stage { series, .. } = b {
                shift_series(series, dz);
            }
        }
    }
    if let Some(k) = d.warning_delay_scale {
        for c in &mut f.warnings.channels {
            c.half_time = Duration((c.half_time.secs() * k).round().max(1.0));
        }
        if let Some(a) = &mut f.warnings.ack_delay {
            *a = Duration((a.secs() * k).round());
        }
    }
    if let Some(k) = d.mobilisation_scale {
        let m = &mut f.population.mobilisation;
        m.median_day = Duration((m.median_day.secs() * k).round().max(1.0));
        m.median_night = Duration((m.median_night.secs() * k).round().max(1.0));
    }
    if let Some(c) = d.compliance {
        f.population.mobilisation.compliance = c;
    }
    for (team, at) in &d.late_teams {
        for t in f.forces.teams.iter_mut().filter(|t| &t.id == team) {
            t.available_from = Duration(*at);
        }
    }
    if let Some((unit, at)) = &d.pump_failure {
        f.injects.push(crate::scenario::schema::Inject {
            id: format!("ensemble: {unit} fails 集合成员故障"),
            at: Duration(*at),
            event: InjectEvent::PumpFailure {
                unit: unit.clone(),
                duration: pump_failure_for,
            },
        });
    }
    f
}

/// Draws with every varied quantity at its lower (or upper) bound, a pump failure at
/// the earliest (latest) time of the first (last) unit: the corners [`super::load`]
/// checks.
pub fn bound_draws(e: &Ensemble, high: bool) -> Draws {
    let v = &e.file.vary;
    let pick = |xs: &[f64]| {
        let it = xs.iter().copied();
        if high {
            it.fold(f64::NEG_INFINITY, f64::max)
        } else {
            it.fold(f64::INFINITY, f64::min)
        }
    };
    let num = |d: &Option<Dist>| {
        d.as_ref().map(|d| match d {
            Dist::Fixed(x) => *x,
            Dist::Uniform(a, b) | Dist::LogUniform(a, b) => pick(&[*a, *b]),
            Dist::Triangular(a, m, b) => pick(&[*a, *m, *b]),
            Dist::Choice(xs) => pick(xs),
        })
    };
    let time = |d: &Option<TimeDist>| {
        d.as_ref().map(|d| match d {
            TimeDist::Fixed(x) => x.secs().round(),
            TimeDist::Uniform(a, b) => pick(&[a.secs(), b.secs()]).round(),
            TimeDist::Choice(xs) => pick(&xs.iter().map(|x| x.secs()).collect::<Vec<_>>()).round(),
        })
    };
    Draws {
        seed: draws(e, 0).seed,
        return_period_years: num(&v.return_period_years),
        rain_scale: num(&v.rain_scale),
        peak_ratio: num(&v.peak_ratio),
        storm_duration_s: time(&v.storm_duration),
        storm_start_s: time(&v.storm_start),
        track_shift_x_m: num(&v.track_shift_x_m),
        track_shift_y_m: num(&v.track_shift_y_m),
        river_stage_m: num(&v.river_stage_m),
        warning_delay_scale: num(&v.warning_delay_scale),
        mobilisation_scale: num(&v.mobilisation_scale),
        compliance: num(&v.compliance),
        pump_failure: v.pump_failure.as_ref().and_then(|pf| {
            let unit = if high {
                pf.units.last()
            } else {
                pf.units.first()
            }?;
            Some((unit.clone(), time(&Some(pf.at.clone()))?))
        }),
        // At the lower corner every team is there; at the upper one every listed team
        // joins at the latest time.
        late_teams: match (&v.team_availability, high) {
            (Some(ta), true) => {
                let at = time(&Some(ta.late_by.clone())).unwrap_or(0.0);
                ta.teams.iter().map(|t| (t.clone(), at)).collect()
            }
            _ => Vec::new(),
        },
    }
}

/// The checked scenario plan `plan` runs in member `index`.
pub fn member_scenario(
    e: &Ensemble,
    plan: usize,
    index: u32,
) -> Result<crate::scenario::Scenario, String> {
    scenario_with(e, plan, &draws(e, index))
}

/// The checked scenario of plan `plan` with these draws.
pub fn scenario_with(
    e: &Ensemble,
    plan: usize,
    d: &Draws,
) -> Result<crate::scenario::Scenario, String> {
    let p = &e.plans[plan];
    let duration = e.file.vary.pump_failure.as_ref().and_then(|pf| pf.duration);
    let f = apply(&p.scenario.file, d, duration);
    let text = ron::ser::to_string_pretty(&f, ron::ser::PrettyConfig::default())
        .map_err(|e| format!("the varied scenario cannot be written: {e}"))?;
    // The varied scenario's text is generated: name the fields, not its lines.
    crate::setup::load_str(&p.path, text).map_err(|e| {
        e.diagnostics
            .iter()
            .map(|d| {
                if d.field.is_empty() {
                    d.message.clone()
                } else {
                    format!("{}: {}", d.field, d.message)
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// One criterion of a member's scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Score 0–100.
    pub score: f64,
    /// Passed.
    pub pass: bool,
}

/// What one plan gave in one member: everything the merge needs, nothing that
/// depends on the machine (no wall times), so a rerun anywhere writes the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberResult {
    /// The ensemble's hash.
    pub ensemble_hash: String,
    /// Plan id.
    pub plan: String,
    /// Member index.
    pub member: u32,
    /// The member's draws.
    pub draws: Draws,
    /// Run status (completed, failed).
    pub status: String,
    /// Why a failed run failed.
    #[serde(default)]
    pub failure: Option<String>,
    /// Overall score, if judged.
    pub overall: Option<f64>,
    /// Overall pass, if judged.
    pub pass: Option<bool>,
    /// The criteria.
    pub criteria: Vec<CriterionResult>,
    /// Numbers for distributions (persons not safe, trapped, rescued, max depth, …).
    pub measures: BTreeMap<String, f64>,
    /// Every rescue request's response time, s (reached − raised).
    pub rescue_response_s: Vec<f64>,
    /// The run's final state digest.
    pub final_state_digest: String,
    /// The grid of the masks.
    pub grid: crate::world::GridSpec,
    /// Cells whose maximum depth passed 0.15 m: a bit per cell, row-major, base64.
    pub wet_015: String,
    /// Cells whose maximum depth passed 0.5 m.
    pub wet_05: String,
}

/// A bit mask of `cells` cells from a predicate, base64.
pub fn pack_mask(cells: usize, f: impl Fn(usize) -> bool) -> String {
    use base64::Engine as _;
    let mut bytes = vec![0u8; cells.div_ceil(8)];
    for i in 0..cells {
        if f(i) {
            bytes[i / 8] |= 1 << (i % 8);
        }
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The bits of a mask written by [`pack_mask`] (`None` if it is not one of `cells`).
pub fn unpack_mask(text: &str, cells: usize) -> Option<Vec<bool>> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    if bytes.len() != cells.div_ceil(8) {
        return None;
    }
    Some(
        (0..cells)
            .map(|i| bytes[i / 8] >> (i % 8) & 1 == 1)
            .collect(),
    )
}

fn clock_secs(v: Option<&serde_json::Value>) -> Option<f64> {
    let t = v?.as_str()?;
    let mut parts = t.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

/// Run plan `plan` in member `index` into `dir` (its run folder is `dir/run`), on
/// `threads` kernel threads, and return the result (not yet written).
pub fn run_member(
    e: &Ensemble,
    plan: usize,
    index: u32,
    dir: &Path,
    threads: usize,
    stop: &Arc<AtomicBool>,
) -> Result<MemberResult, String> {
    let d = draws(e, index);
    let scenario = Arc::new(scenario_with(e, plan, &d)?);
    let out = dir.join("run");
    let opts = crate::run::RunOptions {
        out: out.clone(),
        until: e.file.until.map(|u| u.secs()),
        engine: crate::engine::EngineOptions {
            seed: None,
            threads: Some(threads),
        },
        commands: e.plans[plan].commands.clone(),
        no_replay: true,
        ..Default::default()
    };
    let mut quiet = |_: f64, _: f64, _: f64| {};
    let summary = crate::run::run(scenario.clone(), &opts, stop, &mut quiet)
        .map_err(|e| format!("the run failed: {e}"))?;
    if summary.status == crate::run::RunStatus::Interrupted {
        return Err("interrupted".into());
    }
    let status = serde_json::to_value(summary.status)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let fig = &summary.figures;
    let mut measures = BTreeMap::new();
    for k in [
        "persons_not_safe_at_end",
        "persons_trapped",
        "persons_rescued",
        "rescue_requests",
        "max_depth_m",
        "rain_m3",
        "pumped_m3",
        "persons_told_to_evacuate",
        "persons_told_to_evacuate_never_safe",
    ] {
        if let Some(v) = fig.get(k).and_then(|v| v.as_f64()) {
            measures.insert(k.to_string(), v);
        }
    }
    for (k, name) in [
        ("clearance_90_percent", "clearance_90_s"),
        ("clearance_100_percent", "clearance_100_s"),
    ] {
        if let Some(s) = clock_secs(fig.get(k)) {
            measures.insert(name.to_string(), s);
        }
    }
    let depth = crate::world::read_asc(&out.join("max_depth.asc"))
        .map_err(|e| format!("cannot read the run's maximum depth: {e}"))?;
    let cells = depth.grid.data.len();
    let dd = &depth.grid.data;
    let wet = dd.iter().filter(|v| **v > 0.15).count();
    measures.insert(
        "area_over_0_15m_m2".into(),
        wet as f64 * depth.grid.spec.cell * depth.grid.spec.cell,
    );
    let rescue_response_s = read_responses(&out.join("rescues.csv"))?;
    let (overall, pass, criteria) = match &summary.scorecard {
        Some(card) => (
            Some(card.overall),
            Some(card.pass),
            card.criteria
                .iter()
                .map(|c| CriterionResult {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    score: c.score,
                    pass: c.pass,
                })
                .collect(),
        ),
        None => (None, None, Vec::new()),
    };
    Ok(MemberResult {
        ensemble_hash: e.hash.clone(),
        plan: e.plans[plan].spec.id.clone(),
        member: index,
        draws: d,
        status,
        failure: summary.failure.clone(),
        overall,
        pass,
        criteria,
        measures,
        rescue_response_s,
        final_state_digest: summary.final_state_digest.clone(),
        grid: depth.grid.spec,
        wet_015: pack_mask(cells, |i| dd[i] > 0.15),
        wet_05: pack_mask(cells, |i| dd[i] > 0.5),
    })
}

fn read_responses(path: &Path) -> Result<Vec<f64>, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Vec::new());
    };
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let Some(col) = headers.iter().position(|h| h == "response_s") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for r in rdr.records() {
        let r = r.map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(v) = r.get(col).and_then(|v| v.trim().parse::<f64>().ok()) {
            out.push(v);
        }
    }
    Ok(out)
}
