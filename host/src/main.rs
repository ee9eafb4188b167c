//! The `synchost` command line: parses arguments, sets up logging, and runs the chosen subcommand.
//! Each subcommand lives in `cli/`; this file only dispatches.
mod cli;

use clap::{Parser, Subcommand};

/// synchost: a Socket.IO server whose sync handlers run as sandboxed WebAssembly components.
#[derive(Debug, Parser)]
#[command(name = "synchost", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the Socket.IO gateway and the plugin runtime (hot reload on) with the operator config.
    Serve(cli::serve::ServeArgs),
    /// Runs the host like `serve` and rebuilds a handler crate of the plugins workspace on every
    /// save, swapping the new component in live (the authors' loop).
    Dev(cli::dev::DevArgs),
    /// Creates a sync's handler crates in the plugins workspace (both stages unless one is named).
    New(cli::new::NewArgs),
    /// Checks that a component would be served (world, imports, metadata, schemas, name); exit
    /// status 1 when it would not.
    Check(cli::check::CheckArgs),
    /// Runs one sync (server stage, then client stage) through the plugin runtime; prints JSON.
    Call(cli::plugins::CallArgs),
    /// Lists the routes a plugins folder publishes, and the files that failed to load.
    Plugins(cli::plugins::ListArgs),
    /// Prints (or writes with --out) the TypeScript types of every route a plugins folder publishes.
    Types(cli::types::TypesArgs),
    /// Prints a signed session token (development and tests) using the config's shared secret or
    /// the development secret.
    Token(cli::token::TokenArgs),
    /// Serve the conformance fixtures for the official test suites: Engine.IO echo on /engine.io/,
    /// Socket.IO on /socket.io/ (ping 300/200, maxPayload 1e6, connectTimeout 1 s).
    Conformance(cli::serve::FixtureArgs),
    /// Serve the broadcast benchmark's scenario (bench/SCENARIO.md) on /socket.io/ with the default
    /// Engine.IO settings.
    BenchServer(cli::serve::FixtureArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(args) => cli::serve::serve(args).await?,
        Command::Dev(args) => cli::dev::dev(args).await?,
        Command::New(args) => print!("{}", cli::new::new(&args)?),
        Command::Check(args) => {
            let report = tokio::task::spawn_blocking(move || cli::check::check(&args)).await??;
            for line in &report.lines {
                println!("{line}");
            }
            if !report.ok {
                std::process::exit(1);
            }
        }
        Command::Call(args) => println!("{:#}", cli::plugins::call(args).await?),
        Command::Plugins(args) => print!("{}", cli::plugins::list(&args)?),
        Command::Types(args) => {
            if let Some(text) = cli::types::types(&args)? {
                print!("{text}");
            }
        }
        Command::Token(args) => println!("{}", cli::token::token(&args)?),
        Command::Conformance(args) => {
            cli::serve::listen(
                &args.host("localhost"),
                args.port(3000),
                synchost::conformance::router(),
            )
            .await?;
        }
        Command::BenchServer(args) => {
            let config = synchost::transport::EngineConfig::default();
            let router = synchost::conformance::socketio_router_with(config)?;
            cli::serve::listen(&args.host("127.0.0.1"), args.port(3000), router).await?;
        }
    }
    Ok(())
}
