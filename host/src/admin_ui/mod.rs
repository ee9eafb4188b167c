//! The server side of the Socket.IO Admin UI (`@socket.io/admin-ui`'s `instrument()`), so the
//! official UI shows a live synchost: the `/admin` namespace, open to admin tokens only, that
//! tells the UI about the sockets of the `/` namespace and carries out its operations.
//!
//! The protocol, as Node's `instrument()` speaks it: after CONNECT the server emits `config`
//! (`supportedFeatures`) and `all_sockets`; every two seconds `server_stats`; as things change,
//! `socket_connected`, `socket_disconnected`, `room_joined` and `room_left`; and, as they pass,
//! `event_received` and `event_sent` for the events of the `/` namespace's sockets (the UI's Events
//! page, Node's development mode; read from the namespace's tap, see `protocol::tap`: events a
//! socket receives and those emitted to it alone, not room broadcasts or acks). The UI emits `emit`,
//! `join`, `leave` and `_disconnect` with a namespace and an optional filter (a socket id or a
//! room). The UI's password is the admin token (the username is ignored): a CONNECT whose `auth`
//! carries no token with `admin` is refused with `invalid credentials`, as the UI expects.
//!
//! Operations act on this node's sockets only. A `join` or `leave` from the UI changes the socket's
//! Socket.IO rooms directly: it is not remembered for the user and, in a cluster, not reported to
//! presence. It never reads or shows a session token (see `snapshot`).

mod snapshot;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::protocol::{
    Args, BoxFuture, ConnectError, Direction, Event, EventTap, NamespaceHandler, NamespaceRooms,
    Socket,
};
use crate::session::TokenVerifier;
use snapshot::{Snapshot, serialize};

/// The namespace the UI connects to (Node's default `namespaceName`).
pub const NAMESPACE: &str = "/admin";

/// How often changes are looked for; `server_stats` goes out every [`STATS_EVERY`] ticks.
const TICK: Duration = Duration::from_secs(1);
const STATS_EVERY: u32 = 2;
/// What the UI may do and see here (Node's names). No aggregated event counts.
const FEATURES: [&str; 8] = [
    "EMIT",
    "JOIN",
    "LEAVE",
    "DISCONNECT",
    "MJOIN",
    "MLEAVE",
    "MDISCONNECT",
    "ALL_EVENTS",
];

/// The `/admin` namespace's handler.
#[derive(Clone)]
pub struct AdminUi {
    inner: Arc<Inner>,
}

struct Inner {
    verifier: TokenVerifier,
    watched: NamespaceRooms,
    admins: NamespaceRooms,
    /// The watched namespace's events as they pass.
    tap: EventTap,
    server_id: String,
    started: Instant,
    last: Mutex<Snapshot>,
    /// When each watched socket was first seen, ms since the epoch (the UI's `handshake.issued`).
    seen: Mutex<HashMap<String, u64>>,
}

impl AdminUi {
    /// A handler showing `watched` (made with `tap`, [`NamespaceRooms::tapped`]) to the admins
    /// connected in `admins` (the `/admin` namespace's rooms), identifying this server as
    /// `server_id`.
    pub fn new(
        verifier: TokenVerifier,
        watched: NamespaceRooms,
        tap: EventTap,
        admins: NamespaceRooms,
        server_id: String,
    ) -> Self {
        let last = Mutex::new(Snapshot::of(&watched.broadcast().sockets()));
        Self {
            inner: Arc::new(Inner {
                verifier,
                watched,
                admins,
                tap,
                server_id,
                started: Instant::now(),
                last,
                seen: Mutex::default(),
            }),
        }
    }

