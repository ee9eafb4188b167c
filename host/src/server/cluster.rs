//! Chooses what the pipeline shares with other nodes: nothing (one node, the embedded store) or a
//! Redis cluster, as `[cluster]` says. Construction only; the pieces live in `sync`, `store` and
//! `cluster`.

use bytes::Bytes;
use tokio::sync::mpsc;

use super::Error;
use crate::cluster::{ClusterError, RedisBus, node_id};
use crate::config::Config;
use crate::store::Store;
use crate::sync::Seams;

/// The seams for `config`, and the syncs other nodes publish (`None` for a single node).
///
/// # Errors
/// [`Error::Cluster`] when `[cluster]` is set and Redis cannot be reached.
pub async fn seams(
    config: &Config,
    store: &Store,
) -> Result<(Seams, Option<mpsc::Receiver<Bytes>>), Error> {
    let section = &config.cluster;
    let Some(url) = &section.redis_url else {
        return Ok((Seams::local(store), None));
    };
    let client = redis::Client::open(url.as_str()).map_err(ClusterError::from)?;
    let node = node_id(section);
    let (bus, incoming) = RedisBus::start(client, &section.key_prefix, &node).await?;
    tracing::info!(%node, "joined the cluster");
    let mut seams = Seams::local(store);
    seams.bus = std::sync::Arc::new(bus);
    Ok((seams, Some(incoming)))
}
