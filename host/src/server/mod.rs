//! `synchost serve`: wires the layers together. The plugin runtime loads and watches the handlers
//! folder, the sync pipeline is built on it, the Socket.IO gateway (transport + protocol) feeds the
//! pipeline, the HTTP trigger is mounted beside it, and operators get `/healthz` and `/metrics`
//! (admin-only: on their own address, or behind an admin token, see `admin`).
//! A folder of static files (`server.static_dir`), when configured, answers every other path.
//!
//! This is the one place (with `lib.rs`) that knows every layer; it holds no logic of its own beyond
//! construction.

mod admin;
mod admin_plugins;
mod cluster;
mod metrics;
mod plugin_metrics;
mod shutdown;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::admin_ui::AdminUi;
use crate::config::Config;
use crate::http::{StaticFiles, engine_router};
use crate::i18n::Messages;
use crate::plugin::{PluginRuntime, RuntimeOptions};
use crate::protocol::{EventTap, NamespaceRooms, SocketIo};
use crate::session::TokenVerifier;
use crate::store::Store;
use crate::sync::{Envelopes, Parts, SyncGateway, SyncService};
use crate::transport::Engine;
use crate::typegen::TypesWatcher;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Engine.IO settings are invalid.
    #[error("invalid engine settings")]
    Engine(#[from] crate::transport::ConfigError),
    /// The plugin runtime could not start (engine, cache, store or plugins folder).
    #[error("plugin runtime failed to start")]
    Plugins(#[from] crate::plugin::Error),
    /// The message catalogs could not be loaded.
    #[error("message catalogs failed to load")]
    Messages(#[from] crate::i18n::I18nError),
    /// The token keys could not be loaded.
    #[error("token verification could not be set up")]
    Session(#[from] crate::session::SessionError),
    /// The static files folder (`server.static_dir`) cannot be served.
    #[error("static files cannot be served")]
    Static(#[from] crate::http::StaticDirError),
    /// `[cluster]` is set and the cluster cannot be joined.
    #[error("cannot join the cluster")]
    Cluster(#[from] crate::cluster::ClusterError),
    /// The runtime's start-up task died.
    #[error("plugin runtime start-up was interrupted")]
    Interrupted,
}

/// The running pieces `serve` keeps alive and reports on.
pub struct Server {
    /// The plugin runtime (registry, watcher, workers).
    pub runtime: Arc<PluginRuntime>,
    /// The sync pipeline.
    pub sync: Arc<SyncService>,
    /// The Engine.IO engine carrying the Socket.IO gateway.
    pub engine: Engine<SocketIo>,
    /// This node's cluster presence, left at shutdown (`None` for a node alone).
    pub presence: Option<crate::cluster::RedisPresence>,
}

/// Builds every layer; returns the HTTP routers to serve. With `types_out`, the TypeScript types of
/// the published routes are written there and rewritten whenever they change.
///
/// # Errors
/// [`Error`] when a piece cannot start; nothing is left running then.
pub async fn router(
    config: Config,
    config_path: Option<PathBuf>,
    types_out: Option<PathBuf>,
) -> Result<Routers, Error> {
    let messages = match &config.i18n.locales_dir {
        Some(dir) => Messages::from_dir(dir, &config.i18n.default_language)?,
        None => Messages::builtin(&config.i18n.default_language)?,
    };
    let verifier = TokenVerifier::from_config(&config.auth)?;
    let admin_verifier = verifier.clone();
    let separate_admin = config.server.admin_listen.is_some();
    let static_files = config
        .server
        .static_dir
        .as_deref()
        .map(StaticFiles::open)
        .transpose()?;
    let admin_page = config
        .server
        .admin_page_dir
        .as_deref()
        .map(StaticFiles::open)
        .transpose()?;
    let admin_ui_files = config
        .server
        .admin_ui_dir
        .as_deref()
        .map(StaticFiles::open)
        .transpose()?;
    let server_id = config.cluster.node_id.clone().unwrap_or_else(host_name);
    // The namespace's rooms exist before anything built on them, so nothing is attached later. With
    // the Admin UI on, they are tapped for its event feed.
    let tap = admin_ui_files.is_some().then(EventTap::default);
    let namespace = match &tap {
        Some(tap) => NamespaceRooms::tapped("/", tap.clone()),
        None => NamespaceRooms::new("/"),
    };
    let store = Store::open(&config.store.path).map_err(crate::plugin::Error::Store)?;
    let chosen = cluster::choose(&config, &store, &namespace).await?;
    let root = config.server.plugins_root.clone();
    let engine_config = config.engine.clone();
    let connect_timeout = std::time::Duration::from_millis(config.server.connect_timeout_ms);
    let binary_timeout = std::time::Duration::from_millis(config.server.binary_timeout_ms);
    let max_binary_bytes = config.server.max_binary_packet_bytes;
    let types = types_out.map(TypesWatcher::new);
    let options = RuntimeOptions {
        config_path,
        rooms: chosen.rooms,
        kv: Some(chosen.kv),
        // Stage sets belong to this node's files, so they stay in its own store in a cluster too.
        published: Some(store.published_stages()),
        hot_reload: true,
        after_scan: Some(Arc::new({
            let messages = messages.clone();
            move |root: &std::path::Path, routes: &[Arc<crate::plugin::Route>]| {
                messages.reload_plugin_files(root);
                if let Some(types) = &types {
                    types.refresh(routes);
                }
            }
        })),
    };
    let runtime =
        tokio::task::spawn_blocking(move || PluginRuntime::start_with(config, root, options))
            .await
            .map_err(|_| Error::Interrupted)??;
    let runtime = Arc::new(runtime);
    let sync = Arc::new(SyncService::new(Parts {
        runtime: runtime.clone(),
        verifier,
        envelopes: Envelopes::new(messages),
        namespace: namespace.clone(),
        seams: chosen.seams,
    }));
    if let Some(incoming) = chosen.incoming {
        tokio::spawn(sync.clone().serve_remote(incoming));
    }
    tokio::spawn(enforce_on_config_changes(
        sync.clone(),
        runtime.config_changes(),
    ));
    tokio::spawn(sync.clone().expire_sessions());
    let mut io = SocketIo::builder()
        .connect_timeout(connect_timeout)
        .binary_budget(binary_timeout, max_binary_bytes);
    if let Some(tap) = tap {
        let admins = NamespaceRooms::new(crate::admin_ui::NAMESPACE);
        let admin_ui = AdminUi::new(
            admin_verifier.clone(),
            namespace.clone(),
            tap,
            admins.clone(),
            server_id,
        );
        tokio::spawn(admin_ui.clone().run());
        io = io.namespace_in(admins, admin_ui);
    }
    let io = io
        .namespace_in(namespace, SyncGateway::new(sync.clone()))
        .build();
    let engine = Engine::new(engine_config, io)?;
    let server = Arc::new(Server {
        runtime,
        sync: sync.clone(),
        engine: engine.clone(),
        presence: chosen.presence,
    });
    let operator = Router::new()
        .route(
            "/metrics",
            get({
                let server = server.clone();
                move || {
                    let server = server.clone();
                    async move { metrics::render(&server) }
                }
            }),
        )
        .route(
            "/admin/plugins",
            get({
                let server = server.clone();
                move || {
                    let server = server.clone();
                    async move { axum::Json(admin_plugins::report(&server)) }
                }
            }),
        );
    let page = admin_page.map(|files| admin::page_router("/admin", files));
    let mut public = engine_router(engine)
        .merge(crate::sync::router(sync))
        .route("/healthz", get(|| async { "ok" }));
    let admin = if separate_admin {
        let admin = operator.route("/healthz", get(|| async { "ok" }));
        Some(match page {
            Some(page) => admin.merge(page),
            None => admin,
        })
    } else {
        public = public.merge(operator.layer(axum::middleware::from_fn_with_state(
            admin_verifier,
            admin::require_admin,
        )));
        // The page is code without data: it asks the operator for a token to read the endpoints.
        if let Some(page) = page {
            public = public.merge(page);
        }
        None
    };
    // The official Admin UI's files; it logs in to the `/admin` namespace with an admin token.
    if let Some(files) = admin_ui_files {
        public = public.merge(admin::page_router("/admin-ui", files));
    }
    // A fallback, so every route above wins over a file of the same name.
    let public = match static_files {
        Some(files) => public.fallback(move |request| files.clone().serve(request)),
        None => public,
    };
    Ok(Routers {
        public,
        admin,
        server,
    })
}

/// What `serve` listens with.
pub struct Routers {
    /// The running pieces, for [`Server::shut_down`] once the listeners stopped.
    pub server: Arc<Server>,
    /// Everything on `[server] host:port`.
    pub public: Router,
    /// The operator endpoints for `[server] admin_listen`, when it is set.
    pub admin: Option<Router>,
}

/// Re-checks room members against the room policies each time the config file's live sections are
/// applied; ends with the runtime.
async fn enforce_on_config_changes(
    sync: Arc<SyncService>,
    mut changes: tokio::sync::watch::Receiver<u64>,
) {
    while changes.changed().await.is_ok() {
        sync.enforce_room_policies().await;
    }
}

/// This machine's name (Node's `os.hostname()`), for the Admin UI's server id.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "synchost".to_owned())
}
