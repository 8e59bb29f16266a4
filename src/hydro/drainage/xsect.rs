//! Cross-section geometry: flow area, top width and hydraulic radius against depth, and
//! the critical and normal depths that close the free ends of a conduit.
//!
//! Depths above the full depth of a closed section give the full area and zero top
//! width (the pipe is pressurised); open sections continue their walls upward.

use super::network::XSection;

/// Gravity, m/s².
pub const G: f64 = 9.81;

/// Geometry of one section at one depth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geom {
    /// Flow area, m².
    pub area: f64,
    /// Top width, m.
    pub width: f64,
    /// Hydraulic radius, m.
    pub radius: f64,
}

impl XSection {
    /// Area, top width and hydraulic radius at depth `y` (m).
    pub fn geom(&self, y: f64) -> Geom {
        let y = y.max(0.0);
        let (area, width, perim) = match *self {
            Self::Circular { d } | Self::ForceMain { d, .. } => {
                if y >= d {
                    let a = std::f64::consts::PI * d * d / 4.0;
                    return Geom {
                        area: a,
                        width: 0.0,
                        radius: d / 4.0,
                    };
                }
                // θ, the angle the water surface subtends at the centre; its sines
                // follow from the relative depth r without more trigonometry:
                // sin(θ/2) = 2√(r(1−r)), sin θ = 2 sin(θ/2)(1−2r).
                let r = (y / d).clamp(0.0, 1.0);
                let th = 2.0 * (1.0 - 2.0 * r).acos();
                let half = 2.0 * (r * (1.0 - r)).sqrt();
                let sin_th = 2.0 * half * (1.0 - 2.0 * r);
                (d * d / 8.0 * (th - sin_th), d * half, d * th / 2.0)
            }
            Self::RectClosed { h, w } => {
                if y >= h {
                    return Geom {
                        area: h * w,
                        width: 0.0,
                        radius: h * w / (2.0 * (h + w)),
                    };
                }
                (y * w, w, w + 2.0 * y)
            }
            Self::RectOpen { w, .. } => (y * w, w, w + 2.0 * y),
            Self::Trapezoidal {
                w, z_left, z_right, ..
            } => (
                y * (w + 0.5 * (z_left + z_right) * y),
                w + (z_left + z_right) * y,
                w + y * ((1.0 + z_left * z_left).sqrt() + (1.0 + z_right * z_right).sqrt()),
            ),
            Self::Triangular { h, w } => {
                let z = if h > 0.0 { 0.5 * w / h } else { 0.0 };
                (z * y * y, 2.0 * z * y, 2.0 * y * (1.0 + z * z).sqrt())
            }
            Self::Dummy => (0.0, 0.0, 0.0),
        };
        Geom {
            area,
            width,
            radius: if perim > 0.0 { area / perim } else { 0.0 },
        }
    }

    /// Top width at depth `y`, m: [`XSection::geom`]'s width, bit for bit, without the
    /// area's trigonometry for a circle.
    pub fn top_width(&self, y: f64) -> f64 {
        match *self {
            Self::Circular { d } | Self::ForceMain { d, .. } => {
                let y = y.max(0.0);
                if y >= d {
                    return 0.0;
                }
                let r = (y / d).clamp(0.0, 1.0);
                d * (2.0 * (r * (1.0 - r)).sqrt())
            }
            _ => self.geom(y).width,
        }
    }

    /// Full-flow area, m² (the area at full depth).
    pub fn full_area(&self) -> f64 {
        self.geom(self.full_depth()).area
    }

    /// Width used to give the section's water surface to its end nodes: the top width,
    /// or for a closed section at or above its crown, none.
    pub fn surface_width(&self, y: f64) -> f64 {
        if y <= 0.0 {
            return 0.0;
        }
        self.geom(y).width
    }

    /// Critical depth for flow `q` (m³/s), m: the depth where q²·T = g·A³.
    pub fn critical_depth(&self, q: f64) -> f64 {
        let q = q.abs();
        let full = self.full_depth();
        if q <= 0.0 || full <= 0.0 {
            return 0.0;
        }
        let f = |y: f64| {
            let g = self.geom(y);
            G * g.area.powi(3) - q * q * g.width.max(1e-9)
        };
        bisect(f, 1e-6 * full, full * 0.999)
    }

