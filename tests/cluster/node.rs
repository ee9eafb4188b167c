//! One "node" of a cluster in a test: its own tokio runtime and its own shared-state instances,
//! connected to the test's Redis like a synchost node would be. Calls are made from plain threads,
//! as plugin workers make them.

use synchost::cluster::{SharedState, connect};
use synchost::config::ClusterSection;
use synchost_tests::redis::RedisServer;

pub struct Node {
    pub state: SharedState,
    // Dropped last: the connection's tasks run on it.
    _runtime: tokio::runtime::Runtime,
}

impl Node {
    pub fn on(redis: &RedisServer) -> Self {
        Self::with_prefix(redis, "synchost")
    }

    pub fn with_prefix(redis: &RedisServer, prefix: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let section = ClusterSection {
            redis_url: Some(redis.url()),
            key_prefix: prefix.to_owned(),
            ..ClusterSection::default()
        };
        let state = runtime.block_on(connect(&section)).unwrap();
        Self {
            state,
            _runtime: runtime,
        }
    }
}
