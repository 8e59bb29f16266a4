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

pub mod coupling;
pub mod dynwave;
pub mod netrun;
pub mod runoff;
pub mod xsect;

pub use crate::world::sewer::{geojson, read_network};
pub use crate::world::sewer::{inp, network};
pub use coupling::{
    CoupledOutfall, CouplingParams, DualDrainage, DualState, Inlet, NetPeaks, link_capacities,
    node_crowns,
};
pub use dynwave::{Continuity, Exchange, Router};
pub use inp::{InpError, parse_inp, read_inp};
pub use network::{LinkKind, Network, NodeKind};
pub use runoff::Runoff;
