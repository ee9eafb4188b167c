//! A node's own room members, exactly as the pipeline reported them, and the changes Redis does not
//! know yet. The node answers its own part of a room query from here (so a join is counted at once
//! on its own node), and its writer turns the pending changes into Redis commands, or writes the
//! whole mirror again when changes were lost. Everything here is in memory and never waits.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::plugin::Session;

/// Most membership changes waiting for the writer; past it they are dropped and the whole mirror
/// is written again instead.
pub(super) const MAX_PENDING: usize = 65_536;

/// A member's session as stored in Redis (named MessagePack, so fields can be added).
#[derive(Serialize, Deserialize)]
pub(super) struct StoredSession {
    id: String,
    name: Option<String>,
    email: Option<String>,
    language: Option<String>,
    admin: bool,
    roles: Vec<String>,
    #[serde(with = "serde_bytes")]
    extra: Vec<u8>,
}

pub(super) fn encode(session: Option<&Arc<Session>>) -> Vec<u8> {
    let Some(session) = session else {
        return Vec::new();
    };
    let stored = StoredSession {
        id: session.id.clone(),
        name: session.name.clone(),
        email: session.email.clone(),
        language: session.language.clone(),
        admin: session.admin,
        roles: session.roles.clone(),
        extra: session.extra.clone(),
    };
    // Plain strings, bools and bytes always encode.
    rmp_serde::to_vec_named(&stored).unwrap_or_default()
}

pub(super) fn decode(bytes: &[u8]) -> Option<Session> {
    let stored: StoredSession = rmp_serde::from_slice(bytes).ok()?;
    Some(Session {
        id: stored.id,
        name: stored.name,
        email: stored.email,
        language: stored.language,
        admin: stored.admin,
        roles: stored.roles,
        extra: stored.extra,
    })
}

/// One room's members on this node, by socket id (so in the order Redis sorts them).
#[derive(Default)]
pub(super) struct RoomMembers {
    pub(super) all: BTreeMap<String, Option<Arc<Session>>>,
    pub(super) signed: usize,
}

impl RoomMembers {
    pub(super) fn page(&self, offset: usize, limit: usize) -> Vec<Session> {
        self.all
            .values()
            .flatten()
            .skip(offset)
            .take(limit)
            .map(|session| Session::clone(session))
            .collect()
    }
}

/// A change the writer still has to make in Redis.
pub(super) enum Change {
    Join {
        socket: String,
        room: String,
        session: Vec<u8>,
        first: bool,
    },
    Leave {
        socket: String,
        room: String,
        signed: bool,
        last: bool,
    },
}

/// This node's members, and what Redis does not know of them yet.
#[derive(Default)]
pub(super) struct Mirror {
    pub(super) rooms: HashMap<String, RoomMembers>,
    pub(super) sockets: HashMap<String, HashSet<String>>,
    pub(super) pending: Vec<Change>,
    pub(super) overflowed: bool,
}

impl Mirror {
    pub(super) fn join(&mut self, socket: &str, room: &str, session: Option<&Arc<Session>>) {
        let members = self.rooms.entry(room.to_owned()).or_default();
        if members.all.contains_key(socket) {
            return;
        }
        let first = members.all.is_empty();
        members.signed += usize::from(session.is_some());
        members.all.insert(socket.to_owned(), session.cloned());
        self.sockets
            .entry(socket.to_owned())
            .or_default()
            .insert(room.to_owned());
        self.push(Change::Join {
            socket: socket.to_owned(),
            room: room.to_owned(),
            session: encode(session),
            first,
        });
    }

    pub(super) fn leave(&mut self, socket: &str, room: &str) {
        let Some(members) = self.rooms.get_mut(room) else {
            return;
        };
        let Some(session) = members.all.remove(socket) else {
            return;
        };
        members.signed -= usize::from(session.is_some());
        let last = members.all.is_empty();
        if last {
            self.rooms.remove(room);
        }
        if let Some(rooms) = self.sockets.get_mut(socket) {
            rooms.remove(room);
            if rooms.is_empty() {
                self.sockets.remove(socket);
            }
        }
        self.push(Change::Leave {
            socket: socket.to_owned(),
            room: room.to_owned(),
            signed: session.is_some(),
            last,
        });
    }

    pub(super) fn disconnect(&mut self, socket: &str) {
        let rooms = self.sockets.remove(socket).unwrap_or_default();
        for room in rooms {
            self.leave(socket, &room);
        }
    }

    fn push(&mut self, change: Change) {
        if self.overflowed {
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            self.pending = Vec::new();
            self.overflowed = true;
            return;
        }
        self.pending.push(change);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn session(id: &str) -> Arc<Session> {
        Arc::new(Session {
            id: id.into(),
            name: Some("N".into()),
            email: None,
            language: Some("nl".into()),
            admin: true,
            roles: vec!["r".into()],
            extra: vec![0x80],
        })
    }

    #[test]
    fn sessions_survive_the_round_trip_and_anonymous_members_are_empty() {
        let original = session("u");
        assert_eq!(decode(&encode(Some(&original))).unwrap(), *original);
        assert!(encode(None).is_empty());
        assert!(decode(b"\xc1").is_none());
    }

    #[test]
    fn the_mirror_counts_once_and_pages_signed_in_members_by_socket_id() {
        let mut mirror = Mirror::default();
        mirror.join("s2", "r", Some(&session("b")));
        mirror.join("s1", "r", Some(&session("a")));
        mirror.join("s3", "r", None);
        mirror.join("s1", "r", Some(&session("a")));
        let room = &mirror.rooms["r"];
        assert_eq!((room.all.len(), room.signed), (3, 2));
        let ids: Vec<String> = room.page(0, 10).into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(room.page(1, 10)[0].id, "b");
        assert_eq!(mirror.pending.len(), 3);
        mirror.disconnect("s1");
        mirror.leave("s3", "r");
        mirror.leave("s3", "r");
        assert_eq!(mirror.rooms["r"].signed, 1);
        mirror.leave("s2", "r");
        assert!(mirror.rooms.is_empty() && mirror.sockets.is_empty());
        assert!(matches!(
            mirror.pending.last(),
            Some(Change::Leave { last: true, .. })
        ));
    }

    #[test]
    fn too_many_waiting_changes_become_one_rewrite() {
        let mut mirror = Mirror::default();
        for i in 0..=MAX_PENDING {
            mirror.join(&format!("s{i}"), "r", None);
        }
        assert!(mirror.overflowed && mirror.pending.is_empty());
        assert_eq!(mirror.rooms["r"].all.len(), MAX_PENDING + 1);
    }
}
