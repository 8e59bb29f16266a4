//! The live drill behind the console: the simulation on a worker thread
//! ([`worker::LiveSim`]) and what the window draws of it ([`view::SimView`]).
//!
//! Headless on purpose: the window (`gui`, feature `gui`) only sends controls and draws
//! views, so everything that decides what an order does, what is recorded and how a
//! review seeks is tested here without a display.

pub mod view;
pub mod worker;

pub use view::{RunState, SimView, UnitView, hazard_class};
pub use worker::{Closed, Control, LiveError, LiveOptions, LiveSim, Pace, Update};
