//! Timed orders and injects from outside the scenario file: a **command stream** file
//! for headless exercises, and the live queue the GUI (or any embedding program)
//! pushes into. Both end up in the same [`Command`] list the tick applies in
//! `SimSet::Inputs`.
//!
//! Command-stream format: one command per line, `TIME WHAT`, where `TIME` is a
//! duration since the start of the drill (`45m`, `1h30m`) and `WHAT` is an order in the
//! scenario's RON notation (`Dispatch(unit: "T01", to: Place("H01"))`), optionally
//! preceded by who gave it (`trainee`, the default, `trainer` or `plan`), or `inject`
//! followed by an inject event (`inject LeveeBreach(x: 502150, y: 3351000, width_m: 30,
//! bottom_m: 3.0, over: "20m")`, given by the trainer), or `skip` and the id of one of
//! the scenario's injects still to come (the trainer calls it off). `#` starts a comment; blank
//! lines are skipped. Every line is checked against the scenario before the run
//! starts; problems name the file, line and column.

use std::path::Path;

use super::log::Origin;
use crate::scenario::schema::{InjectEvent, Order};
use crate::scenario::{Scenario, parse_duration};

/// What a command does.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum CommandKind {
    /// An order to the forces, warnings, shelters or roads.
    Order(Order),
    /// A trainer's inject.
    Inject(InjectEvent),
    /// A trainer skips a scenario inject (by id) that has not happened yet.
    Skip(String),
}

/// A timed command.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Command {
    /// Sim time it applies at, s.
    pub t: f64,
    /// Who gave it.
    pub origin: Origin,
    /// What.
    pub kind: CommandKind,
    /// Where it came from (`orders.txt:12`, `injects[0]`, `gui`).
    pub source: String,
    /// Id for the log (inject id, or the source).
    pub id: String,
}

/// A problem in a command stream (`line` 0: the file as a whole).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.located())]
pub struct CommandError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl CommandError {
    fn located(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.file, self.message)
        } else {
            format!("{}:{}:{}: {}", self.file, self.line, self.col, self.message)
        }
    }
}

/// Problems in a command stream (all of them).
#[derive(Debug, Clone, thiserror::Error)]
pub struct CommandErrors(pub Vec<CommandError>);

impl std::fmt::Display for CommandErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {e}")?;
        }
        if self.0.len() > 1 {
            write!(f, "\n{} errors", self.0.len())?;
        }
        Ok(())
    }
}

fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Parse and check a command stream against a scenario.
pub fn read_command_stream(path: &Path, s: &Scenario) -> Result<Vec<Command>, CommandErrors> {
    let file = path.display().to_string();
    let text = crate::text::read_text(path).map_err(|e| {
        let (line, col) = e.position();
        CommandErrors(vec![CommandError {
            file: file.clone(),
            line,
            col,
            message: match e {
                crate::text::TextError::Io { source, .. } => {
                    format!("cannot read the command stream: {source}")
                }
                other => other.reason(),
            },
        }])
    })?;
    parse_command_stream(&file, &text, s)
}

/// The written form of every order, as a command stream or a plan gives it.
pub const ORDER_FORMS: &[(&str, &str)] = &[
    ("Dispatch", "Dispatch(unit: \"T01\", to: Place(\"H01\"))"),
    ("PrePosition", "PrePosition(unit: \"T01\", post: \"P01\")"),
    ("Recall", "Recall(unit: \"T01\")"),
    ("DispatchNearestToRescue", "DispatchNearestToRescue"),
    ("Warn", "Warn(zones: [\"Z01\"], channel: \"sms\")"),
    ("OpenShelter", "OpenShelter(\"S01\")"),
    ("CloseShelter", "CloseShelter(\"S01\")"),
    ("CloseRoad", "CloseRoad(\"R01\")"),
];

/// The written form of every inject event.
pub const INJECT_FORMS: &[(&str, &str)] = &[
    (
        "LeveeBreach",
        "LeveeBreach(x: 1100.0, y: 2050.0, width_m: 20.0, bottom_m: 8.0, over: \"10m\")",
    ),
    (
        "PumpFailure",
        "PumpFailure(unit: \"PS01\", duration: Some(\"30m\"))",
    ),
    ("RoadCollapse", "RoadCollapse(road: \"R01\")"),
    (
        "CommOutage",
        "CommOutage(zones: [\"Z01\"], duration: \"15m\")",
    ),
    (
        "RainCell",
        "RainCell(source: MovingCell(…)) — any rain source of the scenario's rain.sources",
    ),
    ("FalseReport", "FalseReport(at: Place(\"H01\"))"),
];

