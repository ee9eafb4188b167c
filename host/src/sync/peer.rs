//! Who is on the other end: the state attached to each socket at CONNECT, and the caller of one sync.
//!
//! A socket's session is fixed when it connects (from its token) and its language is negotiated
//! then, so the per-recipient work of a fan-out reads two fields and never re-parses headers. Its
//! lane (see `lane.rs`) is made then too. [`header_token`] is where a session cookie is refused
//! for a request from another site.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::HeaderMap;

use crate::config::Config;
use crate::plugin::Session;
use crate::protocol::Socket;
use crate::session::{TokenSource, cookie_origin_allowed, token_with_source};
use crate::transport::AllowedOrigins;

use super::failure::{Code, Failure};
use super::lane::Lane;
use super::limiter::Identity;

/// What the gateway attaches to every socket it accepts.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The verified session; `None` for anonymous connections.
    pub session: Option<Arc<Session>>,
    /// The language its messages are written in.
    pub language: String,
    /// The client's address, when known.
    pub address: Option<IpAddr>,
    /// Where this connection's syncs and room events run, in order; `None` for HTTP callers.
    pub lane: Option<Lane>,
}

impl Peer {
    /// The peer attached to `socket` (an anonymous default-language peer if none was attached).
    pub fn of(socket: &Socket) -> Self {
        socket.data::<Self>().cloned().unwrap_or_else(|| Self {
            session: None,
            language: String::new(),
            address: socket.request().remote_addr.map(|addr| addr.ip()),
            lane: None,
        })
    }

    /// The session id, if signed in.
    pub fn user_id(&self) -> Option<&str> {
        self.session.as_deref().map(|session| session.id.as_str())
    }

    /// Whose rate-limit budget a sync of this peer uses.
    pub fn identity(&self) -> Identity {
        match self.user_id() {
            Some(id) => Identity::User(id.to_owned()),
            None => Identity::Address(
                self.address
                    .map_or_else(|| "unknown".to_owned(), |address| address.to_string()),
            ),
        }
    }
}

/// The sender of one sync: a socket, or an HTTP request (no socket).
#[derive(Debug, Clone)]
pub struct Caller {
    /// Session, language and address.
    pub peer: Peer,
    /// The sending socket; `None` for the HTTP trigger.
    pub socket: Option<Socket>,
}

/// The token in a request's headers, if any. A cookie token counts only from the host's own
/// origin, from a request without `Origin`, or from an origin `[engine] cors` allows with
/// `credentials = true` (the operator's statement that the site may use the user's cookies).
///
/// # Errors
/// `auth.originNotAllowed` (param `origin`) for a cookie token from any other origin.
pub fn header_token(headers: &HeaderMap, config: &Config) -> Result<Option<String>, Failure> {
    let Some((token, source)) = token_with_source(headers, &config.auth.cookie_name) else {
        return Ok(None);
    };
    if source == TokenSource::Cookie {
        let cors = &config.engine.cors;
        let allowed = |origin: &str| {
            cors.credentials
                && match &cors.origins {
                    AllowedOrigins::Any => true,
                    AllowedOrigins::List(list) => list.iter().any(|listed| listed == origin),
                }
        };
        cookie_origin_allowed(headers, allowed).map_err(|origin| {
            tracing::info!(origin, "session cookie from an origin not allowed: refused");
            Failure::new(Code::OriginNotAllowed).text("origin", origin)
        })?;
    }
    Ok(Some(token))
}
