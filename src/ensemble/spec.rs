//! The ensemble specification (RON): the plans to compare, how many members, and what
//! varies from member to member and how. Loading checks every field against every
//! plan's scenario (a return period needs a Chicago storm, a pump failure a pump
//! station), and each problem names the file, line:column and field.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::exercise::commands::Command;
use crate::scenario::locate::Locator;
use crate::scenario::schema::{Boundary, RainSource, Series};
use crate::scenario::{Diagnostic, Duration, Scenario, ScenarioError};

/// The most members an ensemble may have.
pub const MAX_MEMBERS: u32 = 100_000;

/// An ensemble specification file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Ensemble")]
pub struct EnsembleFile {
    /// Name shown in the report.
    pub name: String,
    /// What the ensemble asks.
    #[serde(default)]
    pub description: String,
    /// The plans to compare. The first is the baseline the others are compared with.
    pub plans: Vec<PlanSpec>,
    /// Members (storms, delays, seeds): every plan runs on every member.
    pub members: u32,
    /// Seed of the member draws (changing it draws another ensemble).
    #[serde(default)]
    pub seed: u64,
    /// Stop each run at this sim time instead of the scenario's end.
    #[serde(default)]
    pub until: Option<Duration>,
    /// What varies per member.
    #[serde(default)]
    pub vary: Vary,
    /// Bootstrap resamples for the confidence intervals.
    #[serde(default = "default_bootstrap")]
    pub bootstrap: u32,
}

fn default_bootstrap() -> u32 {
    2000
}

/// One plan: a scenario (its plan rules, forces and rubric), optionally with a command
/// stream of timed orders.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    /// Short id (letters, digits, `_`, `-`): names the plan's folders.
    pub id: String,
    /// Name shown in the report.
    pub name: String,
    /// The scenario file, relative to the specification.
    pub scenario: String,
    /// A command stream of timed orders (`run --orders` format), relative to the
    /// specification.
    #[serde(default)]
    pub orders: Option<String>,
}

/// A number drawn per member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Dist {
    /// Always this value.
    Fixed(f64),
    /// Uniform between the two bounds.
    Uniform(f64, f64),
    /// Log-uniform between the two (positive) bounds: as many members per decade.
    LogUniform(f64, f64),
    /// Triangular: (low, mode, high).
    Triangular(f64, f64, f64),
    /// One of the values, each as likely.
    Choice(Vec<f64>),
}

/// A duration drawn per member (rounded to whole seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TimeDist {
    /// Always this duration.
    Fixed(Duration),
    /// Uniform between the two bounds.
    Uniform(Duration, Duration),
    /// One of the durations, each as likely.
    Choice(Vec<Duration>),
}

/// What varies from member to member. Every field is optional; a missing field keeps
/// the plan scenario's own value.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vary {
    /// Return period of every Chicago design storm, years.
    #[serde(default)]
    pub return_period_years: Option<Dist>,
    /// A factor on every rain intensity (IDF scaling): Chicago A1, uniform series,
    /// moving cells.
    #[serde(default)]
    pub rain_scale: Option<Dist>,
    /// Peak position of every Chicago storm, a fraction of its duration.
    #[serde(default)]
    pub peak_ratio: Option<Dist>,
    /// Duration of every Chicago storm.
    #[serde(default)]
    pub storm_duration: Option<TimeDist>,
    /// Start of every Chicago storm after sim time 0.
    #[serde(default)]
    pub storm_start: Option<TimeDist>,
    /// East shift of every moving cell's track, metres.
    #[serde(default)]
    pub track_shift_x_m: Option<Dist>,
    /// North shift of every moving cell's track, metres.
    #[serde(default)]
    pub track_shift_y_m: Option<Dist>,
    /// Added to every stage boundary and to the initial level of the river, metres.
    #[serde(default)]
    pub river_stage_m: Option<Dist>,
    /// A factor on every warning channel's half-reception time and on the
    /// acknowledgement delay.
    #[serde(default)]
    pub warning_delay_scale: Option<Dist>,
    /// A factor on the households' median mobilisation delays (day and night).
    #[serde(default)]
    pub mobilisation_scale: Option<Dist>,
    /// Share of households that act on a warning, 0–1.
    #[serde(default)]
    pub compliance: Option<Dist>,
    /// A pump station or robot that fails in some members.
    #[serde(default)]
    pub pump_failure: Option<PumpFailureVary>,
    /// Teams that join late in some members.
    #[serde(default)]
    pub team_availability: Option<TeamAvailabilityVary>,
    /// Draw every member's seed (households' and channels' random streams); `false`
    /// keeps each scenario's seed.
    #[serde(default = "yes")]
    pub seeds: bool,
}

