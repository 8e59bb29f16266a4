//! Destinations: public shelters (capacity in persons, occupancy, open/closed, assigned
//! zones), assembly points (high ground, 临时避险点) and the district's exits (where
//! households with relatives or a place of their own leave the district), with their
//! nodes on the road graph per mode.
//!
//! Order: the scenario's shelters first (their indices are the scenario's), then the
//! assembly points, then one entry for all exits together (a household goes to the
//! nearest exit: its route tree starts from every exit node).
//!
//! Occupancy only grows through admission, which runs in a sequential pass in a fixed
//! order, so capacity is never exceeded and the outcome does not depend on threads.
//!
//! Units: persons; positions in map metres.

use crate::agents::params::AgentError;
use crate::scenario::schema;
use crate::world::roads::{Mode, NodeId, RoadGraph};
use crate::world::vector::{Place, PlaceKind, Pt, Zone};

/// What kind of destination an entry of [`Shelters`] is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum DestKind {
    /// A public shelter (避灾安置点): capacity, assigned zones; forces deliver the
    /// rescued here.
    Shelter,
    /// An assembly point on high ground (临时避险点): a place to wait out the water when
    /// no shelter can be reached or has room.
    Assembly,
    /// Leaving the district (relatives, a place of its own): the nearest exit.
    Exit,
}

impl DestKind {
    /// Name for tables and CSV.
    pub fn name(self) -> &'static str {
        match self {
            Self::Shelter => "shelter",
            Self::Assembly => "assembly_point",
            Self::Exit => "exit",
        }
    }
}

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
    /// Kind of every entry.
    kind: Vec<DestKind>,
    /// Exit nodes per mode (the tree of the exit entry starts from all of them).
    exit_nodes: [Vec<NodeId>; 2],
    /// Persons admitted above capacity (the rescued are never turned away), per entry.
    over: Vec<u32>,
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
            kind: Vec::new(),
            exit_nodes: [Vec::new(), Vec::new()],
            over: Vec::new(),
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
            s.kind.push(DestKind::Shelter);
            s.over.push(0);
        }
        Ok(s)
    }

    /// Add an assembly point (always open; `capacity` persons, `None`: no limit) at
    /// the nearest node of each mode. Call after the shelters, before the exits.
    pub fn add_assembly(
        &mut self,
        id: &str,
        at: Pt,
        capacity: Option<u32>,
        graph: &RoadGraph,
    ) -> Result<(), AgentError> {
        for mode in Mode::ALL {
            let n = graph
                .nearest_node(at, mode)
                .ok_or_else(|| AgentError::BadShelter {
                    shelter: id.to_string(),
                    message: format!("no road node usable by {mode} near {at:?}"),
                })?;
            self.nodes[mode.index()].push(n);
        }
        self.ids.push(id.to_string());
        self.pos.push(at);
        self.capacity.push(capacity.unwrap_or(u32::MAX));
        self.occupancy.push(0);
        self.open.push(true);
        self.kind.push(DestKind::Assembly);
        self.over.push(0);
        Ok(())
    }

    /// Add the district's exits (one entry, id `exit`; nothing added when `nodes` is
    /// empty): households leaving to relatives or a place of their own go to the
    /// nearest. The nodes serve both modes. Call last.
    pub fn add_exits(&mut self, nodes: &[NodeId], graph: &RoadGraph) {
        let Some(&first) = nodes.first() else {
            return;
        };
        for m in 0..2 {
            self.nodes[m].push(first);
            self.exit_nodes[m] = nodes.to_vec();
        }
        self.ids.push("exit".to_string());
        self.pos.push(graph.pos(first));
        self.capacity.push(u32::MAX);
        self.occupancy.push(0);
        self.open.push(true);
        self.kind.push(DestKind::Exit);
        self.over.push(0);
    }

    /// Kind of entry `k`.
    pub fn kind(&self, k: usize) -> DestKind {
        self.kind[k]
    }

    /// The exit entry, if the district has exits.
    pub fn exit(&self) -> Option<u32> {
        self.kind
            .iter()
            .position(|&k| k == DestKind::Exit)
            .map(|k| k as u32)
    }

    /// The nodes the route tree of entry `k` starts from for `mode` (one, or every
    /// exit).
    pub fn dest_nodes(&self, k: usize, mode: Mode) -> &[NodeId] {
        if self.kind[k] == DestKind::Exit {
            &self.exit_nodes[mode.index()]
        } else {
            std::slice::from_ref(&self.nodes[mode.index()][k])
        }
    }

    /// Persons admitted to `k` above its capacity (rescued persons delivered there).
    pub fn over_capacity(&self, k: usize) -> u32 {
        self.over[k]
    }

    /// Deliver `persons` rescued to `k`: they are taken in whatever the room (any
    /// excess is recorded, see [`Shelters::over_capacity`]).
    pub(crate) fn deliver(&mut self, k: usize, persons: u32) {
        let occ = self.occupancy[k].saturating_add(persons);
        self.occupancy[k] = occ;
        self.over[k] = self.over[k].max(occ.saturating_sub(self.capacity[k]));
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

    /// Destination node of every entry for `mode`, in order (for the exits entry, the
    /// first exit; build trees from [`Shelters::dest_nodes`]).
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
