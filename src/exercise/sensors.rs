//! Virtual sensors: what the trainees see. Each sensor samples the truth at its own
//! interval, adds Gaussian noise from its own random stream, and its reading becomes
//! visible only after the latency. Plan rules act on the visible readings; the trainer
//! (and the scorer) see the truth.
//!
//! Units: water level sensors read depth in metres, rain gauges mm/h.

use std::collections::VecDeque;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::rng::stream;

/// What a sensor measures, resolved to a map position.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Measure {
    /// Water depth at the point, m.
    WaterDepth,
    /// Rain intensity at the point, mm/h.
    Rain,
    /// Status of a pump station or robot (1 running, 0 failed); not simulated yet.
    PumpStatus(String),
}

/// One reading.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reading {
    /// When it was taken, s.
    pub t_sample: f64,
    /// When it becomes visible, s.
    pub t_visible: f64,
    /// Value (noise included, never negative).
    pub value: f64,
    /// The truth at `t_sample`.
    pub truth: f64,
}

/// A sensor at run time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Sensor {
    /// Id from the scenario.
    pub id: String,
    /// What it measures.
    pub measure: Measure,
    /// Map position, m.
    pub at: (f64, f64),
    /// Noise standard deviation (sensor units).
    pub noise: f64,
    /// Delay before a reading is visible, s.
    pub latency: f64,
    /// Sampling interval, s.
    pub interval: f64,
    next_sample: f64,
    rng: ChaCha8Rng,
    pending: VecDeque<Reading>,
    visible: Option<Reading>,
}

impl Sensor {
    /// A sensor; its noise stream derives from `(seed, index, "sensor-noise")`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: &str,
        measure: Measure,
        at: (f64, f64),
        noise: f64,
        latency: f64,
        interval: f64,
        seed: u64,
        index: u64,
    ) -> Self {
        Self {
            id: id.to_string(),
            measure,
            at,
            noise,
            latency,
            interval,
            next_sample: 0.0,
            rng: stream(seed, index, "sensor-noise"),
            pending: VecDeque::new(),
            visible: None,
        }
    }

    /// Take the samples due up to `t` with `truth` the true value now, then make
    /// visible what has arrived by `t`.
    pub fn advance(&mut self, t: f64, truth: Option<f64>) {
        while self.next_sample <= t + 1e-9 {
            if let Some(v) = truth {
                let n = if self.noise > 0.0 {
                    self.noise * gaussian(&mut self.rng)
                } else {
                    0.0
                };
                self.pending.push_back(Reading {
                    t_sample: self.next_sample,
                    t_visible: self.next_sample + self.latency,
                    value: (v + n).max(0.0),
                    truth: v,
                });
            }
            self.next_sample += self.interval;
        }
        while let Some(r) = self.pending.front() {
            if r.t_visible <= t + 1e-9 {
                self.visible = self.pending.pop_front();
            } else {
                break;
            }
        }
    }

    /// The latest visible reading.
    pub fn visible(&self) -> Option<Reading> {
        self.visible
    }
}

/// A standard normal draw (Box–Muller), deterministic per stream.
fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_delays_and_interval_paces_readings() {
        let mut s = Sensor::new("WL", Measure::WaterDepth, (0.0, 0.0), 0.0, 60.0, 30.0, 1, 0);
        s.advance(0.0, Some(0.1));
        assert!(s.visible().is_none(), "not visible before the latency");
        s.advance(59.0, Some(0.2));
        assert!(s.visible().is_none());
        s.advance(60.0, Some(0.3));
        let r = s.visible().unwrap();
        assert_eq!((r.t_sample, r.value), (0.0, 0.1));
        s.advance(95.0, Some(0.5));
        // Samples at 30 (0.2) and 60 (0.3) were taken; the one at 30 is visible at 90.
        assert_eq!(s.visible().unwrap().t_sample, 30.0);
    }

    #[test]
    fn noise_is_reproducible_and_has_the_right_spread() {
        let mut a = Sensor::new("WL", Measure::WaterDepth, (0.0, 0.0), 0.05, 0.0, 1.0, 7, 3);
        let mut b = a.clone();
        let mut vals = Vec::new();
        for k in 0..4000 {
            a.advance(k as f64, Some(1.0));
            b.advance(k as f64, Some(1.0));
            assert_eq!(a.visible(), b.visible());
            vals.push(a.visible().unwrap().value);
        }
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / vals.len() as f64).sqrt();
        assert!(
            (mean - 1.0).abs() < 0.005 && (sd - 0.05).abs() < 0.005,
            "{mean} {sd}"
        );
    }
}
