//! The connect-reply window of a socket: the moments between its CONNECT reply being queued and its
//! fast-path `connected` flag being set, which the public tests cannot stop in.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Weak};

use super::*;
use crate::protocol::handler::Event;
use crate::protocol::namespace::{Namespace, NamespaceRooms};
use crate::transport::Outbox;

struct Ignore;

impl NamespaceHandler for Ignore {
    fn on_event(&self, _socket: &Socket, _event: Event) {}
}

fn socket() -> (Socket, Outbox) {
    let namespace = Namespace::new(NamespaceRooms::new("/"), Arc::new(Ignore));
    let request = RequestInfo {
        headers: Default::default(),
        query: String::new(),
        remote_addr: None,
    };
    let (engine, outbox) = EngineConnection::detached("sid", request, 8);
    let socket = Socket::new(namespace.shared().clone(), engine, Weak::new());
    (socket, outbox)
}

#[test]
fn a_queued_connect_reply_counts_before_the_fast_path_flag_is_set() {
    let (socket, _outbox) = socket();
    assert!(!socket.connect_reply_queued());
    // What `mark_connected` has done when it is preempted between queuing the reply and setting the
    // flag: a client that already read the reply may send its first event now.
    *lock(&socket.inner.phase) = Phase::Connected;
    assert!(!socket.is_connected());
    assert!(socket.connect_reply_queued());
}

#[test]
fn a_socket_that_left_accepts_nothing() {
    let (socket, _outbox) = socket();
    assert!(socket.mark_connected());
    assert!(socket.connect_reply_queued());
    socket.leave_namespace(DisconnectReason::ServerNamespaceDisconnect);
    assert!(!socket.connect_reply_queued());
}
