//! The fan-out bus: how a sync prepared on one node reaches the members on the others.
//!
//! The server stage runs once, on the sender's node; what crosses nodes is the prepared sync
//! ([`SharedSync`]: the route and the content hashes of its pinned stages, input, server output, room,
//! sender and language), published once per sync whatever the room's size. Each node runs the client
//! stage for its own members. The sender's node delivers to its own members directly, never through
//! the bus, so a node alone ([`SoloBus`]) publishes nothing at all.

use crate::plugin::RouteKey;

/// A prepared sync as the other nodes need it, borrowed from the sender's node.
#[derive(Debug, Clone, Copy)]
pub struct SharedSync<'a> {
    /// The route.
    pub route: &'a RouteKey,
    /// Content hash of the pinned server stage, if any.
    pub server_hash: Option<&'a str>,
    /// Content hash of the pinned client stage, if any.
    pub client_hash: Option<&'a str>,
    /// The client input, MessagePack.
    pub input: &'a [u8],
    /// The server output, MessagePack; `None` for client-only syncs.
    pub server_output: Option<&'a [u8]>,
    /// The target room (`all` for everyone).
    pub room: &'a str,
    /// The sending connection, left out when `ignore_self`.
    pub sender_socket: Option<&'a str>,
    /// The signed-in sender, whose every connection is left out when `ignore_self`.
    pub sender_user: Option<&'a str>,
    /// Whether the sender's own connections are left out.
    pub ignore_self: bool,
    /// The sender's language.
    pub language: &'a str,
}

/// Why a prepared sync did not reach the other nodes (their members miss it; this node's do not).
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The shared backend cannot be reached.
    #[error("cluster bus unavailable: {0}")]
    Unavailable(String),
}

/// Hands prepared syncs to the other nodes, in the order they are published.
pub trait SyncBus: Send + Sync + 'static {
    /// Publishes `sync` to every other node without waiting for them; syncs published one after
    /// another by one caller reach each node in that order.
    ///
    /// # Errors
    /// [`BusError`] when it could not be handed on; the caller counts it as dropped.
    fn publish(&self, sync: &SharedSync<'_>) -> Result<(), BusError>;

    /// Whether other nodes may exist (when false, callers need not build a [`SharedSync`]).
    fn has_peers(&self) -> bool;
}

/// The bus of a node alone.
#[derive(Debug, Default, Clone, Copy)]
pub struct SoloBus;

impl SyncBus for SoloBus {
    fn publish(&self, _sync: &SharedSync<'_>) -> Result<(), BusError> {
        Ok(())
    }

    fn has_peers(&self) -> bool {
        false
    }
}
