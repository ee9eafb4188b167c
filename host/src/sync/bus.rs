//! The fan-out bus: how a sync prepared on one node reaches the members on the others.
//!
//! The server stage runs once, on the sender's node; what crosses nodes is the prepared sync
//! ([`WireSync`]: the route and the content hashes of its pinned stages, input, server output, room,
//! sender and language), published once per sync whatever the room's size. Each node runs the client
//! stage for its own members. The sender's node delivers to its own members directly, never through
//! the bus, so a node alone ([`SoloBus`]) publishes nothing at all.
//!
//! The bus carries bytes; this file owns their format. Decoding never panics: bytes that do not
//! decode are counted and dropped by the caller.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::plugin::RouteKey;

/// The format version written first in every [`WireSync`]; a node refuses other versions.
pub const WIRE_VERSION: u8 = 1;

/// A prepared sync as the other nodes need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSync {
    /// [`WIRE_VERSION`].
    pub format: u8,
    /// The route's page.
    pub page: String,
    /// The route's sync name.
    pub name: String,
    /// The route's version.
    pub version: u32,
    /// Content hash of the pinned server stage, if any.
    pub server_hash: Option<String>,
    /// Content hash of the pinned client stage, if any.
    pub client_hash: Option<String>,
    /// The client input, MessagePack.
    #[serde(with = "serde_bytes")]
    pub input: Vec<u8>,
    /// The server output, MessagePack; `None` for client-only syncs.
    pub server_output: Option<serde_bytes::ByteBuf>,
    /// The target room (`all` for everyone).
    pub room: String,
    /// The sending connection (`None` for the HTTP trigger): what keeps its syncs in order on the
    /// receiving nodes, and what is left out when `ignore_self`.
    pub sender_socket: Option<String>,
    /// The signed-in sender, whose every connection is left out when `ignore_self`.
    pub sender_user: Option<String>,
    /// Whether the sender's own connections are left out.
    pub ignore_self: bool,
    /// The sender's language.
    pub language: String,
}

/// Why bytes from the bus are not a sync this node can deliver.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// Not MessagePack of the expected shape.
    #[error("undecodable sync from the bus: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
    /// Written by a node with another format.
    #[error("sync from the bus has format {0}, this node reads {WIRE_VERSION}")]
    Format(u8),
    /// Could not be encoded (never expected for these types).
    #[error("sync could not be encoded: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
}

impl WireSync {
    /// The route it names.
    pub fn route(&self) -> RouteKey {
        RouteKey::new(self.page.clone(), self.name.clone(), self.version)
    }

    /// Its bytes on the bus.
    ///
    /// # Errors
    /// [`WireError::Encode`].
    pub fn encode(&self) -> Result<Bytes, WireError> {
        Ok(Bytes::from(rmp_serde::to_vec(self)?))
    }

    /// Reads bytes from the bus.
    ///
    /// # Errors
    /// [`WireError::Decode`] or [`WireError::Format`].
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let sync: Self = rmp_serde::from_slice(bytes)?;
        if sync.format != WIRE_VERSION {
            return Err(WireError::Format(sync.format));
        }
        Ok(sync)
    }
}

/// Why a prepared sync did not reach the other nodes (their members miss it; this node's do not).
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The outgoing queue is full: the shared backend is slower than the syncs.
    #[error("cluster bus queue full")]
    Full,
    /// The bus has stopped.
    #[error("cluster bus stopped")]
    Stopped,
}

/// Totals of one bus.
#[derive(Debug, Default)]
pub struct BusStats {
    /// Syncs handed to the backend.
    pub published: AtomicU64,
    /// Syncs that did not reach the backend (queue full, backend unreachable).
    pub dropped: AtomicU64,
    /// Syncs received from other nodes.
    pub received: AtomicU64,
    /// Received bytes that were not a sync this node reads.
    pub undecodable: AtomicU64,
    /// Received syncs whose pinned stages this node does not have: delivered with this node's
    /// current version of the route (rolling deploys).
    pub other_version: AtomicU64,
    /// Received syncs this node could not deliver at all: the route is not published here, or the
    /// sender's version filtered recipients and this node's has no client stage to do so.
    pub undeliverable: AtomicU64,
}

impl BusStats {
    /// Adds one to `counter`.
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads `counter`.
    pub fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Hands prepared syncs to the other nodes, in the order they are published.
pub trait SyncBus: Send + Sync + 'static {
    /// Publishes an encoded [`WireSync`] to every other node without waiting for them; syncs
    /// published one after another reach each node in that order.
    ///
    /// # Errors
    /// [`BusError`] when it could not even be queued; the caller counts it as dropped.
    fn publish(&self, sync: Bytes) -> Result<(), BusError>;

    /// Whether other nodes may exist (when false, callers need not encode anything).
    fn has_peers(&self) -> bool;

    /// Its totals.
    fn stats(&self) -> &BusStats;
}

/// The bus of a node alone.
#[derive(Debug, Default)]
pub struct SoloBus {
    stats: BusStats,
}

impl SyncBus for SoloBus {
    fn publish(&self, _sync: Bytes) -> Result<(), BusError> {
        Ok(())
    }

    fn has_peers(&self) -> bool {
        false
    }

    fn stats(&self) -> &BusStats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> WireSync {
        WireSync {
            format: WIRE_VERSION,
            page: "examples".into(),
            name: "updateCounter".into(),
            version: 1,
            server_hash: Some("abc".into()),
            client_hash: None,
            input: vec![0x81, 0xa1, b'a', 0x01],
            server_output: Some(serde_bytes::ByteBuf::from(vec![0xc0])),
            room: "lobby".into(),
            sender_socket: Some("sid".into()),
            sender_user: None,
            ignore_self: true,
            language: "nl".into(),
        }
    }

    #[test]
    fn round_trips_and_refuses_other_formats_and_garbage() {
        let sync = sample();
        assert_eq!(WireSync::decode(&sync.encode().unwrap()).unwrap(), sync);
        let other = WireSync {
            format: 9,
            ..sample()
        };
        assert!(matches!(
            WireSync::decode(&other.encode().unwrap()),
            Err(WireError::Format(9))
        ));
        for garbage in [
            &b""[..],
            b"\xc1",
            b"\x93\x01\x02",
            &[0xdd, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert!(WireSync::decode(garbage).is_err());
        }
    }
}