    /// Tells the connected admins what changed, every tick, and the server's stats; runs until the
    /// process ends.
    pub async fn run(self) {
        tokio::spawn(self.clone().forward_events());
        let mut ticks: u32 = 0;
        let mut interval = tokio::time::interval(TICK);
        loop {
            interval.tick().await;
            if self.inner.admins.is_empty() {
                // Nobody watches: keep the snapshot current so a later admin sees no stale news,
                // and forget every first-seen time (nothing prunes them meanwhile).
                *self.last() = Snapshot::of(&self.inner.watched.broadcast().sockets());
                self.inner
                    .seen
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clear();
                continue;
            }
            self.report_changes();
            ticks = ticks.wrapping_add(1);
            if ticks.is_multiple_of(STATS_EVERY) {
                self.to_admins("server_stats", &(self.stats(),));
            }
        }
    }

    /// Passes every tapped event of the watched namespace to the connected admins as
    /// `event_received` / `event_sent` (namespace, socket id, `[name, ...args]`, time). An admin
    /// that cannot keep up misses the oldest events, never slows the sockets down.
    async fn forward_events(self) {
        let mut events = self.inner.tap.subscribe();
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "admin UI event feed fell behind");
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            if self.inner.admins.is_empty() {
                continue;
            }
            let Ok(args) = RawValue::from_string(event.event) else {
                continue;
            };
            let name = match event.direction {
                Direction::Received => "event_received",
                Direction::Sent => "event_sent",
            };
            let nsp = self.inner.watched.name();
            self.to_admins(name, &(nsp, event.socket, args, iso_time(now_ms())));
        }
    }

    fn last(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.inner
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn report_changes(&self) {
        let sockets = self.inner.watched.broadcast().sockets();
        let next = Snapshot::of(&sockets);
        let changes = {
            let mut last = self.last();
            let changes = last.changes(&next);
            *last = next;
            changes
        };
        let nsp = self.inner.watched.name();
        for id in &changes.connected {
            if let Some(socket) = sockets.iter().find(|socket| socket.id() == id) {
                self.to_admins("socket_connected", &(self.serialize(socket),));
            }
        }
        for (room, id) in &changes.joined {
            self.to_admins("room_joined", &(nsp, room, id));
        }
        for (room, id) in &changes.left {
            self.to_admins("room_left", &(nsp, room, id));
        }
        let mut seen = self
            .inner
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for id in &changes.disconnected {
            seen.remove(id);
            self.to_admins("socket_disconnected", &(nsp, id, "transport close"));
        }
    }

    /// `socket` for the UI, first seen now if it was not seen before.
    fn serialize(&self, socket: &Socket) -> Value {
        let issued = *self
            .inner
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(socket.id().to_owned())
            .or_insert_with(now_ms);
        serialize(socket, issued)
    }

    fn stats(&self) -> Value {
        let inner = &self.inner;
        let mut clients: Vec<String> = inner
            .watched
            .broadcast()
            .sockets()
            .iter()
            .chain(inner.admins.broadcast().sockets().iter())
            .map(|socket| socket.connection_id().to_owned())
            .collect();
        clients.sort();
        clients.dedup();
        json!({
            "serverId": inner.server_id,
            "hostname": inner.server_id,
            "pid": std::process::id(),
            "uptime": inner.started.elapsed().as_secs_f64(),
            "clientsCount": clients.len(),
            "pollingClientsCount": 0,
            "aggregatedEvents": [],
            "namespaces": [
                { "name": inner.watched.name(), "socketsCount": inner.watched.len() },
                { "name": inner.admins.name(), "socketsCount": inner.admins.len() },
            ],
        })
    }

    fn to_admins(&self, event: &str, values: &impl serde::Serialize) {
        if let Ok(args) = Args::from_values(values) {
            self.inner.admins.broadcast().emit(event, &args);
        }
    }

    /// The watched sockets a UI filter names: those in room `filter` (a socket id is a room too),
    /// or all of them.
    fn targets(&self, filter: Option<&str>) -> Vec<Socket> {
        let sockets = self.inner.watched.broadcast().sockets();
        match filter {
            Some(room) => sockets
                .into_iter()
                .filter(|socket| socket.in_room(room))
                .collect(),
            None => sockets,
        }
    }

    fn operate(&self, event: &Event) {
        let Ok(items) = event.args.raw_items() else {
            return;
        };
        let text = |index: usize| -> Option<String> {
            items
                .get(index)
                .and_then(|raw| serde_json::from_str::<Option<String>>(raw.get()).ok())
                .flatten()
        };
        // Only the watched namespace: the UI names it in every operation.
        if text(0).as_deref() != Some(self.inner.watched.name()) {
            return;
        }
        match event.name.as_str() {
            "join" | "leave" => {
                let (Some(room), filter) = (text(1), text(2)) else {
                    return;
                };
                for socket in self.targets(filter.as_deref()) {
                    if event.name == "join" {
                        socket.join(&room);
                    } else {
                        socket.leave(&room);
                    }
                }
            }
            "_disconnect" => {
                let close = items.get(1).is_some_and(|raw| raw.get() == "true");
                for socket in self.targets(text(2).as_deref()) {
                    if close {
                        socket.close_connection();
                    } else {
                        socket.disconnect();
                    }
                }
            }
            "emit" => {
                let (filter, Some(name)) = (text(1), text(2)) else {
                    return;
                };
                let rest: Vec<&RawValue> = items.iter().skip(3).copied().collect();
                let Ok(args) = Args::from_values(&rest) else {
                    return;
                };
                let broadcast = match filter {
                    Some(room) => self.inner.watched.to(room),
                    None => self.inner.watched.broadcast(),
                };
                broadcast.emit(&name, &args);
            }
            _ => {}
        }
        tracing::info!(operation = %event.name, "admin UI operation");
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

/// `ms` since the Unix epoch as an ISO 8601 UTC time, `2026-12-01T19:30:00.000Z`: what a
/// JavaScript `Date` becomes in JSON, which the UI reads.
fn iso_time(ms: u64) -> String {
    let (days, in_day) = (ms / 86_400_000, ms % 86_400_000);
    let (hour, minute) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (second, milli) = (in_day / 1000 % 60, in_day % 1000);
    // The civil date of a day count, in the proleptic Gregorian calendar (eras of 400 years).
    let days = i64::try_from(days).unwrap_or(i64::MAX) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z")
}

/// The admin token in a CONNECT `auth` payload: the UI's `password` (or a `token` field).
fn token_of(auth: &RawValue) -> Option<String> {
    let value: Value = serde_json::from_str(auth.get()).ok()?;
    ["password", "token"]
        .iter()
        .find_map(|key| value.get(key).and_then(Value::as_str))
        .map(str::to_owned)
}

impl NamespaceHandler for AdminUi {
    fn on_connect(
        &self,
        socket: Socket,
        auth: Box<RawValue>,
    ) -> BoxFuture<Result<(), ConnectError>> {
        let this = self.clone();
        Box::pin(async move {
            let admin = token_of(&auth)
                .and_then(|token| this.inner.verifier.verify(&token).ok())
                .is_some_and(|session| session.admin);
            if !admin {
                return Err(ConnectError::new("invalid credentials"));
            }
            // The admins already here hear what changed up to now, so the snapshot the changes
            // are counted from is the one this admin's `all_sockets` shows.
            this.report_changes();
            let sockets: Vec<Value> = this
                .inner
                .watched
                .broadcast()
                .sockets()
                .iter()
                .map(|socket| this.serialize(socket))
                .collect();
            // Held by the protocol layer until the CONNECT reply, then sent in this order.
            for (event, args) in [
                (
                    "config",
                    Args::from_values(&(json!({ "supportedFeatures": FEATURES }),)),
                ),
                ("all_sockets", Args::from_values(&(sockets,))),
                ("server_stats", Args::from_values(&(this.stats(),))),
            ] {
                if let Ok(args) = args {
                    let _ = socket.emit(event, &args);
                }
            }
            Ok(())
        })
    }

    fn on_event(&self, _socket: &Socket, event: Event) {
        self.operate(&event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_javascript_writes_a_date_in_json() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
        // 2026-12-01T19:30:05.123Z and a leap day.
        assert_eq!(iso_time(1_796_153_405_123), "2026-12-01T19:30:05.123Z");
        assert_eq!(iso_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_time(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }
}
