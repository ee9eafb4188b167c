//! `SyncError`, a handler's refusal: a stable code (also the i18n key the host translates),
//! named params for the message, and an optional HTTP status. Handlers never write sentences
//! for users here; the host owns the wording.

use std::fmt;

use crate::Scalar;

/// Code used when the client input cannot be decoded into the handler's input type.
pub const INVALID_INPUT: &str = "sync.invalidInputType";
/// Code used when the server output cannot be encoded or decoded.
pub const INVALID_SERVER_RESPONSE: &str = "sync.invalidServerResponse";
/// Code used when a client stage's output cannot be encoded.
pub const INVALID_CLIENT_RESPONSE: &str = "sync.invalidClientResponse";
/// Code used when a caller must be logged in.
pub const AUTH_REQUIRED: &str = "auth.required";

/// A handler's refusal, sent to the caller (server stage) or one recipient (client stage).
///
/// ```
/// use synchost_sdk::SyncError;
///
/// let error = SyncError::new("chess.illegalMove").param("from", "e2").status(422);
/// assert_eq!(error.code, "chess.illegalMove");
/// assert_eq!(error.find_param("from").and_then(|v| v.as_str()), Some("e2"));
/// assert_eq!(error.http_status, Some(422));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SyncError {
    /// Stable dotted code, e.g. `chess.illegalMove`; the host translates it.
    pub code: String,
    /// Named values the translated message can use, in order.
    pub params: Vec<(String, Scalar)>,
    /// Overrides the HTTP status (the host defaults to 400).
    pub http_status: Option<u16>,
}

impl SyncError {
    /// A refusal with `code` and no params.
    pub fn new(code: impl Into<String>) -> Self {
        SyncError {
            code: code.into(),
            params: Vec::new(),
            http_status: None,
        }
    }

    /// Adds a named param for the translated message.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<Scalar>) -> Self {
        self.params.push((key.into(), value.into()));
        self
    }

    /// Sets the HTTP status the host reports.
    pub fn status(mut self, http_status: u16) -> Self {
        self.http_status = Some(http_status);
        self
    }

    /// The value of the first param called `key`.
    pub fn find_param(&self, key: &str) -> Option<&Scalar> {
        self.params
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }

    /// `sync.invalidInputType`, with the decoder's reason as param `message`.
    pub fn invalid_input(reason: impl fmt::Display) -> Self {
        SyncError::new(INVALID_INPUT).param("message", reason.to_string())
    }

    /// `auth.required`: the handler needs a logged-in caller.
    pub fn login_required() -> Self {
        SyncError::new(AUTH_REQUIRED)
    }
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        for (key, value) in &self.params {
            write!(f, " {key}={value:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SyncError {}
