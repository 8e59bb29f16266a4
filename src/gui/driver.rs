//! The console's link to the drill: the simulation ticks on its worker thread
//! ([`crate::live::LiveSim`]); each frame [`poll_worker`] takes what it has sent (the
//! newest [`SimView`], new log entries, the answers to orders) without waiting, and
//! the panels send [`Control`]s through [`Console::send`]. A frame never waits for a
//! tick: at ×600 it shows the newest finished state.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bevy::prelude::*;

use crate::exercise::commands::{Command, CommandKind};
use crate::exercise::log::{LogEntry, Origin};
use crate::live::{Control, LiveSim, SimView, Update};

/// Speeds offered in the top bar, sim seconds per real second (∞: as fast as possible).
pub const SPEEDS: [f64; 6] = [1.0, 10.0, 60.0, 300.0, 600.0, f64::INFINITY];

/// Wall seconds a reply stays on screen.
pub const MESSAGE_S: f64 = 8.0;

/// The worker (behind a mutex: its receiver is not `Sync`).
#[derive(Resource)]
pub struct Worker(pub Mutex<Option<LiveSim>>);

/// What the console knows of the drill: the newest view, the log so far, and the
/// answers to its orders.
#[derive(Resource, Default)]
pub struct Console {
    /// The newest view (`None` until the first arrives).
    pub view: Option<Arc<SimView>>,
    /// Views received (a new one means redraw).
    pub views: u64,
    /// The event log so far.
    pub log: Vec<LogEntry>,
    /// Times the log was started again (a seek or a branch): a panel that keeps its
    /// own digest of the log rebuilds it when this changes.
    pub log_resets: u64,
    /// Replies: (accepted, text, wall time received).
    pub messages: VecDeque<(bool, String, f64)>,
    /// Controls to send this frame.
    outbox: Vec<Control>,
}

impl Console {
    /// Queue a control for the worker.
    pub fn send(&mut self, c: Control) {
        self.outbox.push(c);
    }

    /// Submit an order or inject now, from `origin` (checked by the engine; the answer
    /// comes back as a message).
    pub fn submit(&mut self, kind: CommandKind, origin: Origin) {
        self.submit_as(kind, origin, None);
    }

    /// As [`Console::submit`], logged under `id` (a scenario inject fired early keeps
    /// its id, so the scorecard still knows it).
    pub fn submit_as(&mut self, kind: CommandKind, origin: Origin, id: Option<String>) {
        let t = self.view.as_ref().map_or(0.0, |v| v.clock.t);
        let source = match origin {
            Origin::Trainer => "console:trainer",
            _ => "console:trainee",
        };
        self.send(Control::Submit(Command {
            t,
            origin,
            kind,
            source: source.into(),
            id: id.unwrap_or_else(|| source.into()),
        }));
    }

    /// Sim time of the newest view.
    pub fn t(&self) -> f64 {
        self.view.as_ref().map_or(0.0, |v| v.clock.t)
    }
}

/// Where a panel is in the log: it reads only the entries that arrived since.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogCursor {
    read: usize,
    resets: u64,
}

impl LogCursor {
    /// The entries not yet read, and whether the log was started again since the last
    /// call (then they are all of it, and the panel drops what it had).
    pub fn take<'a>(&mut self, console: &'a Console) -> (bool, &'a [LogEntry]) {
        let reset = self.resets != console.log_resets || self.read > console.log.len();
        if reset {
            *self = Self {
                read: 0,
                resets: console.log_resets,
            };
        }
        let new = &console.log[self.read..];
        self.read = console.log.len();
        (reset, new)
    }
}

/// Adds the link to the worker.
pub struct SimDriverPlugin;

impl Plugin for SimDriverPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Console>()
            .add_systems(PreUpdate, poll_worker)
            .add_systems(Last, send_controls);
    }
}

/// Take what the worker sent (never waits).
pub fn poll_worker(worker: Res<Worker>, mut console: ResMut<Console>, time: Res<Time<Real>>) {
    let updates = match worker.0.lock() {
        Ok(g) => g.as_ref().map(|l| l.poll()).unwrap_or_default(),
        Err(_) => return,
    };
    let now = time.elapsed_secs_f64();
    for u in updates {
        match u {
            Update::View(v) => {
                console.view = Some(v);
                console.views += 1;
            }
            Update::Log { reset, entries } => {
                if reset {
                    console.log.clear();
                    console.log_resets += 1;
                }
                console.log.extend(entries);
            }
            Update::Reply { ok, text } => {
                console.messages.push_back((ok, text, now));
                while console.messages.len() > 6 {
                    console.messages.pop_front();
                }
            }
        }
    }
    while console
        .messages
        .front()
        .is_some_and(|m| now - m.2 > MESSAGE_S)
    {
        console.messages.pop_front();
    }
}

fn send_controls(worker: Res<Worker>, mut console: ResMut<Console>) {
    if console.outbox.is_empty() {
        return;
    }
    let out = std::mem::take(&mut console.outbox);
    if let Ok(g) = worker.0.lock()
        && let Some(l) = g.as_ref()
    {
        for c in out {
            l.send(c);
        }
    }
}
