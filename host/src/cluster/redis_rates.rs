//! Rate windows over Redis, so N nodes together grant a (route, identity) its limit once, not N
//! times: fixed one-minute windows, like the in-memory limiter, counted by one script (read, refuse or
//! INCR, PEXPIRE on the first count) so concurrent syncs on several nodes cannot pass the limit.
//!
//! When Redis fails (or does not answer within the budget) a check neither lets everything through
//! nor refuses everything: it falls back to this node's own in-memory windows, so each node still
//! enforces the limit by itself (a user gets at most the limit once per node while Redis is away).
//! After a failure the node stays on its own windows for [`RETRY_AFTER`] before asking Redis again,
//! so an outage costs syncs one budget-long wait per interval, not each. Every check answered by the
//! fallback is counted ([`RedisRates::fallbacks`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::Script;

use super::keys::Keys;
use super::redis_conn::RedisConn;
use crate::sync::{Identity, RateLimiter, RateWindows};

/// The length of one window.
const WINDOW: Duration = Duration::from_secs(60);
/// How long a failure keeps this node on its own windows.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// KEYS[1]: the window's count; ARGV[1]: the limit, ARGV[2]: the window in ms. -1 when counted,
/// otherwise the milliseconds until the window ends (nothing counted).
const CHECK: &str = r"
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    left = tonumber(ARGV[2])
  end
  return left
end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return -1
";

/// Cluster-wide fixed windows, with this node's own windows while Redis is unavailable.
#[derive(Debug)]
pub struct RedisRates {
    conn: RedisConn,
    keys: Keys,
    check: Script,
    local: RateLimiter,
    started: Instant,
    /// Until when (ms since `started`) checks go to `local` without asking Redis.
    local_until_ms: AtomicU64,
    degraded: AtomicBool,
    fallbacks: AtomicU64,
}

impl RedisRates {
    /// The rate windows under `key_prefix` on `conn`.
    pub fn new(conn: RedisConn, key_prefix: &str) -> Self {
        Self {
            conn,
            keys: Keys::new(key_prefix),
            check: Script::new(CHECK),
            local: RateLimiter::default(),
            started: Instant::now(),
            local_until_ms: AtomicU64::new(0),
            degraded: AtomicBool::new(false),
            fallbacks: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn shared(&self, route: &str, identity: &Identity, limit: u32) -> Result<i64, String> {
        let mut invocation = self.check.prepare_invoke();
        invocation
            .key(self.keys.rate(route, identity))
            .arg(limit)
            .arg(WINDOW.as_millis() as u64);
        self.conn
            .blocking(|mut manager| async move { invocation.invoke_async(&mut manager).await })
    }
}

impl RateWindows for RedisRates {
    /// How many checks this node's own windows answered because Redis was unavailable.
    fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    fn check(&self, route: &str, identity: Identity, limit: u32) -> Result<(), u64> {
        if limit == 0 {
            return Ok(());
        }
        if self.now_ms() >= self.local_until_ms.load(Ordering::Relaxed) {
            match self.shared(route, &identity, limit) {
                Ok(left) => {
                    if self.degraded.swap(false, Ordering::Relaxed) {
                        tracing::info!("rate windows are shared through Redis again");
                    }
                    return match u64::try_from(left) {
                        Ok(millis) => Err(millis.div_ceil(1000).max(1)),
                        Err(_) => Ok(()),
                    };
                }
                Err(error) => {
                    let retry = u64::try_from(RETRY_AFTER.as_millis()).unwrap_or(u64::MAX);
                    self.local_until_ms
                        .store(self.now_ms().saturating_add(retry), Ordering::Relaxed);
                    if !self.degraded.swap(true, Ordering::Relaxed) {
                        tracing::warn!(%error, "rate windows fall back to this node's own until Redis answers");
                    }
                }
            }
        }
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
        self.local.check(route, identity, limit)
    }
}
