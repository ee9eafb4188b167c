//! The sync run (bench/SCENARIO.md, "Sync run and soak"): many connections in one room (or in
//! many rooms of equal size), publishers among them sending `sync` events through the server's
//! pipeline at a steady rate, every connection checking that it receives every accepted sync of
//! its room exactly once and in order. Connections are anonymous or, with a token secret, each
//! signed in as its own user.
//!
//! Optional soak parts run beside it: a handler hot-swapped on disk between two builds, a hostile
//! handler called at an interval, the server's RSS sampled. The run measures and reports; it never
//! retries or hides a loss, and every phase has a deadline.

mod client;
mod hostile;
mod publisher;
mod soak;
mod state;
mod wire;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::connection;
use crate::token;
use client::{ClientOutcome, Role, Seat, Shared};
use hostile::{HostileCall, HostileReport, HostileStats};
use publisher::{PublisherOutcome, Schedule};
use soak::{RssReport, RssSampler, Swap, SwapReport};
use state::{Answer, SyncState};
use wire::Tag;

/// Options of a sync run.
#[derive(Debug, Clone, clap::Args)]
pub struct SyncOptions {
    /// Label for the server in the report.
    #[arg(long, default_value = "synchost")]
    pub label: String,
    /// Label for the offered load in the report (runs with equal labels are repetitions).
    #[arg(long, default_value = "")]
    pub load: String,
    /// Server address, host:port; several, comma-separated, spread the connections over the
    /// nodes of a cluster (connection `i` goes to address `i mod n`, publishers included).
    #[arg(long, default_value = "127.0.0.1:3000", value_delimiter = ',')]
    pub address: Vec<String>,
    /// Connections in the room, publishers included.
    #[arg(long, default_value_t = 500)]
    pub connections: u32,
    /// How many of them publish.
    #[arg(long, default_value_t = 10)]
    pub publishers: u32,
    /// The room; with `--room-size`, the prefix of the rooms' names (`<room>-<k>`).
    #[arg(long, default_value = "soak")]
    pub room: String,
    /// Members per room: connection `i` joins room `i / room-size`, and each room's first
    /// `publishers / rooms` connections publish to it. 0: one room of every connection.
    #[arg(long, default_value_t = 0)]
    pub room_size: u32,
    /// HS256 secret: each connection signs in as user `u<i>` with a token signed with it.
    /// Without it connections are anonymous.
    #[arg(long)]
    pub token_secret: Option<String>,
    /// The sync: it must answer `{amount}` with `serverOutput.newValue = amount + 1`.
    #[arg(long, default_value = "examples/updateCounter")]
    pub name: String,
    /// Its version.
    #[arg(long, default_value = "v1")]
    pub version: String,
    /// Syncs per second, over all publishers.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Unacknowledged syncs one publisher may have.
    #[arg(long, default_value_t = 16)]
    pub window: u64,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 30.0)]
    pub duration_secs: f64,
    /// The first seconds of publishing, left out of latency and of the RSS trend.
    #[arg(long, default_value_t = 5.0)]
    pub warmup_secs: f64,
    /// Most seconds to wait, after publishing, for outstanding acks and deliveries.
    #[arg(long, default_value_t = 15.0)]
    pub drain_secs: f64,
    /// Seconds to keep every connection open after the drain (announced on stderr as
    /// `sync: drained`), so an observer can read the servers' and Redis's counters before the
    /// members leave.
    #[arg(long, default_value_t = 0.0)]
    pub linger_secs: f64,
    /// Concurrent handshakes while connecting.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// Server pid, to sample its RSS.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Seconds between RSS samples.
    #[arg(long, default_value_t = 5.0)]
    pub rss_every_secs: f64,
    /// A served component to hot-swap (needs two --swap-build).
    #[arg(long, requires = "swap_build")]
    pub swap_live: Option<PathBuf>,
    /// The two builds to alternate (the first is what --swap-live holds at the start).
    #[arg(long, num_args = 2, requires = "swap_live")]
    pub swap_build: Vec<PathBuf>,
    /// Seconds between swaps.
    #[arg(long, default_value_t = 3.0)]
    pub swap_every_secs: f64,
    /// A hostile sync to call at an interval, from a connection in a room of its own.
    #[arg(long)]
    pub hostile_name: Option<String>,
    /// Its version.
    #[arg(long, default_value = "v1")]
    pub hostile_version: String,
    /// Its `data`, raw JSON.
    #[arg(long, default_value = r#"{"attack":"loop"}"#)]
    pub hostile_data: String,
    /// Milliseconds between hostile calls.
    #[arg(long, default_value_t = 1000)]
    pub hostile_every_ms: u64,
}