impl Default for Vary {
    fn default() -> Self {
        Self {
            return_period_years: None,
            rain_scale: None,
            peak_ratio: None,
            storm_duration: None,
            storm_start: None,
            track_shift_x_m: None,
            track_shift_y_m: None,
            river_stage_m: None,
            warning_delay_scale: None,
            mobilisation_scale: None,
            compliance: None,
            pump_failure: None,
            team_availability: None,
            seeds: true,
        }
    }
}

fn yes() -> bool {
    true
}

impl Vary {
    /// Each varied quantity's distribution as written (RON), by the name its draws
    /// carry in tables.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        fn text<T: Serialize>(v: &T) -> String {
            ron::ser::to_string(v).unwrap_or_default()
        }
        let mut out = Vec::new();
        if self.seeds {
            out.push(("seed", "drawn per member 每个成员不同".to_string()));
        }
        let nums: [(&'static str, &Option<Dist>); 9] = [
            ("return_period_years", &self.return_period_years),
            ("rain_scale", &self.rain_scale),
            ("peak_ratio", &self.peak_ratio),
            ("track_shift_x_m", &self.track_shift_x_m),
            ("track_shift_y_m", &self.track_shift_y_m),
            ("river_stage_m", &self.river_stage_m),
            ("warning_delay_scale", &self.warning_delay_scale),
            ("mobilisation_scale", &self.mobilisation_scale),
            ("compliance", &self.compliance),
        ];
        for (k, v) in nums {
            if let Some(d) = v {
                out.push((k, text(d)));
            }
        }
        for (k, v) in [
            ("storm_duration", &self.storm_duration),
            ("storm_start", &self.storm_start),
        ] {
            if let Some(d) = v {
                out.push((k, text(d)));
            }
        }
        if let Some(pf) = &self.pump_failure {
            out.push((
                "pump_failure",
                format!(
                    "p = {}, one of {}, at {}{}",
                    pf.probability,
                    pf.units.join(", "),
                    text(&pf.at),
                    pf.duration
                        .map(|d| format!(", for {d}"))
                        .unwrap_or_default()
                ),
            ));
        }
        if let Some(ta) = &self.team_availability {
            out.push((
                "late_teams",
                format!(
                    "each of {} there from the start with p = {}, else joins at {}",
                    ta.teams.join(", "),
                    ta.probability,
                    text(&ta.late_by)
                ),
            ));
        }
        out
    }
}

/// A pump failure drawn per member.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PumpFailureVary {
    /// Probability that a member has a failure, 0–1.
    pub probability: f64,
    /// The pump stations (place ids) or robots that may fail; one is drawn.
    pub units: Vec<String>,
    /// When it fails.
    pub at: TimeDist,
    /// How long until restored (default: for the rest of the drill).
    #[serde(default)]
    pub duration: Option<Duration>,
}

/// Teams drawn as late per member: each listed team is there from the start with
/// `probability`, otherwise it joins at a time drawn from `late_by` (off duty, or
/// committed elsewhere until then: its orders are refused, it takes no rescues).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamAvailabilityVary {
    /// Probability that a team is available from the start, 0–1.
    pub probability: f64,
    /// The teams (ids) this applies to.
    pub teams: Vec<String>,
    /// When a late team joins.
    pub late_by: TimeDist,
}

