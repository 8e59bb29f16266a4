//! Parameters of the household kernel: population, warning channels, mobilisation,
//! movement and hazard, with defaults from `shared/DOMAIN.md` §6–7 and conversions
//! from the scenario schema.
//!
//! Units: seconds, metres, metres per second, persons; shares are 0–1.

use crate::scenario::schema;
use crate::world::roads::Mode;

/// A parameter out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AgentError {
    /// A parameter is out of range.
    #[error("agent parameter {name}: {message}")]
    BadParam {
        /// Which parameter.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A shelter refers to a place or zone that does not exist.
    #[error("shelter \"{shelter}\": {message}")]
    BadShelter {
        /// Shelter (place) id.
        shelter: String,
        /// What is wrong.
        message: String,
    },
    /// A zone id that is not in the zones layer.
    #[error("unknown zone \"{0}\"")]
    UnknownZone(String),
    /// A saved state that does not fit the households built from the scenario.
    #[error("{0}")]
    BadState(String),
    /// A household id out of range.
    #[error("no household {0}")]
    UnknownHousehold(u32),
    /// An operation that the household's state does not allow.
    #[error("household H{hh} is {state} and cannot be {what}")]
    WrongState {
        /// Household.
        hh: u32,
        /// Its state.
        state: &'static str,
        /// What was attempted.
        what: &'static str,
    },
    /// A water grid whose length does not match its spec.
    #[error("{what}: expected {expected} cells, found {found}")]
    LengthMismatch {
        /// Which grid.
        what: &'static str,
        /// Cells in the spec.
        expected: usize,
        /// Length given.
        found: usize,
    },
}

fn check(name: &'static str, ok: bool, msg: impl FnOnce() -> String) -> Result<(), AgentError> {
    if ok {
        Ok(())
    } else {
        Err(AgentError::BadParam {
            name,
            message: msg(),
        })
    }
}

fn share(name: &'static str, v: f64) -> Result<(), AgentError> {
    check(name, (0.0..=1.0).contains(&v), || {
        format!("must be a share in 0–1, found {v}")
    })
}

fn positive(name: &'static str, v: f64) -> Result<(), AgentError> {
    check(name, v.is_finite() && v > 0.0, || {
        format!("must be finite and > 0, found {v}")
    })
}

fn non_negative(name: &'static str, v: f64) -> Result<(), AgentError> {
    check(name, v.is_finite() && v >= 0.0, || {
        format!("must be finite and ≥ 0, found {v}")
    })
}

/// Household make-up.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PopulationParams {
    /// Mean persons per household (≥ 1); a building's `residents / households` wins
    /// when the building gives residents.
    pub household_size: f64,
    /// Share of households evacuating by car.
    pub vehicle_share: f64,
    /// Share of households with an elderly member (walk slower).
    pub elderly_share: f64,
    /// Share of households with children (walk slower).
    pub children_share: f64,
    /// Share of evacuating households that go to relatives or a place of their own
    /// (out of the district by the nearest exit) rather than a public shelter.
    pub self_arranged_share: f64,
}

impl Default for PopulationParams {
    fn default() -> Self {
        Self::from(&schema::Population::default())
    }
}

impl From<&schema::Population> for PopulationParams {
    fn from(p: &schema::Population) -> Self {
        Self {
            household_size: p.household_size,
            vehicle_share: p.vehicle_share,
            elderly_share: p.elderly_share,
            children_share: p.children_share,
            self_arranged_share: p.self_arranged_share,
        }
    }
}

/// Mobilisation after reception: lognormal delay by time of day, and compliance.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MobilisationParams {
    /// Median delay from reception to departure by day (07:00–21:00), seconds.
    pub median_day_s: f64,
    /// Median delay at night, seconds.
    pub median_night_s: f64,
    /// Lognormal σ (0: every household takes exactly the median).
    pub sigma: f64,
    /// Share of households that leave on their own when warned; the rest stay.
    pub compliance: f64,
    /// Local clock hour (0–24) at sim time 0, for day/night.
    pub start_hour: f64,
    /// Time from reception to the household's decision (leave or stay), seconds; the
    /// household is `Warned` meanwhile. The departure delay still counts from
    /// reception. Default 0 (decides on reception).
    pub decision_s: f64,
    /// A household told to prepare that is then told to evacuate takes this share of
    /// its usual delay (default 0.5).
    pub prepared_factor: f64,
}

