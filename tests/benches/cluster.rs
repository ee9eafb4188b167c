//! Round trips of the cluster's shared state on loopback: a kv `incr`, a rate check and the room
//! presence queries (`rooms.size`, a `rooms.members` page of 100, on a room of 1,000 spread over two
//! nodes) against a real `redis-server`, each called 10,000 times from one plain thread (as a plugin
//! worker calls them), with a PING through the same connection as the floor. Prints the median and
//! p99 in µs.
//!
//! `cargo bench -p synchost-tests --bench cluster`
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use std::sync::Arc;
use std::time::Duration;

use synchost::cluster::{RedisPresence, connect};
use synchost::config::ClusterSection;
use synchost::plugin::{RoomDirectory, Session};
use synchost::store::{Kv, KvQuota};
use synchost::sync::Presence;
use synchost::sync::{Identity, RateWindows};
use synchost_tests::redis::RedisServer;

const CALLS: usize = 10_000;

fn report(name: &str, mut micros: Vec<f64>) {
    micros.sort_by(f64::total_cmp);
    let median = micros[micros.len() / 2];
    let p99 = micros[micros.len() * 99 / 100];
    println!("{name:<10} median {median:>8.1} µs   p99 {p99:>8.1} µs   ({CALLS} calls)");
}

fn time(mut call: impl FnMut(usize)) -> Vec<f64> {
    (0..CALLS)
        .map(|n| {
            let started = Instant::now();
            call(n);
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect()
}

fn main() {
    let redis = RedisServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let section = ClusterSection {
        redis_url: Some(redis.url()),
        ..ClusterSection::default()
    };
    let state = runtime.block_on(connect(&section)).unwrap();
    let quota = KvQuota {
        max_keys: 100,
        max_bytes: 10_000,
    };
    let limit = u32::MAX;
    // Warm up: scripts loaded, connection established.
    state.kv.incr("page", "n", 1, quota).unwrap();
    state
        .rates
        .check("a/b/v1", Identity::User("u".into()), limit)
        .unwrap();
    report(
        "ping",
        time(|_| {
            state
                .conn
                .blocking(|mut manager| async move {
                    redis::cmd("PING").query_async::<String>(&mut manager).await
                })
                .unwrap();
        }),
    );
    report(
        "kv incr",
        time(|_| {
            state.kv.incr("page", "n", 1, quota).unwrap();
        }),
    );
    report(
        "rate check",
        time(|n| {
            let user = Identity::User(format!("u{}", n % 100));
            state.rates.check("a/b/v1", user, limit).unwrap();
        }),
    );
    assert_eq!(state.rates.fallbacks(), 0);

    let ttl = Duration::from_secs(10);
    let start = |node: &'static str| {
        let shared = runtime.block_on(connect(&section)).unwrap();
        runtime
            .block_on(RedisPresence::start(
                shared.conn,
                "synchost",
                node,
                ttl,
                None,
            ))
            .unwrap()
    };
    let (a, b) = (start("a"), start("b"));
    for n in 0..1000 {
        let node = if n % 2 == 0 { &a } else { &b };
        let session = (n % 4 < 2).then(|| Arc::new(member(n)));
        node.joined(&format!("s{n:04}"), "room", session.as_ref());
    }
    // Until a's next heartbeat it may not know b yet.
    let waited = Instant::now();
    while a.size("room") != Ok(1000) {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "b never counted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    report(
        "rooms.size",
        time(|_| {
            assert_eq!(a.size("room"), Ok(1000));
        }),
    );
    report(
        "members100",
        time(|n| {
            let offset = u32::try_from(n % 5 * 100).unwrap();
            assert_eq!(a.members("room", offset, 100).unwrap().len(), 100);
        }),
    );
    assert_eq!(a.failures(), 0);
}

fn member(n: usize) -> Session {
    Session {
        id: format!("user-{n}"),
        name: Some(format!("User {n}")),
        email: None,
        language: Some("en".into()),
        admin: false,
        roles: vec!["member".into()],
        extra: Vec::new(),
    }
}
