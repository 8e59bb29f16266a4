//! Measured counterfactuals (`floodrill review DIR --what-if`): the top corrective
//! actions of a finished run's improvement plan, each run as a branch of its replay
//! from the moment the action was due with the action's orders, and scored, so the
//! report shows what the change would have done to each criterion — measured, not
//! guessed.
//!
//! Each branch is an ordinary run (`DIR/what-if/N`, no replay of its own) with its
//! orders as a command stream beside it (`DIR/what-if/N.orders`); the results go to
//! `DIR/what_if.json` and into `DIR/report.html` where the improvement plan leaves
//! room for them ([`crate::report::html::WHAT_IF_MARK`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde_json::{Value, json};

use super::{Branch, REPLAY_FILE, RunOptions, RunStatus};
use crate::engine::EngineOptions;
use crate::report::html::{WHAT_IF_MARK, esc};
use crate::scenario::format_clock;

/// Why the counterfactuals could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum WhatIfError {
    /// The folder holds no readable scorecard.
    #[error("{}: {message} (expected a finished run's folder)", path.display())]
    Card {
        /// `scorecard.json`.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The run wrote no replay.
    #[error("{}: no replay (a run with --no-replay cannot be branched)", .0.display())]
    NoReplay(PathBuf),
    /// The scorecard predates improvement plans.
    #[error("{}: field `improvement_plan` missing (written by floodrill {} and later; run the scenario again)", .0.display(), crate::ENGINE_VERSION)]
    NoPlan(PathBuf),
    /// The replay or a branch's orders could not be read.
    #[error("{0}")]
    Input(String),
    /// A file could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Output {
        /// The file or folder.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A branch failed.
    #[error("what-if {index}: {source}")]
    Branch {
        /// 1-based.
        index: usize,
        /// Cause.
        source: super::RunError,
    },
    /// A branch stopped before its end.
    #[error("what-if {index} did not run to its end ({status:?}{})", failure.as_deref().map_or(String::new(), |f| format!(": {f}")))]
    Stopped {
        /// 1-based.
        index: usize,
        /// How it ended.
        status: RunStatus,
        /// Why, if it failed.
        failure: Option<String>,
    },
}

/// One corrective action about to be measured: its number, what it says, the moment
/// the branch starts and the orders file.
pub struct Starting<'a> {
    /// 1-based.
    pub index: usize,
    /// The corrective action.
    pub action: &'a str,
    /// Sim time of the branch, s.
    pub at: f64,
    /// Its command stream.
    pub orders_file: &'a Path,
}

fn read_json(path: &Path) -> Result<Value, String> {
    std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
}

