//! The situation layers: zones coloured by status (not warned / warned / evacuating /
//! cleared), roads coloured by passability (slowed or closed by water, closed by
//! order), and the virtual sensors with their readings, plus the sensors' section with
//! each one's series.
//!
//! How it works: the statuses come with every view ([`crate::live::view::ZoneView`],
//! [`crate::live::view::RoadView`], [`crate::live::view::SensorView`]); the zones'
//! outlines are the scenario's polygons. Only roads that are not open are drawn (the
//! open ones are the base map's). The sensors' series are kept here as the views
//! arrive: a new point when a new reading becomes visible, and the truth once a sim
//! minute; a seek back in time drops the later points.
//!
//! In the trainee view only what the trainees know is drawn: which zones were warned
//! (not how far their evacuation has got), roads closed by order, and the sensors'
//! visible readings (noise and latency included), never the truth.

use std::collections::BTreeMap;

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, Pos2, RichText, Stroke};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use egui_plot::{Line, Plot, PlotPoints, VLine};

use super::driver::{Console, poll_worker};
use super::lang::tr;
use super::layers::{MapScreen, MapTool};
use super::side::{Column, Layers, UiMarks, UiOrder, section};
use crate::engine::ScenarioRes;
use crate::live::view::{SensorView, ZoneStatus};
use crate::scenario::format_clock;
use crate::world::Pt;
use crate::world::routing::Passability;

/// Least sim time between two truth points of a sensor's series, s.
const TRUTH_EVERY_S: f64 = 60.0;

/// A zone status's colour.
pub fn zone_colour(s: ZoneStatus) -> Color32 {
    match s {
        ZoneStatus::NotWarned => Color32::from_rgb(150, 150, 150),
        ZoneStatus::Warned => Color32::from_rgb(230, 200, 0),
        ZoneStatus::Evacuating => Color32::from_rgb(255, 130, 0),
        ZoneStatus::Cleared => Color32::from_rgb(40, 180, 70),
    }
}

/// A road state's colour.
pub fn road_colour(p: Passability) -> Color32 {
    match p {
        Passability::Open => Color32::from_rgb(200, 200, 200),
        Passability::Slowed => Color32::from_rgb(250, 190, 0),
        Passability::ClosedByDepth => Color32::from_rgb(220, 30, 30),
        Passability::ClosedByOrder => Color32::from_rgb(150, 40, 210),
    }
}

/// One sensor's series: visible readings (sample time, value) and the truth.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Series {
    /// Readings as the trainees saw them, by sample time.
    pub visible: Vec<[f64; 2]>,
    /// The truth, once a sim minute.
    pub truth: Vec<[f64; 2]>,
    /// When each visible reading was first seen, s (a seek back drops what was seen
    /// after the moment sought).
    seen: Vec<f64>,
}

/// The sensors' series and the one shown.
#[derive(Resource, Debug, Default, Clone)]
pub struct SensorSeries {
    /// By sensor id.
    pub by_id: BTreeMap<String, Series>,
    /// The sensor whose series is drawn.
    pub selected: Option<String>,
    /// Sim time of the last view read.
    last_t: f64,
    /// Views read.
    seen: u64,
    /// The map point last inspected (a click near a sensor selects it).
    inspected: Option<Pt>,
}

impl SensorSeries {
    /// Add what the sensors show at sim time `t`; a `t` before the last drops every
    /// point after it first (a seek back).
    pub fn add(&mut self, t: f64, sensors: &[SensorView]) {
        if t < self.last_t - 1e-9 {
            for s in self.by_id.values_mut() {
                let keep = s.seen.iter().take_while(|&&seen| seen <= t + 1e-9).count();
                s.visible.truncate(keep);
                s.seen.truncate(keep);
                s.truth.retain(|p| p[0] <= t + 1e-9);
            }
        }
        self.last_t = t;
        for s in sensors {
            let e = self.by_id.entry(s.id.clone()).or_default();
            if let Some((value, at)) = s.visible
                && e.visible.last().is_none_or(|l| at > l[0] + 1e-9)
            {
                e.visible.push([at, value]);
                e.seen.push(t);
            }
            if let Some(truth) = s.truth
                && e.truth.last().is_none_or(|l| t - l[0] >= TRUTH_EVERY_S)
            {
                e.truth.push([t, truth]);
            }
        }
    }
}

/// Adds the zones, roads and sensors layers and the sensors' section.
pub struct SituationPlugin;

impl Plugin for SituationPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<SensorSeries>()
            .add_systems(Update, read_sensors.after(poll_worker))
            .add_systems(
                EguiPrimaryContextPass,
                (
                    paint_situation.in_set(UiOrder::Float),
                    sensors_section.in_set(UiOrder::Left5),
                ),
            );
    }
}

