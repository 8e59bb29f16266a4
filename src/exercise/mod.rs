//! The exercise: the sim clock and tick schedule; later injects, orders, plan rules,
//! virtual sensors and warnings.

pub mod clock;

pub use clock::{SimClock, SimSet, SimTick};
