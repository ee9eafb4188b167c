//! The cluster seam: the state and the delivery a sync needs from "every node", each behind a small
//! trait, bundled so the pipeline is built on them at construction.
//!
//! [`Seams::local`] is one node: remembered rooms in the embedded store (they survive a restart),
//! rate windows in memory, a bus with no other node on it and no presence to report, so a single
//! node pays nothing for the seam. [`Seams::redis`] is a node of a cluster: the same traits over Redis. Nothing here may hold a
//! socket: what crosses nodes is data about a sync, never a connection.

use std::sync::Arc;

use super::bus::{SoloBus, SyncBus};
use super::limiter::{RateLimiter, RateWindows};
use super::presence::{NoPresence, Presence};
use crate::store::{RoomMemory, Store};

/// What the pipeline shares with other nodes.
#[derive(Clone)]
pub struct Seams {
    /// The rooms signed-in users joined (rejoined on reconnect, membership for HTTP syncs).
    pub memory: Arc<dyn RoomMemory>,
    /// Rate-limit windows.
    pub rates: Arc<dyn RateWindows>,
    /// Hands prepared syncs to the other nodes.
    pub bus: Arc<dyn SyncBus>,
    /// Told this node's joins, leaves and disconnects (for cluster-wide room queries).
    pub presence: Arc<dyn Presence>,
}

impl Seams {
    /// One node on its embedded `store`.
    pub fn local(store: &Store) -> Self {
        Self {
            memory: Arc::new(store.rooms()),
            rates: Arc::new(RateLimiter::default()),
            bus: Arc::new(SoloBus::default()),
            presence: Arc::new(NoPresence),
        }
    }

    /// A node of a cluster: remembered rooms and rate windows shared through Redis (see
    /// [`crate::cluster::connect`]), the bus to the other nodes, and where its members are reported
    /// (`cluster::RedisPresence`).
    pub fn redis(
        memory: Arc<dyn RoomMemory>,
        rates: Arc<dyn RateWindows>,
        bus: Arc<dyn SyncBus>,
        presence: Arc<dyn Presence>,
    ) -> Self {
        Self {
            memory,
            rates,
            bus,
            presence,
        }
    }
}

impl std::fmt::Debug for Seams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seams").finish_non_exhaustive()
    }
}
