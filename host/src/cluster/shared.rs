//! The state every node of a cluster shares, built from `[cluster]` on one connection: the `kv`
//! capability's store, remembered rooms and rate windows. Construction only.

use std::sync::Arc;
use std::time::Duration;

use super::ClusterError;
use super::redis_conn::RedisConn;
use super::redis_kv::RedisKv;
use super::redis_rates::RedisRates;
use super::redis_rooms::RedisRooms;
use crate::config::ClusterSection;

/// The shared state of a node in a cluster, all on one connection.
#[derive(Debug, Clone)]
pub struct SharedState {
    /// The connection, for anything else that wants to share it.
    pub conn: RedisConn,
    /// The `kv` capability's store (for `RuntimeOptions::kv`).
    pub kv: Arc<RedisKv>,
    /// Remembered rooms (for `Seams::redis`).
    pub memory: Arc<RedisRooms>,
    /// Rate windows (for `Seams::redis`).
    pub rates: Arc<RedisRates>,
}

/// Connects to `[cluster].redis_url` and builds the shared state under `key_prefix`, each call
/// bounded by `timeout_ms`. Call it on the server's (multi-thread) tokio runtime: the connection's
/// tasks run there.
///
/// # Errors
/// [`ClusterError::NoUrl`] without a URL; [`ClusterError::Redis`] when the URL is unusable or Redis
/// does not answer PING within `timeout_ms`.
pub async fn connect(section: &ClusterSection) -> Result<SharedState, ClusterError> {
    let url = section.redis_url.as_deref().ok_or(ClusterError::NoUrl)?;
    let conn = RedisConn::open(url, Duration::from_millis(section.timeout_ms)).await?;
    let prefix = &section.key_prefix;
    Ok(SharedState {
        kv: Arc::new(RedisKv::new(conn.clone(), prefix)),
        memory: Arc::new(RedisRooms::new(conn.clone(), prefix)),
        rates: Arc::new(RedisRates::new(conn.clone(), prefix)),
        conn,
    })
}
