//! Engine.IO settings, with Node's defaults so clients behave as they do against a Node server.
//!
//! Read by the config loader (serde) and by the conformance mode; only validated here, never read from
//! files or the environment.

use std::time::Duration;

use serde::Deserialize;

/// The transports a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// HTTP long-polling.
    Polling,
    /// WebSocket, directly or as an upgrade from polling.
    Websocket,
}

impl TransportKind {
    /// The name used in the `transport` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polling => "polling",
            Self::Websocket => "websocket",
        }
    }
}

/// Engine.IO settings. Every field has Node's default (engine.io 6.6) unless noted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Mount path; the trailing slash matters (Node matches `path/`). Default `/socket.io/`.
    pub path: String,
    /// Time from open (or from the last pong) to the next server ping. Default 25000.
    pub ping_interval_ms: u64,
    /// Time a client has to answer a ping, counted from when the ping is queued. Default 20000.
    pub ping_timeout_ms: u64,
    /// Time an upgrade from polling to WebSocket may take before it is dropped. Default 10000.
    pub upgrade_timeout_ms: u64,
    /// Largest POST body or WebSocket message accepted, in bytes (Node's `maxHttpBufferSize`). Default 1e6.
    pub max_payload_bytes: usize,
    /// Outgoing messages queued per connection before the slow-consumer policy applies (Node: unbounded).
    /// Default 1024.
    pub queue_capacity: usize,
    /// Bytes (on the wire) queued per connection before the slow-consumer policy applies; a message
    /// that finds the queue empty is always taken, however large (Node: unbounded). Default 8 MiB.
    pub queue_max_bytes: usize,
    /// Sessions that may be pending at once: handshaken but not yet accepted by the upper layer
    /// (no Socket.IO namespace joined). A handshake past it gets 503 with `Retry-After: 1`.
    /// Node has no such cap. Default 10000.
    pub max_pending_connections: usize,
    /// Transports clients may use. Default both.
    pub transports: Vec<TransportKind>,
    /// Cross-origin rules for polling (CORS) and the WebSocket `Origin` check.
    pub cors: CorsConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            path: "/socket.io/".to_owned(),
            ping_interval_ms: 25_000,
            ping_timeout_ms: 20_000,
            upgrade_timeout_ms: 10_000,
            max_payload_bytes: 1_000_000,
            queue_capacity: 1024,
            queue_max_bytes: 8 << 20,
            max_pending_connections: 10_000,
            transports: vec![TransportKind::Polling, TransportKind::Websocket],
            cors: CorsConfig::default(),
        }
    }
}

/// Cross-origin rules. With no origins listed, no CORS headers are sent and WebSocket origins are not
/// checked (Node's default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// `"*"` for any origin, or the list of allowed origins (`https://app.example.com`).
    pub origins: AllowedOrigins,
    /// Send `Access-Control-Allow-Credentials: true` (the origin is then echoed, never `*`).
    pub credentials: bool,
}

/// Which origins may talk to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Any origin (`"*"`).
    Any,
    /// Exactly these origins; an empty list turns CORS off.
    List(Vec<String>),
}

impl Default for AllowedOrigins {
    fn default() -> Self {
        Self::List(Vec::new())
    }
}

impl AllowedOrigins {
    /// Whether CORS handling is on at all.
    pub fn is_configured(&self) -> bool {
        !matches!(self, Self::List(list) if list.is_empty())
    }

    /// Whether a request with this `Origin` may proceed. Requests without an origin (same-origin pages,
    /// native clients) always may, and so does everyone when nothing is configured.
    pub fn allows(&self, origin: Option<&str>) -> bool {
        match (self, origin) {
            (_, None) | (Self::Any, _) => true,
            (Self::List(list), Some(origin)) => list.is_empty() || list.iter().any(|o| o == origin),
        }
    }
}

impl<'de> Deserialize<'de> for AllowedOrigins {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        match Raw::deserialize(deserializer)? {
            Raw::One(star) if star == "*" => Ok(Self::Any),
            Raw::One(origin) => Ok(Self::List(vec![origin])),
            Raw::Many(list) => Ok(Self::List(list)),
        }
    }
}

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The path must start and end with `/`.
    #[error("engine path {0:?} must start and end with '/'")]
    Path(String),
    /// A duration, size or capacity is zero.
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    /// No transport is enabled.
    #[error("at least one transport must be enabled")]
    NoTransport,
}

impl EngineConfig {
    /// Checks that the settings can work.
    ///
    /// # Errors
    /// The first setting found that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.path.starts_with('/') || !self.path.ends_with('/') {
            return Err(ConfigError::Path(self.path.clone()));
        }
        let positive = [
            ("ping_interval_ms", self.ping_interval_ms as usize),
            ("ping_timeout_ms", self.ping_timeout_ms as usize),
            ("upgrade_timeout_ms", self.upgrade_timeout_ms as usize),
            ("max_payload_bytes", self.max_payload_bytes),
            ("queue_capacity", self.queue_capacity),
            ("queue_max_bytes", self.queue_max_bytes),
            ("max_pending_connections", self.max_pending_connections),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::Zero(name));
        }
        if self.transports.is_empty() {
            return Err(ConfigError::NoTransport);
        }
        Ok(())
    }

    /// Whether clients may use this transport.
    pub fn allows(&self, transport: TransportKind) -> bool {
        self.transports.contains(&transport)
    }

    pub(crate) fn ping_interval(&self) -> Duration {
        Duration::from_millis(self.ping_interval_ms)
    }

    pub(crate) fn ping_timeout(&self) -> Duration {
        Duration::from_millis(self.ping_timeout_ms)
    }

    pub(crate) fn upgrade_timeout(&self) -> Duration {
        Duration::from_millis(self.upgrade_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_match_node_and_origins_parse_from_star_or_list() {
        let config: EngineConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(
            (config.ping_interval_ms, config.ping_timeout_ms),
            (25_000, 20_000)
        );
        assert_eq!(config.max_payload_bytes, 1_000_000);
        assert!(config.validate().is_ok());
        assert!(!config.cors.origins.is_configured());
        let any: CorsConfig = serde_json::from_str(r#"{"origins":"*"}"#).unwrap();
        assert_eq!(any.origins, AllowedOrigins::Any);
        let list: CorsConfig =
            serde_json::from_str(r#"{"origins":["https://a.test"],"credentials":true}"#).unwrap();
        assert!(list.origins.allows(Some("https://a.test")));
        assert!(!list.origins.allows(Some("https://b.test")));
        assert!(list.origins.allows(None));
    }

    #[test]
    fn impossible_settings_are_rejected() {
        let config = EngineConfig {
            path: "/socket.io".into(),
            ..EngineConfig::default()
        };
        assert!(matches!(config.validate(), Err(ConfigError::Path(_))));
        let config = EngineConfig {
            queue_capacity: 0,
            ..EngineConfig::default()
        };
        assert_eq!(config.validate(), Err(ConfigError::Zero("queue_capacity")));
    }
}