    /// Normal depth for flow `q` (m³/s) at slope `s` with Manning's `n`, m (the full
    /// depth if the section cannot carry it at normal depth).
    pub fn normal_depth(&self, q: f64, s: f64, n: f64) -> f64 {
        let q = q.abs();
        let full = self.full_depth();
        // No flow stands at no depth (SWMM's link_getYnorm); a flat or adverse slope
        // has no normal depth, so the full depth stands for it.
        if q <= 0.0 || full <= 0.0 {
            return 0.0;
        }
        if s <= 0.0 || n <= 0.0 {
            return full;
        }
        let f = |y: f64| {
            let g = self.geom(y);
            g.area * g.radius.powf(2.0 / 3.0) * s.sqrt() / n - q
        };
        if f(full * 0.999) < 0.0 {
            return full;
        }
        bisect(f, 1e-6 * full, full * 0.999)
    }
}

/// Root of an increasing function on [lo, hi] (or the end nearest it), to 1e-7 m:
/// regula falsi with the Illinois correction, falling back to bisection when a step
/// would not shrink the bracket enough.
fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    let mut flo = f(lo);
    if flo >= 0.0 {
        return lo;
    }
    let mut fhi = f(hi);
    if fhi <= 0.0 {
        return hi;
    }
    let mut side = 0i8;
    for _ in 0..100 {
        if hi - lo < 1e-7 {
            break;
        }
        let width = hi - lo;
        let mut x = (lo * fhi - hi * flo) / (fhi - flo);
        if !(x > lo && x < hi && x.is_finite()) {
            x = 0.5 * (lo + hi);
        }
        let fx = f(x);
        if fx < 0.0 {
            lo = x;
            flo = fx;
            if side == -1 {
                fhi *= 0.5;
            }
            side = -1;
        } else {
            hi = x;
            fhi = fx;
            if side == 1 {
                flo *= 0.5;
            }
            side = 1;
        }
        if hi - lo > 0.5 * width {
            // Slow progress: bisect once.
            let m = 0.5 * (lo + hi);
            let fm = f(m);
            if fm < 0.0 {
                lo = m;
                flo = fm;
            } else {
                hi = m;
                fhi = fm;
            }
            side = 0;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_full_pipe_has_half_the_area_and_its_diameter_as_width() {
        let x = XSection::Circular { d: 1.0 };
        let g = x.geom(0.5);
        assert!((g.area - std::f64::consts::PI / 8.0).abs() < 1e-12);
        assert!((g.width - 1.0).abs() < 1e-12);
        assert!((g.radius - 0.25).abs() < 1e-12);
        assert_eq!(x.geom(1.2).width, 0.0);
    }

    #[test]
    fn the_circle_matches_its_trigonometric_form() {
        let d = 0.8;
        let x = XSection::Circular { d };
        for k in 0..=400 {
            let y = d * k as f64 / 400.0;
            let th = 2.0 * (1.0 - 2.0 * y / d).acos();
            let g = x.geom(y);
            if k < 400 {
                assert!((g.area - d * d / 8.0 * (th - th.sin())).abs() < 1e-12);
                assert!((g.width - d * (th / 2.0).sin()).abs() < 1e-12);
                assert!((g.radius * d * th / 2.0 - g.area).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn critical_and_normal_depth_satisfy_their_equations() {
        let x = XSection::RectOpen { h: 2.0, w: 3.0 };
        let yc = x.critical_depth(4.0);
        assert!((yc - (16.0 / (G * 9.0)).cbrt()).abs() < 1e-5);
        let yn = x.normal_depth(4.0, 0.001, 0.013);
        let g = x.geom(yn);
        let q = g.area * g.radius.powf(2.0 / 3.0) * 0.001f64.sqrt() / 0.013;
        assert!((q - 4.0).abs() < 1e-3, "{q}");
        // No flow, no depth: a normal-depth outfall with nothing reaching it stays dry
        // (it once stood at the full depth and held the first half hour's water back).
        assert_eq!(x.normal_depth(0.0, 0.001, 0.013), 0.0);
        assert_eq!(
            XSection::Circular { d: 1.2 }.normal_depth(0.0, 0.0035, 0.013),
            0.0
        );
    }
}
