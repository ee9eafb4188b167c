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
    /// Serve the conformance fixtures for the official test suites: Engine.IO echo on /engine.io/,
    /// Socket.IO on /socket.io/ (ping 300/200, maxPayload 1e6, connectTimeout 1 s).
    Conformance {
        /// Host to bind; `localhost` binds both 127.0.0.1 and ::1.
        #[arg(long, default_value = "localhost")]
        host: String,
        /// Port to bind (the suites expect 3000).
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// Serve the broadcast benchmark's scenario (bench/SCENARIO.md) on /socket.io/ with the default
    /// Engine.IO settings.
    BenchServer {
        /// Host to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to bind.
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
            serve(&host, port, synchost::conformance::router()).await?;
        }
        Command::BenchServer { host, port } => {
            let config = synchost::transport::EngineConfig {
                path: "/socket.io/".to_owned(),
                ..Default::default()
            };
            let router = synchost::conformance::socketio_router_with(config)?;
            serve(&host, port, router).await?;
        }
    }
    Ok(())
}

/// Binds, prints one `listening on` line per address (tests read it to learn a port 0 choice), and
/// serves until Ctrl-C or SIGTERM.
async fn serve(host: &str, port: u16, router: axum::Router) -> anyhow::Result<()> {
    let listeners = synchost::http::bind(host, port)
        .await
        .with_context(|| format!("binding {host}:{port}"))?;
    for listener in &listeners {
        println!("synchost listening on http://{}", listener.local_addr()?);
    }
    synchost::http::serve(listeners, router, shutdown_signal()).await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
