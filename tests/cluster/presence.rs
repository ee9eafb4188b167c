//! Cluster-wide presence against a real Redis: what the plugins' `rooms.size` and `rooms.members`
//! answer when two nodes share one Redis. Each node reports its joins, leaves and disconnects as the
//! pipeline does and is asked from a plain thread, as a plugin worker asks. A node whose heartbeat
//! stops (its runtime dropped, like `kill -9`) stops counting after its TTL; while Redis is down a
//! query fails instead of answering with a part of the room, and counts come back with Redis.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use synchost::cluster::{Alive, RedisPresence, connect};
use synchost::config::ClusterSection;
use synchost::plugin::{RoomDirectory, Session};
use synchost::sync::Presence;
use synchost_tests::plugins::session;
use synchost_tests::redis::RedisServer;

/// Short, so a stopped node expires quickly in the test; every assertion on it still waits with
/// [`eventually`], never on the clock.
const TTL: Duration = Duration::from_millis(900);
const TIMEOUT_MS: u64 = 200;
/// Only a guard against hanging.
const GUARD: Duration = Duration::from_secs(30);

struct PresenceNode {
    presence: RedisPresence,
    // Dropped last: the connection's and the writer's tasks run on it.
    runtime: tokio::runtime::Runtime,
}

impl PresenceNode {
    fn on(redis: &RedisServer, node: &str) -> Self {
        Self::watching(redis, node, None)
    }

    /// A node that asks `alive` which of its sockets are still connected.
    fn watching(redis: &RedisServer, node: &str, alive: Option<Alive>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let section = ClusterSection {
            redis_url: Some(redis.url()),
            timeout_ms: TIMEOUT_MS,
            ..ClusterSection::default()
        };
        let presence = runtime.block_on(async {
            let shared = connect(&section).await.unwrap();
            RedisPresence::start(shared.conn, "synchost", node, TTL, alive)
                .await
                .unwrap()
        });
        Self { presence, runtime }
    }

    fn join(&self, socket: &str, room: &str, user: Option<&str>) {
        let session = user.map(|id| Arc::new(session(id)));
        self.presence.joined(socket, room, session.as_ref());
    }

    fn size(&self, room: &str) -> u32 {
        self.presence.size(room).unwrap()
    }

    fn ids(&self, room: &str, offset: u32, limit: u32) -> Vec<String> {
        ids(self.presence.members(room, offset, limit).unwrap())
    }

    /// Stops the node without telling anyone, as `kill -9` would: its writer and heartbeat stop.
    fn kill(self) {
        self.runtime.shutdown_background();
    }
}

fn ids(sessions: Vec<Session>) -> Vec<String> {
    sessions.into_iter().map(|session| session.id).collect()
}

/// Waits until `probe` holds, within [`GUARD`].
fn eventually(what: &str, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + GUARD;
    while !probe() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn size_and_members_count_both_nodes() {
    let redis = RedisServer::start();
    let (a, b) = (PresenceNode::on(&redis, "a"), PresenceNode::on(&redis, "b"));
    a.join("a1", "lobby", Some("ann"));
    a.join("a2", "lobby", None);
    a.join("a1", "lobby", Some("ann"));
    b.join("b1", "lobby", Some("bob"));
    b.join("b2", "lobby", Some("bea"));
    b.join("b3", "other", Some("bo"));
    eventually("both nodes count all four", || {
        a.size("lobby") == 4 && b.size("lobby") == 4
    });
    assert_eq!(a.size("other"), 1);
    assert_eq!(a.size("nowhere"), 0);
    // The anonymous member is counted but not listed; both nodes list in one order.
    let all = a.ids("lobby", 0, 100);
    assert_eq!(all, ["ann", "bob", "bea"]);
    assert_eq!(b.ids("lobby", 0, 100), all);
    assert_eq!(a.ids("lobby", 1, 1), ["bob"]);
    assert_eq!(b.ids("lobby", 2, 5), ["bea"]);
    assert!(a.ids("lobby", 3, 5).is_empty());
    assert_eq!(a.presence.failures() + b.presence.failures(), 0);
}

#[test]
fn pages_are_stable_and_cover_every_member_once() {
    let redis = RedisServer::start();
    let nodes = [
        PresenceNode::on(&redis, "n1"),
        PresenceNode::on(&redis, "n2"),
        PresenceNode::on(&redis, "n3"),
    ];
    let mut expected = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for i in 0..(10 + 7 * n) {
            let user = format!("u{n}-{i}");
            node.join(&format!("s{n}-{i:02}"), "big", Some(&user));
            node.join(&format!("anon{n}-{i}"), "big", None);
            expected.push(user);
        }
    }
    let total = u32::try_from(expected.len() * 2).unwrap();
    eventually("every node counts every member", || {
        nodes.iter().all(|node| node.size("big") == total)
    });
    for node in &nodes {
        let whole = node.ids("big", 0, 1000);
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let page = node.ids("big", offset, 4);
            if page.is_empty() {
                break;
            }
            offset += u32::try_from(page.len()).unwrap();
            paged.extend(page);
        }
        assert_eq!(paged, whole);
        let mut sorted = whole.clone();
        sorted.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(sorted, want);
        assert_eq!(whole, nodes[0].ids("big", 0, 1000));
    }
}

