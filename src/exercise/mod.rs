//! The exercise: the sim clock and tick schedule, virtual sensors, the contingency
//! plan's rules, and the log of orders and events.

pub mod clock;
pub mod commands;
pub mod describe;
pub mod log;
pub mod plan;
pub mod sensors;

pub use clock::{SimClock, SimSet, SimTick};
