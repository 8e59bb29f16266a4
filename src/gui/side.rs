//! The console's two columns: the trainer's side on the left (layers, injects, the
//! water and network legends), the trainee's on the right (forces and orders, the
//! timeline), with the map in between.
//!
//! How it works: each panel is a [`section`] — a collapsible frame in an
//! egui `Area` placed below the one before it in its column. The systems that draw
//! them run in the fixed order of [`UiOrder`], so the stacking is the same every
//! frame; the map is fitted into the space between the columns
//! ([`super::map_view::ScreenInsets`]).

use std::collections::BTreeMap;

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};

/// Width of the left column, logical points.
pub const LEFT_W: f32 = 300.0;
/// Width of the right column, logical points.
pub const RIGHT_W: f32 = 340.0;
/// Gap around the columns, points.
const GAP: f32 = 6.0;

/// Which column a section goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// The trainer's side.
    Left,
    /// The trainee's side.
    Right,
}

/// The order the console's UI systems draw in.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UiOrder {
    /// The top bar (its height places the columns).
    Top,
    /// Left column, first to last.
    Left1,
    /// Second on the left.
    Left2,
    /// Third on the left.
    Left3,
    /// Fourth on the left.
    Left4,
    /// Fifth on the left.
    Left5,
    /// Right column, first.
    Right1,
    /// Second on the right.
    Right2,
    /// Floating windows and the map's own drawing.
    Float,
}

/// Id under which the top bar leaves its bottom edge for the columns.
pub fn top_id() -> egui::Id {
    egui::Id::new("floodrill_top_bar_bottom")
}

#[derive(Debug, Clone, Copy, Default)]
struct ColumnState {
    frame: u64,
    y: f32,
}

/// Draw a collapsible section titled `title` below the previous one in `col`;
/// returns its rectangle.
pub fn section<R>(
    ctx: &egui::Context,
    col: Column,
    title: impl AsRef<str>,
    open: bool,
    add: impl FnOnce(&mut egui::Ui) -> R,
) -> Option<egui::Rect> {
    let title = super::lang::tr(title.as_ref());
    let frame = ctx.cumulative_frame_nr();
    let key = egui::Id::new(("floodrill_column", col));
    let top = ctx.data(|d| d.get_temp::<f32>(top_id())).unwrap_or(40.0);
    let mut st: ColumnState = ctx.data(|d| d.get_temp(key)).unwrap_or_default();
    if st.frame != frame || st.y == 0.0 {
        st = ColumnState {
            frame,
            y: top + GAP,
        };
    }
    let screen = ctx.content_rect();
    let (w, x) = match col {
        Column::Left => (LEFT_W, screen.left() + GAP),
        Column::Right => (RIGHT_W, screen.right() - RIGHT_W - GAP),
    };
    let shown = egui::Area::new(egui::Id::new(("floodrill_section", &title)))
        .order(egui::Order::Middle)
        .fixed_pos(egui::pos2(x, st.y))
        .show(ctx, |ui| {
            egui::Frame::window(ui.style())
                .show(ui, |ui| {
                    ui.set_width(w - 16.0);
                    egui::CollapsingHeader::new(RichText::new(title.as_str()).strong())
                        .default_open(open)
                        .show(ui, add);
                })
                .response
                .rect
        });
    // The frame as laid out this frame (the area's own rectangle lags a frame behind
    // when the content grows).
    let rect = shown.inner;
    st.y = rect.bottom() + GAP;
    ctx.data_mut(|d| d.insert_temp(key, st));
    Some(rect)
}

/// Rectangles of the panels and widgets drawn this frame, logical points.
#[derive(Resource, Debug, Default, Clone)]
pub struct UiMarks {
    /// Name → `[x0, y0, x1, y1]`.
    pub rects: BTreeMap<String, [f32; 4]>,
}

impl UiMarks {
    /// Note where `name` is.
    pub fn put(&mut self, name: &str, r: egui::Rect) {
        self.rects
            .insert(name.to_string(), [r.min.x, r.min.y, r.max.x, r.max.y]);
    }
}

/// Which layers are shown, and whose view it is.
#[derive(Resource, Debug, Clone)]
pub struct Layers {
    /// Households as dots.
    pub households: bool,
    /// Routes ahead and tracks behind the units.
    pub routes: bool,
    /// Shelters with occupancy.
    pub shelters: bool,
    /// Open rescue requests.
    pub requests: bool,
    /// Zones coloured by status.
    pub zones: bool,
    /// Roads slowed or closed.
    pub roads: bool,
    /// Virtual sensors with their readings.
    pub sensors: bool,
    /// The trainee view: only what the trainees would know.
    pub trainee: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Self {
            households: true,
            routes: true,
            shelters: true,
            requests: true,
            zones: true,
            roads: true,
            sensors: true,
            trainee: false,
        }
    }
}
