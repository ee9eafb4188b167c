//! Graceful shutdown of `synchost serve`, after the listeners stopped accepting: new requests are
//! refused, the accepted ones finish (server stage, answer, fan-out), every connection writes what
//! is queued for it and is closed the way Node's `io.close()` closes it (so clients reconnect,
//! elsewhere when a load balancer sends them there), and in a cluster the node leaves presence.
//!
//! All of it happens within one bound, `[server] shutdown_timeout_ms`: whatever is still running
//! then (a stage stuck past it, a client not reading) is abandoned, never waited for. It must never
//! cancel a request that could still finish inside the bound.

use std::time::Duration;

use tokio::time::{Instant, timeout_at};

use super::Server;

/// How often the closing connections are counted while they flush.
const CLOSE_POLL: Duration = Duration::from_millis(10);

/// What was left when the shutdown ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Accepted requests that had not finished within the bound.
    pub unfinished: usize,
    /// Connections not yet closed at the end of the bound.
    pub connections_left: usize,
}

impl Server {
    /// Shuts the server down within `bound` (see the module docs) and reports what it left behind.
    pub async fn shut_down(&self, bound: Duration) -> Report {
        let deadline = Instant::now() + bound;
        let drain = self.sync.drain();
        drain.close();
        self.engine.refuse_new();
        tracing::info!(
            working = drain.working(),
            connections = self.engine.connection_count(),
            "shutting down: finishing accepted requests"
        );
        let unfinished = match timeout_at(deadline, drain.finished()).await {
            Ok(()) => 0,
            Err(_) => drain.working(),
        };
        if unfinished > 0 {
            tracing::warn!(
                unfinished,
                "requests still running at shutdown_timeout_ms are abandoned"
            );
        }
        self.engine.shutdown();
        let closed = timeout_at(deadline, async {
            while self.engine.connection_count() > 0 {
                tokio::time::sleep(CLOSE_POLL).await;
            }
        })
        .await;
        if let Some(presence) = &self.presence
            && timeout_at(deadline, presence.leave()).await.is_err()
        {
            tracing::warn!("cluster presence not left within shutdown_timeout_ms; it expires");
        }
        let connections_left = if closed.is_ok() {
            0
        } else {
            self.engine.connection_count()
        };
        Report {
            unfinished,
            connections_left,
        }
    }
}
