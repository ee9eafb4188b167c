//! The Redis kv store: values shared between nodes, exact quotas and atomic counters, and the same
//! answers as the embedded store for the same calls.

use std::sync::Arc;

use synchost::store::{Kv, KvError, KvQuota, MAX_KEY_BYTES, MAX_VALUE_BYTES, Store};
use synchost_tests::redis::RedisServer;

use crate::node::Node;

const ROOMY: KvQuota = KvQuota {
    max_keys: 100,
    max_bytes: 10_000,
};

fn embedded() -> (tempfile::TempDir, synchost::store::KvStore) {
    let dir = tempfile::tempdir().unwrap();
    let kv = Store::open(&dir.path().join("kv.redb")).unwrap().kv();
    (dir, kv)
}

#[test]
fn two_nodes_see_each_others_values_and_namespaces_stay_apart() {
    let redis = RedisServer::start();
    let (a, b) = (Node::on(&redis), Node::on(&redis));
    a.state.kv.set("page", "k", b"one", ROOMY).unwrap();
    assert_eq!(
        b.state.kv.get("page", "k").unwrap().as_deref(),
        Some(&b"one"[..])
    );
    assert_eq!(b.state.kv.get("other", "k").unwrap(), None);
    assert_eq!(b.state.kv.incr("page", "n", 5, ROOMY).unwrap(), 5);
    assert_eq!(a.state.kv.incr("page", "n", -2, ROOMY).unwrap(), 3);
    assert!(b.state.kv.delete("page", "k").unwrap());
    assert!(!a.state.kv.delete("page", "k").unwrap());
    assert_eq!(a.state.kv.get("page", "k").unwrap(), None);
    // Another key prefix is another cluster on the same Redis.
    let c = Node::with_prefix(&redis, "other-cluster");
    assert_eq!(c.state.kv.get("page", "n").unwrap(), None);
}

/// One fixed sequence of calls; every answer, as text.
fn script(store: &dyn Kv) -> Vec<String> {
    let tight = KvQuota {
        max_keys: 2,
        max_bytes: 12,
    };
    let long_key = "x".repeat(MAX_KEY_BYTES + 1);
    let big = vec![0u8; MAX_VALUE_BYTES + 1];
    vec![
        format!("{:?}", store.set("p", "a", b"1234", tight)),
        format!("{:?}", store.set("p", "b", b"1234", tight)),
        format!("{:?}", store.set("p", "c", b"", tight)),
        format!("{:?}", store.set("p", "a", b"12345678", tight)),
        format!("{:?}", store.set("p", "a", b"x1", tight)),
        format!("{:?}", store.incr("p", "a", 1, tight)),
        format!("{:?}", store.delete("p", "b")),
        format!("{:?}", store.delete("p", "b")),
        format!("{:?}", store.incr("p", "c", 7, tight)),
        format!("{:?}", store.incr("p", "c", 200, tight)),
        format!("{:?}", store.incr("p", "c", 70_000, tight)),
        format!("{:?}", store.incr("p", "c", -70_207, tight)),
        format!("{:?}", store.set("p", "d", b"", tight)),
        format!("{:?}", store.delete("p", "a")),
        format!("{:?}", store.set("p", "d", b"", tight)),
        format!("{:?}", store.set("q", &long_key, b"", ROOMY)),
        format!("{:?}", store.get("q", &long_key)),
        format!("{:?}", store.incr("q", &long_key, 1, ROOMY)),
        format!("{:?}", store.set("q", "big", &big, ROOMY)),
        format!("{:?}", store.get("p", "a")),
        format!("{:?}", store.get("p", "c")),
        format!("{:?}", store.get("p", "d")),
    ]
}

#[test]
fn answers_and_stored_bytes_match_the_embedded_store() {
    let redis = RedisServer::start();
    let node = Node::on(&redis);
    let (_dir, local) = embedded();
    let shared = script(&*node.state.kv);
    assert_eq!(shared, script(&local));
    // The sequence exercises every answer, so a match means something.
    for expected in [
        "Err(QuotaExceeded)",
        "Err(TooLarge)",
        "Err(WrongType)",
        "Ok(true)",
        "Ok(false)",
        "Ok(70207)",
    ] {
        assert!(
            shared.iter().any(|answer| answer == expected),
            "{expected} in {shared:?}"
        );
    }
}

