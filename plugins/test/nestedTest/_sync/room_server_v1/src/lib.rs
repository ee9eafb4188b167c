//! `test/nestedTest/room` v1, server stage: a sync on a nested page. Accepts `{step, active}`,
//! refuses steps outside 0..=100, and answers with the step and the next one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{Auth, ServerContext, SyncError};

/// The highest step the demo has.
const LAST_STEP: u32 = 100;

/// What the client sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// The step the sender is on.
    pub step: u32,
    /// Whether the sender is still going.
    pub active: bool,
}

/// The server output.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The step, as sent.
    pub step: u32,
    /// Whether the sender is still going.
    pub active: bool,
    /// `step + 1` while active, otherwise `step`.
    pub next_step: u32,
}

/// Validates the step and computes the next one.
pub fn room(ctx: ServerContext<Input>) -> Result<Output, SyncError> {
    let Input { step, active } = ctx.input;
    if step > LAST_STEP {
        return Err(SyncError::new("test.stepOutOfRange")
            .param("step", step)
            .param("max", LAST_STEP));
    }
    let next_step = if active {
        (step + 1).min(LAST_STEP)
    } else {
        step
    };
    Ok(Output {
        step,
        active,
        next_step,
    })
}

synchost_sdk::server!(auth = Auth::public(), handler = room);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::testing;

    fn run(step: u32, active: bool) -> Result<Output, SyncError> {
        testing::run_server(room, &Input { step, active }, None, "game-room-123")
    }

    #[test]
    fn an_active_step_advances() {
        assert_eq!(run(1, true).unwrap().next_step, 2);
    }

    #[test]
    fn an_inactive_step_stays() {
        assert_eq!(run(7, false).unwrap().next_step, 7);
    }

    #[test]
    fn a_step_past_the_end_is_refused_with_its_value() {
        let error = run(101, true).unwrap_err();
        assert_eq!(error.code, "test.stepOutOfRange");
        assert_eq!(error.find_param("step"), Some(&101u32.into()));
    }

    #[test]
    fn a_negative_step_is_invalid_input() {
        #[derive(Serialize)]
        struct Negative {
            step: i32,
            active: bool,
        }
        let input = Negative {
            step: -1,
            active: true,
        };
        let error = testing::run_server(room, &input, None, "r").unwrap_err();
        assert_eq!(error.code, synchost_sdk::INVALID_INPUT);
    }
}
