//! synchost's sync wire as this server speaks it: the `joinRoom` and `sync` arguments, the acks,
//! the frames members receive, and the error codes with their status and English message.
//!
//! Only shapes live here; it must never decide anything about a request.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A refusal, with the code, HTTP status and message it goes out with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The CONNECT's token does not verify.
    InvalidToken,
    /// The CONNECT's token is past its `exp`.
    TokenExpired,
    /// A room name that is empty or longer than 256 characters.
    InvalidRoomName,
    /// The `sync` argument is not `{name, version, data, receiver}`.
    InvalidRequest,
    /// No route for this name and version.
    NotFound,
    /// The sender is not in the receiver room.
    NotRoomMember,
    /// The route's input is not `{amount, note?}` within its bounds.
    InvalidInput,
    /// The recipient is anonymous.
    SignInRequired,
    /// The server output does not answer the input.
    Mismatch,
}

impl Failure {
    /// The stable error code.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidToken => "auth.invalidToken",
            Self::TokenExpired => "auth.tokenExpired",
            Self::InvalidRoomName => "room.invalidName",
            Self::InvalidRequest => "sync.invalidRequest",
            Self::NotFound => "sync.notFound",
            Self::NotRoomMember => "sync.notRoomMember",
            Self::InvalidInput => "bench.invalidInput",
            Self::SignInRequired => "bench.signInRequired",
            Self::Mismatch => "bench.mismatch",
        }
    }

    /// The HTTP status it stands for.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidRoomName | Self::InvalidRequest | Self::InvalidInput => 400,
            Self::InvalidToken | Self::TokenExpired | Self::SignInRequired => 401,
            Self::NotRoomMember => 403,
            Self::NotFound => 404,
            Self::Mismatch => 500,
        }
    }

    /// The English message.
    pub fn message(self) -> &'static str {
        match self {
            Self::InvalidToken => "The session token is not valid.",
            Self::TokenExpired => "The session token has expired.",
            Self::InvalidRoomName => "Invalid room name.",
            Self::InvalidRequest => "Invalid sync request.",
            Self::NotFound => "Sync event was not found.",
            Self::NotRoomMember => "You are not a member of this room.",
            Self::InvalidInput => "The input must be {amount, note?}.",
            Self::SignInRequired => "Only signed-in users receive this sync.",
            Self::Mismatch => "The server output does not match the input.",
        }
    }

    /// The error envelope of an ack.
    pub fn envelope(self) -> ErrorEnvelope {
        ErrorEnvelope {
            status: "error",
            error_code: self.code(),
            http_status: self.http_status(),
            message: self.message(),
        }
    }
}

/// A CONNECT refusal's message is the code.
impl std::fmt::Display for Failure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.code())
    }
}

/// The CONNECT's `auth` payload; without one, the connection is anonymous.
#[derive(Debug, Default, Deserialize)]
pub struct Auth {
    /// The session token.
    pub token: Option<String>,
}

/// `joinRoom`'s argument: the room, or `{room}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum JoinRequest {
    /// `"lobby"`.
    Name(String),
    /// `{ room: "lobby" }`.
    Object {
        /// The room.
        room: String,
    },
}

impl JoinRequest {
    /// The room asked for.
    pub fn into_room(self) -> String {
        match self {
            Self::Name(room) | Self::Object { room } => room,
        }
    }
}

/// `joinRoom`'s answer.
#[derive(Debug, Serialize)]
pub struct JoinAck {
    /// Always `"success"`.
    pub status: &'static str,
    /// The connection's rooms, sorted, without its own id room.
    pub rooms: Vec<String>,
}

/// `sync`'s argument.
#[derive(Debug, Deserialize)]
pub struct SyncRequest {
    /// `<page>/<name>`.
    pub name: String,
    /// `v<n>`.
    pub version: String,
    /// The route's input.
    #[serde(default)]
    pub data: Value,
    /// The room.
    pub receiver: String,
}

/// The success ack of a sync: the server output, sent before the fan-out.
#[derive(Debug, Serialize)]
pub struct SyncAck<'a, T> {
    /// Always `"success"`.
    pub status: &'static str,
    /// The server output.
    pub result: &'a T,
}

/// `{status: "error", errorCode, httpStatus, message}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope {
    /// Always `"error"`.
    pub status: &'static str,
    /// The code.
    pub error_code: &'static str,
    /// The HTTP status.
    pub http_status: u16,
    /// The English message.
    pub message: &'static str,
}

/// The names every frame of one sync carries.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameNames<'a> {
    /// The request's name.
    pub name: &'a str,
    /// The request's version.
    pub version: &'a str,
    /// `sync/<name>/<version>`.
    pub full_name: &'a str,
}

/// The `sync` event a recipient gets when its client stage approves.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Frame<'a, S, C> {
    /// The sync's names.
    #[serde(flatten)]
    pub names: &'a FrameNames<'a>,
    /// Always `"success"`.
    pub status: &'static str,
    /// The server output.
    pub server_output: &'a S,
    /// This recipient's own output, `null` for "approve without output".
    pub client_output: Option<C>,
}

/// The `sync` event a recipient gets when its client stage refuses.
#[derive(Debug, Serialize)]
pub struct ErrorFrame<'a> {
    /// The sync's names.
    #[serde(flatten)]
    pub names: &'a FrameNames<'a>,
    /// The refusal.
    #[serde(flatten)]
    pub envelope: ErrorEnvelope,
}
