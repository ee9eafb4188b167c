//! `examples/cursor` v1, a client-only sync (no server stage): relays a pointer position to
//! every recipient. Coordinates are fractions of the shared canvas, 0.0..=1.0; anything else
//! is refused per recipient with `examples.cursorOutOfRange`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{ClientContext, ClientOutcome, SyncError};

/// The client input, which is also the client output.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, JsonSchema)]
pub struct Point {
    /// Horizontal position, 0.0..=1.0.
    pub x: f64,
    /// Vertical position, 0.0..=1.0.
    pub y: f64,
}

/// Checks the point and delivers it.
pub fn cursor(ctx: ClientContext<'_, Point, ()>) -> Result<ClientOutcome<Point>, SyncError> {
    let Point { x, y } = *ctx.input;
    let on_canvas = |v: f64| (0.0..=1.0).contains(&v);
    if !(on_canvas(x) && on_canvas(y)) {
        return Err(SyncError::new("examples.cursorOutOfRange")
            .param("x", x)
            .param("y", y));
    }
    Ok(ClientOutcome::Deliver(Point { x, y }))
}

synchost_sdk::client!(handler = cursor);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::{Session, testing};

    #[test]
    fn every_recipient_gets_the_point_without_any_server_output() {
        let point = Point { x: 0.25, y: 1.0 };
        let outcomes = testing::run_client(
            cursor,
            &point,
            None,
            "canvas",
            &[Some(Session::new("a")), None],
        );
        assert_eq!(outcomes, vec![Ok(ClientOutcome::Deliver(point)); 2]);
    }

    #[test]
    fn whole_numbers_from_json_decode_as_coordinates() {
        #[derive(Serialize)]
        struct Whole {
            x: u8,
            y: u8,
        }
        let outcomes = testing::run_client(cursor, &Whole { x: 0, y: 1 }, None, "canvas", &[None]);
        assert_eq!(
            outcomes,
            vec![Ok(ClientOutcome::Deliver(Point { x: 0.0, y: 1.0 }))]
        );
    }

    #[test]
    fn a_point_off_the_canvas_is_refused() {
        let outcomes =
            testing::run_client(cursor, &Point { x: 1.5, y: 0.0 }, None, "canvas", &[None]);
        assert_eq!(
            outcomes[0].as_ref().unwrap_err().code,
            "examples.cursorOutOfRange"
        );
    }
}
