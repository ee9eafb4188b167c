//! Redis going away and coming back: calls fail with `Storage` (rate checks fall back to the node's
//! own windows) while it is down, and the same instances work again once it is back, without
//! rebuilding anything.

use std::time::{Duration, Instant};

use synchost::cluster::RETRY_AFTER;
use synchost::store::{Kv, KvError, KvQuota, RoomMemory};
use synchost::sync::{Identity, RateWindows};
use synchost_tests::redis::RedisServer;

use crate::node::Node;

const ROOMY: KvQuota = KvQuota {
    max_keys: 100,
    max_bytes: 10_000,
};
/// Only a guard against hanging: reconnecting takes about a second.
const BACK_WITHIN: Duration = Duration::from_secs(30);

/// Retries `call` until it succeeds, within [`BACK_WITHIN`].
fn eventually<T, E: std::fmt::Debug>(mut call: impl FnMut() -> Result<T, E>) -> T {
    let deadline = Instant::now() + BACK_WITHIN;
    loop {
        match call() {
            Ok(value) => return value,
            Err(error) if Instant::now() > deadline => panic!("still failing: {error:?}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

#[test]
fn calls_fail_with_storage_while_redis_is_down_and_work_again_after_it_is_back() {
    let mut redis = RedisServer::start();
    let node = Node::on(&redis);
    let kv = &*node.state.kv;
    let memory = &*node.state.memory;
    assert_eq!(kv.incr("page", "n", 1, ROOMY), Ok(1));
    assert!(memory.join("u", "a", 4).unwrap());

    redis.stop();
    let started = Instant::now();
    assert!(matches!(kv.get("page", "n"), Err(KvError::Storage(_))));
    assert!(matches!(
        kv.incr("page", "n", 1, ROOMY),
        Err(KvError::Storage(_))
    ));
    assert!(matches!(
        kv.set("page", "k", b"v", ROOMY),
        Err(KvError::Storage(_))
    ));
    assert!(matches!(kv.delete("page", "k"), Err(KvError::Storage(_))));
    assert!(matches!(memory.rooms("u"), Err(KvError::Storage(_))));
    assert!(matches!(
        memory.contains("u", "a"),
        Err(KvError::Storage(_))
    ));
    assert!(matches!(memory.join("u", "b", 4), Err(KvError::Storage(_))));
    assert!(matches!(memory.leave("u", "a"), Err(KvError::Storage(_))));
    // Each call gives up within its budget (1 s by default): eight calls, generously bounded.
    assert!(
        started.elapsed() < Duration::from_secs(8 * 5),
        "{:?}",
        started.elapsed()
    );

    // The restarted Redis kept nothing (no persistence) and has no scripts loaded: the scripts are
    // sent again by themselves.
    redis.restart();
    assert_eq!(eventually(|| kv.incr("page", "n", 1, ROOMY)), 1);
    assert_eq!(kv.get("page", "n").unwrap(), Some(vec![1]));
    assert!(memory.join("u", "b", 4).unwrap());
    assert_eq!(memory.rooms("u").unwrap(), ["b"]);
}

#[test]
fn rate_checks_use_the_node_s_own_windows_while_redis_is_down() {
    let mut redis = RedisServer::start();
    let node = Node::on(&redis);
    let rates = &*node.state.rates;
    let user = || Identity::User("u".into());
    assert_eq!(rates.check("r", user(), 2), Ok(()));

    redis.stop();
    // Neither open nor closed: this node's own window (which has not counted the first check)
    // grants the limit once, then refuses.
    assert_eq!(rates.check("r", user(), 2), Ok(()));
    assert_eq!(rates.check("r", user(), 2), Ok(()));
    assert!(rates.check("r", user(), 2).is_err());
    assert_eq!(rates.fallbacks(), 3);

    redis.restart();
    std::thread::sleep(RETRY_AFTER);
    // Back on the shared window: the restarted Redis starts a new one.
    eventually(|| {
        let _ = rates.check("back", user(), 5);
        match redis.command("GET synchost:rate:back:u:u").as_str() {
            "(nil)" => Err("not counted in Redis yet"),
            _ => Ok(()),
        }
    });
}

/// Longer than the connection's reconnection attempts last (about four seconds): the next call after
/// they gave up starts new ones by itself.
#[test]
fn a_long_outage_ends_without_rebuilding_anything() {
    let mut redis = RedisServer::start();
    let node = Node::on(&redis);
    let kv = &*node.state.kv;
    assert_eq!(kv.incr("page", "n", 1, ROOMY), Ok(1));
    redis.stop();
    let down = Instant::now();
    while down.elapsed() < Duration::from_secs(6) {
        assert!(matches!(kv.get("page", "n"), Err(KvError::Storage(_))));
        std::thread::sleep(Duration::from_millis(200));
    }
    redis.restart();
    assert_eq!(eventually(|| kv.incr("page", "n", 1, ROOMY)), 1);
}
