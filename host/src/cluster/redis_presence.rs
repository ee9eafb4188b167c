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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use redis::Script;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::ClusterError;
use super::keys::Keys;
use super::redis_conn::RedisConn;
use super::redis_rates::RETRY_AFTER;
use crate::plugin::{RoomDirectory, RoomsUnavailable, Session};
use crate::sync::Presence;

/// Most membership changes waiting for the writer; past it they are dropped and the whole mirror
/// is written again instead.
const MAX_PENDING: usize = 65_536;
/// Changes (or rooms) per pipelined round trip.
const CHUNK: usize = 512;
/// Expired incarnations whose keys one beat removes.
const CLEANUPS_PER_BEAT: usize = 4;

/// Whether a socket id still belongs to a connected socket of this node (the writer drops members
/// the pipeline could not report leaving, e.g. a socket that left while it connected).
pub type Alive = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// KEYS[1]: `presence:nodes`. ARGV[1]: the incarnation, ARGV[2]: the TTL in ms, ARGV[3]: `beat`
/// (renew, only if not expired) or `register`. Returns `{0}` when a beat found its incarnation
/// expired or gone, otherwise `{1, now, live (incarnation, deadline, ...), expired (up to 16)}`.
const HEARTBEAT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[3] == 'beat' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if not score or tonumber(score) < now then return {0} end
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local live = redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf', 'WITHSCORES')
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, 16)
return {1, now, live, expired}
";

/// KEYS[1]: `presence:nodes`; ARGV[1]: an incarnation. Forgets it if it is (still) expired.
const FORGET: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) < now then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
";

/// KEYS[1], KEYS[2]: one incarnation's `all` hash and `signed` set for a room. ARGV: socket,
/// session, socket, session, ... (an empty session is an anonymous member). Replaces both at once.
const REPLACE: &str = r"
redis.call('DEL', KEYS[1], KEYS[2])
for i = 1, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if ARGV[i + 1] ~= '' then redis.call('ZADD', KEYS[2], 0, ARGV[i]) end
end
return 0
";

