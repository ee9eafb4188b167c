//! The one Redis connection a node's shared state uses, and the bridge that lets synchronous callers
//! (plugin worker threads, the sync pipeline's checks) wait for it within the `timeout_ms` budget.
//!
//! The connection is a [`ConnectionManager`]: one multiplexed connection that reconnects by itself
//! after Redis goes away, so nothing has to be rebuilt when Redis comes back. Its tasks run on the
//! tokio runtime captured at [`RedisConn::open`]. A wait must never stall a tokio worker: from a plain
//! thread it blocks that thread; from a worker of a multi-thread runtime it first hands the worker's
//! other tasks away (`block_in_place`); on a single-threaded runtime it refuses instead of waiting.
//! A call that runs out of budget reports a failure, though Redis may still carry out the command.

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::runtime::{Handle, RuntimeFlavor};

use super::ClusterError;

/// The longest pause between two reconnection attempts, so a Redis that is back is used again soon.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// A shared, self-reconnecting Redis connection and the budget of each call on it.
#[derive(Clone)]
pub struct RedisConn {
    manager: ConnectionManager,
    runtime: Handle,
    budget: Duration,
}

impl std::fmt::Debug for RedisConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConn")
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl RedisConn {
    /// Connects to `url` and checks that Redis answers, each within `budget`. Must be called on the
    /// tokio runtime that will drive the connection.
    ///
    /// # Errors
    /// [`ClusterError::Redis`] for a URL the client does not accept, or when Redis does not answer
    /// PING within `budget` (the message names the URL without its password).
    pub async fn open(url: &str, budget: Duration) -> Result<Self, ClusterError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(budget))
            .set_response_timeout(Some(budget))
            .set_max_delay(MAX_RECONNECT_DELAY);
        let unreachable = |reason: String| {
            ClusterError::Redis(redis::RedisError::from((
                redis::ErrorKind::Io,
                "Redis did not answer",
                format!("{}: {reason}", redacted(url)),
            )))
        };
        let manager = ConnectionManager::new_lazy_with_config(client, config)?;
        let conn = Self {
            manager,
            runtime: Handle::current(),
            budget,
        };
        let mut manager = conn.manager();
        let pong: String = conn
            .within_budget(async move { redis::cmd("PING").query_async(&mut manager).await })
            .await
            .map_err(unreachable)?;
        if pong != "PONG" {
            return Err(unreachable(format!("PING answered {pong:?}")));
        }
        tokio::spawn(keep_alive(conn.manager(), budget));
        Ok(conn)
    }

    /// A handle on the shared connection (cheap to clone) for async callers.
    pub fn manager(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// The budget of one call.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// Runs `call` on the shared connection and waits for it, at most the budget. For synchronous
    /// callers only (see the module's doc for which threads may wait and how).
    ///
    /// # Errors
    /// A description of the Redis error, of the budget running out, or of a caller that may not wait.
    pub fn blocking<T, F>(&self, call: impl FnOnce(ConnectionManager) -> F) -> Result<T, String>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        let task = self.within_budget(call(self.manager()));
        match Handle::try_current() {
            Err(_) => self.runtime.block_on(task),
            Ok(current) if current.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| self.runtime.block_on(task))
            }
            Ok(_) => {
                Err("redis: shared state cannot be waited for on a single-threaded runtime".into())
            }
        }
    }

    async fn within_budget<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, String> {
        match tokio::time::timeout(self.budget, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(format!("redis: {error}")),
            Err(_) => Err(format!(
                "redis: no answer within {} ms",
                self.budget.as_millis()
            )),
        }
    }
}

/// Pings the shared connection every [`KEEP_ALIVE`], so a connection Redis dropped (a restart, an idle
/// timeout) is noticed and replaced while nobody needs it, not by the first real call after it.
/// Runs for the life of the process (one per node).
async fn keep_alive(mut manager: ConnectionManager, budget: Duration) {
    let ping = redis::cmd("PING");
    loop {
        tokio::time::sleep(KEEP_ALIVE).await;
        let _ = tokio::time::timeout(budget, ping.query_async::<String>(&mut manager)).await;
    }
}

/// How often an idle shared connection is checked.
const KEEP_ALIVE: Duration = Duration::from_millis(500);

/// The URL without its password, for error messages and logs.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn passwords_are_not_repeated() {
        assert_eq!(
            redacted("redis://:secret@host:6379/0"),
            "redis://***@host:6379/0"
        );
        assert_eq!(redacted("redis://host:6379/"), "redis://host:6379/");
    }
}
