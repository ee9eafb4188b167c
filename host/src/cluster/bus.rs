//! The cluster bus over Redis pub/sub: one channel per cluster (`<prefix>:syncs`), one PUBLISH per
//! sync, every node subscribed.
//!
//! Each message is the publishing node's id (one length byte, then the id) followed by the encoded
//! sync; a node skips its own messages, since it already delivered to its own members. Publishing
//! never blocks the pipeline: syncs go into a bounded queue that one task drains in order, sending
//! whatever has piled up as one pipelined round trip. Delivery between nodes is at most once: a sync
//! published while Redis is unreachable, or while a node's subscription is being re-established, is
//! not seen by the nodes that missed it (it is counted as dropped on the publishing side when the
//! PUBLISH fails). The subscriber reconnects and resubscribes by itself, with a growing pause.

use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use tokio::sync::mpsc;

use crate::sync::{BusError, BusStats, SyncBus};

/// Syncs waiting to be published before `publish` refuses.
const QUEUE: usize = 16_384;
/// Most syncs sent in one pipelined round trip.
const BATCH: usize = 256;
/// Syncs from other nodes waiting for this node's delivery before the subscriber stops reading.
const INCOMING: usize = 4096;

/// Why the cluster could not be joined.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// `redis_url` does not parse, or the first connection failed.
    #[error("cannot connect to Redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// `[cluster]` has no `redis_url`.
    #[error("cluster.redis_url is not set")]
    NoUrl,
    /// The node id is longer than a message header allows.
    #[error("cluster node id is too long")]
    NodeId,
}

/// The Redis pub/sub bus of one node.
pub struct RedisBus {
    queue: mpsc::Sender<Bytes>,
    stats: Arc<BusStats>,
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBus").finish_non_exhaustive()
    }
}

impl RedisBus {
    /// Connects as `node` to the cluster on `client` under `prefix`, and starts the publisher and the
    /// subscriber. Returns the bus and the syncs the other nodes publish.
    ///
    /// # Errors
    /// [`ClusterError::Redis`] when Redis cannot be reached now; [`ClusterError::NodeId`].
    pub async fn start(
        client: redis::Client,
        prefix: &str,
        node: &str,
    ) -> Result<(Self, mpsc::Receiver<Bytes>), ClusterError> {
        let header = header(node)?;
        let channel = format!("{prefix}:syncs");
        let connection = ConnectionManager::new(client.clone()).await?;
        let stats = Arc::new(BusStats::default());
        let (queue, outgoing) = mpsc::channel(QUEUE);
        let (incoming, received) = mpsc::channel(INCOMING);
        tokio::spawn(publish(
            connection,
            channel.clone(),
            header.clone(),
            outgoing,
            stats.clone(),
        ));
        // The subscription is made before `start` returns, so nothing published after it is missed.
        let subscribed = subscribe(&client, &channel).await?;
        tokio::spawn(listen(client, channel, header, subscribed, incoming));
        Ok((Self { queue, stats }, received))
    }
}

impl SyncBus for RedisBus {
    fn publish(&self, sync: Bytes) -> Result<(), BusError> {
        self.queue.try_send(sync).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => BusError::Full,
            mpsc::error::TrySendError::Closed(_) => BusError::Stopped,
        })
    }

    fn has_peers(&self) -> bool {
        true
    }

    fn stats(&self) -> &BusStats {
        &self.stats
    }
}

fn header(node: &str) -> Result<Bytes, ClusterError> {
    let length = u8::try_from(node.len()).map_err(|_| ClusterError::NodeId)?;
    let mut header = BytesMut::with_capacity(node.len() + 1);
    header.put_u8(length);
    header.put_slice(node.as_bytes());
    Ok(header.freeze())
}

/// Publishes queued syncs in order, pipelining what has piled up.
async fn publish(
    mut connection: ConnectionManager,
    channel: String,
    header: Bytes,
    mut queue: mpsc::Receiver<Bytes>,
    stats: Arc<BusStats>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        let mut pipe = redis::pipe();
        for sync in &batch {
            let mut message = Vec::with_capacity(header.len() + sync.len());
            message.extend_from_slice(&header);
            message.extend_from_slice(sync);
            pipe.cmd("PUBLISH").arg(&channel).arg(message).ignore();
        }
        let sent = batch.len() as u64;
        batch.clear();
        match pipe.query_async::<()>(&mut connection).await {
            Ok(()) => {
                stats
                    .published
                    .fetch_add(sent, std::sync::atomic::Ordering::Relaxed);
            }
            Err(error) => {
                stats
                    .dropped
                    .fetch_add(sent, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(%error, syncs = sent, "cluster bus: publish failed; the other nodes miss these syncs");
            }
        }
    }
}

async fn subscribe(
    client: &redis::Client,
    channel: &str,
) -> Result<redis::aio::PubSub, redis::RedisError> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

/// Hands other nodes' syncs to `incoming`; resubscribes whenever the subscription is lost.
async fn listen(
    client: redis::Client,
    channel: String,
    header: Bytes,
    first: redis::aio::PubSub,
    incoming: mpsc::Sender<Bytes>,
) {
    let mut pubsub = Some(first);
    let mut pause = Duration::from_millis(50);
    loop {
        if let Some(subscribed) = pubsub.take() {
            pause = Duration::from_millis(50);
            let mut messages = subscribed.into_on_message();
            while let Some(message) = messages.next().await {
                let payload = message.get_payload_bytes();
                let Some(sync) = from_other_node(payload, &header) else {
                    continue;
                };
                if incoming.send(sync).await.is_err() {
                    return;
                }
            }
            tracing::warn!("cluster bus: subscription lost; resubscribing");
        }
        if incoming.is_closed() {
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
        match subscribe(&client, &channel).await {
            Ok(subscribed) => {
                tracing::info!("cluster bus: subscribed again");
                pubsub = Some(subscribed);
            }
            Err(error) => tracing::warn!(%error, "cluster bus: cannot subscribe yet"),
        }
    }
}

/// The sync in `message`, unless this node published it (or it has no valid header).
fn from_other_node(message: &[u8], own: &Bytes) -> Option<Bytes> {
    let (&length, rest) = message.split_first()?;
    let node_end = usize::from(length);
    if rest.len() < node_end {
        return None;
    }
    if message.get(..=node_end)? == own.as_ref() {
        return None;
    }
    Some(Bytes::copy_from_slice(&rest[node_end..]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn own_messages_and_headerless_ones_are_skipped() {
        let own = header("a").unwrap();
        let other = header("bb").unwrap();
        let message = |header: &Bytes, body: &[u8]| [header.as_ref(), body].concat();
        assert_eq!(from_other_node(&message(&own, b"x"), &own), None);
        assert_eq!(
            from_other_node(&message(&other, b"sync"), &own).as_deref(),
            Some(&b"sync"[..])
        );
        assert_eq!(from_other_node(b"", &own), None);
        assert_eq!(from_other_node(b"\x09ab", &own), None);
        assert!(header(&"n".repeat(300)).is_err());
    }
}
