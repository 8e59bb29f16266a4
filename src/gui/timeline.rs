//! The timeline and charts: the drill's injects, orders, warnings, rescues and
//! failures as a list you can click (in review it seeks there), and charts of rain,
//! households by state, the rescue backlog and the flooded area over time
//! (`egui_plot`), plus the answers to orders and injects (accepted, or why not).
//!
//! How it works: the events are the worker's log ([`Console::log`]), filtered to the
//! ones a reviewer reads ([`crate::exercise::log::SimEvent::on_timeline`]) and put in
//! words by [`crate::exercise::log::SimEvent::describe`]. The chart series are sampled
//! from the views as they arrive, one point per sim minute at most; a seek back in
//! time drops the points after the moment sought.

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use egui_plot::{Line, Plot, PlotPoints, VLine};

use super::driver::{Console, LogCursor, poll_worker};
use super::lang::tr;
use super::layers::Layers;
use crate::exercise::describe::NoNames;
use crate::live::Control;
use crate::scenario::format_clock;

/// The people chart's series: households by state, then the rescue backlog.
const PEOPLE: [(&str, Color32); 6] = [
    ("安置 safe", Color32::from_rgb(30, 170, 60)),
    ("避险 inside", Color32::from_rgb(150, 60, 200)),
    ("转移 moving", Color32::from_rgb(255, 140, 0)),
    ("等待 waiting", Color32::from_rgb(220, 190, 0)),
    ("被困 trapped", Color32::from_rgb(230, 20, 20)),
    ("求救 backlog", Color32::from_rgb(120, 0, 0)),
];

/// A row of coloured names under a chart.
fn key(ui: &mut egui::Ui, items: &[(&str, Color32)]) {
    ui.horizontal_wrapped(|ui| {
        for (n, c) in items {
            ui.colored_label(*c, RichText::new(format!("━ {}", tr(n))).small());
        }
    });
}

/// Least sim time between two chart samples, s.
const SAMPLE_S: f64 = 60.0;

/// One chart sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Sim time, s.
    pub t: f64,
    /// Rain at the district centre, mm/h.
    pub rain: f64,
    /// Wet area (deeper than 1 cm), hectares.
    pub wet_ha: f64,
    /// Households safe, staying in, moving, waiting, trapped.
    pub households: [u32; 5],
    /// Open rescue requests.
    pub backlog: usize,
}

/// The chart series and the timeline's state.
#[derive(Resource, Debug, Default, Clone)]
pub struct Timeline {
    /// Samples by time.
    pub samples: Vec<Sample>,
    /// Views seen (to sample each new one once).
    seen: u64,
    /// The timeline's rows so far: sim time and text, from the log.
    pub rows: Vec<(f64, String)>,
    /// Where `rows` is in the log.
    read: LogCursor,
    /// Show the charts.
    pub charts: bool,
}

impl Timeline {
    /// Add a sample, dropping any later than it (a seek back).
    pub fn add(&mut self, s: Sample) {
        while self.samples.last().is_some_and(|l| l.t > s.t + 1e-9) {
            self.samples.pop();
        }
        if self.samples.last().is_none_or(|l| s.t - l.t >= SAMPLE_S) {
            self.samples.push(s);
        }
    }
}

/// Adds the timeline.
pub struct TimelinePlugin;

impl Plugin for TimelinePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Timeline {
            charts: true,
            ..Default::default()
        })
        .add_systems(Update, (sample, read_log).after(poll_worker))
        .add_systems(
            EguiPrimaryContextPass,
            (
                timeline_window.in_set(super::side::UiOrder::Right2),
                messages.in_set(super::side::UiOrder::Float),
            ),
        );
    }
}

fn sample(console: Res<Console>, mut tl: ResMut<Timeline>) {
    if tl.seen == console.views {
        return;
    }
    tl.seen = console.views;
    let Some(v) = &console.view else { return };
    let cell_ha = v.spec.map_or(0.0, |s| s.cell * s.cell / 1e4);
    tl.add(Sample {
        t: v.clock.t,
        rain: v.rain_mm_h.unwrap_or(0.0),
        wet_ha: v.wet_cells as f64 * cell_ha,
        households: v.counts.unwrap_or_default(),
        backlog: v.requests.len(),
    });
}

/// Put the new log entries on the timeline (all of them again after a reset), so a
/// frame formats only what arrived since the last.
fn read_log(console: Res<Console>, mut tl: ResMut<Timeline>) {
    let (reset, new) = tl.read.take(&console);
    if reset {
        tl.rows.clear();
    }
    for e in new {
        if !e.event.on_timeline() {
            continue;
        }
        if let Some(d) = e.event.describe(&NoNames) {
            let text = format!(
                "{} {} {} · {}",
                format_clock(e.t),
                d.class.icon(),
                d.text,
                e.origin
            );
            tl.rows.push((e.t, text));
        }
    }
}

fn line<'a>(name: &str, pts: Vec<[f64; 2]>, c: Color32) -> Line<'a> {
    Line::new(tr(name), PlotPoints::from(pts)).color(c)
}