/// Counters at each MessagePack encoding boundary: the same value and the same (smallest) bytes as
/// the host's encoder, and overflow refused.
#[test]
fn counters_cross_every_encoding_boundary_like_the_embedded_store() {
    let redis = RedisServer::start();
    let node = Node::on(&redis);
    let (_dir, local) = embedded();
    let edges: Vec<i64> = [
        0,
        127,
        128,
        255,
        256,
        65_535,
        65_536,
        4_294_967_295,
        4_294_967_296,
    ]
    .into_iter()
    .flat_map(|edge: i64| [edge, -edge])
    .chain([
        -32,
        -33,
        -128,
        -129,
        -32_768,
        -32_769,
        -2_147_483_648,
        -2_147_483_649,
    ])
    .chain([
        i64::MAX,
        i64::MIN,
        i64::MAX - 1,
        i64::MIN + 1,
        1 << 53,
        (1 << 53) + 1,
    ])
    .collect();
    for (n, edge) in edges.iter().enumerate() {
        let key = format!("k{n}");
        for delta in [*edge, 1, -1, -1, 1] {
            let shared = node.state.kv.incr("c", &key, delta, ROOMY);
            assert_eq!(
                shared,
                local.incr("c", &key, delta, ROOMY),
                "{edge} + {delta}"
            );
            assert_eq!(
                node.state.kv.get("c", &key).unwrap(),
                local.get("c", &key).unwrap(),
                "bytes of {edge} + {delta}"
            );
        }
    }
    node.state
        .kv
        .set("c", "max", &rmp_serde::to_vec(&i64::MAX).unwrap(), ROOMY)
        .unwrap();
    assert_eq!(
        node.state.kv.incr("c", "max", 1, ROOMY),
        Err(KvError::Storage("counter overflow".into()))
    );
    node.state
        .kv
        .set("c", "min", &rmp_serde::to_vec(&i64::MIN).unwrap(), ROOMY)
        .unwrap();
    assert_eq!(
        node.state.kv.incr("c", "min", -1, ROOMY),
        Err(KvError::Storage("counter overflow".into()))
    );
    // Larger encodings than needed are still counters; floats, u64 above i64::MAX, trailing bytes
    // and empty values are not.
    let odd: [&[u8]; 7] = [
        &[0xd3, 0, 0, 0, 0, 0, 0, 0, 5],
        &[0xd0, 0xfb],
        &[0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0],
        &[0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0],
        &[0x01, 0x02],
        &[],
        b"\xa1a",
    ];
    for (n, value) in odd.iter().enumerate() {
        let key = format!("odd{n}");
        node.state.kv.set("c", &key, value, ROOMY).unwrap();
        local.set("c", &key, value, ROOMY).unwrap();
        let shared = node.state.kv.incr("c", &key, 1, ROOMY);
        assert_eq!(shared, local.incr("c", &key, 1, ROOMY), "{value:02x?}");
        assert_eq!(
            node.state.kv.get("c", &key).unwrap(),
            local.get("c", &key).unwrap()
        );
    }
    assert_eq!(node.state.kv.incr("c", "odd0", 0, ROOMY), Ok(6));
    assert_eq!(
        node.state.kv.incr("c", "odd2", 1, ROOMY),
        Err(KvError::WrongType)
    );
}

#[test]
fn concurrent_increments_from_two_nodes_add_up_exactly() {
    let redis = RedisServer::start();
    let nodes = [Node::on(&redis), Node::on(&redis)];
    const THREADS: usize = 4;
    const EACH: i64 = 250;
    std::thread::scope(|scope| {
        for node in &nodes {
            for _ in 0..THREADS {
                let kv = Arc::clone(&node.state.kv);
                scope.spawn(move || {
                    for _ in 0..EACH {
                        kv.incr("page", "hits", 1, ROOMY).unwrap();
                    }
                });
            }
        }
    });
    let total = (nodes.len() * THREADS) as i64 * EACH;
    assert_eq!(nodes[1].state.kv.incr("page", "hits", 0, ROOMY), Ok(total));
}

#[test]
fn a_quota_is_exact_when_two_nodes_fill_it_at_once() {
    let redis = RedisServer::start();
    let nodes = [Node::on(&redis), Node::on(&redis)];
    let quota = KvQuota {
        max_keys: 37,
        max_bytes: 1_000_000,
    };
    let stored = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for (n, node) in nodes.iter().enumerate() {
            for t in 0..4 {
                let (kv, stored) = (Arc::clone(&node.state.kv), &stored);
                scope.spawn(move || {
                    for i in 0..20 {
                        match kv.set("page", &format!("{n}-{t}-{i:02}"), b"v", quota) {
                            Ok(()) => {
                                stored.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            Err(error) => assert_eq!(error, KvError::QuotaExceeded),
                        }
                    }
                });
            }
        }
    });
    assert_eq!(stored.into_inner(), 37);
    // The usage in Redis is exact: 37 keys of 5 (key) + 1 (value) bytes each.
    // The usage in Redis is exact: 37 keys of 6 (key) + 1 (value) bytes each.
    assert_eq!(redis.command("HGET synchost:kv:{page}:usage keys"), "37");
    assert_eq!(redis.command("HGET synchost:kv:{page}:usage bytes"), "259");
    // Deleting every key removes the usage too.
    for n in 0..2 {
        for t in 0..4 {
            for i in 0..20 {
                nodes[0]
                    .state
                    .kv
                    .delete("page", &format!("{n}-{t}-{i:02}"))
                    .unwrap();
            }
        }
    }
    assert_eq!(redis.command("EXISTS synchost:kv:{page}:usage"), ":0");
}
