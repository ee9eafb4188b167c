//! Round trips of the cluster's shared state on loopback: a kv `incr` and a rate check against a real
//! `redis-server`, each called 10,000 times from one plain thread (as a plugin worker calls them),
//! with a PING through the same connection as the floor. Prints the median and p99 in µs.
//!
//! `cargo bench -p synchost-tests --bench cluster`
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use synchost::cluster::connect;
use synchost::config::ClusterSection;
use synchost::store::{Kv, KvQuota};
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
}
