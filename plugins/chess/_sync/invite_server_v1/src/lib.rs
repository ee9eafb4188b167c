//! `chess/invite` v1, server stage: a player of a game invites a spectator into the game's room.
//!
//! Sent to the game room `chess:<white>:<black>` by one of its two players, with input `{user}`.
//! It records the invitation in the page's kv store (capability `kv`), where the room's join
//! handler (`chess/game`) finds it, and tells the room who was invited by whom.
//!
//! Refusals: `chess.notAGame` (param `room`, 404) outside a game room, `chess.onlyPlayersInvite`
//! (param `room`, 403) when the caller is not one of the two players.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{Auth, ServerContext, SyncError, kv};

/// What the client sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// The user id of the spectator to let in.
    pub user: String,
}

/// The server output.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The spectator invited.
    pub invited: String,
    /// The player who invited them.
    pub invited_by: String,
}

/// The players of a game room: `chess:<white>:<black>` (the same rule as the join handler's).
fn players(room: &str) -> Option<(&str, &str)> {
    let (white, black) = room.strip_prefix("chess:")?.split_once(':')?;
    let valid = !white.is_empty() && !black.is_empty() && !black.contains(':');
    valid.then_some((white, black))
}

/// Records the invitation.
pub fn invite(ctx: ServerContext<Input>) -> Result<Output, SyncError> {
    let caller = ctx.require_caller()?.id.clone();
    let Some((white, black)) = players(&ctx.room) else {
        return Err(SyncError::new("chess.notAGame")
            .param("room", ctx.room.as_str())
            .status(404));
    };
    if caller != white && caller != black {
        return Err(SyncError::new("chess.onlyPlayersInvite")
            .param("room", ctx.room.as_str())
            .status(403));
    }
    kv::set(
        &format!("invited/{}/{}", ctx.room, ctx.input.user),
        caller.as_bytes(),
    )?;
    Ok(Output {
        invited: ctx.input.user,
        invited_by: caller,
    })
}

synchost_sdk::server!(auth = Auth::login(), handler = invite);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::{Session, testing};

    fn invite_as(caller: &str, room: &str) -> Result<Output, SyncError> {
        let input = Input { user: "eve".into() };
        testing::run_server(invite, &input, Some(Session::new(caller)), room)
    }

    #[test]
    fn a_player_invites_and_the_invitation_is_stored_where_the_join_handler_looks() {
        testing::reset();
        let output = invite_as("bob", "chess:ann:bob").unwrap();
        assert_eq!(output.invited_by, "bob");
        assert_eq!(
            kv::get("invited/chess:ann:bob/eve").unwrap().as_deref(),
            Some(&b"bob"[..])
        );
    }

    #[test]
    fn spectators_cannot_invite_and_other_rooms_are_no_games() {
        testing::reset();
        assert_eq!(
            invite_as("eve", "chess:ann:bob").unwrap_err().code,
            "chess.onlyPlayersInvite"
        );
        assert_eq!(
            invite_as("ann", "lobby").unwrap_err().code,
            "chess.notAGame"
        );
        assert_eq!(kv::get("invited/chess:ann:bob/eve").unwrap(), None);
    }
}