/// A plan with its loaded scenario and orders.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The specification's entry.
    pub spec: PlanSpec,
    /// The scenario file's path.
    pub path: PathBuf,
    /// The checked scenario.
    pub scenario: Arc<Scenario>,
    /// The orders' path, if any.
    pub orders_path: Option<PathBuf>,
    /// The checked orders.
    pub commands: Vec<Command>,
    /// The orders' text (for the ensemble's hash).
    pub orders_text: String,
}

/// A loaded, checked ensemble.
#[derive(Debug, Clone)]
pub struct Ensemble {
    /// The specification file.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// Its contents.
    pub file: EnsembleFile,
    /// The plans, in specification order.
    pub plans: Vec<Plan>,
    /// Hash of everything a member's result depends on: the specification, every plan's
    /// scenario and orders, the engine version. Members are drawn from it.
    pub hash: String,
}

impl Ensemble {
    /// The seed of the member draws, from the hash.
    pub fn draw_seed(&self) -> u64 {
        let bytes = blake3::hash(self.hash.as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes.as_bytes()[..8]);
        u64::from_le_bytes(b)
    }

    /// The plan with this id.
    pub fn plan(&self, id: &str) -> Option<usize> {
        self.plans.iter().position(|p| p.spec.id == id)
    }
}

struct Checker<'a> {
    path: &'a Path,
    loc: Locator,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn err(&mut self, field: &str, message: impl Into<String>) {
        let p = self.loc.find(field);
        self.diags.push(Diagnostic {
            file: self.path.to_path_buf(),
            line: p.line,
            col: p.col,
            field: field.to_string(),
            message: message.into(),
        });
    }

    fn dist(&mut self, field: &str, d: &Option<Dist>, lo: f64, hi: f64, what: &str) {
        let Some(d) = d else { return };
        let values: Vec<f64> = match d {
            Dist::Fixed(v) => vec![*v],
            Dist::Uniform(a, b) | Dist::LogUniform(a, b) => {
                if a > b {
                    self.err(field, format!("the lower bound {a} is above the upper {b}"));
                }
                vec![*a, *b]
            }
            Dist::Triangular(a, m, b) => {
                if !(a <= m && m <= b) {
                    self.err(
                        field,
                        format!("expected low ≤ mode ≤ high, found ({a}, {m}, {b})"),
                    );
                }
                vec![*a, *m, *b]
            }
            Dist::Choice(v) => {
                if v.is_empty() {
                    self.err(field, "Choice needs at least one value");
                }
                v.clone()
            }
        };
        if let Dist::LogUniform(a, _) = d
            && *a <= 0.0
        {
            self.err(
                field,
                format!("LogUniform needs positive bounds, found {a}"),
            );
        }
        if let Some(v) = values
            .iter()
            .find(|v| !v.is_finite() || **v < lo || **v > hi)
        {
            self.err(
                field,
                format!("{v} is outside what the scenario can take: {what}"),
            );
        }
    }

    fn time(&mut self, field: &str, d: &Option<TimeDist>, lo: f64, hi: f64, what: &str) {
        let Some(d) = d else { return };
        let values: Vec<f64> = match d {
            TimeDist::Fixed(v) => vec![v.secs()],
            TimeDist::Uniform(a, b) => {
                if a.secs() > b.secs() {
                    self.err(field, format!("the lower bound {a} is above the upper {b}"));
                }
                vec![a.secs(), b.secs()]
            }
            TimeDist::Choice(v) => {
                if v.is_empty() {
                    self.err(field, "Choice needs at least one duration");
                }
                v.iter().map(|d| d.secs()).collect()
            }
        };
        if let Some(v) = values.iter().find(|v| **v < lo || **v > hi) {
            self.err(
                field,
                format!(
                    "{} is outside what the scenario can take: {what}",
                    crate::scenario::format_duration(*v)
                ),
            );
        }
    }
}

/// Whether a file is an ensemble specification (its first value is `Ensemble(`), so
/// that `validate` can take scenarios and ensembles alike.
pub fn is_ensemble_file(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let mut rest = crate::text::strip_bom(&text);
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.split_once('\n').map_or("", |x| x.1);
        } else if rest.starts_with("#!") {
            rest = rest.split_once('\n').map_or("", |x| x.1);
        } else {
            break;
        }
    }
    rest.starts_with("Ensemble") && rest["Ensemble".len()..].trim_start().starts_with('(')
}