/// "expected Recall(unit: \"T01\")" for a text naming a known variant, else the list
/// of every form.
fn expected_form(text: &str, forms: &[(&str, &str)], what: &str) -> String {
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    match forms.iter().find(|(n, _)| *n == name) {
        Some((_, form)) => format!("expected {what} of the form {form}"),
        None => format!(
            "expected {what}, one of: {}",
            forms.iter().map(|(_, f)| *f).collect::<Vec<_>>().join("; ")
        ),
    }
}

/// Parse and check command-stream text (`file` names it in errors).
pub fn parse_command_stream(
    file: &str,
    text: &str,
    s: &Scenario,
) -> Result<Vec<Command>, CommandErrors> {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (ln, raw) in text.lines().enumerate() {
        let line = ln + 1;
        let body = strip_comment(raw);
        if body.trim().is_empty() {
            continue;
        }
        let lead = body.len() - body.trim_start().len();
        let err = |col: usize, message: String| CommandError {
            file: file.to_string(),
            line,
            col,
            message,
        };
        let rest = body.trim_start();
        let (time_txt, after) = rest.split_at(rest.find(char::is_whitespace).unwrap_or(rest.len()));
        let t = match parse_duration(time_txt) {
            Ok(d) => d,
            Err(e) => {
                errs.push(err(
                    lead + 1,
                    format!("expected a time such as \"1h30m\" at the start of the line: {e}"),
                ));
                continue;
            }
        };
        if t > s.duration() {
            errs.push(err(
                lead + 1,
                format!(
                    "time {time_txt} is after the end of the drill ({})",
                    crate::scenario::format_duration(s.duration())
                ),
            ));
            continue;
        }
        let mut col = lead + time_txt.len() + 1 + (after.len() - after.trim_start().len());
        let mut what = after.trim();
        let mut origin = Origin::Trainee;
        let mut inject = false;
        for (word, o) in [
            ("trainee", Some(Origin::Trainee)),
            ("trainer", Some(Origin::Trainer)),
            ("plan", Some(Origin::Plan)),
            ("inject", None),
        ] {
            if let Some(r) = what.strip_prefix(word)
                && r.starts_with(char::is_whitespace)
            {
                match o {
                    Some(o) => origin = o,
                    None => {
                        inject = true;
                        origin = Origin::Trainer;
                    }
                }
                let skip = word.len() + (r.len() - r.trim_start().len());
                col += skip;
                what = r.trim_start();
                break;
            }
        }
        if !inject
            && let Some(r) = what.strip_prefix("skip")
            && (r.is_empty() || r.starts_with(char::is_whitespace))
        {
            let id = r.trim();
            match skip_check(s, id, t) {
                Ok(()) => out.push(Command {
                    t,
                    origin: Origin::Trainer,
                    kind: CommandKind::Skip(id.to_string()),
                    source: format!("{file}:{line}"),
                    id: format!("{}:{line}", short_name(file)),
                }),
                Err(m) => errs.push(err(col + 4 + (r.len() - r.trim_start().len()), m)),
            }
            continue;
        }
        if what.is_empty() {
            errs.push(err(col, "expected an order (e.g. Dispatch(unit: \"T01\", to: Place(\"H01\"))) or `inject` and an event after the time".into()));
            continue;
        }
        let kind = if inject {
            match ron_options().from_str::<InjectEvent>(what) {
                Ok(e) => {
                    for (field, msg) in crate::scenario::check_inject(s, &e) {
                        errs.push(err(col, field_msg(&field, &msg)));
                    }
                    CommandKind::Inject(e)
                }
                Err(e) => {
                    errs.push(err(
                        col + e.span.start.col.saturating_sub(1),
                        format!(
                            "{}: {}",
                            expected_form(what, INJECT_FORMS, "an inject event"),
                            e.code
                        ),
                    ));
                    continue;
                }
            }
        } else {
            match ron_options().from_str::<Order>(what) {
                Ok(o) => {
                    for (field, msg) in crate::scenario::check_order(s, &o) {
                        errs.push(err(col, field_msg(&field, &msg)));
                    }
                    CommandKind::Order(o)
                }
                Err(e) => {
                    errs.push(err(
                        col + e.span.start.col.saturating_sub(1),
                        format!(
                            "{}: {}",
                            expected_form(what, ORDER_FORMS, "an order"),
                            e.code
                        ),
                    ));
                    continue;
                }
            }
        };
        out.push(Command {
            t,
            origin,
            kind,
            source: format!("{file}:{line}"),
            id: format!("{}:{line}", short_name(file)),
        });
    }
    if errs.is_empty() {
        // Stable: equal times keep file order.
        out.sort_by(|a, b| a.t.total_cmp(&b.t));
        Ok(out)
    } else {
        Err(CommandErrors(errs))
    }
}

