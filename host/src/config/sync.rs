//! The `[sync]` and `[i18n]` sections: the policies of the sync pipeline (who may send where, how
//! often, how big) and how error messages are translated.

use std::path::PathBuf;

use serde::Deserialize;

use super::Error;

/// Policies of the sync pipeline and of room membership.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncSection {
    /// Whether a client may send to `receiver: "all"` (every connection). Default false.
    pub allow_receiver_all: bool,
    /// Whether the sender must be a member of the target room. Default true.
    pub require_membership: bool,
    /// Most rooms one session (or one anonymous connection) may be in. Default 50.
    pub max_rooms_per_session: usize,
    /// Longest room name, in characters. Default 256.
    pub max_room_name_chars: usize,
    /// Deepest nesting of arrays and objects accepted in `data`. Default 32.
    pub max_input_depth: usize,
    /// Events one connection may have in progress or waiting at once; past it the transport stops
    /// reading the connection until one ends (backpressure), so nothing queues without bound.
    /// Default 64.
    pub max_in_flight_per_connection: usize,
    /// Largest body the HTTP trigger accepts, in KiB. Default 1024.
    pub http_body_limit_kb: u32,
    /// Time the HTTP trigger waits for a whole body, from when it starts reading it; a slower body
    /// gets 408 `sync.bodyTimeout`. Default 10000.
    pub http_body_timeout_ms: u64,
    /// HTTP trigger requests this host handles at once, from reading the body to the end of
    /// delivery; more get 503 `sync.serverBusy`. Default 256.
    pub max_http_in_flight: usize,
}

impl Default for SyncSection {
    fn default() -> Self {
        Self {
            allow_receiver_all: false,
            require_membership: true,
            max_rooms_per_session: 50,
            max_room_name_chars: 256,
            max_input_depth: 32,
            max_in_flight_per_connection: 64,
            http_body_limit_kb: 1024,
            http_body_timeout_ms: 10_000,
            max_http_in_flight: 256,
        }
    }
}

impl SyncSection {
    /// Checks ranges serde cannot express.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), Error> {
        let positive = [
            ("sync.max_rooms_per_session", self.max_rooms_per_session),
            ("sync.max_room_name_chars", self.max_room_name_chars),
            ("sync.max_input_depth", self.max_input_depth),
            (
                "sync.max_in_flight_per_connection",
                self.max_in_flight_per_connection,
            ),
            ("sync.http_body_limit_kb", self.http_body_limit_kb as usize),
            (
                "sync.http_body_timeout_ms",
                usize::try_from(self.http_body_timeout_ms).unwrap_or(usize::MAX),
            ),
            ("sync.max_http_in_flight", self.max_http_in_flight),
        ];
        match positive.iter().find(|(_, value)| *value == 0) {
            Some((key, _)) => Err(Error::Invalid {
                key: (*key).to_owned(),
                reason: "must be at least 1".to_owned(),
            }),
            None => Ok(()),
        }
    }
}

/// How error messages are translated.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct I18nSection {
    /// The language used when neither the session nor the request names a supported one.
    /// Default `en`.
    pub default_language: String,
    /// A folder of `<lang>/*.ftl` files replacing the built-in messages; none = the built-ins.
    pub locales_dir: Option<PathBuf>,
}

impl Default for I18nSection {
    fn default() -> Self {
        Self {
            default_language: "en".to_owned(),
            locales_dir: None,
        }
    }
}
