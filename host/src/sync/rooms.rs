//! The room events: `joinRoom`, `leaveRoom`, `getJoinedRooms`. Each answers once with
//! `{"status":"success","rooms":[..]}` (the socket's rooms, sorted, without its own id room) or an
//! error envelope.
//!
//! A room argument may be a string or an object `{ room }` (or LuckyStack's `{ group }`). Every join
//! passes the join rate, the room's policy and its join handler, if the policy names one
//! (`room_policy`). Signed-in users' rooms are
//! remembered (in the store, see [`crate::store::RoomMemory`]) and rejoined on connect, each checked
//! again (join handler included); anonymous connections join for the life of the connection. When
//! the policies change, [`SyncService::enforce_room_policies`] takes out the members they no longer
//! admit and tells them with a `roomRemoved` event; a join handler is asked again only for rooms
//! whose policy names another handler than before.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::envelope::{Envelopes, json_string};
use super::failure::{Code, Failure};
use super::limiter::Identity;
use super::peer::Peer;
use super::request::check_room_name;
use super::room_policy::{admit, admit_peer, ask_join_handler, check_grant, undecided};
use super::service::SyncService;
use crate::protocol::{Args, Socket};

/// The rate window joins count in; no route name starts with `@`.
const JOIN_WINDOW: &str = "@joinRoom";

/// The event that tells a member it was taken out of a room.
pub const ROOM_REMOVED_EVENT: &str = "roomRemoved";

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
    /// A room token granting the room (joins only).
    token: Option<String>,
}

/// A room event's argument: the room, and the room token a join may carry.
struct Target {
    room: String,
    token: Option<String>,
}

