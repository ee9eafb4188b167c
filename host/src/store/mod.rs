//! Durable state for handlers, behind the `kv` host capability.
//!
//! The embedded backend is a single redb file. The store knows nothing of plugins or WIT: the plugin
//! runtime passes it a namespace (the page) and the quota of the calling plugin.

mod kv;

pub use kv::{KvError, KvQuota, KvStore, MAX_KEY_BYTES, MAX_VALUE_BYTES};
