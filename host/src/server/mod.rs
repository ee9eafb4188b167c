//! `synchost serve`: wires the layers together. The Socket.IO gateway (transport + protocol) is mounted
//! on the configured path, the plugin runtime loads and watches the handlers folder, and operators get
//! `/healthz` and `/metrics`.
//!
//! This is the one place (with `lib.rs`) that knows every layer; it holds no logic of its own beyond
//! construction. Sync events reach the runtime through the sync pipeline.

mod gateway;
mod metrics;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::config::Config;
use crate::http::engine_router;
use crate::plugin::{PluginRuntime, RuntimeOptions};
use crate::protocol::SocketIo;
use crate::transport::Engine;

pub use gateway::{Gateway, NamespaceRooms};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Engine.IO settings are invalid.
    #[error("invalid engine settings")]
    Engine(#[from] crate::transport::ConfigError),
    /// The plugin runtime could not start (engine, cache, store or plugins folder).
    #[error("plugin runtime failed to start")]
    Plugins(#[from] crate::plugin::Error),
    /// The runtime's start-up task died.
    #[error("plugin runtime start-up was interrupted")]
    Interrupted,
}

/// The running pieces `serve` keeps alive and reports on.
pub struct Server {
    /// The plugin runtime (registry, watcher, workers).
    pub runtime: PluginRuntime,
    /// The Engine.IO engine carrying the Socket.IO gateway.
    pub engine: Engine<SocketIo>,
}

/// Builds the gateway and starts the plugin runtime; returns the HTTP router to serve.
///
/// # Errors
/// [`Error`] when a piece cannot start; nothing is left running then.
pub async fn router(config: Config, config_path: Option<PathBuf>) -> Result<Router, Error> {
    let io = SocketIo::builder()
        .connect_timeout(std::time::Duration::from_millis(
            config.server.connect_timeout_ms,
        ))
        .namespace("/", Gateway)
        .build();
    let rooms = io
        .of("/")
        .map(|namespace| Arc::new(NamespaceRooms::new(namespace)));
    let engine = Engine::new(config.engine.clone(), io)?;
    let root = config.server.plugins_root.clone();
    let runtime = tokio::task::spawn_blocking(move || {
        let mut options = RuntimeOptions {
            config_path,
            hot_reload: true,
            ..RuntimeOptions::default()
        };
        if let Some(rooms) = rooms {
            options.rooms = rooms;
        }
        PluginRuntime::start_with(config, root, options)
    })
    .await
    .map_err(|_| Error::Interrupted)??;
    let server = Arc::new(Server {
        runtime,
        engine: engine.clone(),
    });
    Ok(engine_router(engine)
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(move || {
                let server = server.clone();
                async move { metrics::render(&server) }
            }),
        ))
}