#[test]
fn a_leave_and_a_disconnect_are_seen_by_the_other_node() {
    let redis = RedisServer::start();
    let (a, b) = (PresenceNode::on(&redis, "a"), PresenceNode::on(&redis, "b"));
    a.join("a1", "r", Some("ann"));
    b.join("b1", "r", Some("bob"));
    b.join("b1", "s", Some("bob"));
    b.join("b2", "r", None);
    eventually("a counts b's members", || {
        a.size("r") == 3 && a.size("s") == 1
    });
    b.presence.left("b2", "r");
    eventually("a sees b2 leave", || a.size("r") == 2);
    b.presence.disconnected("b1");
    eventually("a sees b1 disconnect from both rooms", || {
        a.size("r") == 1 && a.size("s") == 0
    });
    assert_eq!(a.ids("r", 0, 10), ["ann"]);
    assert_eq!(b.ids("r", 0, 10), ["ann"]);
    // Nothing of b is left in Redis for rooms it has no members in.
    assert_eq!(
        redis.command(&format!(
            "EXISTS synchost:presence:{{s}}:{}:all",
            b.presence.incarnation()
        )),
        ":0"
    );
}

/// A socket can leave without its leave being reported (it left while it was connecting); the node
/// finds it gone at a beat and the others stop counting it.
#[test]
fn members_whose_socket_is_gone_are_dropped_at_the_next_beat() {
    let redis = RedisServer::start();
    let connected = Arc::new(Mutex::new(HashSet::from([
        "b1".to_owned(),
        "b2".to_owned(),
    ])));
    let alive: Alive = Arc::new({
        let connected = connected.clone();
        move |socket: &str| connected.lock().unwrap().contains(socket)
    });
    let a = PresenceNode::on(&redis, "a");
    let b = PresenceNode::watching(&redis, "b", Some(alive));
    b.join("b1", "r", Some("bob"));
    b.join("b2", "r", Some("bea"));
    eventually("a counts b's two", || a.size("r") == 2);
    connected.lock().unwrap().remove("b1");
    eventually("b1 is dropped everywhere", || {
        a.size("r") == 1 && b.size("r") == 1
    });
    assert_eq!(a.ids("r", 0, 10), ["bea"]);
}

#[test]
fn a_node_whose_heartbeat_stops_is_no_longer_counted() {
    let redis = RedisServer::start();
    let (a, b) = (PresenceNode::on(&redis, "a"), PresenceNode::on(&redis, "b"));
    a.join("a1", "r", Some("ann"));
    b.join("b1", "r", Some("bob"));
    b.join("b2", "r", None);
    eventually("a counts b", || a.size("r") == 3);
    let gone = b.presence.incarnation();
    b.kill();
    eventually("a stops counting b", || a.size("r") == 1);
    assert_eq!(a.ids("r", 0, 10), ["ann"]);
    eventually("b's keys are removed", || {
        redis.command(&format!("EXISTS synchost:presence:{{r}}:{gone}:all")) == ":0"
            && redis.command(&format!("ZSCORE synchost:presence:nodes {gone}")) == "(nil)"
    });
}

