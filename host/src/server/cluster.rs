//! Chooses what the pipeline shares with other nodes: nothing (one node, the embedded store) or a
//! Redis cluster, as `[cluster]` says. Construction only; the pieces live in `sync`, `store` and
//! `cluster`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::Error;
use crate::cluster::{ClusterError, RedisBus, RedisPresence, connect, node_id};
use crate::config::Config;
use crate::plugin::RoomDirectory;
use crate::protocol::NamespaceRooms;
use crate::store::{Kv, Store};
use crate::sync::{LocalRooms, Seams};

/// What the pipeline and the runtime are built on.
pub struct Chosen {
    /// Remembered rooms, rate windows and the bus.
    pub seams: Seams,
    /// The `kv` capability's store.
    pub kv: Arc<dyn Kv>,
    /// What plugins' `rooms.size` and `rooms.members` count: this node's rooms, or every node's.
    pub rooms: Arc<dyn RoomDirectory>,
    /// The syncs other nodes publish (`None` for a single node).
    pub incoming: Option<mpsc::Receiver<Bytes>>,
    /// This node's presence in the cluster, to leave at shutdown (`None` for a single node).
    pub presence: Option<RedisPresence>,
}

/// The seams for `config`: the embedded store alone, or the cluster's shared state and bus.
/// `namespace` holds this node's sockets.
///
/// # Errors
/// [`Error::Cluster`] when `[cluster]` is set and Redis cannot be reached.
pub async fn choose(
    config: &Config,
    store: &Store,
    namespace: &NamespaceRooms,
) -> Result<Chosen, Error> {
    let section = &config.cluster;
    let Some(url) = &section.redis_url else {
        return Ok(Chosen {
            seams: Seams::local(store),
            kv: Arc::new(store.kv()),
            rooms: Arc::new(LocalRooms::new(namespace.clone())),
            incoming: None,
            presence: None,
        });
    };
    let shared = connect(section).await?;
    let client = redis::Client::open(url.as_str()).map_err(ClusterError::from)?;
    let node = node_id(section);
    let (bus, incoming) = RedisBus::start(client, &section.key_prefix, &node).await?;
    let sockets = namespace.clone();
    let presence = RedisPresence::start(
        shared.conn.clone(),
        &section.key_prefix,
        &node,
        Duration::from_millis(section.presence_ttl_ms),
        Some(Arc::new(move |socket: &str| {
            sockets.socket(socket).is_some()
        })),
    )
    .await?;
    tracing::info!(%node, "joined the cluster");
    Ok(Chosen {
        seams: Seams::redis(
            shared.memory,
            shared.rates,
            Arc::new(bus),
            Arc::new(presence.clone()),
        ),
        kv: shared.kv,
        rooms: Arc::new(presence.clone()),
        incoming: Some(incoming),
        presence: Some(presence),
    })
}