/// KEYS: (signed set, all hash) of each other live incarnation, in incarnation order. ARGV[1]:
/// offset, ARGV[2]: limit, ARGV[3]: how many of those incarnations sort before this node's,
/// ARGV[4]: this node's signed-in members in the room. Returns `{own_from, own_take, splice_at,
/// {session, ...}}`: this node's page part is its members `own_from ..+ own_take`, inserted before
/// the `splice_at`-th session.
const MEMBERS: &str = r"
local offset, need = tonumber(ARGV[1]), tonumber(ARGV[2])
local own_at, own_len = tonumber(ARGV[3]), tonumber(ARGV[4])
local out, own_from, own_take, splice_at = {}, 0, 0, 0
local n = #KEYS / 2
for i = 0, n do
  if i == own_at and need > 0 then
    if offset >= own_len then
      offset = offset - own_len
    else
      own_from, own_take, splice_at = offset, math.min(own_len - offset, need), #out
      need, offset = need - own_take, 0
    end
  end
  if i < n and need > 0 then
    local signed, all = KEYS[2 * i + 1], KEYS[2 * i + 2]
    local count = redis.call('ZCARD', signed)
    if offset >= count then
      offset = offset - count
    else
      local ids = redis.call('ZRANGE', signed, offset, offset + need - 1)
      offset = 0
      if #ids > 0 then
        for _, session in ipairs(redis.call('HMGET', all, unpack(ids))) do
          if session then
            out[#out + 1] = session
            need = need - 1
          end
        end
      end
    end
  end
end
return {own_from, own_take, splice_at, out}
";

/// A member's session as stored in Redis (named MessagePack, so fields can be added).
#[derive(Serialize, Deserialize)]
struct StoredSession {
    id: String,
    name: Option<String>,
    email: Option<String>,
    language: Option<String>,
    admin: bool,
    roles: Vec<String>,
    #[serde(with = "serde_bytes")]
    extra: Vec<u8>,
}

fn encode(session: Option<&Arc<Session>>) -> Vec<u8> {
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

fn decode(bytes: &[u8]) -> Option<Session> {
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
struct RoomMembers {
    all: BTreeMap<String, Option<Arc<Session>>>,
    signed: usize,
}

impl RoomMembers {
    fn page(&self, offset: usize, limit: usize) -> Vec<Session> {
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
enum Change {
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
struct Mirror {
    rooms: HashMap<String, RoomMembers>,
    sockets: HashMap<String, HashSet<String>>,
    pending: Vec<Change>,
    overflowed: bool,
}

impl Mirror {
    fn join(&mut self, socket: &str, room: &str, session: Option<&Arc<Session>>) {
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

    fn leave(&mut self, socket: &str, room: &str) {
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

    fn disconnect(&mut self, socket: &str) {
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

/// Which incarnations count, as the last beat saw them.
struct View {
    own: String,
    /// The other live incarnations, sorted, each with when its deadline passes on this clock.
    others: Vec<(String, Instant)>,
}

struct Inner {
    conn: RedisConn,
    keys: Keys,
    node: String,
    ttl: Duration,
    alive: Option<Alive>,
    heartbeat: Script,
    forget: Script,
    replace: Script,
    members: Script,
    mirror: Mutex<Mirror>,
    wake: Notify,
    view: RwLock<View>,
    /// Whether the last beat reached Redis.
    healthy: AtomicBool,
    started: Instant,
    /// Until when (ms since `started`) queries fail without asking Redis.
    fail_until_ms: AtomicU64,
    failures: AtomicU64,
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

    /// How many room queries failed because Redis did not answer (or had not at the last beat).
    pub fn failures(&self) -> u64 {
        self.inner.failures.load(Ordering::Relaxed)
    }

    /// This node's current incarnation (what its keys are named after).
    pub fn incarnation(&self) -> String {
        read(&self.inner.view).own.clone()
    }
}

fn incarnation(node: &str) -> String {
    format!("{node}#{:08x}", rand::random::<u32>())
}

fn lock(mirror: &Mutex<Mirror>) -> MutexGuard<'_, Mirror> {
    mirror.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read(view: &RwLock<View>) -> std::sync::RwLockReadGuard<'_, View> {
    view.read().unwrap_or_else(PoisonError::into_inner)
}

impl Presence for RedisPresence {
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
    fn now_ms(&self) -> u64 {
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

    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// Runs the heartbeat script for the current incarnation; `Ok(false)` when it had expired.
    async fn beat_once(&self, mode: &str) -> Result<bool, String> {
        let own = read(&self.view).own.clone();
        let mut invocation = self.heartbeat.prepare_invoke();
        invocation
            .key(self.keys.presence_nodes())
            .arg(&own)
            .arg(self.ttl_ms())
            .arg(mode);
        let mut manager = self.conn.manager();
        let asked = Instant::now();
        let reply: redis::Value =
            timeout(self.conn.budget(), invocation.invoke_async(&mut manager)).await?;
        let Some(beat) = Beat::parse(reply) else {
            return Ok(false);
        };
        let mut others: Vec<(String, Instant)> = beat
            .live
            .into_iter()
            .filter(|(other, _)| *other != own)
            .map(|(other, deadline)| {
                let left = Duration::from_millis(u64::try_from(deadline - beat.now).unwrap_or(0));
                (other, asked + left)
            })
            .collect();
        // Redis lists them by deadline; pages need one order on every node.
        others.sort();
        write_view(&self.view).others = others;
        self.healthy.store(true, Ordering::Relaxed);
        for expired in beat.expired.iter().take(CLEANUPS_PER_BEAT) {
            if *expired != own
                && let Err(error) = self.clean(expired).await
            {
                tracing::debug!(%error, incarnation = %expired, "expired presence not removed yet");
            }
        }
        Ok(true)
    }

    /// Registers the current incarnation.
    async fn register(&self) -> Result<(), String> {
        self.beat_once("register").await.map(|_| ())
    }

    /// One beat: drops members whose socket is gone, renews the incarnation (a new one if it had
    /// expired) and, if needed, writes the whole mirror again.
    async fn beat(&self, rewrite: &mut bool) {
        self.sweep();
        match self.beat_once("beat").await {
            Ok(true) => {}
            Ok(false) => {
                let old = {
                    let mut view = write_view(&self.view);
                    std::mem::replace(&mut view.own, incarnation(&self.node))
                };
                tracing::warn!(incarnation = %old, "presence expired; registering again");
                *rewrite = true;
                if let Err(error) = self.register().await {
                    self.unhealthy(&error);
                    return;
                }
            }
            Err(error) => {
                self.unhealthy(&error);
                return;
            }
        }
        if *rewrite {
            match self.rewrite().await {
                Ok(()) => *rewrite = false,
                Err(error) => tracing::warn!(%error, "presence not written again yet"),
            }
        }
    }

    fn unhealthy(&self, error: &str) {
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(%error, "presence heartbeat failed; room queries fail until Redis answers");
        }
    }

    /// Forgets members whose socket is no longer connected here.
    fn sweep(&self) {
        let Some(alive) = &self.alive else {
            return;
        };
        let sockets: Vec<String> = lock(&self.mirror).sockets.keys().cloned().collect();
        let gone: Vec<String> = sockets
            .into_iter()
            .filter(|socket| !alive(socket))
            .collect();
        if !gone.is_empty() {
            let mut mirror = lock(&self.mirror);
            for socket in &gone {
                mirror.disconnect(socket);
            }
        }
    }

    /// Writes the pending changes, in order.
    async fn flush(&self) -> Result<(), String> {
        let (changes, overflowed) = {
            let mut mirror = lock(&self.mirror);
            let changes = std::mem::take(&mut mirror.pending);
            (changes, std::mem::take(&mut mirror.overflowed))
        };
        if overflowed {
            return Err("too many changes waiting".into());
        }
        let own = read(&self.view).own.clone();
        let index = self.keys.presence_rooms(&own);
        for chunk in changes.chunks(CHUNK) {
            let mut pipe = redis::pipe();
            for change in chunk {
                match change {
                    Change::Join {
                        socket,
                        room,
                        session,
                        first,
                    } => {
                        if *first {
                            pipe.cmd("SADD").arg(&index).arg(room).ignore();
                        }
                        pipe.cmd("HSET")
                            .arg(self.keys.presence_all(room, &own))
                            .arg(socket)
                            .arg(session)
                            .ignore();
                        if !session.is_empty() {
                            pipe.cmd("ZADD")
                                .arg(self.keys.presence_signed(room, &own))
                                .arg(0)
                                .arg(socket)
                                .ignore();
                        }
                    }
                    Change::Leave {
                        socket,
                        room,
                        signed,
                        last,
                    } => {
                        if *signed {
                            pipe.cmd("ZREM")
                                .arg(self.keys.presence_signed(room, &own))
                                .arg(socket)
                                .ignore();
                        }
                        pipe.cmd("HDEL")
                            .arg(self.keys.presence_all(room, &own))
                            .arg(socket)
                            .ignore();
                        if *last {
                            pipe.cmd("SREM").arg(&index).arg(room).ignore();
                        }
                    }
                }
            }
            let mut manager = self.conn.manager();
            timeout(self.conn.budget(), pipe.query_async::<()>(&mut manager)).await?;
        }
        Ok(())
    }

    /// Drops the pending changes: a rewrite of the whole mirror follows.
    fn drop_pending(&self) {
        let mut mirror = lock(&self.mirror);
        mirror.pending = Vec::new();
        mirror.overflowed = false;
    }

    /// Replaces everything Redis holds for the current incarnation with the mirror.
    async fn rewrite(&self) -> Result<(), String> {
        let rooms: Vec<(String, Vec<(String, Vec<u8>)>)> = {
            let mut mirror = lock(&self.mirror);
            mirror.pending = Vec::new();
            mirror.overflowed = false;
            mirror
                .rooms
                .iter()
                .map(|(room, members)| {
                    let members = members
                        .all
                        .iter()
                        .map(|(socket, session)| (socket.clone(), encode(session.as_ref())))
                        .collect();
                    (room.clone(), members)
                })
                .collect()
        };
        let own = read(&self.view).own.clone();
        let index = self.keys.presence_rooms(&own);
        let mut manager = self.conn.manager();
        let budget = self.conn.budget();
        let before: Vec<String> = timeout(
            budget,
            redis::cmd("SMEMBERS").arg(&index).query_async(&mut manager),
        )
        .await?;
        let current: HashSet<&str> = rooms.iter().map(|(room, _)| room.as_str()).collect();
        for chunk in rooms.chunks(CHUNK) {
            let mut pipe = redis::pipe();
            pipe.load_script(&self.replace).ignore();
            for (room, members) in chunk {
                let mut invocation = self.replace.prepare_invoke();
                invocation
                    .key(self.keys.presence_all(room, &own))
                    .key(self.keys.presence_signed(room, &own));
                for (socket, session) in members {
                    invocation.arg(socket).arg(session);
                }
                pipe.invoke_script(&invocation).ignore();
            }
            timeout(budget, pipe.query_async::<()>(&mut manager)).await?;
        }
        let stale: Vec<&String> = before
            .iter()
            .filter(|room| !current.contains(room.as_str()))
            .collect();
        for chunk in stale.chunks(CHUNK) {
            let mut pipe = redis::pipe();
            for room in chunk {
                pipe.cmd("DEL")
                    .arg(self.keys.presence_all(room, &own))
                    .arg(self.keys.presence_signed(room, &own))
                    .ignore();
            }
            timeout(budget, pipe.query_async::<()>(&mut manager)).await?;
        }
        let mut pipe = redis::pipe();
        pipe.atomic().cmd("DEL").arg(&index).ignore();
        if !current.is_empty() {
            pipe.cmd("SADD")
                .arg(&index)
                .arg(current.iter().collect::<Vec<_>>())
                .ignore();
        }
        timeout(budget, pipe.query_async::<()>(&mut manager)).await?;
        tracing::info!(incarnation = %own, rooms = rooms.len(), "presence written again");
        Ok(())
    }

    /// Removes an expired incarnation's keys, then the incarnation (if it is still expired).
    async fn clean(&self, expired: &str) -> Result<(), String> {
        let index = self.keys.presence_rooms(expired);
        let mut manager = self.conn.manager();
        let budget = self.conn.budget();
        let rooms: Vec<String> = timeout(
            budget,
            redis::cmd("SMEMBERS").arg(&index).query_async(&mut manager),
        )
        .await?;
        for chunk in rooms.chunks(CHUNK) {
            let mut pipe = redis::pipe();
            for room in chunk {
                pipe.cmd("DEL")
                    .arg(self.keys.presence_all(room, expired))
                    .arg(self.keys.presence_signed(room, expired))
                    .ignore();
            }
            timeout(budget, pipe.query_async::<()>(&mut manager)).await?;
        }
        timeout(
            budget,
            redis::cmd("DEL")
                .arg(&index)
                .query_async::<()>(&mut manager),
        )
        .await?;
        let mut invocation = self.forget.prepare_invoke();
        invocation.key(self.keys.presence_nodes()).arg(expired);
        timeout(budget, invocation.invoke_async::<i64>(&mut manager)).await?;
        tracing::info!(incarnation = %expired, rooms = rooms.len(), "expired presence removed");
        Ok(())
    }
}

fn write_view(view: &RwLock<View>) -> std::sync::RwLockWriteGuard<'_, View> {
    view.write().unwrap_or_else(PoisonError::into_inner)
}

async fn timeout<T>(
    budget: Duration,
    call: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, String> {
    match tokio::time::timeout(budget, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(format!("redis: {error}")),
        Err(_) => Err(format!("redis: no answer within {} ms", budget.as_millis())),
    }
}

/// What a successful heartbeat saw.
struct Beat {
    now: i64,
    live: Vec<(String, i64)>,
    expired: Vec<String>,
}

impl Beat {
    /// `None` for `{0}` (expired) or a reply of another shape.
    fn parse(reply: redis::Value) -> Option<Self> {
        let redis::Value::Array(parts) = reply else {
            return None;
        };
        let mut parts = parts.into_iter();
        if redis::from_redis_value::<i64>(parts.next()?).ok()? != 1 {
            return None;
        }
        let now: i64 = redis::from_redis_value(parts.next()?).ok()?;
        let flat: Vec<String> = redis::from_redis_value(parts.next()?).ok()?;
        let expired: Vec<String> = redis::from_redis_value(parts.next()?).ok()?;
        let live = flat
            .chunks_exact(2)
            .filter_map(|pair| {
                let deadline = pair[1].parse::<f64>().ok()?;
                Some((pair[0].clone(), deadline as i64))
            })
            .collect();
        Some(Self { now, live, expired })
    }
}

/// The node's writer: changes as they come, a beat every third of the TTL.
async fn write_and_beat(inner: Arc<Inner>) {
    let interval = (inner.ttl / 3).max(Duration::from_millis(10));
    let mut next_beat = tokio::time::Instant::now() + interval;
    let mut rewrite = false;
    loop {
        tokio::select! {
            () = inner.wake.notified() => {}
            () = tokio::time::sleep_until(next_beat) => {}
        }
        if tokio::time::Instant::now() >= next_beat {
            next_beat = tokio::time::Instant::now() + interval;
            inner.beat(&mut rewrite).await;
        }
        if rewrite {
            inner.drop_pending();
        } else if let Err(error) = inner.flush().await {
            tracing::warn!(%error, "presence changes not written; the whole presence is written again at the next beat");
            rewrite = true;
        }
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
