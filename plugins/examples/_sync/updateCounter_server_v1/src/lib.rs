//! `examples/updateCounter` v1, server stage: answers `{amount}` with `{newValue: amount + 1}`.
//! Public (no login) so the demo works for anonymous visitors; it never stores anything.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{Auth, ServerContext, SyncError};

/// What the client sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// The value to add one to.
    pub amount: i64,
}

/// What every recipient receives as the server output.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// `amount + 1`.
    pub new_value: i64,
}

/// Adds one; refuses an amount at the top of the range instead of overflowing.
pub fn update_counter(ctx: ServerContext<Input>) -> Result<Output, SyncError> {
    let new_value = ctx.input.amount.checked_add(1).ok_or_else(|| {
        SyncError::new("examples.amountOutOfRange").param("amount", ctx.input.amount)
    })?;
    Ok(Output { new_value })
}

synchost_sdk::server!(auth = Auth::public(), handler = update_counter);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::testing;

    #[test]
    fn adds_one_to_the_amount() {
        let output: Output =
            testing::run_server(update_counter, &Input { amount: 5 }, None, "room").unwrap();
        assert_eq!(output, Output { new_value: 6 });
    }

    #[test]
    fn output_uses_the_camel_case_field_name() {
        let bytes = synchost_sdk::msgpack::encode(&Input { amount: 1 }).unwrap();
        let raw = testing::run_server_raw(update_counter, &bytes, None, "room").unwrap();
        #[derive(Deserialize)]
        struct Wire {
            #[serde(rename = "newValue")]
            value: i64,
        }
        assert_eq!(
            synchost_sdk::msgpack::decode::<Wire>(&raw).unwrap().value,
            2
        );
    }

    #[test]
    fn a_text_amount_is_invalid_input() {
        #[derive(Serialize)]
        struct Wrong {
            amount: &'static str,
        }
        let error =
            testing::run_server(update_counter, &Wrong { amount: "five" }, None, "r").unwrap_err();
        assert_eq!(error.code, synchost_sdk::INVALID_INPUT);
    }

    #[test]
    fn the_published_schemas_use_the_wire_names() {
        let schemas = synchost_sdk::schema::server_schemas(&update_counter);
        assert!(
            schemas.input.contains(r#""required":["amount"]"#),
            "{}",
            schemas.input
        );
        assert!(
            schemas.output.contains(r#""newValue""#),
            "{}",
            schemas.output
        );
        assert!(!schemas.output.contains("new_value"), "{}", schemas.output);
    }

    #[test]
    fn the_largest_amount_is_refused_not_wrapped() {
        let error = testing::run_server(update_counter, &Input { amount: i64::MAX }, None, "r")
            .unwrap_err();
        assert_eq!(error.code, "examples.amountOutOfRange");
    }
}
