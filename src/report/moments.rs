//! Where and when: the moment in the drill behind a timeline row or an evidence row,
//! as a link the report draws — a marker on the maps and the command that opens the
//! console's review at that moment (`floodrill gui --replay FILE --at T`).
//!
//! Places, zones, roads and units are found in the scenario; a unit's position at a
//! time comes from its recorded track; a rescue request's from the forces' record.

use serde_json::Value;

use super::RunRecord;
use super::maps::Canvas;
use crate::exercise::describe::{Names, Spot};
use crate::scenario::{Scenario, format_clock, format_duration};
use crate::world::Pt;

/// The names and positions a run's record knows.
pub struct Atlas<'a> {
    s: &'a Scenario,
    r: &'a RunRecord<'a>,
}

impl<'a> Atlas<'a> {
    /// The atlas of a run.
    pub fn new(r: &'a RunRecord<'a>) -> Self {
        Self { s: r.scenario, r }
    }

    fn track(&self, unit: &str) -> Option<&'a [(f64, f64, f64)]> {
        let f = self.r.forces?;
        f.0.teams
            .iter()
            .find(|t| t.spec.id == unit)
            .map(|t| t.track.as_slice())
            .or_else(|| {
                f.0.robots
                    .iter()
                    .find(|r| r.spec.id == unit)
                    .map(|r| r.track.as_slice())
            })
    }

    fn depot(&self, unit: &str) -> Option<&'a str> {
        let fc = &self.s.file.forces;
        fc.teams
            .iter()
            .find(|t| t.id == unit)
            .map(|t| t.depot.as_str())
            .or_else(|| {
                fc.robots
                    .iter()
                    .find(|r| r.id == unit)
                    .map(|r| r.depot.as_str())
            })
    }

    /// A place's position.
    pub fn place(&self, id: &str) -> Option<Pt> {
        self.s.places.iter().find(|p| p.id == id).map(|p| p.at)
    }

    /// The middle of a zone's largest polygon.
    pub fn zone(&self, id: &str) -> Option<Pt> {
        let z = self.s.zones.iter().find(|z| z.id == id)?;
        let poly = z.polygons.iter().max_by_key(|p| p.len())?;
        let n = poly.len() as f64;
        (n > 0.0).then(|| {
            (
                poly.iter().map(|p| p.0).sum::<f64>() / n,
                poly.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
    }

    /// Where a unit was at time `t` (its track), else its depot.
    pub fn unit(&self, id: &str, t: Option<f64>) -> Option<Pt> {
        if let Some(tr) = self.track(id).filter(|tr| !tr.is_empty()) {
            let t = t.unwrap_or(f64::INFINITY);
            let i = tr.partition_point(|p| p.0 <= t);
            let p = tr[i.saturating_sub(1)];
            if i == 0 || i >= tr.len() {
                return Some((p.1, p.2));
            }
            let q = tr[i];
            let f = if q.0 > p.0 {
                (t - p.0) / (q.0 - p.0)
            } else {
                0.0
            };
            return Some((p.1 + (q.1 - p.1) * f, p.2 + (q.2 - p.2) * f));
        }
        self.depot(id).and_then(|d| self.place(d))
    }

    /// A rescue request's position.
    pub fn request(&self, id: u64) -> Option<Pt> {
        let f = self.r.forces?;
        f.0.requests
            .iter()
            .find(|r| r.id as u64 == id)
            .map(|r| r.at)
    }

    /// A place as the scorecard names it, `乔司路 (R376)`: a place's position; on a road,
    /// the first rescue request raised at `t` (else any) on that road, else the road's
    /// middle.
    pub fn labelled(&self, label: &str, t: Option<f64>) -> Option<Pt> {
        let id = label
            .strip_suffix(')')
            .and_then(|l| l.rsplit_once('('))
            .map_or(label, |(_, id)| id.trim());
        if let Some(p) = self.place(id) {
            return Some(p);
        }
        let road = self.s.roads.iter().find(|r| r.id == id)?;
        let on_road = |p: Pt| {
            road.line
                .windows(2)
                .map(|w| super::actions::segment_distance(p, w[0], w[1]))
                .fold(f64::INFINITY, f64::min)
                <= 30.0
        };
        let requests = self
            .r
            .forces
            .map(|f| f.0.requests.as_slice())
            .unwrap_or(&[]);
        requests
            .iter()
            .filter(|r| t.is_some_and(|t| (r.t - t).abs() < 1.0))
            .chain(requests.iter())
            .find(|r| on_road(r.at))
            .map(|r| r.at)
            .or_else(|| road.line.get(road.line.len() / 2).copied())
    }

    /// The map point of a spot at time `t`.
    pub fn point(&self, spot: &Spot, t: Option<f64>) -> Option<Pt> {
        match spot {
            Spot::Place(id) => self
                .place(id)
                .or_else(|| self.zone(id))
                .or_else(|| self.unit(id, t)),
            Spot::Point(x, y) => Some((*x, *y)),
            Spot::Zones(z) => z.first().and_then(|z| self.zone(z)),
            Spot::Road(id) => {
                let r = self.s.roads.iter().find(|r| &r.id == id)?;
                r.line.get(r.line.len() / 2).copied()
            }
            Spot::Unit(id) => self.unit(id, t),
        }
    }
}

impl Names for Atlas<'_> {
    fn name(&self, id: &str) -> Option<String> {
        let s = self.s;
        if let Some(p) = s.places.iter().find(|p| p.id == id) {
            return Some(p.name.clone());
        }
        if let Some(z) = s.zones.iter().find(|z| z.id == id) {
            return Some(z.name.clone());
        }
        if let Some(t) = s.file.forces.teams.iter().find(|t| t.id == id) {
            return Some(t.name.clone());
        }
        if let Some(r) = s.file.forces.robots.iter().find(|r| r.id == id) {
            return Some(r.name.clone());
        }
        s.roads.iter().find(|r| r.id == id).map(|r| r.name.clone())
    }
}

/// Seconds of a `h:mm:ss` clock as the scorecard writes it.
pub fn clock_secs(s: &str) -> Option<f64> {
    let mut it = s.split(':');
    let (h, m, sec) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    let h: u64 = h.parse().ok()?;
    let m: u64 = m.parse().ok()?;
    let sec: u64 = sec.parse().ok()?;
    (m < 60 && sec < 60).then_some((h * 3600 + m * 60 + sec) as f64)
}

/// The moment and place an evidence row is about: its time (the first of the fields
/// that say when it happened) and its place (the row's place, zone, request or unit).
pub fn evidence_moment(kind: &str, row: &Value, atlas: &Atlas<'_>) -> (Option<f64>, Option<Pt>) {
    let secs = |k: &str| row.get(k).and_then(Value::as_f64).filter(|v| v.is_finite());
    let clock = |k: &str| row.get(k).and_then(Value::as_str).and_then(clock_secs);
    let t = ["first_s", "warned_s"]
        .iter()
        .find_map(|k| secs(k))
        .or_else(|| {
            [
                "raised",
                "at",
                "first",
                "arrived",
                "warned",
                "onset",
                "drained",
                "deadline",
                "required_by",
            ]
            .iter()
            .find_map(|k| clock(k))
        })
        .or_else(|| secs("onset_s"));
    let text = |k: &str| row.get(k).and_then(Value::as_str);
    let pt = match kind {
        "request" | "open_at_end" => row
            .get("request")
            .and_then(Value::as_u64)
            .and_then(|id| atlas.request(id))
            .or_else(|| text("at").and_then(|p| atlas.labelled(p, t))),
        "zone" => text("zone").and_then(|z| atlas.zone(z)),
        "unit" => text("unit").and_then(|u| atlas.unit(u, t)),
        "failed" => text("failed").and_then(|u| atlas.point(&Spot::Place(u.to_string()), t)),
        "caught_at" => text("caught_at").and_then(|l| atlas.labelled(l, t)),
        k => text(k).and_then(|id| atlas.point(&Spot::Place(id.to_string()), t)),
    };
    (t, pt)
}

/// The link cell of a row: the moment as a clock that, clicked, puts a marker on the
/// maps and shows (and copies) the command that opens the review there.
pub fn link(
    replay: Option<&str>,
    t: Option<f64>,
    pt: Option<Pt>,
    label: &str,
    canvas: &Canvas,
) -> String {
    if t.is_none() && pt.is_none() {
        return String::new();
    }
    let mut a = String::from("<a href=\"#\" class=go");
    if let (Some(t), Some(replay)) = (t, replay) {
        a += &format!(
            " data-c=\"{}\"",
            attr(&format!(
                "floodrill gui --replay {replay} --at {}",
                format_duration(t.max(0.0).round())
            ))
        );
    }
    if let Some(p) = pt {
        let (x, y) = canvas.pixel(p);
        if x >= 0.0 && y >= 0.0 && x <= canvas.width as f64 && y <= canvas.height as f64 {
            a += &format!(" data-x=\"{x:.0}\" data-y=\"{y:.0}\"");
        }
    }
    a += &format!(" data-l=\"{}\" onclick=\"return go(this)\">", attr(label));
    a += &match t {
        Some(t) => format!("◎ {}", format_clock(t)),
        None => "◎".to_string(),
    };
    a + "</a>"
}

/// Text as an HTML attribute value (between double quotes).
fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_read_back() {
        assert_eq!(clock_secs("1:25:00"), Some(5100.0));
        assert_eq!(clock_secs("0:00:59"), Some(59.0));
        assert_eq!(clock_secs("1:61:00"), None);
        assert_eq!(clock_secs("road 3"), None);
        assert_eq!(clock_secs("1:2"), None);
    }
}
