//! The sync benchmark's routes, `bench/relay` and `bench/relayEach` (bench/SCENARIO.md): a server
//! stage that validates the sender's payload and returns it, and a client stage that reads the
//! input and the server output and approves each recipient (`relay`), or gives each recipient
//! an output of its own (`relayEach`).
//!
//! The Node and socketioxide references run the same checks natively; keep the three in step.
//! The load generator reads `newValue − 1` as the sync's identity, so the server output must
//! keep it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{ClientContext, ClientOutcome, ServerContext, SyncError};

/// The largest integer a JavaScript number holds exactly.
pub const MAX_AMOUNT: u64 = (1 << 53) - 1;
/// The longest `note`, in characters.
pub const MAX_NOTE_CHARS: usize = 256;

/// What a sender sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// A non-negative integer of at most 2^53 − 1.
    pub amount: u64,
    /// An optional text of at most 256 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The server output every recipient gets: the payload, checked.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerOutput {
    /// `amount + 1`.
    pub new_value: u64,
    /// The sender's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The sender's user id; null when anonymous.
    pub by: Option<String>,
}

/// What `bench/relayEach` gives each recipient.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EachOutput {
    /// The recipient's own user id.
    pub to: String,
    /// The server output's `newValue`.
    pub new_value: u64,
}

/// The server stage of both routes: refuses an amount or a note out of range
/// (`bench.invalidInput`, 400), else returns the payload with the sender's id.
pub fn serve(ctx: ServerContext<Input>) -> Result<ServerOutput, SyncError> {
    let Input { amount, note } = ctx.input;
    if amount > MAX_AMOUNT {
        return Err(invalid("amount"));
    }
    if note
        .as_deref()
        .is_some_and(|note| note.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(invalid("note"));
    }
    Ok(ServerOutput {
        new_value: amount + 1,
        note,
        by: ctx.caller.map(|caller| caller.id),
    })
}

/// The client stage of `bench/relay`: checks, then approves the recipient without an output of
/// its own.
pub fn approve(
    ctx: ClientContext<'_, Input, ServerOutput>,
) -> Result<ClientOutcome<()>, SyncError> {
    check(&ctx)?;
    Ok(ClientOutcome::DeliverPlain)
}

/// The client stage of `bench/relayEach`: checks, then gives the recipient `{to, newValue}`.
pub fn address(
    ctx: ClientContext<'_, Input, ServerOutput>,
) -> Result<ClientOutcome<EachOutput>, SyncError> {
    let (recipient, new_value) = check(&ctx)?;
    Ok(ClientOutcome::Deliver(EachOutput {
        to: recipient.to_owned(),
        new_value,
    }))
}

/// The recipient must be signed in (`bench.signInRequired`, 401) and the server output must
/// answer the input (`bench.mismatch`, 500); returns the recipient's id and `newValue`.
fn check<'a>(ctx: &ClientContext<'a, Input, ServerOutput>) -> Result<(&'a str, u64), SyncError> {
    let recipient = ctx
        .recipient
        .ok_or_else(|| SyncError::new("bench.signInRequired").status(401))?;
    let new_value = ctx.server_output.map(|output| output.new_value);
    if new_value != Some(ctx.input.amount + 1) {
        return Err(SyncError::new("bench.mismatch").status(500));
    }
    Ok((recipient.id.as_str(), ctx.input.amount + 1))
}

fn invalid(field: &str) -> SyncError {
    SyncError::new("bench.invalidInput")
        .param("field", field)
        .status(400)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::{Session, testing};

    fn input(amount: u64) -> Input {
        Input { amount, note: None }
    }

    #[test]
    fn the_server_stage_returns_the_payload_with_the_sender() {
        let output: ServerOutput =
            testing::run_server(serve, &input(41), Some(Session::new("ann")), "r").unwrap();
        assert_eq!(
            output,
            ServerOutput {
                new_value: 42,
                note: None,
                by: Some("ann".into())
            }
        );
    }

    #[test]
    fn the_server_stage_refuses_what_is_out_of_range() {
        let error = testing::run_server(serve, &input(MAX_AMOUNT + 1), None, "r").unwrap_err();
        assert_eq!(error.code, "bench.invalidInput");
        let long = Input {
            amount: 1,
            note: Some("é".repeat(MAX_NOTE_CHARS + 1)),
        };
        assert_eq!(
            testing::run_server(serve, &long, None, "r")
                .unwrap_err()
                .code,
            "bench.invalidInput"
        );
        let fits = Input {
            amount: 1,
            note: Some("é".repeat(MAX_NOTE_CHARS)),
        };
        assert!(testing::run_server(serve, &fits, None, "r").is_ok());
    }

    #[test]
    fn the_client_stages_approve_signed_in_recipients_of_a_matching_output() {
        let output = ServerOutput {
            new_value: 8,
            note: None,
            by: None,
        };
        let recipients = [Some(Session::new("ann")), None];
        let approved = testing::run_client(approve, &input(7), Some(&output), "r", &recipients);
        assert_eq!(approved[0], Ok(ClientOutcome::DeliverPlain));
        assert_eq!(
            approved[1].as_ref().unwrap_err().code,
            "bench.signInRequired"
        );
        let each = testing::run_client(address, &input(7), Some(&output), "r", &recipients);
        assert_eq!(
            each[0],
            Ok(ClientOutcome::Deliver(EachOutput {
                to: "ann".into(),
                new_value: 8
            }))
        );
        let wrong = testing::run_client(approve, &input(9), Some(&output), "r", &recipients[..1]);
        assert_eq!(wrong[0].as_ref().unwrap_err().code, "bench.mismatch");
    }
}
