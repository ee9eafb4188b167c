//! Why a request was refused, and the response Node gives for it.
//!
//! Node answers bad polling requests with `400 {"code":N,"message":...}` (403 for forbidden, 413 with an
//! empty body for an oversized POST) and bad WebSocket upgrades with a plain-text 400. This is the one
//! place those bytes are written; it must not decide *whether* a request is bad.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A refused Engine.IO request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RequestError {
    /// Missing, unknown or disabled `transport` (code 0).
    #[error("Transport unknown")]
    UnknownTransport,
    /// The `sid` names no open connection (code 1).
    #[error("Session ID unknown")]
    UnknownConnection,
    /// A handshake that is not a GET (code 2).
    #[error("Bad handshake method")]
    BadHandshakeMethod,
    /// A request that does not fit the connection's state, e.g. polling after an upgrade (code 3).
    #[error("Bad request")]
    BadRequest,
    /// The origin is not allowed (code 4, HTTP 403).
    #[error("Forbidden")]
    Forbidden,
    /// `EIO` is missing or not 4 (code 5).
    #[error("Unsupported protocol version")]
    UnsupportedProtocolVersion,
    /// A second GET or POST while one is in flight: Node answers a bare 400 and closes the connection.
    #[error("request overlap")]
    Overlap,
    /// The POST body is larger than `max_payload_bytes` (HTTP 413, empty body).
    #[error("payload too large")]
    PayloadTooLarge,
    /// Neither GET nor POST on a polling connection: Node answers a bare 500.
    #[error("unsupported method")]
    UnsupportedMethod,
    /// A handshake while `max_pending_connections` connections are pending (HTTP 503, `Retry-After: 1`;
    /// Node has no such cap, so no Engine.IO code exists for it).
    #[error("Too many pending connections")]
    TooManyPending,
    /// A handshake after the server began shutting down (HTTP 503, `Retry-After: 1`): the client
    /// should connect to another node.
    #[error("Server shutting down")]
    ShuttingDown,
}

impl RequestError {
    fn code(self) -> Option<u8> {
        match self {
            Self::UnknownTransport => Some(0),
            Self::UnknownConnection => Some(1),
            Self::BadHandshakeMethod => Some(2),
            Self::BadRequest => Some(3),
            Self::Forbidden => Some(4),
            Self::UnsupportedProtocolVersion => Some(5),
            Self::Overlap
            | Self::PayloadTooLarge
            | Self::UnsupportedMethod
            | Self::TooManyPending
            | Self::ShuttingDown => None,
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMethod => StatusCode::INTERNAL_SERVER_ERROR,
            Self::TooManyPending | Self::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// A refusal the client should retry later: a message and `Retry-After`, on either transport.
    fn busy_response(self) -> Response {
        let headers = [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/plain")),
            (header::RETRY_AFTER, HeaderValue::from_static("1")),
        ];
        (self.status(), headers, self.to_string()).into_response()
    }

    /// The response to a refused WebSocket upgrade: Node writes the message as plain text.
    pub(crate) fn into_upgrade_response(self) -> Response {
        if matches!(self, Self::TooManyPending | Self::ShuttingDown) {
            return self.busy_response();
        }
        let status = if self == Self::Forbidden {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::BAD_REQUEST
        };
        let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))];
        (status, content_type, self.to_string()).into_response()
    }
}

impl IntoResponse for RequestError {
    fn into_response(self) -> Response {
        if matches!(self, Self::TooManyPending | Self::ShuttingDown) {
            return self.busy_response();
        }
        let Some(code) = self.code() else {
            return self.status().into_response();
        };
        let body = serde_json::json!({ "code": code, "message": self.to_string() }).to_string();
        let content_type = [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )];
        (self.status(), content_type, body).into_response()
    }
}