fn field_msg(field: &str, msg: &str) -> String {
    if field.is_empty() {
        msg.to_string()
    } else {
        format!("{field}: {msg}")
    }
}

fn short_name(file: &str) -> &str {
    Path::new(file)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or(file)
}

fn strip_comment(line: &str) -> &str {
    // A `#` inside a quoted string is text, not a comment.
    let mut in_str = false;
    let mut prev = '\0';
    for (i, ch) in line.char_indices() {
        match ch {
            '"' if prev != '\\' => in_str = !in_str,
            '#' if !in_str => return &line[..i],
            _ => {}
        }
        prev = ch;
    }
    line
}

/// A `skip ID` line at `t`: `ID` must be one of the scenario's injects, due after `t`.
fn skip_check(s: &Scenario, id: &str, t: f64) -> Result<(), String> {
    let injects = &s.file.injects;
    let ids = || {
        injects
            .iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if id.is_empty() {
        return Err(format!(
            "expected the id of a scenario inject after `skip` (one of: {})",
            ids()
        ));
    }
    let Some(inj) = injects.iter().find(|i| i.id == id) else {
        return Err(format!(
            "no inject \"{id}\" in the scenario (its injects: {})",
            if injects.is_empty() {
                "none".into()
            } else {
                ids()
            }
        ));
    };
    if inj.at.secs() < t {
        return Err(format!(
            "inject \"{id}\" happens at {}, before this skip",
            crate::scenario::format_duration(inj.at.secs())
        ));
    }
    Ok(())
}

/// Commands from the scenario's events list (`injects`), as trainer commands.
pub fn scenario_injects(s: &Scenario) -> Vec<Command> {
    let mut v: Vec<Command> = s
        .file
        .injects
        .iter()
        .enumerate()
        .map(|(i, inj)| Command {
            t: inj.at.secs(),
            origin: Origin::Trainer,
            kind: CommandKind::Inject(inj.event.clone()),
            source: format!("injects[{i}]"),
            id: inj.id.clone(),
        })
        .collect();
    v.sort_by(|a, b| a.t.total_cmp(&b.t));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variants serde knows for `T`, from its "no such variant" error.
    fn variants<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
        match ron_options().from_str::<T>("NoSuchVariantAtAll") {
            Err(e) => match e.code {
                ron::Error::NoSuchEnumVariant { expected, .. } => {
                    expected.iter().map(|s| s.to_string()).collect()
                }
                other => panic!("unexpected error {other:?}"),
            },
            Ok(v) => panic!("parsed {v:?}"),
        }
    }

    #[test]
    fn every_order_and_inject_has_a_written_form_that_parses() {
        let names = |f: &[(&str, &str)]| f.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
        assert_eq!(variants::<Order>(), names(ORDER_FORMS));
        assert_eq!(variants::<InjectEvent>(), names(INJECT_FORMS));
        for (name, form) in ORDER_FORMS {
            ron_options()
                .from_str::<Order>(form)
                .unwrap_or_else(|e| panic!("{name}: {form}: {e}"));
        }
        for (name, form) in INJECT_FORMS.iter().filter(|(n, _)| *n != "RainCell") {
            ron_options()
                .from_str::<InjectEvent>(form)
                .unwrap_or_else(|e| panic!("{name}: {form}: {e}"));
        }
    }

    #[test]
    fn recall_without_its_field_name_shows_the_expected_form() {
        let e = expected_form("Recall(\"T01\")", ORDER_FORMS, "an order");
        assert_eq!(e, "expected an order of the form Recall(unit: \"T01\")");
        let e = expected_form("Recal(unit: \"T01\")", ORDER_FORMS, "an order");
        assert!(
            e.contains("one of:") && e.contains("CloseRoad(\"R01\")"),
            "{e}"
        );
    }
}
