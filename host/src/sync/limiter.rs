//! Rate limiting of syncs: a fixed one-minute window per (route, user) — or per (route, IP address)
//! for anonymous callers — like LuckyStack's per-route requester bucket.
//!
//! [`RateWindows`] is the seam: a cluster counts windows in its shared store so N nodes do not grant N
//! times the limit. [`RateLimiter`], one node's, keeps counters in memory, sharded by key hash so concurrent syncs rarely share a lock. Expired
//! windows are swept when a shard grows, so an attacker rotating identities cannot grow memory
//! without bound. Never keyed by token: logging in again does not reset a budget.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const SHARDS: usize = 16;
const WINDOW: Duration = Duration::from_secs(60);
/// A shard sweeps expired windows when it holds more keys than this.
const SWEEP_ABOVE: usize = 4096;

/// Who is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A signed-in user, by session id.
    User(String),
    /// An anonymous caller, by IP address (or `unknown`).
    Address(String),
    /// An anonymous connection, by socket id (its joins: many anonymous peers share an address).
    Connection(String),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

/// One shard of counters: (route, identity) → its current window.
type Shard = Mutex<HashMap<(String, Identity), Window>>;

/// Fixed one-minute windows per (route, identity).
pub trait RateWindows: Send + Sync + 'static {
    /// Counts one sync of `identity` on `route`; `Err(seconds)` until the window resets when the
    /// `limit` per minute is used up. A limit of 0 never refuses.
    fn check(&self, route: &str, identity: Identity, limit: u32) -> Result<(), u64>;

    /// Checks answered by this node's own windows because the shared ones were unreachable
    /// (always 0 for windows that are this node's own).
    fn fallbacks(&self) -> u64 {
        0
    }
}

/// Fixed-window counters in this process's memory.
#[derive(Debug)]
pub struct RateLimiter {
    hasher: RandomState,
    shards: Box<[Shard]>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self {
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl RateWindows for RateLimiter {
    fn check(&self, route: &str, identity: Identity, limit: u32) -> Result<(), u64> {
        self.check_at(route, identity, limit, Instant::now())
    }
}

impl RateLimiter {
    fn check_at(
        &self,
        route: &str,
        identity: Identity,
        limit: u32,
        now: Instant,
    ) -> Result<(), u64> {
        if limit == 0 {
            return Ok(());
        }
        let key = (route.to_owned(), identity);
        let shard = &self.shards[(self.hasher.hash_one(&key) % SHARDS as u64) as usize];
        let mut windows = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, window| now.duration_since(window.started) < WINDOW);
        }
        let window = windows.entry(key).or_insert(Window {
            started: now,
            count: 0,
        });
        let elapsed = now.duration_since(window.started);
        if elapsed >= WINDOW {
            *window = Window {
                started: now,
                count: 0,
            };
        }
        if window.count >= limit {
            let left = WINDOW.saturating_sub(now.duration_since(window.started));
            return Err(left.as_millis().div_ceil(1000).max(1) as u64);
        }
        window.count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> Identity {
        Identity::User(id.to_owned())
    }

    #[test]
    fn refuses_past_the_limit_until_the_window_ends() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at("a/b/v1", user("u"), 3, start), Ok(()));
        }
        let later = start + Duration::from_millis(20_500);
        assert_eq!(limiter.check_at("a/b/v1", user("u"), 3, later), Err(40));
        // Other routes and other users have their own budgets.
        assert_eq!(limiter.check_at("a/b/v2", user("u"), 3, later), Ok(()));
        assert_eq!(limiter.check_at("a/b/v1", user("v"), 3, later), Ok(()));
        assert_eq!(
            limiter.check_at("a/b/v1", Identity::Address("u".into()), 3, later),
            Ok(())
        );
        let next = start + WINDOW;
        assert_eq!(limiter.check_at("a/b/v1", user("u"), 3, next), Ok(()));
    }

    #[test]
    fn zero_means_unlimited() {
        let limiter = RateLimiter::default();
        for _ in 0..100 {
            assert_eq!(limiter.check("r", user("u"), 0), Ok(()));
        }
    }

    #[test]
    fn expired_windows_are_swept() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        for n in 0..(SWEEP_ABOVE * SHARDS * 2) {
            let _ = limiter.check_at("r", user(&n.to_string()), 1, start);
        }
        let later = start + WINDOW;
        for n in 0..(SWEEP_ABOVE * SHARDS) {
            let _ = limiter.check_at("r", user(&format!("x{n}")), 1, later);
        }
        let total: usize = limiter
            .shards
            .iter()
            .map(|shard| shard.lock().map(|map| map.len()).unwrap_or(0))
            .sum();
        assert!(total < SWEEP_ABOVE * SHARDS * 2, "{total}");
    }
}
