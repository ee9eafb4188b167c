//! `chess/game` v1, join handler: who may be in a chess game's room.
//!
//! A game's room is named `chess:<white>:<black>` after its two players' user ids. The two players
//! may always join; anyone else only once a player invited them (the `chess/invite` sync stores the
//! invitation in the page's kv store, capability `kv`). Anonymous connections never get in (the
//! handler's auth requires a login, so the host refuses them before it runs).
//!
//! Operators attach it to the game rooms in `[rooms]`:
//!
//! ```toml
//! [[rooms.policy]]
//! pattern = "chess:*"
//! login = true
//! join = "chess/game@v1"
//!
//! [plugins.routes."chess/game".join]
//! capabilities = ["kv"]
//! ```
//!
//! Refusals: `chess.notAGame` (param `room`, 404) for a room name that does not name two players,
//! `chess.notInvited` (param `room`, 403) for a session that is neither player nor invited.

use synchost_sdk::{Auth, JoinContext, SyncError, kv};

/// The players of a game room: `chess:<white>:<black>`, both ids non-empty.
pub fn players(room: &str) -> Option<(&str, &str)> {
    let (white, black) = room.strip_prefix("chess:")?.split_once(':')?;
    let valid = !white.is_empty() && !black.is_empty() && !black.contains(':');
    valid.then_some((white, black))
}

/// The kv key that records `user`'s invitation to `room` (shared with `chess/invite`).
pub fn invitation_key(room: &str, user: &str) -> String {
    format!("invited/{room}/{user}")
}

/// Lets the two players and invited spectators in.
pub fn decide(ctx: JoinContext) -> Result<(), SyncError> {
    let user = ctx.require_session()?.id.as_str();
    let Some((white, black)) = players(&ctx.room) else {
        return Err(SyncError::new("chess.notAGame")
            .param("room", ctx.room.as_str())
            .status(404));
    };
    if user == white || user == black {
        return Ok(());
    }
    match kv::get(&invitation_key(&ctx.room, user))? {
        Some(_) => Ok(()),
        None => Err(SyncError::new("chess.notInvited")
            .param("room", ctx.room.as_str())
            .status(403)),
    }
}

synchost_sdk::join!(auth = Auth::login(), handler = decide);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::testing::{self, Capability};
    use synchost_sdk::{Session, kv};

    const ROOM: &str = "chess:ann:bob";

    fn join(user: &str, room: &str) -> Result<(), SyncError> {
        testing::run_join(decide, room, Some(Session::new(user)))
    }

    #[test]
    fn both_players_may_join_and_a_stranger_may_not() {
        testing::reset();
        assert_eq!(join("ann", ROOM), Ok(()));
        assert_eq!(join("bob", ROOM), Ok(()));
        let refused = join("eve", ROOM).unwrap_err();
        assert_eq!(refused.code, "chess.notInvited");
        assert_eq!(refused.http_status, Some(403));
    }

    #[test]
    fn an_invited_spectator_may_join_that_game_only() {
        testing::reset();
        kv::set(&invitation_key(ROOM, "eve"), b"ann").unwrap();
        assert_eq!(join("eve", ROOM), Ok(()));
        assert_eq!(
            join("eve", "chess:ann:carl").unwrap_err().code,
            "chess.notInvited"
        );
    }

    #[test]
    fn rooms_that_name_no_game_and_anonymous_joiners_are_refused() {
        testing::reset();
        for room in [
            "lobby",
            "chess:",
            "chess:ann",
            "chess::bob",
            "chess:ann:bob:x",
        ] {
            assert_eq!(
                join("ann", room).unwrap_err().code,
                "chess.notAGame",
                "{room}"
            );
        }
        let anonymous = testing::run_join(decide, ROOM, None).unwrap_err();
        assert_eq!(anonymous.code, synchost_sdk::AUTH_REQUIRED);
    }

    #[test]
    fn without_kv_a_spectator_is_refused_with_the_host_error() {
        testing::reset();
        testing::deny(Capability::Kv);
        assert_eq!(join("ann", ROOM), Ok(()));
        assert_eq!(
            join("eve", ROOM).unwrap_err().code,
            synchost_sdk::host::HOST_CALL_FAILED
        );
    }
}
