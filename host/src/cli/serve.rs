//! The long-running subcommands: `serve` (the product), and the fixture servers `conformance` and
//! `bench-server`. All of them bind with [`listen`], which prints one `listening on` line per address
//! (tests and scripts read it to learn the port when 0 was asked for) and stops on Ctrl-C or SIGTERM;
//! `serve` then shuts down gracefully (`server::Server::shut_down`) before it returns.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::ConfigArgs;
use synchost::config::ServerOverrides;

/// Arguments of `synchost serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Folder of handlers (`<page>/_sync/<name>_<stage>_v<n>.wasm`); overrides `server.plugins_root`.
    #[arg(long)]
    plugins: Option<PathBuf>,
    /// Host to bind; overrides `server.host`. `localhost` binds both 127.0.0.1 and ::1.
    #[arg(long)]
    host: Option<String>,
    /// Port to bind; overrides `server.port`.
    #[arg(long)]
    port: Option<u16>,
    /// Folder of static files served at `/` (a web app); overrides `server.static_dir`.
    #[arg(long = "static", value_name = "DIR")]
    static_dir: Option<PathBuf>,
    /// Keep the TypeScript types of the published routes in this file (rewritten when they change).
    #[arg(long)]
    types_out: Option<PathBuf>,
}

/// Where a fixture server binds.
#[derive(Debug, Args)]
pub struct FixtureArgs {
    /// Host to bind; `localhost` binds both 127.0.0.1 and ::1.
    #[arg(long)]
    host: Option<String>,
    /// Port to bind (0 picks a free one).
    #[arg(long)]
    port: Option<u16>,
}

impl FixtureArgs {
    /// The host given, or `default`.
    pub fn host(&self, default: &str) -> String {
        self.host.clone().unwrap_or_else(|| default.to_owned())
    }

    /// The port given, or `default`.
    pub fn port(&self, default: u16) -> u16 {
        self.port.unwrap_or(default)
    }
}

/// What `serve` runs with once its flags are applied to the config.
#[derive(Debug)]
pub struct Serving {
    /// The config in force.
    pub config: synchost::config::Config,
    /// The config file it came from, if any (watched for limit changes).
    pub config_path: Option<PathBuf>,
    /// Where the TypeScript types are kept, if anywhere.
    pub types_out: Option<PathBuf>,
}

impl ServeArgs {
    /// Loads the config and applies the flags over it.
    ///
    /// # Errors
    /// When the config file cannot be loaded.
    pub fn resolve(self) -> anyhow::Result<Serving> {
        let (config_path, config) = self.config.load()?;
        let config = config.with_overrides(ServerOverrides {
            plugins_root: self.plugins,
            host: self.host,
            port: self.port,
            static_dir: self.static_dir,
        });
        Ok(Serving {
            config,
            config_path,
            types_out: self.types_out,
        })
    }
}

/// Runs the gateway with the plugin runtime until a shutdown signal.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    run(args.resolve()?).await
}

/// Runs what [`ServeArgs::resolve`] gave until a shutdown signal.
pub async fn run(serving: Serving) -> anyhow::Result<()> {
    let Serving {
        config,
        config_path,
        types_out,
    } = serving;
    let host = config.server.host.clone();
    let port = config.server.port;
    let admin_listen = config.server.admin_listen.clone();
    let bound = std::time::Duration::from_millis(config.server.shutdown_timeout_ms);
    let routers = synchost::server::router(config, config_path, types_out)
        .await
        .context("starting the server")?;
    let server = routers.server.clone();
    // Both listeners stop at the signal; then the accepted work is finished within the bound.
    let served = accept_until_signal(&host, port, routers, admin_listen).await;
    let report = server.shut_down(bound).await;
    tracing::info!(
        unfinished = report.unfinished,
        connections_left = report.connections_left,
        "shut down"
    );
    served
}

/// Serves the public router (and the operator one on `admin_listen`) until Ctrl-C or SIGTERM;
/// returns once every listener is closed.
async fn accept_until_signal(
    host: &str,
    port: u16,
    routers: synchost::server::Routers,
    admin_listen: Option<String>,
) -> anyhow::Result<()> {
    match (routers.admin, admin_listen) {
        (Some(admin), Some(address)) => {
            let (admin_host, admin_port) = split_address(&address)?;
            let listeners = synchost::http::bind(&admin_host, admin_port)
                .await
                .with_context(|| format!("binding [server] admin_listen = {address}"))?;
            for listener in &listeners {
                println!(
                    "synchost operator endpoints on http://{}",
                    listener.local_addr()?
                );
            }
            let admin = synchost::http::serve(listeners, admin, shutdown_signal());
            let (served, ()) = tokio::join!(listen(host, port, routers.public), admin);
            served
        }
        _ => listen(host, port, routers.public).await,
    }
}

/// `host:port` (or `[v6]:port`) into its parts.
fn split_address(address: &str) -> anyhow::Result<(String, u16)> {
    let (host, port) = address
        .rsplit_once(':')
        .with_context(|| format!("[server] admin_listen = {address:?} is not host:port"))?;
    let port = port
        .parse()
        .with_context(|| format!("[server] admin_listen = {address:?}: bad port"))?;
    Ok((host.trim_matches(['[', ']']).to_owned(), port))
}

/// Binds `host:port`, prints the addresses, and serves `router` until Ctrl-C or SIGTERM.
pub async fn listen(host: &str, port: u16, router: axum::Router) -> anyhow::Result<()> {
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
