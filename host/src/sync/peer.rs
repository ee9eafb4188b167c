//! Who is on the other end: the state attached to each socket at CONNECT, and the caller of one sync.
//!
//! A socket's session comes from its token at CONNECT and its language is negotiated then, so the
//! per-recipient work of a fan-out reads two fields and never re-parses headers. Its lane (see
//! `lane.rs`) is made then too. The session changes only when the token is renewed or runs out
//! (`expiry.rs`): the socket holds a [`PeerCell`] whose [`Peer`] is swapped whole ([`Peer::update`]),
//! so a reader always sees one consistent peer. [`header_token`] is where a session cookie is refused
//! for a request from another site.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::http::HeaderMap;

use crate::config::Config;
use crate::plugin::Session;
use crate::protocol::Socket;
use crate::session::{TokenSource, cookie_origin_allowed, token_with_source};

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
    /// When the session ends (Unix seconds: the token's `exp` plus the leeway); `None` without one.
    pub expires_at: Option<u64>,
    /// The user the connection signed in as, kept after its session ran out: only that user may
    /// renew it.
    pub signed_in_as: Option<Arc<str>>,
    /// Rooms a room token let this connection into (for the life of the connection, while signed
    /// in).
    pub granted: Arc<BTreeSet<String>>,
}

/// What a socket holds: its current [`Peer`], replaced whole on renewal or expiry.
#[derive(Debug)]
pub struct PeerCell(ArcSwap<Peer>);

impl Peer {
    /// Attaches `self` to a socket that has no peer yet; `false` if it had one.
    pub fn attach(self, socket: &Socket) -> bool {
        socket.set_data(PeerCell(ArcSwap::from_pointee(self)))
    }

    /// The peer attached to `socket` now, if any.
    pub fn current(socket: &Socket) -> Option<Arc<Self>> {
        socket.data::<PeerCell>().map(|cell| cell.0.load_full())
    }

    /// Changes the peer of `socket` from whatever it is now (`change` may run more than once when
    /// another change races it, so a renewal and the expiry sweep never undo each other); returns
    /// the peer before and after. `None` for a socket without one.
    pub fn update(
        socket: &Socket,
        change: impl Fn(&Self) -> Self,
    ) -> Option<(Arc<Self>, Arc<Self>)> {
        let cell = socket.data::<PeerCell>()?;
        let before = cell.0.rcu(|current| Arc::new(change(current)));
        Some((before, cell.0.load_full()))
    }

    /// The peer attached to `socket` (an anonymous default-language peer if none was attached).
    /// A session past its end is left out even before the expiry sweep has ended it.
    pub fn of(socket: &Socket) -> Self {
        let now = super::expiry::now_s();
        Self::current(socket).map_or_else(
            || Self {
                session: None,
                language: String::new(),
                address: socket.request().remote_addr.map(|addr| addr.ip()),
                lane: None,
                expires_at: None,
                signed_in_as: None,
                granted: Arc::default(),
            },
            |peer| {
                let mut peer = (*peer).clone();
                if peer.expired(now) {
                    peer.session = None;
                }
                peer
            },
        )
    }

    /// Whether the session has ended by `now` (Unix seconds).
    pub fn expired(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|expires| expires <= now)
    }

    /// The session, unless it has ended by `now`.
    pub fn live_session(&self, now: u64) -> Option<Arc<Session>> {
        self.session.clone().filter(|_| !self.expired(now))
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
            // An empty list lets every origin through CORS checks, but names none for cookies.
            cors.credentials && cors.origins.is_configured() && cors.origins.allows(Some(origin))
        };
        cookie_origin_allowed(headers, allowed).map_err(|origin| {
            tracing::info!(origin, "session cookie from an origin not allowed: refused");
            Failure::new(Code::OriginNotAllowed).text("origin", origin)
        })?;
    }
    Ok(Some(token))
}
