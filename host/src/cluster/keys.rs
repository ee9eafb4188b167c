//! Every Redis key the cluster's shared state uses, built in one place so names cannot collide.
//!
//! All keys start with the configured `key_prefix`. The parts that come from users or plugins
//! (namespaces, user ids, routes) are escaped so that a part can never contain the separator that
//! ends it: `%`, `{`, `}` and `:` become `%25`, `%7B`, `%7D` and `%3A`. Keys a script touches
//! together share a hash tag (`{...}`), so a Redis Cluster would route them to one slot.

/// The key names under one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// `<prefix>:kv:{<namespace>}:v:<key>`: one kv value (a Redis string).
    pub(crate) fn kv_value(&self, namespace: &str, key: &str) -> Vec<u8> {
        let mut name = format!("{}:kv:{{{}}}:v:", self.prefix, escape(namespace)).into_bytes();
        name.extend_from_slice(key.as_bytes());
        name
    }

    /// `<prefix>:kv:{<namespace>}:usage`: the namespace's usage (a hash: `keys`, `bytes`).
    pub(crate) fn kv_usage(&self, namespace: &str) -> String {
        format!("{}:kv:{{{}}}:usage", self.prefix, escape(namespace))
    }

    /// `<prefix>:rooms:{<user>}`: a user's remembered rooms (a list, in join order).
    pub(crate) fn rooms(&self, user: &str) -> String {
        format!("{}:rooms:{{{}}}", self.prefix, escape(user))
    }

    /// `<prefix>:rate:<route>:<u|a|c>:<identity>`: one rate window's count (a string, with a TTL).
    pub(crate) fn rate(&self, route: &str, identity: &crate::sync::Identity) -> String {
        let (kind, id) = match identity {
            crate::sync::Identity::User(id) => ('u', id),
            crate::sync::Identity::Address(address) => ('a', address),
            crate::sync::Identity::Connection(socket) => ('c', socket),
        };
        format!("{}:rate:{}:{kind}:{id}", self.prefix, escape(route))
    }

    /// `<prefix>:presence:nodes`: every node's presence incarnation, scored by the Redis time (ms)
    /// its heartbeat runs out (a sorted set).
    pub(crate) fn presence_nodes(&self) -> String {
        format!("{}:presence:nodes", self.prefix)
    }

    /// `<prefix>:presence:{<room>}:<incarnation>:all`: one node's members of a room, socket id →
    /// the member's session (MessagePack; empty for an anonymous member) (a hash).
    pub(crate) fn presence_all(&self, room: &str, incarnation: &str) -> String {
        format!(
            "{}:presence:{{{}}}:{}:all",
            self.prefix,
            escape(room),
            escape(incarnation)
        )
    }

    /// `<prefix>:presence:{<room>}:<incarnation>:signed`: the signed-in ones among them, by socket
    /// id (a sorted set, every score 0, so in byte order).
    pub(crate) fn presence_signed(&self, room: &str, incarnation: &str) -> String {
        format!(
            "{}:presence:{{{}}}:{}:signed",
            self.prefix,
            escape(room),
            escape(incarnation)
        )
    }

    /// `<prefix>:presence:rooms:{<incarnation>}`: the rooms a node has members in (a set), so its
    /// keys can be found and removed once its heartbeat has run out.
    pub(crate) fn presence_rooms(&self, incarnation: &str) -> String {
        format!("{}:presence:rooms:{{{}}}", self.prefix, escape(incarnation))
    }
}

fn escape(part: &str) -> String {
    let mut escaped = String::with_capacity(part.len());
    for c in part.chars() {
        match c {
            '%' => escaped.push_str("%25"),
            '{' => escaped.push_str("%7B"),
            '}' => escaped.push_str("%7D"),
            ':' => escaped.push_str("%3A"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::Identity;

    #[test]
    fn parts_that_look_like_separators_cannot_collide() {
        let keys = Keys::new("p");
        assert_eq!(keys.kv_value("page", "k"), b"p:kv:{page}:v:k");
        assert_ne!(keys.kv_value("a}:v:x", "y"), keys.kv_value("a", "x}:v:y"));
        assert_ne!(keys.kv_usage("a}:usage"), keys.kv_usage("a"));
        assert_eq!(keys.rooms("{u}"), "p:rooms:{%7Bu%7D}");
        assert_eq!(keys.presence_all("r", "n#1"), "p:presence:{r}:n#1:all");
        assert_ne!(
            keys.presence_all("a}:x", "n"),
            keys.presence_all("a", "x}:n")
        );
        assert_ne!(
            keys.presence_signed("a", "n:all"),
            keys.presence_all("a", "n")
        );
        let user = Identity::User("b".into());
        let other = Identity::User("a:u:b".into());
        assert_ne!(keys.rate("r:u:a", &user), keys.rate("r", &other));
        assert_ne!(
            keys.rate("r", &Identity::User("x".into())),
            keys.rate("r", &Identity::Address("x".into()))
        );
    }
}
