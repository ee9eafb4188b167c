//! The writer of a node's presence: one task per node that writes the mirror's changes to Redis in
//! order, pipelined, and beats every third of `presence_ttl_ms`. A beat drops members whose socket
//! is gone, renews this node's incarnation (or registers a new one when it had expired, then writes
//! the whole mirror under it), reads which other incarnations are live, and removes the keys of a
//! few expired ones. Every Redis call is bounded by `timeout_ms`; a failure never stops the task.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::presence_mirror::{Change, encode};
use super::redis_presence::{Inner, incarnation, lock, read, write_view};

/// A room's members as written: socket id, encoded session.
type Encoded = Vec<(String, Vec<u8>)>;

/// Changes (or rooms) per pipelined round trip.
const CHUNK: usize = 512;
/// Expired incarnations whose keys one beat removes.
const CLEANUPS_PER_BEAT: usize = 4;

impl Inner {
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
    pub(super) async fn register(&self) -> Result<(), String> {
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
        let rooms: Vec<(String, Encoded)> = {
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
        self.remove(expired, false).await
    }

    /// Deletes an incarnation's keys and then its entry in `presence:nodes`: always when it is this
    /// node's own (`own`, leaving), only if still expired otherwise.
    async fn remove(&self, expired: &str, own: bool) -> Result<(), String> {
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
        if own {
            let mut zrem = redis::cmd("ZREM");
            zrem.arg(self.keys.presence_nodes()).arg(expired);
            timeout(budget, zrem.query_async::<i64>(&mut manager)).await?;
            return Ok(());
        }
        let mut invocation = self.forget.prepare_invoke();
        invocation.key(self.keys.presence_nodes()).arg(expired);
        timeout(budget, invocation.invoke_async::<i64>(&mut manager)).await?;
        tracing::info!(incarnation = %expired, rooms = rooms.len(), "expired presence removed");
        Ok(())
    }
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
pub(super) async fn write_and_beat(inner: Arc<Inner>) {
    let interval = (inner.ttl / 3).max(Duration::from_millis(10));
    let mut next_beat = tokio::time::Instant::now() + interval;
    let mut rewrite = false;
    loop {
        tokio::select! {
            () = inner.wake.notified() => {}
            () = tokio::time::sleep_until(next_beat) => {}
        }
        if inner.leaving.load(Ordering::SeqCst) {
            // The writer removes the keys itself, so no write of its own can land after them.
            let own = read(&inner.view).own.clone();
            match inner.remove(&own, true).await {
                Ok(()) => tracing::info!(incarnation = %own, "left the cluster's presence"),
                Err(error) => {
                    tracing::warn!(%error, "presence not removed; it expires with presence_ttl_ms")
                }
            }
            inner.has_left.store(true, Ordering::SeqCst);
            inner.left.notify_waiters();
            return;
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
