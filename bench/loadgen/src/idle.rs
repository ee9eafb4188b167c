//! Idle memory: open N clients connected to `/` (no room, no traffic except heartbeats), let the
//! server settle, and report its resident-memory growth per connection.
//!
//! The server's RSS is read from `/proc/<pid>/status` before the first connection and after the
//! settle time; nothing else about the server is assumed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde::Serialize;
use tokio::sync::watch;

use crate::tracker::RunState;
use crate::{connection, members, procfs};

/// Options of an idle-memory run.
#[derive(Debug, Clone, clap::Args)]
pub struct IdleOptions {
    /// Server address, host:port.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub address: String,
    /// Label for the server in the report.
    #[arg(long, default_value = "server")]
    pub label: String,
    /// Connections to open.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Pid of the server process whose RSS is measured.
    #[arg(long)]
    pub server_pid: u32,
    /// Seconds to wait with all connections open before reading RSS.
    #[arg(long, default_value_t = 5.0)]
    pub settle_secs: f64,
    /// HS256 secret: each connection signs in as user `u<i>` with a token signed with it.
    /// Without it connections are anonymous.
    #[arg(long)]
    pub token_secret: Option<String>,
    /// Concurrent handshakes while connecting.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
}

/// The JSON result of an idle-memory run.
#[derive(Debug, Serialize)]
pub struct IdleReport {
    mode: &'static str,
    server: String,
    signed_in: bool,
    connections: usize,
    connect_secs: f64,
    rss_before_bytes: u64,
    rss_after_bytes: u64,
    bytes_per_connection: f64,
    closed_early: u64,
    /// True when every connection opened and stayed open.
    pub ok: bool,
}

impl IdleReport {
    /// One human-readable line for the terminal.
    pub fn summary(&self) -> String {
        format!(
            "{} idle at {} connections: {:.1} KB/connection, {}",
            self.server,
            self.connections,
            self.bytes_per_connection / 1000.0,
            if self.ok { "ok" } else { "FAILED" }
        )
    }
}

/// Runs one idle-memory measurement.
pub async fn run(options: &IdleOptions) -> anyhow::Result<IdleReport> {
    let url = connection::socketio_url(&options.address);
    let rss_before = procfs::rss_bytes(options.server_pid)?;
    // Members need shared run state even though no message is ever published.
    let state = Arc::new(RunState::new(1, 0)?);
    let (stop_tx, stop_rx) = watch::channel(false);
    let started = Instant::now();
    let members = members::connect(
        &url,
        None,
        options.token_secret.as_deref(),
        options.connections,
        options.connect_concurrency,
        state,
        stop_rx,
    )
    .await;
    let connect_secs = started.elapsed().as_secs_f64();
    if members.failures > 0 {
        stop_tx.send(true).ok();
        bail!(
            "{} of {} clients failed to connect",
            members.failures,
            options.connections
        );
    }
    eprintln!(
        "{}: {} idle clients connected in {connect_secs:.1}s",
        options.label, options.connections
    );
    tokio::time::sleep(Duration::from_secs_f64(options.settle_secs.max(0.0))).await;
    let rss_after = procfs::rss_bytes(options.server_pid)?;

    stop_tx.send(true).ok();
    let mut closed_early = 0;
    for task in members.tasks {
        closed_early += u64::from(task.await.map_or(true, |outcome| outcome.closed_early));
    }
    let connections = options.connections.max(1);
    Ok(IdleReport {
        mode: "idle",
        server: options.label.clone(),
        signed_in: options.token_secret.is_some(),
        connections: options.connections,
        connect_secs,
        rss_before_bytes: rss_before,
        rss_after_bytes: rss_after,
        bytes_per_connection: rss_after.saturating_sub(rss_before) as f64 / connections as f64,
        closed_early,
        ok: closed_early == 0,
    })
}
