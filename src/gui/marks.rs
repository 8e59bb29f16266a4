//! Where things are on screen, for scripts and tests, and how fast frames come.
//!
//! How it works: the panels put their window rectangles into [`UiMarks`] each frame
//! (named `trainer`, `trainee`, `timeline`, `review`, `layers`, `water`, and widgets
//! such as `breach_button`); with `--ui-marks FILE` the console writes them, the units'
//! screen positions, the sim time and the window size to FILE (JSON, pixels, through
//! a temporary file and a rename) twice a second. A script (`xdotool`) reads it to
//! click a unit or a button without guessing the layout. With `--frame-stats FILE`
//! the real time of every frame after the first [`WARMUP_FRAMES`] is kept and the
//! median, 99th percentile and maximum are written to FILE on exit (and every 100
//! frames), with the households and units on screen.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::EguiContexts;

use super::driver::Console;
use super::layers::MapScreen;
use super::side::UiMarks;

/// Frames left out of the frame-time statistics (start-up, shader compilation).
pub const WARMUP_FRAMES: u32 = 60;

/// The UI scale (egui zoom factor).
#[derive(Resource, Debug, Clone, Copy)]
pub struct Scale(pub f32);

/// Options of the marks and the frame statistics.
#[derive(Resource, Debug, Clone)]
struct MarkFiles {
    ui_marks: Option<PathBuf>,
    frame_stats: Option<PathBuf>,
    last_write: f64,
    frames: Vec<f64>,
    seen: u32,
}

/// Adds the marks and the frame statistics.
pub struct MarksPlugin {
    /// Write the marks here.
    pub ui_marks: Option<PathBuf>,
    /// Write the frame statistics here.
    pub frame_stats: Option<PathBuf>,
}

impl Plugin for MarksPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<UiMarks>()
            .insert_resource(MarkFiles {
                ui_marks: self.ui_marks.clone(),
                frame_stats: self.frame_stats.clone(),
                last_write: f64::NEG_INFINITY,
                frames: Vec::new(),
                seen: 0,
            })
            .add_systems(PreUpdate, (apply_scale, clear_marks))
            .add_systems(Last, (write_marks, frame_stats));
    }
}

fn apply_scale(
    mut contexts: EguiContexts,
    scale: Res<Scale>,
    mut insets: ResMut<super::map_view::ScreenInsets>,
) {
    if let Ok(ctx) = contexts.ctx_mut()
        && ctx.zoom_factor() != scale.0
    {
        ctx.set_zoom_factor(scale.0);
        insets.left = (super::side::LEFT_W + 12.0) * scale.0;
        insets.right = (super::side::RIGHT_W + 12.0) * scale.0;
    }
}

fn clear_marks(mut marks: ResMut<UiMarks>) {
    marks.rects.clear();
}

fn write_json(path: &PathBuf, v: &serde_json::Value) {
    let tmp = path.with_extension("tmp");
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

#[allow(clippy::too_many_arguments)]
fn write_marks(
    time: Res<Time<Real>>,
    marks: Res<UiMarks>,
    console: Res<Console>,
    screen: Res<MapScreen>,
    scale: Res<Scale>,
    scenario: Res<crate::engine::ScenarioRes>,
    tool: Res<super::layers::MapTool>,
    window: Single<&Window, With<PrimaryWindow>>,
    mut files: ResMut<MarkFiles>,
) {
    let Some(path) = files.ui_marks.clone() else {
        return;
    };
    let now = time.elapsed_secs_f64();
    if now - files.last_write < 0.5 || !screen.ready {
        return;
    }
    files.last_write = now;
    let z = scale.0;
    let px = |r: &[f32; 4]| [r[0] * z, r[1] * z, r[2] * z, r[3] * z];
    let rects: serde_json::Map<String, serde_json::Value> = marks
        .rects
        .iter()
        .map(|(k, r)| (k.clone(), serde_json::json!(px(r))))
        .collect();
    // In the view's order (teams, then robots): a unit's colour is its place in it.
    let mut units = Vec::new();
    let (mut t, mut paused, mut log, mut pending) = (0.0, true, 0, 0);
    if let Some(v) = &console.view {
        for u in &v.units {
            let s = screen.to_screen(u.pos);
            units.push(serde_json::json!([u.id, s.x, s.y]));
        }
        t = v.clock.t;
        paused = v.run.paused;
        log = console.log.len();
        pending = v.pending_injects.len();
    }
    let (w, h) = (window.width(), window.height());
    let centre = screen.to_map(Vec2::new(w / 2.0, h / 2.0));
    let (x0, y0, x1, y1) = scenario.0.dem.spec.extent();
    let (a, b) = (screen.to_screen((x0, y1)), screen.to_screen((x1, y0)));
    write_json(
        &path,
        &serde_json::json!({
            "window": [w, h],
            "t": t,
            "paused": paused,
            "log_entries": log,
            "pending_injects": pending,
            "selected": tool.selected,
            "map_centre": [centre.0, centre.1],
            "map_extent_px": [a.x, a.y, b.x, b.y],
            "metres_per_pixel": screen.scale,
            "rects": rects,
            "units": units,
            "messages": console.messages.iter().map(|m| serde_json::json!({"ok": m.0, "text": m.1})).collect::<Vec<_>>(),
        }),
    );
}

/// Median, 99th percentile and maximum of frame times (ms).
pub fn frame_summary(ms: &[f64]) -> Option<(f64, f64, f64)> {
    if ms.is_empty() {
        return None;
    }
    let mut v = ms.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Some((at(0.5), at(0.99), v[v.len() - 1]))
}

fn frame_stats(
    time: Res<Time<Real>>,
    console: Res<Console>,
    mut files: ResMut<MarkFiles>,
    mut exit: MessageReader<AppExit>,
) {
    let Some(path) = files.frame_stats.clone() else {
        return;
    };
    files.seen += 1;
    if files.seen > WARMUP_FRAMES {
        let dt = time.delta_secs_f64() * 1e3;
        files.frames.push(dt);
    }
    let exiting = exit.read().count() > 0;
    if !(exiting || files.frames.len().is_multiple_of(100)) {
        return;
    }
    let Some((median, p99, max)) = frame_summary(&files.frames) else {
        return;
    };
    let (households, speed, achieved) = console.view.as_ref().map_or((0, 0.0, 0.0), |v| {
        (v.households.len(), v.run.speed, v.run.achieved)
    });
    write_json(
        &path,
        &serde_json::json!({
            "frames": files.frames.len(),
            "median_ms": median,
            "p99_ms": p99,
            "max_ms": max,
            "households": households,
            "speed": speed,
            "achieved_speed": achieved,
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_summary_takes_median_p99_and_max() {
        let ms: Vec<f64> = (1..=100).map(f64::from).collect();
        let (m, p, x) = frame_summary(&ms).unwrap();
        assert_eq!((m, p, x), (51.0, 99.0, 100.0));
        assert!(frame_summary(&[]).is_none());
    }
}
