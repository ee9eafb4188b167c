//! The `kv` capability over Redis, with the embedded store's semantics: one namespace per page, the
//! namespace's quota (keys, bytes) kept exact, MessagePack counters added atomically, and the same
//! errors. Every write is one script (`kv_write.lua`) that changes the value and the namespace's usage
//! together, so two nodes writing at once can neither lose an increment nor pass a quota together.
//! Reads are a plain GET. This module never decodes a value itself; Redis failures are `Storage`.

use redis::Script;

use super::keys::Keys;
use super::redis_conn::RedisConn;
use crate::store::{Kv, KvError, KvQuota, MAX_KEY_BYTES, MAX_VALUE_BYTES};

const OK: i64 = 0;
const OVER_QUOTA: i64 = 1;
const NOT_A_COUNTER: i64 = 2;
const OVERFLOW: i64 = 3;

/// Namespaced values with quotas, shared by every node on one Redis.
#[derive(Debug, Clone)]
pub struct RedisKv {
    conn: RedisConn,
    keys: Keys,
    write: Script,
}

impl RedisKv {
    /// The kv store under `key_prefix` on `conn`.
    pub fn new(conn: RedisConn, key_prefix: &str) -> Self {
        Self {
            conn,
            keys: Keys::new(key_prefix),
            write: Script::new(include_str!("kv_write.lua")),
        }
    }

    /// Runs the write script; returns its `{status, a, b}`.
    fn run_write(
        &self,
        namespace: &str,
        key: &str,
        quota: KvQuota,
        op: &str,
        extra: &[&[u8]],
    ) -> Result<(i64, i64, i64), KvError> {
        let mut invocation = self.write.prepare_invoke();
        invocation
            .key(self.keys.kv_usage(namespace))
            .key(self.keys.kv_value(namespace, key))
            .arg(op)
            .arg(key.len())
            .arg(quota.max_keys)
            .arg(quota.max_bytes);
        for arg in extra {
            invocation.arg(*arg);
        }
        self.conn
            .blocking(|mut manager| async move { invocation.invoke_async(&mut manager).await })
            .map_err(KvError::Storage)
    }
}

fn check_key(key: &str) -> Result<(), KvError> {
    if key.len() > MAX_KEY_BYTES {
        Err(KvError::TooLarge)
    } else {
        Ok(())
    }
}

impl Kv for RedisKv {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        check_key(key)?;
        let name = self.keys.kv_value(namespace, key);
        self.conn
            .blocking(|mut manager| async move {
                redis::cmd("GET").arg(name).query_async(&mut manager).await
            })
            .map_err(KvError::Storage)
    }

    fn set(&self, namespace: &str, key: &str, value: &[u8], quota: KvQuota) -> Result<(), KvError> {
        check_key(key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(KvError::TooLarge);
        }
        match self.run_write(namespace, key, quota, "set", &[value])? {
            (OK, _, _) => Ok(()),
            (OVER_QUOTA, _, _) => Err(KvError::QuotaExceeded),
            other => Err(unexpected(other)),
        }
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<bool, KvError> {
        check_key(key)?;
        let unlimited = KvQuota {
            max_keys: u64::MAX,
            max_bytes: u64::MAX,
        };
        match self.run_write(namespace, key, unlimited, "del", &[])? {
            (OK, existed, _) => Ok(existed == 1),
            other => Err(unexpected(other)),
        }
    }

    fn incr(&self, namespace: &str, key: &str, delta: i64, quota: KvQuota) -> Result<i64, KvError> {
        check_key(key)?;
        let bits = delta.cast_unsigned();
        let high = (bits >> 32).to_string();
        let low = (bits & 0xffff_ffff).to_string();
        match self.run_write(
            namespace,
            key,
            quota,
            "incr",
            &[high.as_bytes(), low.as_bytes()],
        )? {
            (OK, high, low) => {
                let (Ok(high), Ok(low)) = (u32::try_from(high), u32::try_from(low)) else {
                    return Err(unexpected((OK, high, low)));
                };
                Ok(((u64::from(high) << 32) | u64::from(low)).cast_signed())
            }
            (OVER_QUOTA, _, _) => Err(KvError::QuotaExceeded),
            (NOT_A_COUNTER, _, _) => Err(KvError::WrongType),
            (OVERFLOW, _, _) => Err(KvError::Storage("counter overflow".into())),
            other => Err(unexpected(other)),
        }
    }
}

fn unexpected(reply: (i64, i64, i64)) -> KvError {
    KvError::Storage(format!("redis: unexpected kv script reply {reply:?}"))
}
