//! The `synchost` command line: parses arguments, sets up logging, and runs the chosen server.

use anyhow::Context as _;
use clap::{Parser, Subcommand};

/// synchost: a Socket.IO server whose sync handlers run as sandboxed WebAssembly components.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the conformance fixtures (Engine.IO echo on /engine.io/) for the official test suites.
    Conformance {
        /// Host to bind; `localhost` binds both 127.0.0.1 and ::1.
        #[arg(long, default_value = "localhost")]
        host: String,
        /// Port to bind (the suites expect 3000).
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Conformance { host, port } => {
            let listeners = synchost::http::bind(&host, port)
                .await
                .context("binding the conformance port")?;
            for listener in &listeners {
                tracing::info!(address = %listener.local_addr()?, "conformance mode listening");
            }
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            synchost::http::serve(listeners, synchost::conformance::router(), shutdown).await;
        }
    }
    Ok(())
}