#[test]
fn queries_fail_while_redis_is_down_and_count_again_when_it_is_back() {
    let mut redis = RedisServer::start();
    let (a, b) = (PresenceNode::on(&redis, "a"), PresenceNode::on(&redis, "b"));
    a.join("a1", "r", Some("ann"));
    b.join("b1", "r", Some("bob"));
    eventually("a counts b", || a.size("r") == 2);

    redis.stop();
    // Reports never wait for Redis; queries fail (bounded by the budget) rather than answer with
    // this node's part alone.
    b.join("b2", "r", Some("bea"));
    a.presence.left("a1", "r");
    a.join("a3", "r", None);
    eventually("a's query fails", || a.presence.size("r").is_err());
    assert!(a.presence.members("r", 0, 10).is_err());
    assert!(b.presence.size("r").is_err());
    assert!(a.presence.failures() >= 2);

    // Redis comes back empty: both nodes register again and write their members again, including
    // what changed while it was away.
    redis.restart();
    eventually("both count the room again", || {
        a.presence.size("r") == Ok(3) && b.presence.size("r") == Ok(3)
    });
    assert_eq!(a.ids("r", 0, 10), b.ids("r", 0, 10));
    let mut listed = a.ids("r", 0, 10);
    listed.sort();
    assert_eq!(listed, ["bea", "bob"]);
}

/// Redis restarted empty with no change meanwhile: each node finds its incarnation gone at its next
/// beat, registers a new one and writes its members again.
#[test]
fn a_redis_that_forgot_everything_is_told_again() {
    let mut redis = RedisServer::start();
    let (a, b) = (PresenceNode::on(&redis, "a"), PresenceNode::on(&redis, "b"));
    let before = b.presence.incarnation();
    a.join("a1", "r", Some("ann"));
    b.join("b1", "r", Some("bob"));
    b.join("b2", "r", None);
    eventually("a counts b", || a.size("r") == 3);
    redis.restart();
    assert_eq!(redis.command("EXISTS synchost:presence:nodes"), ":0");
    eventually("both count everyone again", || {
        a.presence.size("r") == Ok(3) && b.presence.size("r") == Ok(3)
    });
    assert_ne!(b.presence.incarnation(), before);
    assert_eq!(a.ids("r", 0, 10), ["ann", "bob"]);
}

#[test]
fn a_node_that_leaves_removes_its_presence_at_once() {
    let redis = RedisServer::start();
    let (a, b) = (PresenceNode::on(&redis, "a"), PresenceNode::on(&redis, "b"));
    a.join("a1", "lobby", Some("ann"));
    b.join("b1", "lobby", Some("bob"));
    eventually("both nodes count both members", || {
        a.size("lobby") == 2 && b.size("lobby") == 2
    });
    let own = a.presence.incarnation();
    let nodes = format!("ZSCORE synchost:presence:nodes {own}");
    let members = format!("EXISTS synchost:presence:{{lobby}}:{own}:all");
    let rooms = format!("EXISTS synchost:presence:rooms:{{{own}}}");
    assert_ne!(redis.command(&nodes), "(nil)");
    assert_eq!(redis.command(&members), ":1");
    assert_eq!(redis.command(&rooms), ":1");
    a.runtime.block_on(async {
        tokio::time::timeout(GUARD, a.presence.leave())
            .await
            .unwrap();
    });
    // Gone when `leave` returns, not when the TTL would have let them expire.
    assert_eq!(redis.command(&nodes), "(nil)");
    assert_eq!(redis.command(&members), ":0");
    assert_eq!(redis.command(&rooms), ":0");
    // The writer stopped: a late change is not written back under the old incarnation.
    a.join("a2", "lobby", Some("amy"));
    eventually("the other node counts only its own member", || {
        b.size("lobby") == 1
    });
    assert_eq!(redis.command(&members), ":0");
}
