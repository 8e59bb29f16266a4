//! The figures of a merged ensemble: distributions (mean, quantiles), percentile
//! bootstrap intervals, and the per-plan and paired summaries the report shows.

use std::collections::BTreeMap;

use rand::RngExt;
use serde::Serialize;

use super::local::Manifest;
use super::member::{Draws, MemberResult};

/// Quantiles reported for every distribution.
pub const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// A distribution's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Standard deviation (n − 1).
    pub sd: f64,
    /// Smallest.
    pub min: f64,
    /// Quantiles at [`QUANTILES`] (linear between order statistics).
    pub q: [f64; 5],
    /// Largest.
    pub max: f64,
}

/// Quantile `p` of sorted values (linear interpolation, as R's type 7).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Summary of values (in the given order; the mean is summed in that order).
pub fn stats(values: &[f64]) -> Option<Stats> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    Some(Stats {
        n,
        mean,
        sd,
        min: s[0],
        q: QUANTILES.map(|p| quantile(&s, p)),
        max: s[n - 1],
    })
}

/// Percentile bootstrap 95 % interval of the mean of `values`, `b` resamples from the
/// stream `(seed, purpose)`.
pub fn bootstrap_ci(values: &[f64], b: u32, seed: u64, purpose: &str) -> Option<(f64, f64)> {
    if values.len() < 2 {
        return None;
    }
    let mut rng = crate::rng::stream(seed, 0, purpose);
    let n = values.len();
    let mut means: Vec<f64> = (0..b)
        .map(|_| {
            let mut s = 0.0;
            for _ in 0..n {
                s += values[rng.random_range(0..n)];
            }
            s / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    Some((quantile(&means, 0.025), quantile(&means, 0.975)))
}

/// One quantity of one plan over the members.
#[derive(Debug, Clone, Serialize)]
pub struct PlanMetric {
    /// Metric id (`overall`, a criterion id, a measure).
    pub metric: String,
    /// Display name.
    pub name: String,
    /// Its distribution over the members.
    pub stats: Option<Stats>,
    /// Share of members passing (scores only).
    pub pass_share: Option<f64>,
}

/// A plan compared with the baseline, member by member.
#[derive(Debug, Clone, Serialize)]
pub struct Paired {
    /// Metric id.
    pub metric: String,
    /// Display name.
    pub name: String,
    /// Members compared.
    pub n: usize,
    /// Mean of (plan − baseline).
    pub mean_diff: f64,
    /// Bootstrap 95 % interval of the mean difference.
    pub ci95: Option<(f64, f64)>,
    /// Members where the plan scored higher.
    pub better: usize,
    /// Members where it scored lower.
    pub worse: usize,
    /// Difference of the shares passing (plan − baseline), with its interval.
    pub pass_share_diff: Option<f64>,
    /// Bootstrap 95 % interval of that difference.
    pub pass_share_ci95: Option<(f64, f64)>,
}

/// One plan's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    /// Plan id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Members finished (with a scorecard).
    pub members: usize,
    /// Runs that failed (status failed) — counted, and scored as they stand.
    pub failed_runs: usize,
    /// Score metrics: overall and each criterion.
    pub scores: Vec<PlanMetric>,
    /// Other measures (persons not safe, rescued, max depth, clearance times…).
    pub measures: Vec<PlanMetric>,
    /// Rescue response times over every request of every member, s.
    pub rescue_response_s: Option<Stats>,
    /// Against the baseline (empty for the baseline itself).
    pub paired: Vec<Paired>,
    /// Cells with probability > 0 of passing 0.15 m.
    pub cells_ever_over_0_15m: usize,
}

/// The merged result.
#[derive(Debug, Clone, Serialize)]
pub struct Merged {
    /// Ensemble name.
    pub name: String,
    /// Its hash.
    pub hash: String,
    /// Members.
    pub members: u32,
    /// Bootstrap resamples.
    pub bootstrap: u32,
    /// The members' draws, by member.
    pub draws: Vec<Draws>,
    /// Per plan, the first being the baseline.
    pub plans: Vec<PlanSummary>,
    /// Members missing (plan, member) — only with `allow_missing`.
    pub missing: Vec<(String, u32)>,
}

/// Everything the merge read.
pub struct Collected {
    /// The manifest.
    pub manifest: Manifest,
    /// Results by (plan index, member).
    pub results: BTreeMap<(usize, u32), MemberResult>,
    /// Missing (plan, member).
    pub missing: Vec<(String, u32)>,
}
