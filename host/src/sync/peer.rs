//! Who is on the other end: the state attached to each socket at CONNECT, and the caller of one sync.
//!
//! A socket's session is fixed when it connects (from its token) and its language is negotiated
//! then, so the per-recipient work of a fan-out reads two fields and never re-parses headers. Its
//! lane (see `lane.rs`) is made then too.

use std::net::IpAddr;
use std::sync::Arc;

use crate::plugin::Session;
use crate::protocol::Socket;

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
