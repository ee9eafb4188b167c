//! The `[cluster]` section: whether this node shares rooms, syncs and state with other nodes through
//! Redis, and how it names itself there. Without `redis_url` the node is alone and behaves exactly as
//! a single node always has (embedded store, in-memory rate windows, no bus).

use serde::Deserialize;

use super::Error;

/// `[cluster]`: several nodes on one Redis.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSection {
    /// `redis://host:port/db`; unset means a single node. `rediss://` (TLS) is refused: the host is
    /// built without TLS for Redis, and a TLS URL must never quietly become a plaintext connection.
    pub redis_url: Option<String>,
    /// This node's name in the cluster, unique among the nodes; unset picks a random one at start.
    pub node_id: Option<String>,
    /// Prefix of every key and channel this cluster uses, so clusters can share one Redis.
    /// Default `synchost`.
    pub key_prefix: String,
    /// The longest a plugin's host call (kv, rooms) or a sync's shared-state check waits for Redis
    /// before failing, in milliseconds. Default 1000.
    pub timeout_ms: u64,
    /// How long a node's room members still count for the others' `rooms.size` and
    /// `rooms.members` after its last heartbeat, in milliseconds (it beats three times per period).
    /// At least twice `timeout_ms`. Default 10000.
    pub presence_ttl_ms: u64,
}

impl Default for ClusterSection {
    fn default() -> Self {
        Self {
            redis_url: None,
            node_id: None,
            key_prefix: "synchost".to_owned(),
            timeout_ms: 1000,
            presence_ttl_ms: 10_000,
        }
    }
}

impl ClusterSection {
    /// Whether this node is part of a cluster.
    pub fn enabled(&self) -> bool {
        self.redis_url.is_some()
    }

    pub(super) fn validate(&self) -> Result<(), Error> {
        let invalid = |key: &str, reason: &str| Error::Invalid {
            key: format!("cluster.{key}"),
            reason: reason.to_owned(),
        };
        let plain = |text: &str| {
            !text.is_empty()
                && text.len() <= 64
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if !plain(&self.key_prefix) {
            return Err(invalid(
                "key_prefix",
                "1 to 64 characters: letters, digits, '-', '_', '.'",
            ));
        }
        if let Some(node) = &self.node_id
            && !plain(node)
        {
            return Err(invalid(
                "node_id",
                "1 to 64 characters: letters, digits, '-', '_', '.'",
            ));
        }
        if let Some(url) = &self.redis_url {
            if url.starts_with("rediss://") {
                return Err(invalid(
                    "redis_url",
                    "rediss:// (TLS) is not supported: this build has no TLS for Redis; use \
                     redis:// on a private network or through a TLS tunnel (stunnel, a sidecar)",
                ));
            }
            if !url.starts_with("redis://") {
                return Err(invalid("redis_url", "must start with redis://"));
            }
        }
        if self.timeout_ms == 0 || self.timeout_ms > 60_000 {
            return Err(invalid("timeout_ms", "must be between 1 and 60000"));
        }
        if self.presence_ttl_ms < self.timeout_ms.saturating_mul(2)
            || self.presence_ttl_ms > 600_000
        {
            return Err(invalid(
                "presence_ttl_ms",
                "must be at least twice timeout_ms and at most 600000",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::config::Config;

    #[test]
    fn absent_means_a_single_node_and_values_are_checked() {
        assert!(!Config::default().cluster.enabled());
        let config = Config::from_toml(
            "[cluster]\nredis_url = \"redis://127.0.0.1:6390\"\nnode_id = \"a-1\"\n",
        )
        .unwrap();
        assert!(config.cluster.enabled());
        assert_eq!(config.cluster.key_prefix, "synchost");
        assert_eq!(config.cluster.presence_ttl_ms, 10_000);
        let short = Config::from_toml("[cluster]\ntimeout_ms = 100\npresence_ttl_ms = 200\n");
        assert_eq!(short.unwrap().cluster.presence_ttl_ms, 200);
        for bad in [
            "[cluster]\nredis_url = \"http://x\"\n",
            "[cluster]\nnode_id = \"a b\"\n",
            "[cluster]\nkey_prefix = \"\"\n",
            "[cluster]\ntimeout_ms = 0\n",
            "[cluster]\npresence_ttl_ms = 1999\n",
            "[cluster]\ntimeout_ms = 100\npresence_ttl_ms = 600001\n",
        ] {
            assert!(Config::from_toml(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_tls_url_is_refused_at_load_because_tls_is_not_built_in() {
        let error = Config::from_toml("[cluster]\nredis_url = \"rediss://cache:6380/0\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("cluster.redis_url"), "{error}");
        assert!(error.contains("TLS"), "{error}");
    }
}
