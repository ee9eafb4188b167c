//! The operator's configuration file (TOML): the one place that reads configuration from disk or the
//! environment.
//!
//! Every section and key is optional; an absent file means the embedded defaults. Unknown keys are an
//! error that names the key, so a typo never silently falls back to a default. Other layers add their
//! own sections here. The file is read once at start and again by the plugin runtime's watcher when it
//! changes; a file that fails to parse never replaces the configuration in force.

mod auth;
mod cluster;
mod plugin_limits;
mod rooms;
pub(crate) mod route_key;
mod runtime;
mod server;
mod sync;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use auth::{AuthConfigError, AuthSection, OnExpiry};
pub use cluster::ClusterSection;
pub use plugin_limits::{
    Capabilities, Capability, Guest, InstancePolicy, JAVASCRIPT_MAX_INVOCATIONS, LimitsPatch,
    MAX_OUTPUT_DEPTH_CEILING, PluginsSection, Stage, StageLimits,
};
pub use rooms::{
    ConditionType, ConditionValue, PatternPolicy, RoomCondition, RoomPolicy, RoomPolicyRef,
    RoomsSection,
};
pub use route_key::{BadRouteKey, RouteKey};
pub use runtime::{RuntimeSection, StoreSection};
pub use server::{ServerOverrides, ServerSection};
pub use sync::{I18nSection, SyncSection};

/// The environment variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "SYNCHOST_CONFIG";

/// The whole operator configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the server listens and where its handlers live.
    pub server: ServerSection,
    /// Engine.IO settings of the Socket.IO gateway (heartbeat, payload size, queue, CORS).
    pub engine: crate::transport::EngineConfig,
    /// Engine, worker and reload settings of the plugin runtime.
    pub runtime: RuntimeSection,
    /// The embedded key-value store used by the `kv` capability.
    pub store: StoreSection,
    /// Per-plugin limits, capabilities and config values.
    pub plugins: PluginsSection,
    /// Policies of the sync pipeline: receivers, rooms, rate and size limits.
    pub sync: SyncSection,
    /// Who may be in which room, and how often a peer may join.
    pub rooms: RoomsSection,
    /// Which language error messages default to, and where the message files are.
    pub i18n: I18nSection,
    /// How session tokens are verified and where they are looked for.
    pub auth: AuthSection,
    /// Several nodes sharing rooms, syncs and state through Redis (absent: a single node).
    pub cluster: ClusterSection,
    /// `[server]` values given on the command line; never read from the file.
    #[serde(skip)]
    pub overrides: ServerOverrides,
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read config file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys or wrong types.
    #[error("invalid config: {0}")]
    Parse(String),
    /// The values parse but contradict each other or are out of range.
    #[error("invalid config value at `{key}`: {reason}")]
    Invalid {
        /// The dotted key path.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Config {
    /// Parses and validates a TOML document.
    ///
    /// # Errors
    /// [`Error::Parse`] for syntax errors, unknown keys or wrong types; [`Error::Invalid`] for values
    /// out of range.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let config: Self = toml::from_str(text).map_err(|error| Error::Parse(error.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// This config with `overrides` applied over `[server]` and kept, so that a reload of the file
    /// can apply them again ([`Config::inherit_overrides`]).
    #[must_use]
    pub fn with_overrides(mut self, overrides: ServerOverrides) -> Self {
        overrides.apply(&mut self.server);
        self.overrides = overrides;
        self
    }

    /// This config (a reloaded file) with the command-line values `current` was started with.
    #[must_use]
    pub fn inherit_overrides(self, current: &Config) -> Self {
        self.with_overrides(current.overrides.clone())
    }

    /// Reads, parses and validates a config file.
    ///
    /// # Errors
    /// As [`Config::from_toml`], plus [`Error::Read`].
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|error| match error {
            Error::Parse(message) => Error::Parse(format!("{}: {message}", path.display())),
            other => other,
        })
    }

    /// The config file to use: the explicit path if given, else `SYNCHOST_CONFIG`, else none
    /// (embedded defaults).
    pub fn locate(explicit: Option<PathBuf>) -> Option<PathBuf> {
        explicit.or_else(|| {
            std::env::var_os(CONFIG_ENV)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        })
    }

    /// Checks cross-field rules that serde cannot express.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first offending key.
    pub fn validate(&self) -> Result<(), Error> {
        self.engine.validate().map_err(|error| Error::Invalid {
            key: "engine".to_owned(),
            reason: error.to_string(),
        })?;
        self.server.validate()?;
        self.runtime.validate()?;
        self.sync.validate()?;
        self.rooms.validate()?;
        self.cluster.validate()?;
        self.plugins.validate(self.runtime.max_memory_mb)?;
        self.auth.validate().map_err(|error| Error::Invalid {
            key: error.key,
            reason: error.reason,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn empty_document_gives_defaults() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
    }

    #[test]
    fn unknown_key_is_named() {
        let error = Config::from_toml("[plugins.defaults]\nfule = 3\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("fule"), "{error}");
        let error = Config::from_toml("[runtime]\nworkerz = 3\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("workerz"), "{error}");
    }

    #[test]
    fn auth_section_is_parsed_and_checked() {
        let config = Config::from_toml("[auth]\nsecret = \"s3cret\"\nleeway_s = 5\n").unwrap();
        assert_eq!(config.auth.secret.as_deref(), Some("s3cret"));
        assert_eq!(config.auth.leeway_s, 5);
        assert_eq!(config.auth.cookie_name, "token");
        let error = Config::from_toml("[auth]\nsecrett = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("secrett"), "{error}");
        let error = Config::from_toml("[auth]\nsecret = \"x\"\npublic_key_file = \"k.pem\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("auth.public_key_file"), "{error}");
    }

    #[test]
    fn memory_above_engine_ceiling_is_rejected() {
        let error = Config::from_toml(
            "[runtime]\nmax_memory_mb = 64\n[plugins.defaults]\nmemory_mb = 65\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("plugins.defaults.memory_mb"), "{error}");
    }
}