impl Default for MobilisationParams {
    fn default() -> Self {
        Self::from(&schema::Mobilisation::default())
    }
}

impl From<&schema::Mobilisation> for MobilisationParams {
    fn from(m: &schema::Mobilisation) -> Self {
        Self {
            median_day_s: m.median_day.secs(),
            median_night_s: m.median_night.secs(),
            sigma: m.sigma,
            compliance: m.compliance,
            start_hour: 12.0,
            decision_s: 0.0,
            prepared_factor: 0.5,
        }
    }
}

impl MobilisationParams {
    /// True if sim time `t` (seconds) falls in the day band 07:00–21:00.
    pub fn is_day(&self, t: f64) -> bool {
        let h = (self.start_hour + t / 3600.0).rem_euclid(24.0);
        (7.0..21.0).contains(&h)
    }

    /// Median delay for a reception at sim time `t`, seconds.
    pub fn median_at(&self, t: f64) -> f64 {
        if self.is_day(t) {
            self.median_day_s
        } else {
            self.median_night_s
        }
    }
}

/// One warning channel's reception curve.
///
/// A household in a warned zone is reached with probability `reach`; its reception
/// delay after issue is exponential with median `half_time_s`:
/// `delay = half_time · log2(1 / (1 − u))`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelParams {
    /// Channel id (names the random stream `warn/<id>/<k>` and the events).
    pub id: String,
    /// Share of households eventually reached, 0–1.
    pub reach: f64,
    /// Median reception delay, seconds.
    pub half_time_s: f64,
}

impl From<&schema::Channel> for ChannelParams {
    fn from(c: &schema::Channel) -> Self {
        Self {
            id: c.id.clone(),
            reach: c.reach,
            half_time_s: c.half_time.secs(),
        }
    }
}

impl ChannelParams {
    /// Check ranges.
    pub fn validate(&self) -> Result<(), AgentError> {
        share("channel.reach", self.reach)?;
        non_negative("channel.half_time_s", self.half_time_s)
    }
}

/// Walking speeds on dry ground (the depth curve and congestion come from the routing
/// [`CostParams`](crate::world::routing::CostParams) of the `EdgeCosts` in use).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MovementParams {
    /// Walking speed, m/s (default 1.2).
    pub walk_speed: f64,
    /// Walking speed of households with elderly members or children, m/s (default 0.9).
    pub slow_walk_speed: f64,
    /// At most this many edges per household per tick (guards against zero-length
    /// loops; default 64).
    pub max_hops_per_tick: u32,
    /// A household stopped on the road with no shelter it can reach tries again every
    /// tick for this long, then takes refuge in a building where it is, seconds
    /// (default 1800: half an hour).
    #[serde(default = "default_max_wait_s")]
    pub max_wait_s: f64,
    /// The link queues: flow and storage capacity per mode.
    #[serde(default)]
    pub queues: QueueParams,
}

/// Traffic as queues (the queue model of MATSim, Gawron 1998): each directed road
/// segment, per mode, holds at most `lanes × length / spacing` households (vehicles
/// when driving) and lets them leave at most `lanes × flow_per_lane_h` per hour, first
/// in, first out. A household enters a segment only when it has room.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QueueParams {
    /// Cars leaving a segment per lane and hour (default 1800).
    pub drive_flow_per_lane_h: f64,
    /// Lane length one car occupies in a jam, metres (default 7.5).
    pub drive_spacing_m: f64,
    /// Walking households leaving a segment per lane of footway and hour (default
    /// 3600: one a second, about 2.6 persons/s).
    pub walk_flow_per_lane_h: f64,
    /// Footway length one walking household occupies in a jam, metres (default 2).
    pub walk_spacing_m: f64,
}

impl Default for QueueParams {
    fn default() -> Self {
        Self {
            drive_flow_per_lane_h: 1800.0,
            drive_spacing_m: 7.5,
            walk_flow_per_lane_h: 3600.0,
            walk_spacing_m: 2.0,
        }
    }
}

