//! The `[server]` section: where `synchost serve` listens, which folder of handlers it serves and
//! which folder of static files (if any) it serves beside them.

use std::path::PathBuf;

use serde::Deserialize;

use super::Error;

/// `[server]` values given on the command line (`synchost serve --port 4000`). They win over the
/// file, and a reloaded file keeps them, so editing another section never reads as a change of
/// `[server]` (which would need a restart).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerOverrides {
    /// `--plugins`.
    pub plugins_root: Option<PathBuf>,
    /// `--host`.
    pub host: Option<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--static`.
    pub static_dir: Option<PathBuf>,
}

impl ServerOverrides {
    /// Puts the given values into `server`.
    pub fn apply(&self, server: &mut ServerSection) {
        if let Some(root) = &self.plugins_root {
            server.plugins_root.clone_from(root);
        }
        if let Some(host) = &self.host {
            server.host.clone_from(host);
        }
        if let Some(port) = self.port {
            server.port = port;
        }
        if let Some(dir) = &self.static_dir {
            server.static_dir = Some(dir.clone());
        }
    }
}

/// Where the server listens and where its handlers live.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Host to bind; `localhost` binds both 127.0.0.1 and ::1. Default `127.0.0.1`.
    pub host: String,
    /// Port to bind. Default 3000.
    pub port: u16,
    /// Folder of handlers, laid out as `<page>/_sync/<name>_<server|client|join>_v<n>.wasm`.
    /// Default `build/plugins` (where `scripts/build-plugins` puts the examples).
    pub plugins_root: PathBuf,
    /// Socket.IO `connectTimeout`: a connection that joins no namespace within it is closed.
    /// Default 45000 (Node's).
    pub connect_timeout_ms: u64,
    /// A binary packet (Socket.IO attachments) whose attachments have not all arrived within this
    /// time closes its connection. Default 30000 (Node: no limit).
    pub binary_timeout_ms: u64,
    /// The most bytes one binary packet may hold, header and attachments together; past it the
    /// connection closes. Default 1000000 (Node: no limit beyond `maxHttpBufferSize` per message).
    pub max_binary_packet_bytes: usize,
    /// Folder of static files (a web app) served at `/` after every other route: `GET /` answers
    /// `index.html`, `GET /<path>` a file under it. Default none (nothing served).
    pub static_dir: Option<PathBuf>,
    /// A separate `host:port` for the operator endpoints (`/metrics`), served there without a
    /// token; the public address then does not serve them at all. Default none: they are on the
    /// public address, for admin tokens only.
    pub admin_listen: Option<String>,
    /// Folder of the built admin page (`scripts/build-demo` writes `build/admin`), served at
    /// `/admin/`: on `admin_listen` when that is set, else on the public address, where the page
    /// itself holds no data and asks for an admin token to read `/admin/plugins`. Default none.
    pub admin_page_dir: Option<PathBuf>,
    /// Folder of the Socket.IO Admin UI's files (`ui/dist` of the `@socket.io/admin-ui` npm package;
    /// `scripts/build-demo` copies it to `build/admin-ui`). When set, the UI is served at
    /// `/admin-ui/` and the `/admin` namespace it connects to is enabled, for admin tokens only.
    /// Default none.
    pub admin_ui_dir: Option<PathBuf>,
    /// On SIGTERM or Ctrl-C, how long the server may take to finish the syncs it accepted, write
    /// what is queued for each connection and close them (1 to 600000). Default 10000.
    pub shutdown_timeout_ms: u64,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 3000,
            plugins_root: PathBuf::from("build/plugins"),
            connect_timeout_ms: 45_000,
            binary_timeout_ms: 30_000,
            max_binary_packet_bytes: 1_000_000,
            static_dir: None,
            admin_listen: None,
            admin_page_dir: None,
            admin_ui_dir: None,
            shutdown_timeout_ms: 10_000,
        }
    }
}

impl ServerSection {
    pub(super) fn validate(&self) -> Result<(), Error> {
        if !(1..=600_000).contains(&self.shutdown_timeout_ms) {
            return Err(Error::Invalid {
                key: "server.shutdown_timeout_ms".to_owned(),
                reason: "must be between 1 and 600000".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::config::Config;

    #[test]
    fn shutdown_timeout_has_a_default_and_a_range() {
        assert_eq!(
            Config::from_toml("").unwrap().server.shutdown_timeout_ms,
            10_000
        );
        let set = Config::from_toml("[server]\nshutdown_timeout_ms = 250\n").unwrap();
        assert_eq!(set.server.shutdown_timeout_ms, 250);
        for bad in ["0", "600001"] {
            let error = Config::from_toml(&format!("[server]\nshutdown_timeout_ms = {bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(error.contains("shutdown_timeout_ms"), "{error}");
        }
    }
}