fn read_sensors(console: Res<Console>, tool: Res<MapTool>, mut series: ResMut<SensorSeries>) {
    let Some(v) = &console.view else { return };
    if series.seen != console.views {
        series.seen = console.views;
        series.add(v.clock.t, &v.sensors);
    }
    // A click on the map near a sensor shows its series.
    if tool.inspect != series.inspected {
        series.inspected = tool.inspect;
        if let Some(p) = tool.inspect
            && let Some(s) = v
                .sensors
                .iter()
                .filter(|s| (s.at.0 - p.0).hypot(s.at.1 - p.1) < 40.0)
                .min_by(|a, b| {
                    let d = |s: &SensorView| (s.at.0 - p.0).hypot(s.at.1 - p.1);
                    d(a).total_cmp(&d(b))
                })
        {
            series.selected = Some(s.id.clone());
        }
    }
}

/// A reading with its unit (a status in words).
fn reading(s: &SensorView, value: f64) -> String {
    if s.status {
        tr(match value.round() as i64 {
            0 => "故障 failed",
            2 => "抽水 pumping",
            _ => "运行 working",
        })
    } else if s.rain {
        format!("{value:.1} mm/h")
    } else {
        format!("{value:.2} m")
    }
}

fn paint_situation(
    mut contexts: EguiContexts,
    console: Res<Console>,
    screen: Res<MapScreen>,
    layers: Res<Layers>,
    scenario: Res<ScenarioRes>,
    series: Res<SensorSeries>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let Some(v) = &console.view else {
        return Ok(());
    };
    if !screen.ready {
        return Ok(());
    }
    let zoom = ctx.zoom_factor();
    let to = |p: Pt| {
        let s = screen.to_screen(p);
        Pos2::new(s.x / zoom, s.y / zoom)
    };
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Background,
        egui::Id::new("map_situation"),
    ));
    if layers.zones {
        for z in &v.zones {
            let Some(zone) = scenario.0.zones.iter().find(|s| s.id == z.id) else {
                continue;
            };
            // Trainees know which zones they warned, not how far each has got.
            let status = if layers.trainee && z.status != ZoneStatus::NotWarned {
                ZoneStatus::Warned
            } else {
                z.status
            };
            let col = zone_colour(status);
            for ring in &zone.polygons {
                let pts: Vec<Pos2> = ring.iter().map(|p| to(*p)).collect();
                painter.add(egui::Shape::closed_line(pts, Stroke::new(2.5, col)));
            }
            if let Some(ring) = zone.polygons.first()
                && !ring.is_empty()
            {
                let n = ring.len() as f64;
                let c = ring
                    .iter()
                    .fold((0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n));
                let text = if layers.trainee {
                    tr(&format!("{} {}", z.id, status.label()))
                } else {
                    tr(&format!(
                        "{} {} {}/{}",
                        z.id,
                        status.label(),
                        z.safe,
                        z.households
                    ))
                };
                painter.text(
                    to(c),
                    egui::Align2::CENTER_CENTER,
                    text,
                    egui::FontId::proportional(12.0),
                    col,
                );
            }
        }
    }
    if layers.roads {
        for r in &v.roads {
            if layers.trainee && r.state != Passability::ClosedByOrder {
                continue;
            }
            painter.line_segment([to(r.a), to(r.b)], Stroke::new(3.0, road_colour(r.state)));
        }
    }
    if layers.sensors {
        for s in &v.sensors {
            let c = to(s.at);
            let sel = series.selected.as_deref() == Some(s.id.as_str());
            let r = egui::Rect::from_center_size(c, egui::vec2(10.0, 10.0));
            let fill = if s.rain {
                Color32::from_rgb(60, 120, 230)
            } else {
                Color32::from_rgb(0, 170, 190)
            };
            painter.rect_filled(r, 0.0, fill);
            painter.rect_stroke(
                r,
                0.0,
                Stroke::new(if sel { 2.5 } else { 1.0 }, Color32::WHITE),
                egui::StrokeKind::Outside,
            );
            let reading = match s.visible {
                Some((value, _)) => format!("{} {}", s.id, reading(s, value)),
                None => format!("{} —", s.id),
            };
            painter.text(
                c + egui::vec2(8.0, -8.0),
                egui::Align2::LEFT_BOTTOM,
                reading,
                egui::FontId::proportional(11.0),
                Color32::WHITE,
            );
        }
    }
    Ok(())
}

fn legend_row(ui: &mut egui::Ui, col: Color32, label: &str) {
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 4.0), egui::Sense::hover());
        ui.painter().rect_filled(rect, 0.0, col);
        ui.label(RichText::new(tr(label)).small());
    });
}