impl QueueParams {
    /// Households (vehicles) per second that can leave a segment of `lanes` lanes.
    #[inline]
    pub fn flow_per_s(&self, mode: Mode, lanes: u32) -> f64 {
        let per_lane = match mode {
            Mode::Drive => self.drive_flow_per_lane_h,
            Mode::Walk => self.walk_flow_per_lane_h,
        };
        lanes.max(1) as f64 * per_lane / 3600.0
    }

    /// Households (vehicles) a segment of `lanes` lanes and `length` metres holds (at
    /// least one).
    #[inline]
    pub fn storage(&self, mode: Mode, lanes: u32, length: f64) -> u32 {
        let spacing = match mode {
            Mode::Drive => self.drive_spacing_m,
            Mode::Walk => self.walk_spacing_m,
        };
        let n = (lanes.max(1) as f64 * length / spacing).floor();
        if n.is_finite() && n >= 1.0 {
            n.min(u32::MAX as f64) as u32
        } else {
            1
        }
    }
}

fn default_max_wait_s() -> f64 {
    1800.0
}

impl Default for MovementParams {
    fn default() -> Self {
        Self {
            walk_speed: 1.2,
            slow_walk_speed: 0.9,
            max_hops_per_tick: 64,
            max_wait_s: default_max_wait_s(),
            queues: QueueParams::default(),
        }
    }
}

/// Casualty rule: a trapped household whose hazard rating stays above `hr_above` for
/// longer than `for_s` becomes a casualty.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CasualtyRule {
    /// Hazard rating threshold (e.g. 2.5, "danger for all").
    pub hr_above: f64,
    /// Continuous exposure, seconds (e.g. 600).
    pub for_s: f64,
}

/// Hazard to people: UK hazard rating `HR = d·(v + 0.5) + DF` (DOMAIN.md §6).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HazardParams {
    /// A moving household in water with HR above this is trapped (default 1.25,
    /// "danger for most").
    pub hr_threshold: f64,
    /// Debris factor DF applied when `d > debris_depth_m` (default 0.5).
    pub debris_factor: f64,
    /// Depth above which DF applies, metres (default 0.25).
    pub debris_depth_m: f64,
    /// A household at home in a one-storey building is trapped when the depth there
    /// exceeds this, metres (default 0.8).
    pub home_trap_depth_m: f64,
    /// Storey height, metres: in a building of `n` floors the home threshold is
    /// `home_trap_depth_m + (n − 1) × storey_height_m` (people go upstairs). Default 3.
    pub storey_height_m: f64,
    /// Casualties only by this explicit rule; `None` (default) means none.
    pub casualty: Option<CasualtyRule>,
}

impl Default for HazardParams {
    fn default() -> Self {
        Self {
            hr_threshold: 1.25,
            debris_factor: 0.5,
            debris_depth_m: 0.25,
            home_trap_depth_m: 0.8,
            storey_height_m: 3.0,
            casualty: None,
        }
    }
}

impl HazardParams {
    /// Hazard rating for depth `d` (m) and speed `v` (m/s); 0 when dry.
    #[inline]
    pub fn rating(&self, d: f64, v: f64) -> f64 {
        if d > 0.0 {
            let df = if d > self.debris_depth_m {
                self.debris_factor
            } else {
                0.0
            };
            d * (v.abs() + 0.5) + df
        } else {
            0.0
        }
    }
}

/// Everything the household kernel needs besides the district and the water.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct AgentParams {
    /// Household make-up.
    pub population: PopulationParams,
    /// Mobilisation after reception.
    pub mobilisation: MobilisationParams,
    /// Walking speeds.
    pub movement: MovementParams,
    /// Hazard to people.
    pub hazard: HazardParams,
    /// A zone acknowledges (叫应) this long after its first reception, seconds; `None`:
    /// acknowledgement is not modelled.
    pub ack_delay_s: Option<f64>,
}

