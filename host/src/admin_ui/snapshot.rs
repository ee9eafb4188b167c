//! What the Socket.IO Admin UI is told about the watched namespace: each socket as the UI's
//! `SerializedSocket`, and the changes between two looks (connected, disconnected, joined, left).
//!
//! The namespace's room registry has no listeners, so changes are found by comparing snapshots
//! taken one tick apart; a socket that comes and goes within a tick is never shown. It must never
//! show a credential: the `authorization` and `cookie` headers the transport keeps are left out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::protocol::Socket;

/// Handshake headers never shown.
const HIDDEN_HEADERS: [&str; 2] = ["authorization", "cookie"];

/// One socket as the UI's `SerializedSocket`; `issued` (ms since the epoch) is when this node first
/// saw the socket (the handshake's own time is not kept), `transport` is not known here.
pub fn serialize(socket: &Socket, issued: u64) -> Value {
    let request = socket.request();
    let headers: serde_json::Map<String, Value> = request
        .headers
        .iter()
        .filter(|(name, _)| !HIDDEN_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            let value = value.to_str().ok()?;
            Some((name.as_str().to_owned(), Value::String(value.to_owned())))
        })
        .collect();
    let query: serde_json::Map<String, Value> = request
        .query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), Value::String(decode(value)))
        })
        .collect();
    let rooms: Vec<String> = socket.rooms().iter().map(|room| room.to_string()).collect();
    json!({
        "id": socket.id(),
        "clientId": socket.connection_id().chars().take(12).collect::<String>(),
        "nsp": socket.namespace(),
        "data": {},
        "handshake": {
            "address": request.remote_addr.map(|address| address.ip().to_string()),
            "headers": headers,
            "query": query,
            "xdomain": request.headers.contains_key("origin"),
            "issued": issued,
            "time": issued.to_string(),
            "secure": false,
        },
        "rooms": rooms,
    })
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The sockets of the watched namespace and their rooms, at one moment.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Snapshot {
    rooms: BTreeMap<String, BTreeSet<String>>,
}

/// What changed between two snapshots, in the order the UI should hear it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Sockets that appeared.
    pub connected: Vec<String>,
    /// Sockets that are gone.
    pub disconnected: Vec<String>,
    /// (room, socket) pairs that appeared, for sockets present in both snapshots.
    pub joined: Vec<(String, String)>,
    /// (room, socket) pairs that are gone, for sockets present in both snapshots.
    pub left: Vec<(String, String)>,
}

impl Snapshot {
    /// The sockets and their rooms now.
    pub fn of(sockets: &[Socket]) -> Self {
        Self::from_rooms(sockets.iter().map(|socket| {
            let rooms = socket.rooms().iter().map(|room| room.to_string()).collect();
            (socket.id().to_owned(), rooms)
        }))
    }

    fn from_rooms(sockets: impl IntoIterator<Item = (String, BTreeSet<String>)>) -> Self {
        Self {
            rooms: sockets.into_iter().collect(),
        }
    }

    /// What changed from `self` to `next`.
    pub fn changes(&self, next: &Self) -> Changes {
        let mut changes = Changes::default();
        for (socket, rooms) in &next.rooms {
            match self.rooms.get(socket) {
                None => changes.connected.push(socket.clone()),
                Some(before) => {
                    for room in rooms.difference(before) {
                        changes.joined.push((room.clone(), socket.clone()));
                    }
                    for room in before.difference(rooms) {
                        changes.left.push((room.clone(), socket.clone()));
                    }
                }
            }
        }
        for socket in self.rooms.keys() {
            if !next.rooms.contains_key(socket) {
                changes.disconnected.push(socket.clone());
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(sockets: &[(&str, &[&str])]) -> Snapshot {
        Snapshot::from_rooms(sockets.iter().map(|(id, rooms)| {
            (
                (*id).to_owned(),
                rooms.iter().map(|room| (*room).to_owned()).collect(),
            )
        }))
    }

    #[test]
    fn changes_name_arrivals_departures_joins_and_leaves() {
        let before = snapshot(&[("a", &["a", "lobby"]), ("b", &["b"])]);
        let after = snapshot(&[("a", &["a", "game"]), ("c", &["c", "lobby"])]);
        let changes = before.changes(&after);
        let pair = |room: &str, socket: &str| (room.to_owned(), socket.to_owned());
        assert_eq!(changes.connected, ["c"]);
        assert_eq!(changes.disconnected, ["b"]);
        assert_eq!(changes.joined, [pair("game", "a")]);
        assert_eq!(changes.left, [pair("lobby", "a")]);
        assert_eq!(after.changes(&after), Changes::default());
    }
}
