//! Cluster-wide room presence: `rooms.size` and `rooms.members` count the members of every live node,
//! like one node counts its own.
//!
//! Each node keeps an exact mirror of its own members (told by the pipeline through [`Presence`])
//! and answers its own part from it; the other nodes' parts come from Redis, where each node writes
//! its members under an *incarnation* (`<node id>#<random>`): per room a hash socket → session and a
//! sorted set of the signed-in sockets, plus the set of rooms it has members in. One task per node
//! writes the changes in order, pipelined, off the pipeline's path, and beats: it renews the
//! incarnation's deadline in `presence:nodes` (Redis time + `presence_ttl_ms`), reads the other live
//! incarnations, and removes the keys of incarnations whose deadline passed. Readers count only
//! incarnations whose deadline has not passed, so a node killed with `kill -9` stops counting
//! within `presence_ttl_ms`. An incarnation that finds itself expired (Redis restarted, or the node
//! was cut off longer than the TTL) never comes back: the node registers a new one and writes its
//! mirror again under it; a failed write does the same rewrite at the next beat.
//!
//! Redis unavailable: a query that needs the other nodes fails (`RoomsUnavailable`, the guest sees
//! `storage`) instead of answering with this node's part alone, and after a failure queries fail at
//! once for [`RETRY_AFTER`] rather than each waiting `timeout_ms`. A query never answers with more
//! members than the live nodes hold. Joins and leaves never wait for Redis: they change the mirror
//! and wake the writer. With no other live node, a query is answered from the mirror alone, no
//! Redis call at all.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use redis::Script;
use tokio::sync::Notify;

use super::ClusterError;
use super::keys::Keys;
use super::presence_mirror::{Mirror, decode};
use super::presence_writer::write_and_beat;
use super::redis_conn::RedisConn;
use super::redis_rates::RETRY_AFTER;
use crate::plugin::{RoomDirectory, RoomsUnavailable, Session};
use crate::sync::Presence;

/// Whether a socket id still belongs to a connected socket of this node (the writer drops members
/// the pipeline could not report leaving, e.g. a socket that left while it connected).
pub type Alive = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// KEYS[1]: `presence:nodes`. ARGV[1]: the incarnation, ARGV[2]: the TTL in ms, ARGV[3]: `beat`
/// (renew, only if not expired) or `register`. Returns `{0}` when a beat found its incarnation
/// expired or gone, otherwise `{1, now, live (incarnation, deadline, ...), expired (up to 16)}`.
const HEARTBEAT: &str = include_str!("presence_heartbeat.lua");

/// KEYS[1]: `presence:nodes`; ARGV[1]: an incarnation. Forgets it if it is (still) expired.
const FORGET: &str = include_str!("presence_forget.lua");

/// KEYS[1], KEYS[2]: one incarnation's `all` hash and `signed` set for a room. ARGV: socket,
/// session, socket, session, ... (an empty session is an anonymous member). Replaces both at once.
const REPLACE: &str = include_str!("presence_replace.lua");

/// KEYS: (signed set, all hash) of each other live incarnation, in incarnation order. ARGV[1]:
/// offset, ARGV[2]: limit, ARGV[3]: how many of those incarnations sort before this node's,
/// ARGV[4]: this node's signed-in members in the room. Returns `{own_from, own_take, splice_at,
/// {session, ...}}`: this node's page part is its members `own_from ..+ own_take`, inserted before
/// the `splice_at`-th session.
const MEMBERS: &str = include_str!("presence_members.lua");

/// Which incarnations count, as the last beat saw them.
pub(super) struct View {
    pub(super) own: String,
    /// The other live incarnations, sorted, each with when its deadline passes on this clock.
    pub(super) others: Vec<(String, Instant)>,
}

