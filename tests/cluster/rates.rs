//! Rate windows in Redis: one window per (route, identity) for the whole cluster, exact under
//! concurrent checks from two nodes, and callable from a tokio worker as the sync pipeline calls it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use synchost::sync::{Identity, RateWindows};
use synchost_tests::redis::RedisServer;

use crate::node::Node;

fn user(id: &str) -> Identity {
    Identity::User(id.to_owned())
}

#[test]
fn two_nodes_share_one_window() {
    let redis = RedisServer::start();
    let (a, b) = (Node::on(&redis), Node::on(&redis));
    assert_eq!(a.state.rates.check("a/b/v1", user("u"), 3), Ok(()));
    assert_eq!(b.state.rates.check("a/b/v1", user("u"), 3), Ok(()));
    assert_eq!(a.state.rates.check("a/b/v1", user("u"), 3), Ok(()));
    let Err(seconds) = b.state.rates.check("a/b/v1", user("u"), 3) else {
        panic!("the fourth check in one window passed");
    };
    assert!((1..=60).contains(&seconds), "{seconds}");
    // A refused check is not counted; other routes and identities have their own windows.
    assert_eq!(redis.command("GET synchost:rate:a/b/v1:u:u"), "3");
    assert_eq!(a.state.rates.check("a/b/v2", user("u"), 3), Ok(()));
    assert_eq!(a.state.rates.check("a/b/v1", user("v"), 3), Ok(()));
    assert_eq!(
        a.state
            .rates
            .check("a/b/v1", Identity::Address("u".into()), 3),
        Ok(())
    );
    // The window ends with the key's TTL.
    let ttl: i64 = redis.command("PTTL synchost:rate:a/b/v1:u:u")[1..]
        .parse()
        .unwrap();
    assert!((1..=60_000).contains(&ttl), "{ttl}");
    for _ in 0..10 {
        assert_eq!(a.state.rates.check("unlimited", user("u"), 0), Ok(()));
    }
    assert_eq!(a.state.rates.fallbacks() + b.state.rates.fallbacks(), 0);
}

#[test]
fn concurrent_checks_from_two_nodes_grant_the_limit_exactly_once() {
    let redis = RedisServer::start();
    let nodes = [Node::on(&redis), Node::on(&redis)];
    let granted = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for node in &nodes {
            for _ in 0..4 {
                let (rates, granted) = (Arc::clone(&node.state.rates), &granted);
                scope.spawn(move || {
                    for _ in 0..25 {
                        if rates.check("r", user("u"), 30).is_ok() {
                            granted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        }
    });
    assert_eq!(granted.into_inner(), 30);
}

/// The sync pipeline checks rates on tokio workers: the wait hands the worker's tasks away instead
/// of stalling them, and a single-threaded runtime gets an answer (the fallback), not a hang.
#[test]
fn checks_from_tokio_workers_are_answered() {
    let redis = RedisServer::start();
    let node = Node::on(&redis);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rates = Arc::clone(&node.state.rates);
    let answers = runtime.block_on(async move {
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let rates = Arc::clone(&rates);
            tasks.push(tokio::spawn(async move {
                (0..5)
                    .map(|_| rates.check("w", user("u"), 12).is_ok())
                    .filter(|ok| *ok)
                    .count()
            }));
        }
        let mut granted = 0;
        for task in tasks {
            granted += task.await.unwrap();
        }
        granted
    });
    assert_eq!(answers, 12);
    assert_eq!(node.state.rates.fallbacks(), 0);

    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rates = Arc::clone(&node.state.rates);
    assert_eq!(
        single.block_on(async move { rates.check("w", user("z"), 1) }),
        Ok(())
    );
    assert_eq!(node.state.rates.fallbacks(), 1);
}
