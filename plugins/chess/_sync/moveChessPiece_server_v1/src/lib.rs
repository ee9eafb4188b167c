//! `chess/moveChessPiece` v1, server stage: checks that a move is at least geometrically
//! possible for some chess piece, then broadcasts it. The handler keeps no board, so it cannot
//! know which piece stands where; the rule it enforces is:
//!
//! - both squares are real (`a1`..`h8`) and differ;
//! - the move is along a rank, a file or a diagonal (rook, bishop, queen, king, pawn, or the
//!   king's castling step), or an L-shape (knight). Anything else, e.g. `e2`→`h3`, no piece can
//!   make.
//!
//! Refusals are `chess.illegalMove` with params `from`, `to` and `reason`, HTTP 422. Login is
//! required: the output names the player.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{Auth, ServerContext, SyncError};

/// What the client sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// Start square, e.g. `e2`.
    pub from: String,
    /// Target square, e.g. `e4`.
    pub to: String,
}

/// The server output.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// Start square, lower-case.
    pub from: String,
    /// Target square, lower-case.
    pub to: String,
    /// User id of the player who moved.
    pub moved_by: String,
}

/// A square as (file, rank), both 0..8.
fn square(name: &str) -> Option<(i8, i8)> {
    match name.as_bytes() {
        [file @ b'a'..=b'h', rank @ b'1'..=b'8'] => {
            Some(((file - b'a') as i8, (rank - b'1') as i8))
        }
        _ => None,
    }
}

/// Why no piece can make this move, or `None` when some piece can.
fn illegal_reason(from: &str, to: &str) -> Option<&'static str> {
    let (Some((from_file, from_rank)), Some((to_file, to_rank))) = (square(from), square(to))
    else {
        return Some("invalidSquare");
    };
    let (files, ranks) = ((to_file - from_file).abs(), (to_rank - from_rank).abs());
    if files == 0 && ranks == 0 {
        return Some("sameSquare");
    }
    let straight = files == 0 || ranks == 0;
    let diagonal = files == ranks;
    let knight = (files, ranks) == (1, 2) || (files, ranks) == (2, 1);
    if straight || diagonal || knight {
        None
    } else {
        Some("noPieceMovesLikeThis")
    }
}

/// Validates and broadcasts one move.
pub fn move_chess_piece(ctx: ServerContext<Input>) -> Result<Output, SyncError> {
    let moved_by = ctx.require_caller()?.id.clone();
    let from = ctx.input.from.to_ascii_lowercase();
    let to = ctx.input.to.to_ascii_lowercase();
    if let Some(reason) = illegal_reason(&from, &to) {
        return Err(SyncError::new("chess.illegalMove")
            .param("from", ctx.input.from)
            .param("to", ctx.input.to)
            .param("reason", reason)
            .status(422));
    }
    Ok(Output { from, to, moved_by })
}

synchost_sdk::server!(auth = Auth::login(), handler = move_chess_piece);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::{Scalar, Session, testing};

    fn play(from: &str, to: &str) -> Result<Output, SyncError> {
        let input = Input {
            from: from.to_owned(),
            to: to.to_owned(),
        };
        testing::run_server(
            move_chess_piece,
            &input,
            Some(Session::new("magnus")),
            "game",
        )
    }

    #[test]
    fn pawn_rook_bishop_and_knight_moves_pass() {
        for (from, to) in [
            ("e2", "e4"),
            ("a1", "a8"),
            ("c1", "h6"),
            ("g1", "f3"),
            ("E7", "e5"),
        ] {
            let output = play(from, to).unwrap();
            assert_eq!(output.moved_by, "magnus");
            assert_eq!(output.to, to.to_ascii_lowercase());
        }
    }

    #[test]
    fn a_move_no_piece_can_make_is_refused_with_422_and_both_squares() {
        let error = play("e2", "h3").unwrap_err();
        assert_eq!(error.code, "chess.illegalMove");
        assert_eq!(error.http_status, Some(422));
        assert_eq!(error.find_param("from"), Some(&Scalar::from("e2")));
        assert_eq!(error.find_param("to"), Some(&Scalar::from("h3")));
        assert_eq!(
            error.find_param("reason"),
            Some(&Scalar::from("noPieceMovesLikeThis"))
        );
    }

    #[test]
    fn squares_off_the_board_and_null_moves_are_refused() {
        for (from, to, reason) in [
            ("e9", "e4", "invalidSquare"),
            ("i2", "i4", "invalidSquare"),
            ("e22", "e4", "invalidSquare"),
            ("", "e4", "invalidSquare"),
            ("d4", "d4", "sameSquare"),
        ] {
            let error = play(from, to).unwrap_err();
            assert_eq!(
                error.find_param("reason"),
                Some(&Scalar::from(reason)),
                "{from}->{to}"
            );
        }
    }

    #[test]
    fn login_is_required() {
        let auth = Auth::login();
        let refused = testing::authorize(&auth, None).unwrap_err();
        assert_eq!(refused.code, synchost_sdk::AUTH_REQUIRED);
        let input = Input {
            from: "e2".to_owned(),
            to: "e4".to_owned(),
        };
        // Even if the host let an anonymous call through, the handler itself refuses it.
        let error = testing::run_server(move_chess_piece, &input, None, "game").unwrap_err();
        assert_eq!(error.code, synchost_sdk::AUTH_REQUIRED);
    }
}