/// What the queries and the writer share.
pub(super) struct Inner {
    pub(super) conn: RedisConn,
    pub(super) keys: Keys,
    pub(super) node: String,
    pub(super) ttl: Duration,
    pub(super) alive: Option<Alive>,
    pub(super) heartbeat: Script,
    pub(super) forget: Script,
    pub(super) replace: Script,
    pub(super) members: Script,
    pub(super) mirror: Mutex<Mirror>,
    pub(super) wake: Notify,
    pub(super) view: RwLock<View>,
    /// Whether the last beat reached Redis.
    pub(super) healthy: AtomicBool,
    pub(super) started: Instant,
    /// Until when (ms since `started`) queries fail without asking Redis.
    pub(super) fail_until_ms: AtomicU64,
    pub(super) failures: AtomicU64,
    /// Set by [`RedisPresence::leave`]: the writer removes this node's keys and stops.
    pub(super) leaving: AtomicBool,
    /// Set by the writer once it removed this node's keys (or gave up), with `left` woken.
    pub(super) has_left: AtomicBool,
    pub(super) left: Notify,
}

/// Presence shared through Redis: the pipeline's [`Presence`] and the plugins' [`RoomDirectory`].
#[derive(Clone)]
pub struct RedisPresence {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisPresence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPresence")
            .field("node", &self.inner.node)
            .finish_non_exhaustive()
    }
}

impl RedisPresence {
    /// Registers `node` under `key_prefix` on `conn` (its members count for others for `ttl` after
    /// each beat) and starts its writer on the current tokio runtime. `alive` tells which socket ids
    /// are still connected (`None`: trust the reports alone).
    ///
    /// # Errors
    /// [`ClusterError::Redis`] when the first registration gets no answer within the budget.
    pub async fn start(
        conn: RedisConn,
        key_prefix: &str,
        node: &str,
        ttl: Duration,
        alive: Option<Alive>,
    ) -> Result<Self, ClusterError> {
        let inner = Arc::new(Inner {
            conn,
            keys: Keys::new(key_prefix),
            node: node.to_owned(),
            ttl,
            alive,
            heartbeat: Script::new(HEARTBEAT),
            forget: Script::new(FORGET),
            replace: Script::new(REPLACE),
            members: Script::new(MEMBERS),
            mirror: Mutex::new(Mirror::default()),
            wake: Notify::new(),
            view: RwLock::new(View {
                own: incarnation(node),
                others: Vec::new(),
            }),
            healthy: AtomicBool::new(false),
            started: Instant::now(),
            fail_until_ms: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            leaving: AtomicBool::new(false),
            has_left: AtomicBool::new(false),
            left: Notify::new(),
        });
        inner.register().await.map_err(|reason| {
            ClusterError::Redis(redis::RedisError::from((
                redis::ErrorKind::Io,
                "presence could not register",
                reason,
            )))
        })?;
        tokio::spawn(write_and_beat(inner.clone()));
        Ok(Self { inner })
    }

    /// Leaves the cluster's presence for good (a node shutting down): the writer stops, and this
    /// node's members and its incarnation are removed from Redis at once, so other nodes stop
    /// counting them now instead of after `presence_ttl_ms`. Resolves when that is done or failed
    /// (each Redis call is bounded by `timeout_ms`); later changes are not written.
    pub async fn leave(&self) {
        let inner = &self.inner;
        inner.leaving.store(true, Ordering::SeqCst);
        inner.wake.notify_one();
        loop {
            let left = inner.left.notified();
            tokio::pin!(left);
            left.as_mut().enable();
            if inner.has_left.load(Ordering::SeqCst) {
                return;
            }
            left.await;
        }
    }

    /// This node's current incarnation (what its keys are named after).
    pub fn incarnation(&self) -> String {
        read(&self.inner.view).own.clone()
    }
}

pub(super) fn incarnation(node: &str) -> String {
    format!("{node}#{:08x}", rand::random::<u32>())
}

pub(super) fn lock(mirror: &Mutex<Mirror>) -> MutexGuard<'_, Mirror> {
    mirror.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn read(view: &RwLock<View>) -> std::sync::RwLockReadGuard<'_, View> {
    view.read().unwrap_or_else(PoisonError::into_inner)
}

impl Presence for RedisPresence {
    /// How many room queries failed because Redis did not answer (or had not at the last beat).
    fn failures(&self) -> u64 {
        self.inner.failures.load(Ordering::Relaxed)
    }

    fn joined(&self, socket: &str, room: &str, session: Option<&Arc<Session>>) {
        lock(&self.inner.mirror).join(socket, room, session);
        self.inner.wake.notify_one();
    }

    fn left(&self, socket: &str, room: &str) {
        lock(&self.inner.mirror).leave(socket, room);
        self.inner.wake.notify_one();
    }

