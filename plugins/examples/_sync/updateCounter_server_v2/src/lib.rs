//! `examples/updateCounter` v2, server stage: served beside v1 to show that versions are
//! separate routes. Same input; the output also says `version: 2`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{Auth, ServerContext, SyncError};

/// What the client sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// The value to add one to.
    pub amount: i64,
}

/// The server output.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// `amount + 1`.
    pub new_value: i64,
    /// Always 2: which version answered.
    pub version: u32,
}

/// Adds one and names the version.
pub fn update_counter(ctx: ServerContext<Input>) -> Result<Output, SyncError> {
    let new_value = ctx.input.amount.checked_add(1).ok_or_else(|| {
        SyncError::new("examples.amountOutOfRange").param("amount", ctx.input.amount)
    })?;
    Ok(Output {
        new_value,
        version: 2,
    })
}

synchost_sdk::server!(auth = Auth::public(), handler = update_counter);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::testing;

    #[test]
    fn adds_one_and_reports_version_two() {
        let output: Output =
            testing::run_server(update_counter, &Input { amount: 41 }, None, "room").unwrap();
        assert_eq!(
            output,
            Output {
                new_value: 42,
                version: 2
            }
        );
    }

    #[test]
    fn a_missing_amount_is_invalid_input() {
        #[derive(Serialize)]
        struct Empty {}
        let error = testing::run_server(update_counter, &Empty {}, None, "room").unwrap_err();
        assert_eq!(error.code, synchost_sdk::INVALID_INPUT);
    }
}
