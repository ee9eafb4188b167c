//! Remembered rooms over Redis: each signed-in user's rooms as one list in join order, so a user
//! reconnecting to any node rejoins them. A join is one script that checks "already there" and the
//! cap and appends together, so two tabs on two nodes cannot pass the cap at once. Redis failures
//! are `Storage`; the caller decides what a missing answer means.

use redis::Script;

use super::keys::Keys;
use super::redis_conn::RedisConn;
use crate::store::{KvError, RoomMemory};

/// KEYS[1]: the user's list; ARGV[1]: the room, ARGV[2]: the most rooms. 1 when the room is (now)
/// remembered, 0 when the cap refused it.
const JOIN: &str = r"
if redis.call('LPOS', KEYS[1], ARGV[1]) then return 1 end
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
";

/// The rooms of signed-in users, shared by every node on one Redis.
#[derive(Debug, Clone)]
pub struct RedisRooms {
    conn: RedisConn,
    keys: Keys,
    join: Script,
}

impl RedisRooms {
    /// The remembered rooms under `key_prefix` on `conn`.
    pub fn new(conn: RedisConn, key_prefix: &str) -> Self {
        Self {
            conn,
            keys: Keys::new(key_prefix),
            join: Script::new(JOIN),
        }
    }
}

impl RoomMemory for RedisRooms {
    fn rooms(&self, user: &str) -> Result<Vec<String>, KvError> {
        let list = self.keys.rooms(user);
        self.conn
            .blocking(|mut manager| async move {
                redis::cmd("LRANGE")
                    .arg(list)
                    .arg(0)
                    .arg(-1)
                    .query_async(&mut manager)
                    .await
            })
            .map_err(KvError::Storage)
    }

    fn contains(&self, user: &str, room: &str) -> Result<bool, KvError> {
        let list = self.keys.rooms(user);
        let position: Option<i64> = self
            .conn
            .blocking(|mut manager| async move {
                redis::cmd("LPOS")
                    .arg(list)
                    .arg(room)
                    .query_async(&mut manager)
                    .await
            })
            .map_err(KvError::Storage)?;
        Ok(position.is_some())
    }

    fn join(&self, user: &str, room: &str, max: usize) -> Result<bool, KvError> {
        let mut invocation = self.join.prepare_invoke();
        invocation.key(self.keys.rooms(user)).arg(room).arg(max);
        let joined: i64 = self
            .conn
            .blocking(|mut manager| async move { invocation.invoke_async(&mut manager).await })
            .map_err(KvError::Storage)?;
        Ok(joined == 1)
    }

    fn leave(&self, user: &str, room: &str) -> Result<(), KvError> {
        let list = self.keys.rooms(user);
        self.conn
            .blocking(|mut manager| async move {
                redis::cmd("LREM")
                    .arg(list)
                    .arg(0)
                    .arg(room)
                    .query_async::<i64>(&mut manager)
                    .await
            })
            .map(|_| ())
            .map_err(KvError::Storage)
    }
}
