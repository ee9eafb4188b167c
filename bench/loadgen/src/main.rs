//! Load generator for the synchost broadcast benchmark (bench/SCENARIO.md): many Socket.IO
//! WebSocket clients in one process, measuring room-broadcast throughput, latency and integrity,
//! or a server's idle memory per connection, or syncs through synchost's whole pipeline (with an
//! optional soak: hot swaps, a hostile handler, RSS sampling); `report` turns saved results into tables.
//!
//! It talks to servers only over loopback WebSockets and reads their `/proc` entries (a soak also
//! renames handler builds into the served folder); it never starts or stops a server
//! (scripts/bench-broadcast and scripts/soak do). Results go to stdout as JSON.

mod broadcast;
mod connection;
mod idle;
mod members;
mod procfs;
mod publisher;
mod report;
mod sync;
mod sync_report;
mod token;
mod tracker;
mod wire;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Socket.IO broadcast benchmark load generator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One broadcast run: a room of clients, one publisher; prints a JSON result.
    Broadcast(broadcast::BroadcastOptions),
    /// One sync run against `synchost serve`: a room, publishers sending `sync` events, every
    /// member checking each accepted sync arrives once; optional hot swaps, hostile calls, RSS.
    Sync(Box<sync::SyncOptions>),
    /// Idle memory: N connected clients, server RSS growth per connection; prints JSON.
    Idle(idle::IdleOptions),
    /// Markdown tables (medians and ratios) from a directory of JSON results.
    Report {
        /// Directory holding the JSON results.
        dir: PathBuf,
    },
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    if let Command::Report { dir } = &cli.command {
        print!("{}", report::render(dir)?);
        return Ok(ExitCode::SUCCESS);
    }
    // Thousands of sockets: lift the soft descriptor limit to the hard one.
    if let Err(error) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("could not raise the open-file limit: {error}");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let ok = runtime.block_on(async {
        match &cli.command {
            Command::Broadcast(options) => {
                let report = broadcast::run(options).await?;
                eprintln!("{}", report.summary());
                println!("{}", serde_json::to_string(&report)?);
                anyhow::Ok(report.ok)
            }
            Command::Sync(options) => {
                let report = sync::run(options).await?;
                eprintln!("{}", report.summary());
                println!("{}", serde_json::to_string(&report)?);
                anyhow::Ok(report.ok)
            }
            Command::Idle(options) => {
                let report = idle::run(options).await?;
                eprintln!("{}", report.summary());
                println!("{}", serde_json::to_string(&report)?);
                anyhow::Ok(report.ok)
            }
            Command::Report { .. } => anyhow::Ok(true),
        }
    })?;
    // Dropping thousands of sockets is fine, but no need to wait for their tasks.
    runtime.shutdown_background();
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
