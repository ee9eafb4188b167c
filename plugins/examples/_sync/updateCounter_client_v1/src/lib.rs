//! `examples/updateCounter` v1, client stage: every recipient gets the server output; logged-in
//! recipients also get `{receivedBy: <their id>}` so the demo shows per-recipient output.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{ClientContext, ClientOutcome, SyncError};

/// The client input (the stage only passes it through).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// The amount the sender sent.
    pub amount: i64,
}

/// The output of `updateCounter_server_v1`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerOutput {
    /// The new counter value.
    pub new_value: i64,
}

/// What a logged-in recipient gets besides the server output.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientOutput {
    /// The recipient's own user id.
    pub received_by: String,
}

/// Runs once per recipient.
pub fn deliver(
    ctx: ClientContext<'_, Input, ServerOutput>,
) -> Result<ClientOutcome<ClientOutput>, SyncError> {
    Ok(match ctx.recipient {
        Some(session) => ClientOutcome::Deliver(ClientOutput {
            received_by: session.id.clone(),
        }),
        None => ClientOutcome::DeliverPlain,
    })
}

synchost_sdk::client!(handler = deliver);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::{Session, testing};

    #[test]
    fn each_recipient_gets_its_own_id_and_anonymous_ones_the_plain_output() {
        let recipients = [Some(Session::new("ann")), None, Some(Session::new("bob"))];
        let outcomes = testing::run_client(
            deliver,
            &Input { amount: 1 },
            Some(&ServerOutput { new_value: 2 }),
            "room",
            &recipients,
        );
        let received_by = |id: &str| {
            Ok(ClientOutcome::Deliver(ClientOutput {
                received_by: id.to_owned(),
            }))
        };
        assert_eq!(
            outcomes,
            vec![
                received_by("ann"),
                Ok(ClientOutcome::DeliverPlain),
                received_by("bob")
            ]
        );
    }

    #[test]
    fn bad_input_fails_every_recipient_alike() {
        let outcomes = testing::run_client(
            deliver,
            &"not an object",
            Some(&ServerOutput { new_value: 2 }),
            "room",
            &[Some(Session::new("ann")), None],
        );
        assert_eq!(outcomes.len(), 2);
        for outcome in outcomes {
            assert_eq!(outcome.unwrap_err().code, synchost_sdk::INVALID_INPUT);
        }
    }
}