/// Latency percentiles in microseconds, send → first receipt.
#[derive(Debug, Serialize)]
pub struct Latency {
    samples: u64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    max_us: u64,
}

/// The JSON result of one sync run.
#[derive(Debug, Serialize)]
pub struct SyncReport {
    mode: &'static str,
    server: String,
    load: String,
    name: String,
    addresses: Vec<String>,
    connections: u32,
    publishers: u32,
    rooms: u32,
    room_size: u32,
    signed_in: bool,
    rate: f64,
    duration_secs: f64,
    connect_secs: f64,
    sent: u64,
    accepted: u64,
    refused: u64,
    unanswered: u64,
    answers: BTreeMap<String, u64>,
    expected_deliveries: u64,
    delivered: u64,
    /// First receipts that arrived between the end of the warm-up and the end of publishing,
    /// per second of that window.
    deliveries_per_sec: f64,
    /// The server's CPU seconds from the start of publishing to the end of the drain.
    server_cpu_secs: Option<f64>,
    /// First receipts over the same span per server CPU second.
    deliveries_per_server_cpu_sec: Option<f64>,
    lost: u64,
    duplicated: u64,
    reordered: u64,
    unexpected: u64,
    malformed: u64,
    error_frames: u64,
    other_frames: u64,
    stray_acks: u64,
    closed_early: u64,
    late_sends: u64,
    stalled_publishers: u64,
    latency: Latency,
    swaps: Option<SwapReport>,
    hostile: Option<HostileReport>,
    rss: Option<RssReport>,
    /// Nothing lost, duplicated, unexpected, malformed, refused or unanswered; no connection
    /// closed; no publisher stalled; every hostile call answered. Reordering is reported only.
    pub ok: bool,
}

impl SyncReport {
    /// One human-readable line for the terminal.
    pub fn summary(&self) -> String {
        let rss = self.rss.as_ref().map_or(String::new(), |rss| {
            format!(
                ", RSS {:.1} → {:.1} MB after warm-up (slope {:+.2} MB/min)",
                rss.after_warmup_mb.unwrap_or(f64::NAN),
                rss.end_mb.unwrap_or(f64::NAN),
                rss.slope_mb_per_min.unwrap_or(f64::NAN)
            )
        });
        format!(
            "sync {} connections on {} address(es), {} syncs accepted of {}: delivered {}/{} \
             ({:.0}/s), lost {}, duplicated {}, reordered {}, p50 {:.1} ms, p99 {:.1} ms{rss}, {}",
            self.connections,
            self.addresses.len(),
            self.accepted,
            self.sent,
            self.delivered,
            self.expected_deliveries,
            self.deliveries_per_sec,
            self.lost,
            self.duplicated,
            self.reordered,
            self.latency.p50_us as f64 / 1000.0,
            self.latency.p99_us as f64 / 1000.0,
            if self.ok { "ok" } else { "FAILED" }
        )
    }
}

/// How connections are spread over rooms.
#[derive(Debug, Clone, Copy)]
struct Layout {
    rooms: u32,
    room_size: u32,
    /// Publishers per room.
    per_room: u32,
}

impl Layout {
    fn of(options: &SyncOptions) -> anyhow::Result<Self> {
        if options.publishers == 0 || options.publishers > options.connections {
            bail!("--publishers must be between 1 and --connections");
        }
        let room_size = match options.room_size {
            0 => options.connections,
            size => size,
        };
        if !options.connections.is_multiple_of(room_size) {
            bail!("--connections must be a multiple of --room-size");
        }
        let rooms = options.connections / room_size;
        if !options.publishers.is_multiple_of(rooms) || options.publishers / rooms > room_size {
            bail!(
                "--publishers must be a multiple of the number of rooms ({rooms}), at most --room-size per room"
            );
        }
        Ok(Self {
            rooms,
            room_size,
            per_room: options.publishers / rooms,
        })
    }

    /// The room of connection `index`, and its publisher index when it publishes.
    fn place(self, index: u32) -> (u32, Option<u32>) {
        let (room, position) = (index / self.room_size, index % self.room_size);
        (
            room,
            (position < self.per_room).then_some(room * self.per_room + position),
        )
    }

    /// The publishers of `room`.
    fn senders(self, room: u32) -> std::ops::Range<u32> {
        room * self.per_room..(room + 1) * self.per_room
    }

    fn room_name(self, prefix: &str, room: u32) -> String {
        if self.rooms == 1 {
            prefix.to_owned()
        } else {
            format!("{prefix}-{room}")
        }
    }
}