/// (id, name, score) of each criterion of a scorecard.
fn scores(c: &Value) -> Vec<(String, String, f64)> {
    c.get("criteria")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x["id"].as_str().unwrap_or("?").to_string(),
                        x["name"].as_str().unwrap_or("?").to_string(),
                        x["score"].as_f64().unwrap_or(0.0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Branch and score the first `top` actions of `dir`'s improvement plan that are
/// orders. Returns one result per action (the rows of `what_if.json`); an empty list
/// when no action can be branched. `started` hears of each branch before it runs.
pub fn measure(
    dir: &Path,
    top: usize,
    engine: EngineOptions,
    stop: &Arc<AtomicBool>,
    started: &mut dyn FnMut(&Starting<'_>),
) -> Result<Vec<Value>, WhatIfError> {
    let card_path = dir.join("scorecard.json");
    let card = read_json(&card_path).map_err(|message| WhatIfError::Card {
        path: card_path.clone(),
        message,
    })?;
    let replay = dir.join(REPLAY_FILE);
    if !replay.is_file() {
        return Err(WhatIfError::NoReplay(replay));
    }
    let plan = card
        .get("improvement_plan")
        .and_then(Value::as_array)
        .ok_or_else(|| WhatIfError::NoPlan(card_path.clone()))?;
    let chosen: Vec<&Value> = plan
        .iter()
        .filter(|f| f.get("what_if").is_some_and(|w| !w.is_null()))
        .take(top)
        .collect();
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    let scenario = {
        let r = match crate::replay::read_indexed(&replay) {
            Ok(Some(r)) => r,
            Ok(None) => {
                crate::replay::read(&replay).map_err(|e| WhatIfError::Input(e.to_string()))?
            }
            Err(e) => return Err(WhatIfError::Input(e.to_string())),
        };
        std::sync::Arc::new(
            crate::replay::record::scenario_of(&r)
                .map_err(|e| WhatIfError::Input(e.to_string()))?,
        )
    };
    let base = scores(&card);
    let base_overall = card["overall"].as_f64().unwrap_or(0.0);
    let mut results = Vec::new();
    for (k, f) in chosen.iter().enumerate() {
        let index = k + 1;
        let w = &f["what_if"];
        let at = w["at"].as_f64().unwrap_or(0.0);
        let orders: Vec<&str> = w["orders"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let out = dir.join("what-if").join(index.to_string());
        std::fs::create_dir_all(&out).map_err(|source| WhatIfError::Output {
            path: out.clone(),
            source,
        })?;
        let orders_file = dir.join("what-if").join(format!("{index}.orders"));
        let action = f["action"].as_str().unwrap_or("");
        let text = format!("# what-if {index}: {action}\n{}\n", orders.join("\n"));
        std::fs::write(&orders_file, text).map_err(|source| WhatIfError::Output {
            path: orders_file.clone(),
            source,
        })?;
        started(&Starting {
            index,
            action,
            at,
            orders_file: &orders_file,
        });
        let commands = crate::exercise::commands::read_command_stream(&orders_file, &scenario)
            .map_err(|e| WhatIfError::Input(e.to_string()))?;
        let opts = RunOptions {
            out: out.clone(),
            engine: engine.clone(),
            commands,
            branch: Some(Branch {
                from: replay.clone(),
                at,
                orders_file: Some(orders_file.clone()),
            }),
            no_replay: true,
            ..RunOptions::default()
        };
        let summary = super::run(scenario.clone(), &opts, stop, &mut |_, _, _| {})
            .map_err(|source| WhatIfError::Branch { index, source })?;
        if summary.status != RunStatus::Completed {
            return Err(WhatIfError::Stopped {
                index,
                status: summary.status,
                failure: summary.failure,
            });
        }
        let branch_card = out.join("scorecard.json");
        let branch = read_json(&branch_card).map_err(|message| WhatIfError::Card {
            path: branch_card.clone(),
            message,
        })?;
        let after = scores(&branch);
        let overall = branch["overall"].as_f64().unwrap_or(0.0);
        let per: Vec<Value> = base
            .iter()
            .map(|(id, name, b)| {
                let a = after.iter().find(|x| &x.0 == id).map_or(f64::NAN, |x| x.2);
                json!({ "criterion": id, "name": name, "drill": b, "what_if": a })
            })
            .collect();
        results.push(json!({
            "action": f["action"], "criterion": f["criterion"], "at": format_clock(at),
            "orders": orders, "folder": format!("what-if/{index}"),
            "overall": { "drill": base_overall, "what_if": overall }, "criteria": per,
        }));
    }
    Ok(results)
}

/// The report's section of measured counterfactuals.
pub fn section(results: &[Value]) -> String {
    let mut sec = format!(
        "{WHAT_IF_MARK}<h3>反事实推演 Counterfactuals, measured</h3><table><tr><th>整改措施 action</th><th>branched at</th><th>orders</th><th>总评 overall</th><th>per criterion (drill → what-if)</th></tr>"
    );
    for r in results {
        let crit: Vec<String> = r["criteria"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| {
                        format!(
                            "{} {:.1} → {:.1}",
                            esc(c["name"].as_str().unwrap_or("?")),
                            c["drill"].as_f64().unwrap_or(0.0),
                            c["what_if"].as_f64().unwrap_or(f64::NAN)
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let orders: Vec<String> = r["orders"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(esc).collect())
            .unwrap_or_default();
        sec += &format!(
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{:.1} → <b>{:.1}</b></td><td>{}</td></tr>",
            esc(r["action"].as_str().unwrap_or("")),
            esc(r["at"].as_str().unwrap_or("")),
            orders.join("<br>"),
            r["overall"]["drill"].as_f64().unwrap_or(0.0),
            r["overall"]["what_if"].as_f64().unwrap_or(0.0),
            crit.join("<br>")
        );
    }
    sec += "</table>";
    sec
}

/// Write `what_if.json` and put the section into `report.html` (when the folder has
/// one). Returns the files written.
pub fn write(dir: &Path, results: &[Value]) -> Result<Vec<PathBuf>, WhatIfError> {
    let json_path = dir.join("what_if.json");
    let text = serde_json::to_string_pretty(results).unwrap_or_default();
    std::fs::write(&json_path, text).map_err(|source| WhatIfError::Output {
        path: json_path.clone(),
        source,
    })?;
    let mut written = vec![json_path];
    let report = dir.join("report.html");
    if let Ok(html) = std::fs::read_to_string(&report) {
        let sec = section(results);
        // Replace the marker and whatever an earlier review put after it in its line.
        let new = match html.find(WHAT_IF_MARK) {
            Some(i) => {
                let end = html[i..].find('\n').map_or(html.len(), |j| i + j);
                format!("{}{sec}{}", &html[..i], &html[end..])
            }
            None => html.replace("</body>", &format!("{sec}</body>")),
        };
        // The counterfactuals' text may use characters the page's font lacked.
        let new = crate::report::font::embed_font(&new);
        let tmp = dir.join("report.html.part");
        std::fs::write(&tmp, new)
            .and_then(|_| std::fs::rename(&tmp, &report))
            .map_err(|source| WhatIfError::Output {
                path: report.clone(),
                source,
            })?;
        written.push(report);
    }
    Ok(written)
}