impl SyncService {
    /// Handles a room event; returns the JSON answer.
    pub async fn room_event(
        &self,
        socket: &Socket,
        event: RoomEvent,
        arg: Option<&RawValue>,
    ) -> String {
        let peer = Peer::of(socket);
        let result = match event {
            RoomEvent::List => Ok(()),
            RoomEvent::Join => match target(arg) {
                Ok(target) => self.join(socket, &peer, &target).await,
                Err(failure) => Err(failure),
            },
            RoomEvent::Leave => {
                target(arg).and_then(|target| self.leave(socket, &peer, &target.room))
            }
        };
        match result {
            Ok(()) => Envelopes::success_with(&format!(r#""rooms":{}"#, rooms_json(socket))),
            Err(failure) => self.envelopes.error(&failure, &peer.language),
        }
    }

    /// Puts a newly connected signed-in socket back in its user's remembered rooms that its
    /// session still passes (policy and join handler); the ones refused by a verdict are forgotten.
    pub async fn rejoin(&self, socket: &Socket, peer: &Peer) {
        let Some(user) = peer.user_id() else { return };
        let rooms = match self.seams.memory.rooms(user) {
            Ok(rooms) => rooms,
            Err(error) => {
                tracing::warn!(%error, "remembered rooms unavailable; not rejoined");
                return;
            }
        };
        let config = self.config();
        for room in rooms {
            let verdict = match admit(&config.rooms, &room, peer.session.as_deref()) {
                Ok(()) => {
                    ask_join_handler(&self.runtime, &config.rooms, &room, peer.session.as_ref())
                        .await
                }
                Err(failure) => Err(failure),
            };
            match verdict {
                Ok(()) => self.enter(socket, peer, &room),
                Err(failure) if undecided(&failure) => {
                    // Not rejoined, but kept: fixing the policy or the handler brings it back.
                    tracing::warn!(
                        room,
                        code = failure.code,
                        "room policy cannot be checked; remembered room not rejoined"
                    );
                }
                Err(failure) => {
                    tracing::info!(
                        room,
                        code = failure.code,
                        "remembered room no longer admits its user; forgotten"
                    );
                    if let Err(error) = self.seams.memory.leave(user, &room) {
                        tracing::warn!(%error, "remembered rooms unavailable; room not forgotten");
                    }
                }
            }
        }
    }

    /// Takes every member of this node's rooms that the policies in force no longer admit out of
    /// the room (and, on a verdict, out of its user's remembered rooms), telling it with a
    /// `roomRemoved` event. A room whose policy names another join handler than at the previous
    /// enforcement has its members asked again (a handler that fails lets no one stay). Called when
    /// the config changes.
    pub async fn enforce_room_policies(&self) -> usize {
        let config = self.config();
        let before = std::mem::replace(
            &mut *self
                .enforced
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            config.rooms.clone(),
        );
        let mut removed = 0;
        for socket in self.namespace.broadcast().sockets() {
            let peer = Peer::of(&socket);
            for room in socket.rooms() {
                if &*room == socket.id() {
                    continue;
                }
                let handler = config.rooms.policy_for(&room).join;
                let verdict = match admit_peer(&config.rooms, &room, &peer) {
                    Ok(())
                        if handler.is_some()
                            && handler != before.policy_for(&room).join
                            && !peer.granted.contains(&*room) =>
                    {
                        ask_join_handler(&self.runtime, &config.rooms, &room, peer.session.as_ref())
                            .await
                    }
                    verdict => verdict,
                };
                if let Err(failure) = verdict {
                    self.take_out(&socket, &peer, &room, !undecided(&failure));
                    removed += 1;
                }
            }
        }
        if removed > 0 {
            tracing::info!(
                removed,
                "room policies changed: members no longer admitted removed"
            );
        }
        removed
    }

    /// Takes `socket` out of `room` (and, with `forget`, its user out of the remembered room) and
    /// tells it with a `roomRemoved` event.
    pub(super) fn take_out(&self, socket: &Socket, peer: &Peer, room: &str, forget: bool) {
        if forget
            && let Some(user) = peer.user_id()
            && let Err(error) = self.seams.memory.leave(user, room)
        {
            tracing::warn!(%error, "remembered rooms unavailable; room not forgotten");
        }
        socket.leave(room);
        self.seams.presence.left(socket.id(), room);
        let failure = Failure::new(Code::RoomRemoved).text("room", room);
        self.tell(socket, ROOM_REMOVED_EVENT, &failure, &peer.language);
    }

    async fn join(&self, socket: &Socket, peer: &Peer, target: &Target) -> Result<(), Failure> {
        let room = target.room.as_str();
        let config = self.config();
        check_room_name(room, config.sync.max_room_name_chars)?;
        self.seams
            .rates
            .check(
                JOIN_WINDOW,
                joiner(socket, peer),
                config.rooms.join_rate_per_minute,
            )
            .map_err(|seconds| {
                Failure::new(Code::JoinRateExceeded)
                    .number("seconds", i64::try_from(seconds).unwrap_or(i64::MAX))
            })?;
        let granted = match &target.token {
            Some(token) => {
                check_grant(&self.verifier, token, room, peer.session.as_deref())?;
                true
            }
            None => {
                admit_peer(&config.rooms, room, peer)?;
                false
            }
        };
        let max = config.sync.max_rooms_per_session;
        let limit = || {
            Failure::new(Code::RoomLimitReached)
                .number("max", i64::try_from(max).unwrap_or(i64::MAX))
        };
        // The connection's own rooms count too: with the user's remembered set (below) the cap holds
        // for each connection and for the user.
        let joined = socket.rooms().len().saturating_sub(1);
        if !socket.in_room(room) && joined >= max {
            return Err(limit());
        }
        // The join handler is asked last, once everything cheaper passed; a room token is the app's
        // own yes.
        if !granted && !peer.granted.contains(room) {
            ask_join_handler(&self.runtime, &config.rooms, room, peer.session.as_ref()).await?;
        }
        // A room a token let in is not remembered: the token is shown again after a reconnect.
        if let Some(user) = peer.user_id().filter(|_| !granted)
            && !self
                .seams
                .memory
                .join(user, room, max)
                .map_err(unavailable)?
        {
            return Err(limit());
        }
        if granted {
            Peer::update(socket, |current| {
                let mut rooms = (*current.granted).clone();
                rooms.insert(room.to_owned());
                Peer {
                    granted: std::sync::Arc::new(rooms),
                    ..current.clone()
                }
            });
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
            self.leave_elsewhere(socket, user, room);
        }
        socket.leave(room);
        self.seams.presence.left(socket.id(), room);
        Ok(())
    }

    /// A user's rooms are the user's: when one connection leaves a room, the user's other
    /// connections on this node leave it too, each told with a `roomRemoved` event
    /// (`room.leftElsewhere`), so no connection keeps a room its user's remembered set no longer
    /// counts against the cap.
    fn leave_elsewhere(&self, leaving: &Socket, user: &str, room: &str) {
        for socket in self.namespace.to(room).sockets() {
            if socket.id() == leaving.id() {
                continue;
            }
            let Some(peer) = Peer::current(&socket) else {
                continue;
            };
            if peer.user_id() == Some(user) {
                socket.leave(room);
                self.seams.presence.left(socket.id(), room);
                let failure = Failure::new(Code::RoomLeftElsewhere).text("room", room);
                self.tell(&socket, ROOM_REMOVED_EVENT, &failure, &peer.language);
            }
        }
    }

    /// Sends `socket` the event `event` carrying `failure` as an error envelope in `language`.
    pub(super) fn tell(&self, socket: &Socket, event: &str, failure: &Failure, language: &str) {
        let envelope = self.envelopes.error(failure, language);
        if let Ok(args) = Args::from_json(&format!("[{envelope}]")) {
            // A connection that is closing simply misses it.
            let _ = socket.emit(event, &args);
        }
    }
}

/// Whose join budget a join uses: the user over all its connections, or the anonymous connection
/// (anonymous peers behind one address, a proxy or a school, must not share one budget).
fn joiner(socket: &Socket, peer: &Peer) -> Identity {
    match peer.user_id() {
        Some(user) => Identity::User(user.to_owned()),
        None => Identity::Connection(socket.id().to_owned()),
    }
}

fn unavailable(error: crate::store::KvError) -> Failure {
    tracing::warn!(%error, "remembered rooms unavailable");
    Failure::new(Code::StateUnavailable)
}

/// The room (and token) named by the event's argument.
fn target(arg: Option<&RawValue>) -> Result<Target, Failure> {
    let invalid = || Failure::new(Code::InvalidRequest).text("field", "room");
    let arg = arg.ok_or_else(invalid)?;
    if let Ok(room) = serde_json::from_str::<String>(arg.get()) {
        return Ok(Target {
            room: room.trim().to_owned(),
            token: None,
        });
    }
    let arg: RoomArg = serde_json::from_str(arg.get()).map_err(|_| invalid())?;
    let room = arg
        .room
        .or(arg.group)
        .map(|room| room.trim().to_owned())
        .ok_or_else(invalid)?;
    let token = arg
        .token
        .map(|token| token.trim().to_owned())
        .filter(|token| !token.is_empty());
    Ok(Target { room, token })
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