/// The land-use codes of the river classes.
pub fn river_codes(f: &crate::scenario::ScenarioFile) -> Vec<i32> {
    f.district
        .land_classes
        .iter()
        .filter(|l| l.river)
        .map(|l| l.code)
        .collect()
}

/// A diagnostic at a field of an ensemble's specification.
pub fn diagnostic(e: &Ensemble, field: &str, message: String) -> Diagnostic {
    let p = Locator::new(&e.text).find(field);
    Diagnostic {
        file: e.path.clone(),
        line: p.line,
        col: p.col,
        field: field.to_string(),
        message,
    }
}

/// Load and check an ensemble specification and every plan's scenario and orders
/// (not yet the varied scenarios: [`super::load`] tries those too).
pub fn load_spec(path: &Path) -> Result<Ensemble, ScenarioError> {
    let text = crate::scenario::read_input(path, "ensemble specification")?;
    let text = crate::text::strip_bom(&text).to_string();
    let file: EnsembleFile = crate::scenario::parse_as(path, &text)?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut c = Checker {
        path,
        loc: Locator::new(&text),
        diags: Vec::new(),
    };
    if file.plans.is_empty() {
        c.err(
            "plans",
            "at least one plan is needed (two or more to compare)",
        );
    }
    if file.members == 0 || file.members > MAX_MEMBERS {
        c.err(
            "members",
            format!(
                "expected 1 to {MAX_MEMBERS} members, found {}",
                file.members
            ),
        );
    }
    if !(100..=100_000).contains(&file.bootstrap) {
        c.err(
            "bootstrap",
            format!("expected 100 to 100000 resamples, found {}", file.bootstrap),
        );
    }
    // The merge resamples every paired difference `bootstrap` times over the members.
    if file.bootstrap as u64 * file.members as u64 > 500_000_000 {
        c.err(
            "bootstrap",
            format!(
                "{} resamples of {} members is more than the merge should draw (bootstrap × members ≤ 500000000); lower bootstrap",
                file.bootstrap, file.members
            ),
        );
    }
    let mut plans = Vec::new();
    for (i, p) in file.plans.iter().enumerate() {
        let f = format!("plans[{i}]");
        if p.id.is_empty()
            || p.id.len() > 40
            || !p
                .id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        {
            c.err(
                &format!("{f}.id"),
                format!(
                    "expected 1 to 40 letters, digits, `_` or `-` (it names folders), found {:?}",
                    p.id
                ),
            );
        }
        if file.plans[..i].iter().any(|q| q.id == p.id) {
            c.err(
                &format!("{f}.id"),
                format!("plan id {:?} is used twice", p.id),
            );
        }
        let sp = base.join(&p.scenario);
        let scenario = match crate::setup::load(&sp) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                c.err(
                    &format!("{f}.scenario"),
                    format!("the plan's scenario does not load:\n{e}"),
                );
                continue;
            }
        };
        let (orders_path, commands, orders_text) = match &p.orders {
            None => (None, Vec::new(), String::new()),
            Some(o) => {
                let op = base.join(o);
                // Read with the file's full path for the errors, then named as the
                // specification names it: each order's source (in the event log, so in
                // the state digest) must not depend on where the ensemble is run from.
                let checked = crate::exercise::commands::read_command_stream(&op, &scenario)
                    .and_then(|_| {
                        let t = std::fs::read_to_string(&op).unwrap_or_default();
                        crate::exercise::commands::parse_command_stream(o, &t, &scenario)
                            .map(|c| (c, t))
                    });
                match checked {
                    Ok((cmds, t)) => (Some(op), cmds, t),
                    Err(e) => {
                        c.err(
                            &format!("{f}.orders"),
                            format!("the plan's orders do not load:\n{e}"),
                        );
                        continue;
                    }
                }
            }
        };
        plans.push(Plan {
            spec: p.clone(),
            path: sp,
            scenario,
            orders_path,
            commands,
            orders_text,
        });
    }
    check_vary(&mut c, &file, &plans);
    if let Some(u) = file.until
        && u.secs() <= 0.0
    {
        c.err("until", "expected a positive duration");
    }
    if c.diags.is_empty() {
        let mut h = blake3::Hasher::new();
        h.update(b"floodrill-ensemble-v1\0");
        h.update(crate::ENGINE_VERSION.as_bytes());
        h.update(b"\0");
        h.update(text.as_bytes());
        for p in &plans {
            h.update(b"\0plan\0");
            h.update(p.spec.id.as_bytes());
            h.update(b"\0");
            h.update(p.scenario.hash().as_bytes());
            h.update(b"\0");
            h.update(p.orders_text.as_bytes());
        }
        return Ok(Ensemble {
            path: path.to_path_buf(),
            text: text.clone(),
            file,
            plans,
            hash: h.finalize().to_hex().to_string(),
        });
    }
    c.diags.sort_by_key(|d| (d.line, d.col));
    Err(ScenarioError {
        diagnostics: c.diags,
    })
}

