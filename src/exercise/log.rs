//! The event log: every order, inject and state change a reviewer or the scorer needs,
//! with its sim time and origin, written as JSON lines (`events.jsonl`).

use serde::{Deserialize, Serialize};

/// Who caused an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The contingency plan's rules.
    Plan,
    /// A trainee at the console or a command stream.
    Trainee,
    /// The trainer (injects).
    Trainer,
    /// The simulation itself (state changes).
    Sim,
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LogEntry {
    /// Sim time, s.
    pub t: f64,
    /// Who caused it.
    pub origin: Origin,
    /// What (`order`, `warning_issued`, `departed`, `trapped`, …).
    pub kind: String,
    /// Details (ids, values).
    pub detail: serde_json::Value,
}

/// The run's event log, in the order entries were made (sim time order).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct EventLog {
    /// Entries.
    pub entries: Vec<LogEntry>,
}

impl EventLog {
    /// Add an entry.
    pub fn push(&mut self, t: f64, origin: Origin, kind: &str, detail: serde_json::Value) {
        self.entries.push(LogEntry {
            t,
            origin,
            kind: kind.to_string(),
            detail,
        });
    }

    /// The log as JSON lines.
    pub fn to_jsonl(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            if let Ok(line) = serde_json::to_string(e) {
                s.push_str(&line);
                s.push('\n');
            }
        }
        s
    }
}
