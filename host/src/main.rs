//! The `synchost` command line.
mod cli;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "synchost",
    version,
    about = "Socket.IO server whose sync handlers run as sandboxed wasm components"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs one sync (server stage, then client stage) through the plugin runtime; prints JSON.
    Call(cli::plugins::CallArgs),
    /// Lists the routes a plugins folder publishes, and the files that failed to load.
    Plugins(cli::plugins::ListArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Call(args) => println!("{:#}", cli::plugins::call(args).await?),
        Command::Plugins(args) => print!("{}", cli::plugins::list(&args)?),
    }
    Ok(())
}