fn timeline_window(
    mut contexts: EguiContexts,
    mut marks: ResMut<super::side::UiMarks>,
    mut console: ResMut<Console>,
    mut tl: ResMut<Timeline>,
    layers: Res<Layers>,
    mut review: Option<ResMut<super::review::Review>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let Some(v) = console.view.clone() else {
        return Ok(());
    };
    let reviewing = review.is_some() && v.run.reviewing.is_some();
    let mut seek = None;
    let shown = super::side::section(
        ctx,
        super::side::Column::Right,
        tr("时间线 timeline"),
        true,
        |ui| {
            ui.checkbox(&mut tl.charts, tr("图表 charts"));
            if tl.charts && !tl.samples.is_empty() {
                let h = |f: &dyn Fn(&Sample) -> f64| -> Vec<[f64; 2]> {
                    tl.samples.iter().map(|s| [s.t / 3600.0, f(s)]).collect()
                };
                let now = v.clock.t / 3600.0;
                Plot::new("rain_plot")
                    .height(70.0)
                    .allow_scroll(false)
                    .include_x(0.0)
                    .include_x(v.clock.end / 3600.0)
                    .include_y(0.0)
                    .show(ui, |p| {
                        p.line(line(
                            "雨 rain mm/h",
                            h(&|s| s.rain),
                            Color32::from_rgb(60, 120, 230),
                        ));
                        if !layers.trainee {
                            p.line(line(
                                "淹没 wet ha",
                                h(&|s| s.wet_ha),
                                Color32::from_rgb(20, 60, 140),
                            ));
                        }
                        p.vline(VLine::new("now", now).color(Color32::GRAY));
                    });
                key(
                    ui,
                    &[
                        ("雨 rain mm/h", Color32::from_rgb(60, 120, 230)),
                        ("淹没 wet ha", Color32::from_rgb(20, 60, 140)),
                    ],
                );
                Plot::new("people_plot")
                    .height(90.0)
                    .allow_scroll(false)
                    .include_x(0.0)
                    .include_x(v.clock.end / 3600.0)
                    .include_y(0.0)
                    .show(ui, |p| {
                        if !layers.trainee {
                            for (k, (n, c)) in PEOPLE.iter().take(5).enumerate() {
                                p.line(line(n, h(&|s| f64::from(s.households[k])), *c));
                            }
                        }
                        p.line(line(PEOPLE[5].0, h(&|s| s.backlog as f64), PEOPLE[5].1));
                        p.vline(VLine::new("now", now).color(Color32::GRAY));
                    });
                key(ui, &PEOPLE);
            }
            ui.separator();
            ui.label(
                RichText::new(tr(&format!(
                    "{} 事件 events{}",
                    tl.rows.len(),
                    if reviewing {
                        " — 点击跳转 click one to go there"
                    } else {
                        ""
                    }
                )))
                .small(),
            );
            let row_h = ui.text_style_height(&egui::TextStyle::Small) + 4.0;
            egui::ScrollArea::vertical()
                .max_height(170.0)
                .stick_to_bottom(true)
                .show_rows(ui, row_h, tl.rows.len(), |ui, range| {
                    for (t, text) in &tl.rows[range] {
                        let row = ui.selectable_label(
                            (v.clock.t - t).abs() < 1e-6,
                            RichText::new(tr(text)).small(),
                        );
                        if reviewing && row.clicked() {
                            seek = Some(*t);
                        }
                    }
                });
        },
    );
    if let Some(r) = shown {
        marks.put("timeline", r);
    }
    if let Some(t) = seek {
        console.send(Control::Seek(t));
        if let Some(r) = review.as_mut() {
            r.target = t;
        }
    }
    Ok(())
}

fn messages(mut contexts: EguiContexts, console: Res<Console>) -> Result {
    if console.messages.is_empty() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    egui::Area::new(egui::Id::new("messages"))
        .anchor(egui::Align2::CENTER_TOP, [0.0, 52.0])
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                for (ok, text, _) in &console.messages {
                    let (icon, c) = if *ok {
                        ("✔", Color32::from_rgb(40, 160, 70))
                    } else {
                        ("✖", Color32::from_rgb(220, 50, 50))
                    };
                    ui.colored_label(c, format!("{icon} {text}"));
                }
            });
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: f64) -> Sample {
        Sample {
            t,
            rain: 0.0,
            wet_ha: 0.0,
            households: [0; 5],
            backlog: 0,
        }
    }

    #[test]
    fn samples_are_a_minute_apart_and_a_seek_back_drops_the_later_ones() {
        let mut tl = Timeline::default();
        for t in [0.0, 10.0, 60.0, 70.0, 130.0, 200.0] {
            tl.add(s(t));
        }
        let ts: Vec<f64> = tl.samples.iter().map(|s| s.t).collect();
        assert_eq!(ts, [0.0, 60.0, 130.0, 200.0]);
        tl.add(s(90.0));
        let ts: Vec<f64> = tl.samples.iter().map(|s| s.t).collect();
        assert_eq!(ts, [0.0, 60.0]);
    }
}