    fn disconnected(&self, socket: &str) {
        lock(&self.inner.mirror).disconnect(socket);
        self.inner.wake.notify_one();
    }
}

impl RoomDirectory for RedisPresence {
    fn size(&self, room: &str) -> Result<u32, RoomsUnavailable> {
        let inner = &self.inner;
        let others = inner.others()?;
        let own = lock(&inner.mirror)
            .rooms
            .get(room)
            .map_or(0, |members| members.all.len());
        let mut total = own as u64;
        if !others.is_empty() {
            let mut pipe = redis::pipe();
            for other in &others {
                pipe.cmd("HLEN").arg(inner.keys.presence_all(room, other));
            }
            let counts: Vec<u64> = inner
                .conn
                .blocking(|mut manager| async move { pipe.query_async(&mut manager).await })
                .map_err(|reason| inner.failed(reason))?;
            total += counts.iter().sum::<u64>();
        }
        Ok(u32::try_from(total).unwrap_or(u32::MAX))
    }

    fn members(
        &self,
        room: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Session>, RoomsUnavailable> {
        let inner = &self.inner;
        let others = inner.others()?;
        let own_page = |from: usize, take: usize| {
            lock(&inner.mirror)
                .rooms
                .get(room)
                .map_or_else(Vec::new, |members| members.page(from, take))
        };
        if others.is_empty() {
            return Ok(own_page(offset as usize, limit as usize));
        }
        let own_len = lock(&inner.mirror)
            .rooms
            .get(room)
            .map_or(0, |members| members.signed);
        let own = read(&inner.view).own.clone();
        let before = others.iter().filter(|other| **other < own).count();
        let mut invocation = inner.members.prepare_invoke();
        for other in &others {
            invocation
                .key(inner.keys.presence_signed(room, other))
                .key(inner.keys.presence_all(room, other));
        }
        invocation.arg(offset).arg(limit).arg(before).arg(own_len);
        let (own_from, own_take, splice_at, stored): (usize, usize, usize, Vec<Vec<u8>>) = inner
            .conn
            .blocking(|mut manager| async move { invocation.invoke_async(&mut manager).await })
            .map_err(|reason| inner.failed(reason))?;
        let mut remote: Vec<Session> = stored.iter().filter_map(|bytes| decode(bytes)).collect();
        let at = splice_at.min(remote.len());
        let tail = remote.split_off(at);
        remote.extend(own_page(own_from, own_take));
        remote.extend(tail);
        Ok(remote)
    }
}

impl Inner {
    pub(super) fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The other incarnations a query must count, or why the answer would be incomplete.
    fn others(&self) -> Result<Vec<String>, RoomsUnavailable> {
        if !self.healthy.load(Ordering::Relaxed) {
            self.failures.fetch_add(1, Ordering::Relaxed);
            return Err(RoomsUnavailable(
                "redis: the other nodes' members are unknown (the last heartbeat failed)".into(),
            ));
        }
        if self.now_ms() < self.fail_until_ms.load(Ordering::Relaxed) {
            self.failures.fetch_add(1, Ordering::Relaxed);
            return Err(RoomsUnavailable(
                "redis: the other nodes' members are unknown (Redis failed just now)".into(),
            ));
        }
        let now = Instant::now();
        Ok(read(&self.view)
            .others
            .iter()
            .filter(|(_, deadline)| *deadline > now)
            .map(|(other, _)| other.clone())
            .collect())
    }

    /// Records a failed query: the next ones fail at once for [`RETRY_AFTER`].
    fn failed(&self, reason: String) -> RoomsUnavailable {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let retry = u64::try_from(RETRY_AFTER.as_millis()).unwrap_or(u64::MAX);
        self.fail_until_ms
            .store(self.now_ms().saturating_add(retry), Ordering::Relaxed);
        tracing::warn!(%reason, "room presence query failed");
        RoomsUnavailable(reason)
    }

    pub(super) fn ttl_ms(&self) -> u64 {
        u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)
    }
}

pub(super) fn write_view(view: &RwLock<View>) -> std::sync::RwLockWriteGuard<'_, View> {
    view.write().unwrap_or_else(PoisonError::into_inner)
}
