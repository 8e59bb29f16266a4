//! Shelters: capacity (persons), occupancy, open/closed, assigned zones, and their
//! nodes on the road graph per mode.
//!
//! Occupancy only grows through admission, which runs in a sequential pass in a fixed
//! order, so capacity is never exceeded and the outcome does not depend on threads.
//!
//! Units: persons; positions in map metres.

use crate::agents::params::AgentError;
use crate::scenario::schema;
use crate::world::roads::{Mode, NodeId, RoadGraph};
use crate::world::vector::{Place, PlaceKind, Pt, Zone};

/// One shelter as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct ShelterSpec {
    /// Id (the place id, `S01`).
    pub id: String,
    /// Map position, metres.
    pub at: Pt,
    /// Capacity, persons.
    pub capacity: u32,
    /// Open at start.
    pub open: bool,
    /// Zone indices assigned to this shelter.
    pub zones: Vec<u32>,
}

/// The shelters of a drill (sim state: occupancy and open flags change).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Shelters {
    ids: Vec<String>,
    pos: Vec<Pt>,
    capacity: Vec<u32>,
    occupancy: Vec<u32>,
    open: Vec<bool>,
    /// Node per mode (index [`Mode::index`]), per shelter.
    nodes: [Vec<NodeId>; 2],
    /// Assigned shelter per zone index (`u32::MAX`: none).
    zone_shelter: Vec<u32>,
}

impl Shelters {
    /// Attach shelters to the graph (nearest node per mode). `n_zones` is the number of
    /// zones; a zone assigned twice keeps its first shelter.
    pub fn new(
        specs: &[ShelterSpec],
        graph: &RoadGraph,
        n_zones: usize,
    ) -> Result<Self, AgentError> {
        let mut s = Self {
            ids: Vec::new(),
            pos: Vec::new(),
            capacity: Vec::new(),
            occupancy: Vec::new(),
            open: Vec::new(),
            nodes: [Vec::new(), Vec::new()],
            zone_shelter: vec![u32::MAX; n_zones],
        };
        for (k, sp) in specs.iter().enumerate() {
            for mode in Mode::ALL {
                let n = graph
                    .nearest_node(sp.at, mode)
                    .ok_or_else(|| AgentError::BadShelter {
                        shelter: sp.id.clone(),
                        message: format!("no road node usable by {mode} near {:?}", sp.at),
                    })?;
                s.nodes[mode.index()].push(n);
            }
            for &z in &sp.zones {
                let slot =
                    s.zone_shelter
                        .get_mut(z as usize)
                        .ok_or_else(|| AgentError::BadShelter {
                            shelter: sp.id.clone(),
                            message: format!("zone index {z} out of range ({n_zones} zones)"),
                        })?;
                if *slot == u32::MAX {
                    *slot = k as u32;
                }
            }
            s.ids.push(sp.id.clone());
            s.pos.push(sp.at);
            s.capacity.push(sp.capacity);
            s.occupancy.push(0);
            s.open.push(sp.open);
        }
        Ok(s)
    }

    /// From the scenario's shelters: positions and default capacities from the places
    /// layer, zone ids resolved against `zones`.
    pub fn from_scenario(
        shelters: &[schema::Shelter],
        places: &[Place],
        zones: &[Zone],
        graph: &RoadGraph,
    ) -> Result<Self, AgentError> {
        let mut specs = Vec::with_capacity(shelters.len());
        for sh in shelters {
            let bad = |m: String| AgentError::BadShelter {
                shelter: sh.place.clone(),
                message: m,
            };
            let place = places
                .iter()
                .find(|p| p.id == sh.place)
                .ok_or_else(|| bad("no place with this id".into()))?;
            if place.kind != PlaceKind::Shelter {
                return Err(bad(format!(
                    "place is a {}, not a shelter",
                    place.kind.name()
                )));
            }
            let capacity = match (sh.capacity, place.capacity) {
                (Some(c), _) => c,
                (None, Some(c)) if c.is_finite() && c >= 0.0 => c.round() as u32,
                _ => return Err(bad("no capacity (give one here or on the place)".into())),
            };
            let mut zs = Vec::new();
            for z in &sh.zones {
                let k = zones
                    .iter()
                    .position(|zz| &zz.id == z)
                    .ok_or_else(|| bad(format!("unknown zone \"{z}\"")))?;
                zs.push(k as u32);
            }
            specs.push(ShelterSpec {
                id: sh.place.clone(),
                at: place.at,
                capacity,
                open: sh.open,
                zones: zs,
            });
        }
        Self::new(&specs, graph, zones.len())
    }

    /// Number of shelters.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True without shelters.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Index of shelter `id`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|s| s == id)
    }

    /// Id of shelter `k`.
    pub fn id(&self, k: usize) -> &str {
        &self.ids[k]
    }

    /// Position of shelter `k`, map metres.
    pub fn pos(&self, k: usize) -> Pt {
        self.pos[k]
    }

    /// Capacity of shelter `k`, persons.
    pub fn capacity(&self, k: usize) -> u32 {
        self.capacity[k]
    }

    /// Persons admitted to shelter `k`.
    pub fn occupancy(&self, k: usize) -> u32 {
        self.occupancy[k]
    }

    /// True if shelter `k` admits people.
    pub fn is_open(&self, k: usize) -> bool {
        self.open[k]
    }

    /// Open or close shelter `k` (people already inside stay).
    pub fn set_open(&mut self, k: usize, open: bool) {
        self.open[k] = open;
    }

    /// Destination node of every shelter for `mode`, in shelter order — build one
    /// [`RouteTree`](crate::world::routing::RouteTree) per entry.
    pub fn nodes(&self, mode: Mode) -> &[NodeId] {
        &self.nodes[mode.index()]
    }

    /// Assigned shelter of zone `zone` (`None` if none or zone out of range).
    pub fn assigned(&self, zone: u32) -> Option<u32> {
        self.zone_shelter
            .get(zone as usize)
            .copied()
            .filter(|&s| s != u32::MAX)
    }

    /// True if shelter `k` is open and has room for `persons`.
    #[inline]
    pub fn has_room(&self, k: usize, persons: u32) -> bool {
        self.open[k] && self.occupancy[k] as u64 + persons as u64 <= self.capacity[k] as u64
    }

    /// Admit `persons` to `k` if open with room; true if admitted.
    pub(crate) fn admit(&mut self, k: usize, persons: u32) -> bool {
        if self.has_room(k, persons) {
            self.occupancy[k] += persons;
            true
        } else {
            false
        }
    }

    pub(crate) fn hash_into(&self, h: &mut blake3::Hasher) {
        for (&o, &op) in self.occupancy.iter().zip(&self.open) {
            h.update(&o.to_le_bytes());
            h.update(&[op as u8]);
        }
    }
}
