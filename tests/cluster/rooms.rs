//! Remembered rooms in Redis: shared between nodes, in join order, and the cap holds when two nodes
//! join at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use synchost::store::RoomMemory;
use synchost_tests::redis::RedisServer;

use crate::node::Node;

#[test]
fn a_user_s_rooms_are_remembered_in_order_within_the_cap_on_every_node() {
    let redis = RedisServer::start();
    let (a, b) = (Node::on(&redis), Node::on(&redis));
    assert!(a.state.memory.join("u", "a", 2).unwrap());
    assert!(b.state.memory.join("u", "b", 2).unwrap());
    assert!(b.state.memory.join("u", "a", 2).unwrap());
    assert!(!a.state.memory.join("u", "c", 2).unwrap());
    assert_eq!(b.state.memory.rooms("u").unwrap(), ["a", "b"]);
    assert!(a.state.memory.contains("u", "b").unwrap());
    assert!(!a.state.memory.contains("v", "b").unwrap());
    assert!(!a.state.memory.contains("u", "c").unwrap());
    b.state.memory.leave("u", "a").unwrap();
    assert!(a.state.memory.join("u", "c", 2).unwrap());
    assert_eq!(a.state.memory.rooms("u").unwrap(), ["b", "c"]);
    a.state.memory.leave("u", "b").unwrap();
    a.state.memory.leave("u", "c").unwrap();
    assert!(b.state.memory.rooms("u").unwrap().is_empty());
    assert_eq!(redis.command("EXISTS synchost:rooms:{u}"), ":0");
    assert!(!a.state.memory.join("u", "a", 0).unwrap());
}

#[test]
fn the_cap_holds_when_two_nodes_join_at_once() {
    let redis = RedisServer::start();
    let nodes = [Node::on(&redis), Node::on(&redis)];
    let joined = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for (n, node) in nodes.iter().enumerate() {
            for t in 0..4 {
                let (memory, joined) = (Arc::clone(&node.state.memory), &joined);
                scope.spawn(move || {
                    for i in 0..10 {
                        if memory.join("u", &format!("room-{n}-{t}-{i}"), 7).unwrap() {
                            joined.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        }
    });
    assert_eq!(joined.into_inner(), 7);
    assert_eq!(nodes[0].state.memory.rooms("u").unwrap().len(), 7);
}
