//! Chooses what the pipeline shares with other nodes: nothing (one node, the embedded store) or a
//! Redis cluster, as `[cluster]` says. Construction only; the pieces live in `sync`, `store` and
//! `cluster`.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::Error;
use crate::cluster::{ClusterError, RedisBus, connect, node_id};
use crate::config::Config;
use crate::store::{Kv, Store};
use crate::sync::Seams;

/// What the pipeline and the runtime are built on.
pub struct Chosen {
    /// Remembered rooms, rate windows and the bus.
    pub seams: Seams,
    /// The `kv` capability's store.
    pub kv: Arc<dyn Kv>,
    /// The syncs other nodes publish (`None` for a single node).
    pub incoming: Option<mpsc::Receiver<Bytes>>,
}

/// The seams for `config`: the embedded store alone, or the cluster's shared state and bus.
///
/// # Errors
/// [`Error::Cluster`] when `[cluster]` is set and Redis cannot be reached.
pub async fn choose(config: &Config, store: &Store) -> Result<Chosen, Error> {
    let section = &config.cluster;
    let Some(url) = &section.redis_url else {
        return Ok(Chosen {
            seams: Seams::local(store),
            kv: Arc::new(store.kv()),
            incoming: None,
        });
    };
    let shared = connect(section).await?;
    let client = redis::Client::open(url.as_str()).map_err(ClusterError::from)?;
    let node = node_id(section);
    let (bus, incoming) = RedisBus::start(client, &section.key_prefix, &node).await?;
    tracing::info!(%node, "joined the cluster");
    Ok(Chosen {
        seams: Seams::redis(shared.memory, shared.rates, Arc::new(bus)),
        kv: shared.kv,
        incoming: Some(incoming),
    })
}