/// Runs one sync measurement.
pub async fn run(options: &SyncOptions) -> anyhow::Result<SyncReport> {
    let layout = Layout::of(options)?;
    if options.address.is_empty() {
        bail!("--address needs at least one host:port");
    }
    let urls: Vec<String> = options
        .address
        .iter()
        .map(|address| connection::socketio_url(address))
        .collect();
    // Room for the scheduled syncs and a margin; the schedule never sends past it.
    let per_sender = options.rate / f64::from(options.publishers) * options.duration_secs;
    let max_per_sender = u32::try_from(per_sender.ceil() as u64 + 16).context("too many syncs")?;
    let state = Arc::new(SyncState::new(
        options.publishers,
        max_per_sender,
        layout.room_size,
    )?);
    let (stop_tx, stop_rx) = watch::channel(false);
    let shared = Shared {
        state: state.clone(),
        full_name: format!("sync/{}/{}", options.name, options.version).into(),
        stop: stop_rx.clone(),
    };

    let sampler = Arc::new(RssSampler::new());
    let before_connect = options
        .server_pid
        .and_then(|pid| crate::procfs::rss_bytes(pid).ok());
    if let Some(pid) = options.server_pid {
        let (sampler, every, stop) = (
            sampler.clone(),
            Duration::from_secs_f64(options.rss_every_secs.max(0.1)),
            stop_rx.clone(),
        );
        tokio::spawn(async move { sampler.run(pid, every, stop).await });
    }

    let connect_started = Instant::now();
    let connect_frame = |index: usize| match &options.token_secret {
        Some(secret) => token::sign(secret, index).map(|token| token::connect_frame(&token)),
        None => Ok(crate::wire::CONNECT.to_owned()),
    };
    let mut seats = Vec::with_capacity(options.connections as usize);
    let mut publisher_seats = vec![0usize; options.publishers as usize];
    for index in 0..options.connections {
        let (room, publisher) = layout.place(index);
        let role = match publisher {
            Some(publisher) => {
                publisher_seats[publisher as usize] = index as usize;
                Role::Publisher(publisher)
            }
            None => Role::Member,
        };
        seats.push(Seat {
            role,
            room: layout.room_name(&options.room, room),
            senders: layout.senders(room),
            connect: connect_frame(index as usize)?,
        });
    }
    let (clients, failures) =
        client::connect_all(&urls, seats, options.connect_concurrency, &shared).await;
    let hostile_stats = Arc::new(HostileStats::default());
    let hostile = match &options.hostile_name {
        Some(name) => {
            let room = format!("{}-hostile", options.room);
            // In a room of its own: it is no member of the run, so it checks nothing.
            let seat = Seat {
                role: Role::Hostile(hostile_stats.clone()),
                room: room.clone(),
                senders: 0..0,
                connect: crate::wire::CONNECT.to_owned(),
            };
            let (mut hostile, hostile_failures) =
                client::connect_all(&urls[..1], vec![seat], 1, &shared).await;
            if let Some(reason) = hostile_failures.first() {
                stop_tx.send(true).ok();
                bail!("hostile caller failed to connect: {reason}");
            }
            let call = HostileCall {
                name: name.clone(),
                version: options.hostile_version.clone(),
                data: options.hostile_data.clone(),
                room,
                every: Duration::from_millis(options.hostile_every_ms.max(1)),
            };
            hostile.pop().map(|client| (client, call))
        }
        None => None,
    };
    if !failures.is_empty() {
        stop_tx.send(true).ok();
        for reason in failures.iter().take(3) {
            eprintln!("client failed to connect: {reason}");
        }
        bail!(
            "{} of {} clients failed to connect",
            failures.len(),
            options.connections
        );
    }
    let connect_secs = connect_started.elapsed().as_secs_f64();
    eprintln!(
        "sync: {} connections joined {} room(s) in {connect_secs:.1}s",
        options.connections, layout.rooms
    );

    let start = Instant::now() + Duration::from_millis(100);
    let until = start + Duration::from_secs_f64(options.duration_secs.max(0.0));
    let warm = start + Duration::from_secs_f64(options.warmup_secs.max(0.0));
    let measured_from = state.now_us() + 100_000 + (options.warmup_secs.max(0.0) * 1e6) as u64;
    let measured_until = state.now_us() + 100_000 + (options.duration_secs.max(0.0) * 1e6) as u64;
    state.measure_between(measured_from, measured_until);

    let swapper = match (&options.swap_live, options.swap_build.as_slice()) {
        (Some(live), [first, second]) => Some(tokio::spawn(soak::swap_until(
            Swap {
                live: live.clone(),
                builds: [first.clone(), second.clone()],
                every: Duration::from_secs_f64(options.swap_every_secs.max(0.01)),
            },
            until,
        ))),
        _ => None,
    };
    let hostile_task = hostile.as_ref().map(|(client, call)| {
        let (stats, out, call) = (hostile_stats.clone(), client.out.clone(), call.clone());
        tokio::spawn(async move { hostile::run(&stats, out, call, until).await })
    });
    let cpu_before = options
        .server_pid
        .and_then(|pid| crate::procfs::cpu_seconds(&pid.to_string()).ok());
    let delivered_before = state.first_receipts();
    let publishers: Vec<_> = (0..options.publishers)
        .zip(&publisher_seats)
        .map(|(index, &seat)| {
            let client = &clients[seat];
            let (room, _) = layout.place(seat as u32);
            let schedule = Schedule {
                rate: options.rate / f64::from(options.publishers),
                offset: f64::from(index) / f64::from(options.publishers),
                window: options.window.max(1),
                stall_timeout: Duration::from_secs(10),
                name: options.name.clone(),
                version: options.version.clone(),
                room: layout.room_name(&options.room, room),
            };
            tokio::spawn(publisher::run(
                index,
                client.out.clone(),
                state.clone(),
                schedule,
                start,
                until,
            ))
        })
        .collect();
    let mut published = Vec::with_capacity(publishers.len());
    for task in publishers {
        published.push(task.await.context("publisher task panicked")?);
    }
    let swaps = match swapper {
        Some(task) => Some(task.await.context("swap task panicked")??),
        None => None,
    };
    if let Some(task) = hostile_task {
        task.await.context("hostile task panicked")?;
    }

    drain(
        &state,
        &hostile_stats,
        u64::from(layout.room_size),
        Duration::from_secs_f64(options.drain_secs.max(0.0)),
    )
    .await;
    let server_cpu_secs = options
        .server_pid
        .and_then(|pid| crate::procfs::cpu_seconds(&pid.to_string()).ok())
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let delivered_in_span = state.first_receipts() - delivered_before;
    eprintln!("sync: drained");
    if options.linger_secs > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(options.linger_secs)).await;
    }
    if let Some(pid) = options.server_pid {
        sampler.sample(pid);
    }
    stop_tx.send(true).ok();
    let mut outcomes = Vec::with_capacity(clients.len());
    for client in clients {
        outcomes.push(client.task.await.context("connection task panicked")?);
    }
    if let Some((client, _)) = hostile {
        outcomes.push(client.task.await.context("connection task panicked")?);
    }

    let histogram = state.latencies()?;
    let (accepted, refused, unanswered) = state.answer_totals();
    let totals = Totals::sum(&outcomes, &state);
    let late_sends = published.iter().map(|p: &PublisherOutcome| p.late).sum();
    let stalled_publishers = published.iter().filter(|p| p.stalled).count() as u64;
    let hostile_unanswered = options
        .hostile_name
        .as_ref()
        .map_or(0, |_| hostile_stats.unanswered());
    let ok = totals.lost == 0
        && totals.duplicated == 0
        && totals.unexpected == 0
        && totals.malformed == 0
        && totals.error_frames == 0
        && totals.closed_early == 0
        && refused == 0
        && unanswered == 0
        && stalled_publishers == 0
        && hostile_unanswered == 0
        && swaps.as_ref().is_none_or(|swaps| swaps.failed() == 0);
    Ok(SyncReport {
        mode: "sync",
        server: options.label.clone(),
        load: options.load.clone(),
        name: format!("{}@{}", options.name, options.version),
        addresses: options.address.clone(),
        connections: options.connections,
        publishers: options.publishers,
        rooms: layout.rooms,
        room_size: layout.room_size,
        signed_in: options.token_secret.is_some(),
        rate: options.rate,
        duration_secs: options.duration_secs,
        connect_secs,
        sent: published.iter().map(|p| p.sent).sum(),
        accepted,
        refused,
        unanswered,
        answers: state.answers_by(),
        expected_deliveries: accepted * u64::from(layout.room_size),
        delivered: state.first_receipts(),
        deliveries_per_sec: state.window_receipts() as f64
            / (measured_until.saturating_sub(measured_from) as f64 / 1e6).max(1e-6),
        server_cpu_secs,
        deliveries_per_server_cpu_sec: server_cpu_secs
            .filter(|cpu| *cpu > 0.0)
            .map(|cpu| delivered_in_span as f64 / cpu),
        lost: totals.lost,
        duplicated: totals.duplicated,
        reordered: totals.reordered,
        unexpected: totals.unexpected,
        malformed: totals.malformed,
        error_frames: totals.error_frames,
        other_frames: totals.other_frames,
        stray_acks: totals.stray_acks,
        closed_early: totals.closed_early,
        late_sends,
        stalled_publishers,
        latency: Latency {
            samples: histogram.len(),
            p50_us: histogram.value_at_quantile(0.50),
            p90_us: histogram.value_at_quantile(0.90),
            p99_us: histogram.value_at_quantile(0.99),
            max_us: histogram.max(),
        },
        swaps,
        hostile: options
            .hostile_name
            .as_ref()
            .map(|_| hostile_stats.report()),
        rss: options
            .server_pid
            .map(|_| sampler.report(before_connect, start, warm)),
        ok,
    })
}

