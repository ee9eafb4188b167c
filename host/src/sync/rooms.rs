//! The room events: `joinRoom`, `leaveRoom`, `getJoinedRooms`. Each answers once with
//! `{"status":"success","rooms":[..]}` (the socket's rooms, sorted, without its own id room) or an
//! error envelope.
//!
//! A room argument may be a string or an object `{ room }` (or LuckyStack's `{ group }`). Signed-in
//! users' rooms are remembered (in the store, see [`crate::store::RoomMemory`]) and rejoined on
//! connect; anonymous connections
//! may join rooms only when the operator allows it, and only for the life of the connection.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::envelope::{Envelopes, json_string};
use super::failure::{Code, Failure};
use super::peer::Peer;
use super::request::check_room_name;
use super::service::SyncService;
use crate::protocol::Socket;
use crate::session::AuthFailure;

/// Which room event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomEvent {
    /// `joinRoom`.
    Join,
    /// `leaveRoom`.
    Leave,
    /// `getJoinedRooms`.
    List,
}

impl RoomEvent {
    /// The event for a name, if it is a room event.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "joinRoom" => Some(Self::Join),
            "leaveRoom" => Some(Self::Leave),
            "getJoinedRooms" => Some(Self::List),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct RoomArg {
    room: Option<String>,
    group: Option<String>,
}

impl SyncService {
    /// Handles a room event; returns the JSON answer.
    pub fn room_event(&self, socket: &Socket, event: RoomEvent, arg: Option<&RawValue>) -> String {
        let peer = Peer::of(socket);
        let result = match event {
            RoomEvent::List => Ok(()),
            RoomEvent::Join => room_name(arg).and_then(|room| self.join(socket, &peer, &room)),
            RoomEvent::Leave => room_name(arg).and_then(|room| self.leave(socket, &peer, &room)),
        };
        match result {
            Ok(()) => Envelopes::success_with(&format!(r#""rooms":{}"#, rooms_json(socket))),
            Err(failure) => self.envelopes.error(&failure, &peer.language),
        }
    }

    /// Puts a newly connected signed-in socket back in its user's remembered rooms.
    pub fn rejoin(&self, socket: &Socket, peer: &Peer) {
        if let Some(user) = peer.user_id() {
            match self.seams.memory.rooms(user) {
                Ok(rooms) => {
                    for room in rooms {
                        self.enter(socket, peer, &room);
                    }
                }
                Err(error) => tracing::warn!(%error, "remembered rooms unavailable; not rejoined"),
            }
        }
    }

    fn join(&self, socket: &Socket, peer: &Peer, room: &str) -> Result<(), Failure> {
        let config = self.config();
        check_room_name(room, config.sync.max_room_name_chars)?;
        let max = config.sync.max_rooms_per_session;
        let limit = || {
            Failure::new(Code::RoomLimitReached)
                .number("max", i64::try_from(max).unwrap_or(i64::MAX))
        };
        match peer.user_id() {
            Some(user) => {
                if !self
                    .seams
                    .memory
                    .join(user, room, max)
                    .map_err(unavailable)?
                {
                    return Err(limit());
                }
            }
            None if !config.sync.anonymous_rooms => {
                return Err(Failure::auth(&AuthFailure::LoginRequired));
            }
            None => {
                let joined = socket.rooms().len().saturating_sub(1);
                if !socket.in_room(room) && joined >= max {
                    return Err(limit());
                }
            }
        }
        self.enter(socket, peer, room);
        Ok(())
    }

    /// Puts `socket` in `room` and reports it to the cluster's presence (when it really joined: a
    /// socket that left meanwhile joins nothing).
    fn enter(&self, socket: &Socket, peer: &Peer, room: &str) {
        socket.join(room);
        if socket.in_room(room) {
            self.seams
                .presence
                .joined(socket.id(), room, peer.session.as_ref());
        }
    }

    fn leave(&self, socket: &Socket, peer: &Peer, room: &str) -> Result<(), Failure> {
        if room == socket.id() {
            return Ok(());
        }
        if let Some(user) = peer.user_id() {
            self.seams.memory.leave(user, room).map_err(unavailable)?;
        }
        socket.leave(room);
        self.seams.presence.left(socket.id(), room);
        Ok(())
    }
}

fn unavailable(error: crate::store::KvError) -> Failure {
    tracing::warn!(%error, "remembered rooms unavailable");
    Failure::new(Code::StateUnavailable)
}

/// The room named by the event's argument.
fn room_name(arg: Option<&RawValue>) -> Result<String, Failure> {
    let invalid = || Failure::new(Code::InvalidRequest).text("field", "room");
    let arg = arg.ok_or_else(invalid)?;
    if let Ok(room) = serde_json::from_str::<String>(arg.get()) {
        return Ok(room.trim().to_owned());
    }
    let arg: RoomArg = serde_json::from_str(arg.get()).map_err(|_| invalid())?;
    arg.room
        .or(arg.group)
        .map(|room| room.trim().to_owned())
        .ok_or_else(invalid)
}

/// The socket's rooms as a sorted JSON array, without its own id room.
fn rooms_json(socket: &Socket) -> String {
    let mut rooms: Vec<String> = socket
        .rooms()
        .iter()
        .filter(|room| &***room != socket.id())
        .map(|room| json_string(room))
        .collect();
    rooms.sort();
    format!("[{}]", rooms.join(","))
}