fn check_vary(c: &mut Checker<'_>, file: &EnsembleFile, plans: &[Plan]) {
    let v = &file.vary;
    let max_t = plans
        .iter()
        .map(|p| p.scenario.duration())
        .fold(f64::INFINITY, f64::min);
    c.dist(
        "vary.return_period_years",
        &v.return_period_years,
        1.0,
        10_000.0,
        "a return period of 1 to 10000 years",
    );
    c.dist(
        "vary.rain_scale",
        &v.rain_scale,
        0.0,
        20.0,
        "a factor of 0 to 20",
    );
    c.dist(
        "vary.peak_ratio",
        &v.peak_ratio,
        0.01,
        0.99,
        "a peak position of 0.01 to 0.99 of the storm",
    );
    c.time(
        "vary.storm_duration",
        &v.storm_duration,
        300.0,
        7.0 * 86400.0,
        "a storm of 5 minutes to 7 days",
    );
    c.time(
        "vary.storm_start",
        &v.storm_start,
        0.0,
        max_t,
        "a start within the drill",
    );
    for f in ["track_shift_x_m", "track_shift_y_m"] {
        let d = if f == "track_shift_x_m" {
            &v.track_shift_x_m
        } else {
            &v.track_shift_y_m
        };
        c.dist(
            &format!("vary.{f}"),
            d,
            -1e6,
            1e6,
            "a shift of at most 1000 km",
        );
    }
    c.dist(
        "vary.river_stage_m",
        &v.river_stage_m,
        -100.0,
        100.0,
        "a change of at most 100 m",
    );
    c.dist(
        "vary.warning_delay_scale",
        &v.warning_delay_scale,
        0.01,
        100.0,
        "a factor of 0.01 to 100",
    );
    c.dist(
        "vary.mobilisation_scale",
        &v.mobilisation_scale,
        0.01,
        100.0,
        "a factor of 0.01 to 100",
    );
    c.dist(
        "vary.compliance",
        &v.compliance,
        0.0,
        1.0,
        "a share of 0 to 1",
    );
    if let Some(pf) = &v.pump_failure {
        if !(0.0..=1.0).contains(&pf.probability) {
            c.err(
                "vary.pump_failure.probability",
                format!("expected a probability of 0 to 1, found {}", pf.probability),
            );
        }
        if pf.units.is_empty() {
            c.err(
                "vary.pump_failure.units",
                "name at least one pump station (place id) or robot",
            );
        }
        c.time(
            "vary.pump_failure.at",
            &Some(pf.at.clone()),
            0.0,
            max_t,
            "a time within the drill",
        );
    }
    if let Some(ta) = &v.team_availability {
        if !(0.0..=1.0).contains(&ta.probability) {
            c.err(
                "vary.team_availability.probability",
                format!("expected a probability of 0 to 1, found {}", ta.probability),
            );
        }
        if ta.teams.is_empty() {
            c.err("vary.team_availability.teams", "name at least one team");
        }
        c.time(
            "vary.team_availability.late_by",
            &Some(ta.late_by.clone()),
            0.0,
            max_t,
            "a time within the drill",
        );
    }
    // Each varied quantity must exist in every plan's scenario.
    for (pi, p) in plans.iter().enumerate() {
        let s = &p.scenario.file;
        let id = &p.spec.id;
        let chicago = s
            .rain
            .sources
            .iter()
            .any(|r| matches!(r, RainSource::Chicago { .. }));
        for (f, set) in [
            ("return_period_years", v.return_period_years.is_some()),
            ("peak_ratio", v.peak_ratio.is_some()),
            ("storm_duration", v.storm_duration.is_some()),
            ("storm_start", v.storm_start.is_some()),
        ] {
            if set && !chicago {
                c.err(
                    &format!("vary.{f}"),
                    format!("plan {id:?}'s scenario has no Chicago design storm to vary"),
                );
            }
        }
        let cell = s
            .rain
            .sources
            .iter()
            .any(|r| matches!(r, RainSource::MovingCell { .. }));
        for (f, set) in [
            ("track_shift_x_m", v.track_shift_x_m.is_some()),
            ("track_shift_y_m", v.track_shift_y_m.is_some()),
        ] {
            if set && !cell {
                c.err(
                    &format!("vary.{f}"),
                    format!("plan {id:?}'s scenario has no moving storm cell to shift"),
                );
            }
        }
        if v.rain_scale.is_some() {
            for (i, r) in s.rain.sources.iter().enumerate() {
                let fixed = match r {
                    RainSource::Uniform {
                        series: Series::File(f),
                    } => Some(format!("a gauge file ({f})")),
                    RainSource::Frames { .. } => Some("rain frames".to_string()),
                    _ => None,
                };
                if let Some(what) = fixed {
                    c.err(
                        "vary.rain_scale",
                        format!(
                            "plan {id:?}'s rain.sources[{i}] is {what}, which cannot be scaled; scale the file itself or use zone_scale"
                        ),
                    );
                }
            }
        }
        if v.river_stage_m.is_some() {
            let river_codes = river_codes(s);
            let levels = s
                .hydro
                .initial_levels
                .iter()
                .any(|l| river_codes.contains(&l.landuse));
            let stages = s
                .boundaries
                .iter()
                .filter(|b| matches!(b, Boundary::Stage { .. }))
                .count();
            if !levels && stages == 0 {
                c.err(
                    "vary.river_stage_m",
                    format!(
                        "plan {id:?}'s scenario has no stage boundary and no initial river level to change"
                    ),
                );
            }
            for (i, b) in s.boundaries.iter().enumerate() {
                if let Boundary::Stage {
                    series: Series::File(f),
                    ..
                } = b
                {
                    c.err(
                        "vary.river_stage_m",
                        format!(
                            "plan {id:?}'s boundaries[{i}] reads its stage from a file ({f}), which cannot be shifted"
                        ),
                    );
                }
            }
        }
        if v.warning_delay_scale.is_some() && s.warnings.channels.is_empty() {
            c.err(
                "vary.warning_delay_scale",
                format!("plan {id:?}'s scenario has no warning channels"),
            );
        }
        if let Some(pf) = &v.pump_failure {
            for (ui, u) in pf.units.iter().enumerate() {
                let station = p.scenario.place(u).is_some_and(|pl| {
                    matches!(pl.kind, crate::world::vector::PlaceKind::PumpStation)
                });
                let robot = s.forces.robots.iter().any(|r| &r.id == u);
                if !station && !robot {
                    c.err(
                        &format!("vary.pump_failure.units[{ui}]"),
                        format!("plan {id:?}'s scenario has no pump station or robot {u:?}"),
                    );
                }
            }
        }
        if let Some(ta) = &v.team_availability {
            for (ti, t) in ta.teams.iter().enumerate() {
                if !s.forces.teams.iter().any(|x| &x.id == t) {
                    c.err(
                        &format!("vary.team_availability.teams[{ti}]"),
                        format!("plan {id:?}'s scenario has no team {t:?}"),
                    );
                }
            }
        }
        let _ = pi;
    }
}