/// Waits (bounded) until every sync is answered, every accepted one has reached every member of
/// its room and every hostile call is answered; gives up after `patience` without progress.
async fn drain(state: &SyncState, hostile: &HostileStats, room_size: u64, patience: Duration) {
    let mut last = (u64::MAX, u64::MAX);
    let mut progress_at = Instant::now();
    loop {
        let (accepted, _, unanswered) = state.answer_totals();
        let delivered = state.first_receipts();
        if unanswered == 0 && delivered >= accepted * room_size && hostile.unanswered() == 0 {
            return;
        }
        if (delivered, unanswered) != last {
            last = (delivered, unanswered);
            progress_at = Instant::now();
        } else if progress_at.elapsed() >= patience {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[derive(Default)]
struct Totals {
    lost: u64,
    duplicated: u64,
    reordered: u64,
    unexpected: u64,
    malformed: u64,
    error_frames: u64,
    other_frames: u64,
    stray_acks: u64,
    closed_early: u64,
}

impl Totals {
    /// Sums what the connections saw against what the server accepted: an accepted sync of its
    /// room missing at a connection is lost there, a sync that arrived without being accepted is
    /// unexpected (a sync of another room arriving is an unknown tag, also unexpected).
    fn sum(outcomes: &[ClientOutcome], state: &SyncState) -> Self {
        let mut totals = Self::default();
        for outcome in outcomes {
            for (sender, check) in outcome.senders.clone().zip(&outcome.checks) {
                for seq in 0..state.sent(sender) {
                    let accepted = state.answer(Tag { sender, seq }) == Answer::Accepted;
                    match (accepted, check.contains(u64::from(seq))) {
                        (true, false) => totals.lost += 1,
                        (false, true) => totals.unexpected += 1,
                        _ => {}
                    }
                }
                totals.duplicated += check.duplicated;
                totals.reordered += check.reordered;
            }
            totals.unexpected += outcome.unknown_tags;
            totals.malformed += outcome.malformed;
            totals.error_frames += outcome.error_frames;
            totals.other_frames += outcome.other_frames;
            totals.stray_acks += outcome.stray_acks;
            totals.closed_early += u64::from(outcome.closed_early);
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        sync: SyncOptions,
    }

    fn options(args: &[&str]) -> SyncOptions {
        Args::parse_from(std::iter::once("loadgen").chain(args.iter().copied())).sync
    }

    #[test]
    fn one_room_holds_every_connection_and_its_first_connections_publish() {
        let layout = Layout::of(&options(&["--connections", "6", "--publishers", "2"])).unwrap();
        assert_eq!((layout.rooms, layout.room_size, layout.per_room), (1, 6, 2));
        assert_eq!(layout.place(1), (0, Some(1)));
        assert_eq!(layout.place(2), (0, None));
        assert_eq!(layout.room_name("soak", 0), "soak");
    }

    #[test]
    fn many_rooms_each_have_their_own_publishers() {
        let args = [
            "--connections",
            "30",
            "--publishers",
            "6",
            "--room-size",
            "10",
        ];
        let layout = Layout::of(&options(&args)).unwrap();
        assert_eq!((layout.rooms, layout.per_room), (3, 2));
        // Connection 21 is the second of room 2, and publisher 5 (the last one).
        assert_eq!(layout.place(21), (2, Some(5)));
        assert_eq!(layout.place(22), (2, None));
        assert_eq!(layout.senders(2), 4..6);
        assert_eq!(layout.room_name("r", 2), "r-2");
        let uneven = [
            "--connections",
            "30",
            "--publishers",
            "5",
            "--room-size",
            "10",
        ];
        assert!(Layout::of(&options(&uneven)).is_err());
        let partial = [
            "--connections",
            "25",
            "--publishers",
            "5",
            "--room-size",
            "10",
        ];
        assert!(Layout::of(&options(&partial)).is_err());
    }
}
