//! Urban drainage network: EPA SWMM 5 `.inp` reading, 1D dynamic-wave routing of pipes,
//! pumps, orifices and weirs, and subcatchment runoff for the network-only mode.
//!
//! Plain Rust, no Bevy. SI units throughout ([`network`] says how files are converted).
//!
//! | module | holds |
//! |---|---|
//! | `network` | [`Network`]: nodes, links, subcatchments, curves, series, rules |
//! | `inp` | [`read_inp`] / [`parse_inp`]: the SWMM 5 reader, errors at file:line |
//! | `xsect` | cross-section geometry, critical and normal depth |
//! | `dynwave` | [`Router`]: dynamic-wave routing, surcharge, flooding, continuity |
//! | `runoff` | [`Runoff`]: subcatchments (nonlinear reservoir, Horton) |
//! | `netrun` | [`netrun::run`]: the network-only mode and its CSV outputs |

pub mod dynwave;
pub mod inp;
pub mod netrun;
pub mod network;
pub mod runoff;
pub mod xsect;

pub use dynwave::{Continuity, Router};
pub use inp::{InpError, parse_inp, read_inp};
pub use network::Network;
pub use runoff::Runoff;
