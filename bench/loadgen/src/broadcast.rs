//! One broadcast run (bench/SCENARIO.md): connect the room, publish for warm-up plus measurement,
//! drain, then count deliveries, latency, losses and duplicates into one JSON report.
//!
//! It measures and reports; it never retries or hides a loss. The run is bounded: connect,
//! publish and drain each have a deadline.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::sync::watch;

use crate::members::{self, MemberOutcome};
use crate::procfs;
use crate::publisher::{Pacing, Publisher};
use crate::tracker::RunState;
use crate::{connection, wire};

/// Options of a broadcast run.
#[derive(Debug, Clone, clap::Args)]
pub struct BroadcastOptions {
    /// Server address, host:port.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub address: String,
    /// Label for the server in the report.
    #[arg(long, default_value = "server")]
    pub label: String,
    /// Room members (receiving clients).
    #[arg(long, default_value_t = 100)]
    pub room_size: u32,
    /// Room name.
    #[arg(long, default_value = "bench")]
    pub room: String,
    /// Approximate size of the JSON payload object in bytes.
    #[arg(long, default_value_t = 100)]
    pub payload_bytes: usize,
    /// Seconds of publishing before measurement starts.
    #[arg(long, default_value_t = 1.0)]
    pub warmup_secs: f64,
    /// Seconds of measured publishing.
    #[arg(long, default_value_t = 5.0)]
    pub duration_secs: f64,
    /// Deliveries allowed in flight; the message window is this divided by the room size.
    #[arg(long, default_value_t = 20_000)]
    pub inflight_deliveries: u64,
    /// Upper bound of the message window (stays under per-socket queue limits such as 128).
    #[arg(long, default_value_t = 64)]
    pub max_window: u64,
    /// Optional publish rate cap in messages per second.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Most messages one run may publish.
    #[arg(long, default_value_t = 2_000_000)]
    pub max_messages: usize,
    /// Concurrent handshakes while connecting.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// Server pid, to report its CPU time.
    #[arg(long)]
    pub server_pid: Option<u32>,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Serialize)]
pub struct Latency {
    samples: u64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    max_us: u64,
}

/// The JSON result of one broadcast run.
#[derive(Debug, Serialize)]
pub struct BroadcastReport {
    mode: &'static str,
    server: String,
    room_size: u32,
    payload_bytes: usize,
    inflight_deliveries: u64,
    window: u64,
    connect_secs: f64,
    published: u64,
    acked: u64,
    measured_deliveries: u64,
    deliveries_per_sec: f64,
    latency: Latency,
    lost: u64,
    duplicated: u64,
    reordered: u64,
    unexpected: u64,
    malformed: u64,
    closed_early: u64,
    stalled_at: Option<u64>,
    server_cpu_secs: Option<f64>,
    deliveries_per_server_cpu_sec: Option<f64>,
    loadgen_cpu_secs: Option<f64>,
    /// True when nothing was lost, duplicated, malformed or unacked.
    pub ok: bool,
}

impl BroadcastReport {
    /// One human-readable line for the terminal.
    pub fn summary(&self) -> String {
        format!(
            "{} room {}: {:.0} deliveries/s, p50 {:.1} ms, p99 {:.1} ms, lost {}, duplicated {}, {}",
            self.server,
            self.room_size,
            self.deliveries_per_sec,
            self.latency.p50_us as f64 / 1000.0,
            self.latency.p99_us as f64 / 1000.0,
            self.lost,
            self.duplicated,
            if self.ok { "ok" } else { "FAILED" }
        )
    }
}

