//! `examples/durableCounter` v1, server stage: a counter that survives restarts, kept in the
//! host's kv store (capability `kv`). Input `{amount}`, output `{value}` after adding.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{Auth, ServerContext, SyncError, kv};

/// The kv key of the counter (the host namespaces keys per page).
pub const COUNTER_KEY: &str = "counter";

/// What the client sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// How much to add (may be negative).
    pub amount: i64,
}

/// The server output.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
pub struct Output {
    /// The counter after adding.
    pub value: i64,
}

/// Adds `amount` to the stored counter.
pub fn durable_counter(ctx: ServerContext<Input>) -> Result<Output, SyncError> {
    let value = kv::incr(COUNTER_KEY, ctx.input.amount)?;
    synchost_sdk::debug!("counter is now {value}");
    Ok(Output { value })
}

synchost_sdk::server!(auth = Auth::public(), handler = durable_counter);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::testing::{self, Capability};

    fn add(amount: i64) -> Result<Output, SyncError> {
        testing::run_server(durable_counter, &Input { amount }, None, "room")
    }

    #[test]
    fn the_counter_accumulates_across_calls() {
        assert_eq!(add(5).unwrap().value, 5);
        assert_eq!(add(-2).unwrap().value, 3);
        assert_eq!(kv::get_value::<i64>(COUNTER_KEY).unwrap(), Some(3));
    }

    #[test]
    fn without_the_kv_capability_the_caller_gets_a_host_error() {
        testing::deny(Capability::Kv);
        let error = add(1).unwrap_err();
        assert_eq!(error.code, synchost_sdk::host::HOST_CALL_FAILED);
        assert_eq!(
            error.find_param("reason").and_then(|r| r.as_str()),
            Some("notGranted")
        );
    }

    #[test]
    fn a_non_counter_value_is_a_wrong_type_error() {
        kv::set(COUNTER_KEY, b"\xa3abc").unwrap();
        let error = add(1).unwrap_err();
        assert_eq!(
            error.find_param("reason").and_then(|r| r.as_str()),
            Some("wrongType")
        );
    }
}
