//! The water in the tick: the Bevy adapter over the [`crate::hydro`] kernels.
//! (Filled in when the hydraulics kernels land.)

use bevy::prelude::*;

/// Adds the water systems to `SimTick`.
pub struct HydroPlugin;

impl Plugin for HydroPlugin {
    fn build(&self, _app: &mut App) {}
}