/// Runs one broadcast measurement.
pub async fn run(options: &BroadcastOptions) -> anyhow::Result<BroadcastReport> {
    let url = connection::socketio_url(&options.address);
    let state = Arc::new(RunState::new(options.room_size, options.max_messages)?);
    let (stop_tx, stop_rx) = watch::channel(false);

    let connect_started = Instant::now();
    let members = members::connect(
        &url,
        Some(&options.room),
        None,
        options.room_size as usize,
        options.connect_concurrency,
        state.clone(),
        stop_rx,
    )
    .await;
    if members.failures > 0 {
        stop_tx.send(true).ok();
        bail!(
            "{} of {} clients failed to connect",
            members.failures,
            options.room_size
        );
    }
    let publisher = Publisher::start(
        connection::open(&url, None).await.context("publisher")?,
        state.clone(),
    );
    let connect_secs = connect_started.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} members connected in {connect_secs:.1}s",
        options.label, options.room_size
    );

    let window = options
        .inflight_deliveries
        .div_ceil(u64::from(options.room_size.max(1)))
        .clamp(2, options.max_window.max(2));
    let pacing = Pacing {
        window,
        rate: options.rate,
        stall_timeout: Duration::from_secs(5),
    };
    let from_us = state.now_us() + secs_to_us(options.warmup_secs);
    let until_us = from_us + secs_to_us(options.duration_secs);
    state.set_window(from_us, until_us);

    let cpu_before = cpu_snapshot(options.server_pid);
    let pad = wire::padding_for(options.payload_bytes);
    let published = publisher
        .run(&state, &options.room, &pad, &pacing, until_us)
        .await?;
    drain(&state, published.count, &published.acks).await;
    let cpu_after = cpu_snapshot(options.server_pid);

    stop_tx.send(true).ok();
    let mut outcomes = Vec::with_capacity(members.tasks.len());
    for task in members.tasks {
        outcomes.push(task.await.context("member task panicked")?);
    }

    let measured_secs = options.duration_secs.max(f64::EPSILON);
    let histogram = state.latencies()?;
    let totals = Totals::sum(&outcomes, published.count);
    let acked = published.acks.load(Ordering::Relaxed);
    let server_cpu_secs = cpu_after
        .0
        .zip(cpu_before.0)
        .map(|(after, before)| after - before);
    let total_deliveries = published.count * u64::from(options.room_size) - totals.lost;
    let ok = totals.lost == 0
        && totals.duplicated == 0
        && totals.unexpected == 0
        && totals.malformed == 0
        && published.stalled_at.is_none()
        && acked == published.count;
    Ok(BroadcastReport {
        mode: "broadcast",
        server: options.label.clone(),
        room_size: options.room_size,
        payload_bytes: options.payload_bytes,
        inflight_deliveries: options.inflight_deliveries,
        window,
        connect_secs,
        published: published.count,
        acked,
        measured_deliveries: state.measured_deliveries(),
        deliveries_per_sec: state.measured_deliveries() as f64 / measured_secs,
        latency: Latency {
            samples: histogram.len(),
            p50_us: histogram.value_at_quantile(0.50),
            p90_us: histogram.value_at_quantile(0.90),
            p99_us: histogram.value_at_quantile(0.99),
            max_us: histogram.max(),
        },
        lost: totals.lost,
        duplicated: totals.duplicated,
        reordered: totals.reordered,
        unexpected: totals.unexpected,
        malformed: totals.malformed,
        closed_early: totals.closed_early,
        stalled_at: published.stalled_at,
        server_cpu_secs,
        deliveries_per_server_cpu_sec: server_cpu_secs
            .filter(|secs| *secs > 0.0)
            .map(|secs| total_deliveries as f64 / secs),
        loadgen_cpu_secs: cpu_after
            .1
            .zip(cpu_before.1)
            .map(|(after, before)| after - before),
        ok,
    })
}

/// Waits (bounded) until every published message reached every member and was acked.
async fn drain(state: &RunState, published: u64, acks: &std::sync::atomic::AtomicU64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if state.completed() >= published && acks.load(Ordering::Relaxed) >= published {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Server and load generator CPU seconds, when readable.
fn cpu_snapshot(server_pid: Option<u32>) -> (Option<f64>, Option<f64>) {
    let server = server_pid.and_then(|pid| procfs::cpu_seconds(&pid.to_string()).ok());
    (server, procfs::cpu_seconds("self").ok())
}

fn secs_to_us(secs: f64) -> u64 {
    (secs.max(0.0) * 1_000_000.0) as u64
}

#[derive(Default)]
struct Totals {
    lost: u64,
    duplicated: u64,
    reordered: u64,
    unexpected: u64,
    malformed: u64,
    closed_early: u64,
}

impl Totals {
    fn sum(outcomes: &[MemberOutcome], published: u64) -> Self {
        let mut totals = Self::default();
        for outcome in outcomes {
            let unexpected = outcome.check.unexpected(published);
            totals.lost += published - (outcome.check.distinct - unexpected);
            totals.duplicated += outcome.check.duplicated;
            totals.reordered += outcome.check.reordered;
            totals.unexpected += unexpected;
            totals.malformed += outcome.malformed;
            totals.closed_early += u64::from(outcome.closed_early);
        }
        totals
    }
}