impl AgentParams {
    /// Parameters from the scenario's population and warnings sections (movement and
    /// hazard at their defaults; `start_hour` is the local hour at sim time 0).
    pub fn from_scenario(
        population: &schema::Population,
        warnings: &schema::Warnings,
        start_hour: f64,
    ) -> Self {
        let mut mobilisation = MobilisationParams::from(&population.mobilisation);
        mobilisation.start_hour = start_hour;
        Self {
            population: PopulationParams::from(population),
            mobilisation,
            movement: MovementParams::default(),
            hazard: HazardParams::default(),
            ack_delay_s: warnings.ack_delay.map(|d| d.secs()),
        }
    }

    /// Check ranges; every error names the parameter.
    pub fn validate(&self) -> Result<(), AgentError> {
        let p = &self.population;
        check(
            "population.household_size",
            p.household_size.is_finite() && p.household_size >= 1.0,
            || format!("must be ≥ 1, found {}", p.household_size),
        )?;
        share(
            "mobilisation.prepared_factor",
            self.mobilisation.prepared_factor,
        )?;
        share("population.vehicle_share", p.vehicle_share)?;
        share("population.elderly_share", p.elderly_share)?;
        share("population.children_share", p.children_share)?;
        share("population.self_arranged_share", p.self_arranged_share)?;
        let m = &self.mobilisation;
        non_negative("mobilisation.median_day_s", m.median_day_s)?;
        non_negative("mobilisation.median_night_s", m.median_night_s)?;
        non_negative("mobilisation.sigma", m.sigma)?;
        share("mobilisation.compliance", m.compliance)?;
        non_negative("mobilisation.decision_s", m.decision_s)?;
        check("mobilisation.start_hour", m.start_hour.is_finite(), || {
            format!("must be finite, found {}", m.start_hour)
        })?;
        positive("movement.walk_speed", self.movement.walk_speed)?;
        positive("movement.slow_walk_speed", self.movement.slow_walk_speed)?;
        check(
            "movement.max_hops_per_tick",
            self.movement.max_hops_per_tick > 0,
            || "must be > 0".into(),
        )?;
        non_negative("movement.max_wait_s", self.movement.max_wait_s)?;
        let q = &self.movement.queues;
        positive(
            "movement.queues.drive_flow_per_lane_h",
            q.drive_flow_per_lane_h,
        )?;
        positive("movement.queues.drive_spacing_m", q.drive_spacing_m)?;
        positive(
            "movement.queues.walk_flow_per_lane_h",
            q.walk_flow_per_lane_h,
        )?;
        positive("movement.queues.walk_spacing_m", q.walk_spacing_m)?;
        let h = &self.hazard;
        non_negative("hazard.hr_threshold", h.hr_threshold)?;
        non_negative("hazard.debris_factor", h.debris_factor)?;
        non_negative("hazard.debris_depth_m", h.debris_depth_m)?;
        non_negative("hazard.home_trap_depth_m", h.home_trap_depth_m)?;
        non_negative("hazard.storey_height_m", h.storey_height_m)?;
        if let Some(c) = h.casualty {
            non_negative("hazard.casualty.hr_above", c.hr_above)?;
            non_negative("hazard.casualty.for_s", c.for_s)?;
        }
        if let Some(a) = self.ack_delay_s {
            non_negative("ack_delay_s", a)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_and_night() {
        let m = MobilisationParams {
            start_hour: 20.0,
            ..Default::default()
        };
        assert!(m.is_day(0.0));
        assert!(!m.is_day(3600.0));
        assert!(m.is_day(11.0 * 3600.0));
        assert_eq!(m.median_at(0.0), 1200.0);
        assert_eq!(m.median_at(7200.0), 2100.0);
    }

    #[test]
    fn hazard_rating() {
        let h = HazardParams::default();
        assert_eq!(h.rating(0.0, 3.0), 0.0);
        assert!((h.rating(0.2, 1.0) - 0.3).abs() < 1e-12);
        assert!((h.rating(0.5, 1.5) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn validation_names_the_parameter() {
        let mut p = AgentParams::default();
        assert!(p.validate().is_ok());
        p.population.vehicle_share = 1.5;
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("vehicle_share"), "{e}");
    }
}
