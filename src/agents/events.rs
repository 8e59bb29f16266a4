//! What happened to households: the [`AgentEvent`] stream, past tense.
//!
//! The kernel appends events to a buffer the caller drains
//! ([`Households::drain_events`](crate::agents::Households::drain_events)). Within one
//! step they are sorted by `(t, household id)` (zone events sort after households at
//! the same time), so the stream does not depend on the thread count.
//!
//! Units: `t` in seconds since scenario start; positions in map metres; depth in
//! metres; velocity in metres per second.

use std::fmt;

use crate::world::roads::Mode;

/// Household id: the index in the [`Households`](crate::agents::Households) arrays,
/// assigned in building order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct HouseholdId(pub u32);

impl HouseholdId {
    /// The id as an array index.
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for HouseholdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "H{}", self.0)
    }
}

/// Something that happened to a household or zone.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum AgentEvent {
    /// A warning reached the household (its earliest reception over channels).
    WarningReceived {
        /// Household.
        hh: HouseholdId,
        /// Reception time.
        t: f64,
        /// Channel index (see `Households::channel_id`).
        channel: u16,
    },
    /// The household decided not to leave on its own (non-compliant).
    Refused {
        /// Household.
        hh: HouseholdId,
        /// Decision time.
        t: f64,
    },
    /// A zone acknowledged the warning (叫应): first reception + acknowledgement delay.
    ZoneAcknowledged {
        /// Zone index.
        zone: u32,
        /// Acknowledgement time.
        t: f64,
    },
    /// The household left home.
    Departed {
        /// Household.
        hh: HouseholdId,
        /// Departure time.
        t: f64,
        /// Shelter index it heads for (`None` only in events of older runs: a household
        /// that can reach no shelter now stays home, [`AgentEvent::StayedHome`]).
        shelter: Option<u32>,
        /// Travel mode.
        mode: Mode,
    },
    /// The household changed its destination on the way (edge closed, shelter closed
    /// or unreachable, or a shelter found after waiting).
    Rerouted {
        /// Household.
        hh: HouseholdId,
        /// When.
        t: f64,
        /// Previous shelter index (`None` if it was waiting).
        from: Option<u32>,
        /// New shelter index.
        to: u32,
    },
    /// The household arrived at a full or closed shelter and was sent on.
    TurnedAway {
        /// Household.
        hh: HouseholdId,
        /// Arrival time.
        t: f64,
        /// Shelter index that turned it away.
        shelter: u32,
    },
    /// The household was admitted to a shelter.
    Sheltered {
        /// Household.
        hh: HouseholdId,
        /// Shelter index.
        shelter: u32,
        /// Arrival time.
        t: f64,
        /// Persons admitted.
        persons: u32,
    },
    /// The household left the district by an exit (to relatives or a place of its own).
    LeftDistrict {
        /// Household.
        hh: HouseholdId,
        /// When it passed the exit.
        t: f64,
        /// Persons.
        persons: u32,
    },
    /// The household stopped at a node: no shelter can be reached from there now.
    Waiting {
        /// Household.
        hh: HouseholdId,
        /// When.
        t: f64,
        /// Road node it waits at.
        node: u32,
        /// Why ([`Reason`](crate::agents::Reason) code).
        reason: u8,
    },
    /// After waiting `movement.max_wait_s`, the household took refuge in a building
    /// where it was.
    TookRefuge {
        /// Household.
        hh: HouseholdId,
        /// When.
        t: f64,
        /// Map x, metres.
        x: f64,
        /// Map y, metres.
        y: f64,
        /// Why it could not go on ([`Reason`](crate::agents::Reason) code).
        reason: u8,
    },
    /// The household was to leave but no shelter can be reached from home: it stays
    /// in (upstairs, indoors) instead of setting out.
    StayedHome {
        /// Household.
        hh: HouseholdId,
        /// When it would have left.
        t: f64,
        /// Why ([`Reason`](crate::agents::Reason) code).
        reason: u8,
    },
    /// The household is caught by the water and needs rescue (a rescue request).
    Trapped {
        /// Household.
        hh: HouseholdId,
        /// When (end of the tick in which it was caught).
        t: f64,
        /// Map x, metres.
        x: f64,
        /// Map y, metres.
        y: f64,
        /// Water depth there, metres.
        depth: f64,
        /// Water speed there, m/s.
        velocity: f64,
        /// Persons.
        persons: u32,
    },
    /// The household was rescued (by a force; transported by the caller).
    Rescued {
        /// Household.
        hh: HouseholdId,
        /// When.
        t: f64,
        /// Persons.
        persons: u32,
    },
    /// The casualty rule fired for a trapped household.
    Casualty {
        /// Household.
        hh: HouseholdId,
        /// When.
        t: f64,
        /// Water depth, metres.
        depth: f64,
        /// Water speed, m/s.
        velocity: f64,
        /// Persons.
        persons: u32,
    },
}

impl AgentEvent {
    /// Event time, seconds.
    pub fn t(&self) -> f64 {
        match *self {
            Self::WarningReceived { t, .. }
            | Self::Refused { t, .. }
            | Self::ZoneAcknowledged { t, .. }
            | Self::Departed { t, .. }
            | Self::Rerouted { t, .. }
            | Self::TurnedAway { t, .. }
            | Self::Waiting { t, .. }
            | Self::TookRefuge { t, .. }
            | Self::StayedHome { t, .. }
            | Self::Sheltered { t, .. }
            | Self::LeftDistrict { t, .. }
            | Self::Trapped { t, .. }
            | Self::Rescued { t, .. }
            | Self::Casualty { t, .. } => t,
        }
    }

    /// The household concerned (`None` for zone events).
    pub fn household(&self) -> Option<HouseholdId> {
        match *self {
            Self::WarningReceived { hh, .. }
            | Self::Refused { hh, .. }
            | Self::Departed { hh, .. }
            | Self::Rerouted { hh, .. }
            | Self::TurnedAway { hh, .. }
            | Self::Waiting { hh, .. }
            | Self::TookRefuge { hh, .. }
            | Self::StayedHome { hh, .. }
            | Self::Sheltered { hh, .. }
            | Self::LeftDistrict { hh, .. }
            | Self::Trapped { hh, .. }
            | Self::Rescued { hh, .. }
            | Self::Casualty { hh, .. } => Some(hh),
            Self::ZoneAcknowledged { .. } => None,
        }
    }

    /// Sort key `(t, household id or u32::MAX)`.
    pub(crate) fn key(&self) -> (f64, u32) {
        (self.t(), self.household().map_or(u32::MAX, |h| h.0))
    }
}

/// Stable sort by `(t, household)`; equal keys keep production order.
pub(crate) fn sort_events(ev: &mut [AgentEvent]) {
    ev.sort_by(|a, b| {
        let (ta, ha) = a.key();
        let (tb, hb) = b.key();
        ta.total_cmp(&tb).then(ha.cmp(&hb))
    });
}