fn sensors_section(
    mut contexts: EguiContexts,
    mut marks: ResMut<UiMarks>,
    mut layers: ResMut<Layers>,
    console: Res<Console>,
    mut series: ResMut<SensorSeries>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let Some(v) = console.view.clone() else {
        return Ok(());
    };
    let trainee = layers.trainee;
    // Open in the trainee view (the sensors are what the trainees have); in the
    // trainer's the column is full already, so it starts closed.
    let shown = section(
        ctx,
        Column::Left,
        tr("态势 situation — 传感器 sensors"),
        trainee,
        |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.checkbox(&mut layers.zones, tr("社区 zones"));
                ui.checkbox(&mut layers.roads, tr("道路 roads"));
                ui.checkbox(&mut layers.sensors, tr("传感器 sensors"));
            });
            if layers.zones {
                let statuses: &[ZoneStatus] = if trainee {
                    &[ZoneStatus::NotWarned, ZoneStatus::Warned]
                } else {
                    &[
                        ZoneStatus::NotWarned,
                        ZoneStatus::Warned,
                        ZoneStatus::Evacuating,
                        ZoneStatus::Cleared,
                    ]
                };
                ui.horizontal_wrapped(|ui| {
                    for &s in statuses {
                        legend_row(ui, zone_colour(s), s.label());
                    }
                });
            }
            if layers.roads {
                let states: &[Passability] = if trainee {
                    &[Passability::ClosedByOrder]
                } else {
                    &[
                        Passability::Slowed,
                        Passability::ClosedByDepth,
                        Passability::ClosedByOrder,
                    ]
                };
                ui.horizontal_wrapped(|ui| {
                    for &s in states {
                        legend_row(ui, road_colour(s), s.label());
                    }
                });
            }
            if v.sensors.is_empty() {
                ui.label(RichText::new(tr("无传感器 no sensors in this scenario")).small());
                return;
            }
            ui.separator();
            egui::Grid::new("sensor_rows").striped(true).show(ui, |ui| {
                for s in &v.sensors {
                    let sel = series.selected.as_deref() == Some(s.id.as_str());
                    if ui.selectable_label(sel, &s.id).clicked() {
                        series.selected = Some(s.id.clone());
                    }
                    match s.visible {
                        Some((value, at)) => ui.label(
                            RichText::new(format!("{} @{}", reading(s, value), format_clock(at)))
                                .monospace(),
                        ),
                        None => ui.label(tr("— 无读数 no reading yet")),
                    };
                    if !trainee && let Some(t) = s.truth {
                        ui.label(
                            RichText::new(tr(&format!("实况 truth {}", reading(s, t))))
                                .small()
                                .color(Color32::GRAY),
                        );
                    }
                    ui.end_row();
                }
            });
            let Some(id) = series.selected.clone() else {
                ui.label(
                    RichText::new(tr("点击传感器看曲线 click a sensor for its series")).small(),
                );
                return;
            };
            let Some(s) = series.by_id.get(&id) else {
                return;
            };
            let now = v.clock.t / 3600.0;
            let hours = |pts: &[[f64; 2]]| -> Vec<[f64; 2]> {
                pts.iter().map(|p| [p[0] / 3600.0, p[1]]).collect()
            };
            Plot::new("sensor_plot")
                .height(80.0)
                .allow_scroll(false)
                .include_x(0.0)
                .include_x(v.clock.end / 3600.0)
                .include_y(0.0)
                .show(ui, |p| {
                    p.line(
                        Line::new(
                            tr(&format!("{id} 读数 reading")),
                            PlotPoints::from(hours(&s.visible)),
                        )
                        .color(Color32::from_rgb(0, 170, 190)),
                    );
                    if !trainee {
                        p.line(
                            Line::new(
                                tr(&format!("{id} 实况 truth")),
                                PlotPoints::from(hours(&s.truth)),
                            )
                            .color(Color32::GRAY),
                        );
                    }
                    p.vline(VLine::new("now", now).color(Color32::GRAY));
                });
        },
    );
    if let Some(r) = shown {
        marks.put("situation", r);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sensor(visible: Option<(f64, f64)>, truth: Option<f64>) -> SensorView {
        SensorView {
            id: "S1".into(),
            at: (0.0, 0.0),
            rain: false,
            status: false,
            visible,
            truth,
        }
    }

    #[test]
    fn a_sensor_series_takes_each_new_reading_once_and_a_seek_back_drops_later_points() {
        let mut s = SensorSeries::default();
        s.add(60.0, &[sensor(Some((0.1, 0.0)), Some(0.12))]);
        s.add(90.0, &[sensor(Some((0.1, 0.0)), Some(0.15))]);
        s.add(120.0, &[sensor(Some((0.3, 60.0)), Some(0.2))]);
        let e = &s.by_id["S1"];
        assert_eq!(e.visible, [[0.0, 0.1], [60.0, 0.3]]);
        assert_eq!(e.truth, [[60.0, 0.12], [120.0, 0.2]]);
        s.add(70.0, &[sensor(Some((0.1, 0.0)), Some(0.13))]);
        let e = &s.by_id["S1"];
        assert_eq!(e.visible, [[0.0, 0.1]]);
        assert_eq!(e.truth, [[60.0, 0.12]]);
    }
}
