//! `examples/teamMessage` v1, client stage: the message reaches recipients whose `team` claim
//! equals the message's team, and every admin; anonymous recipients and other teams get
//! nothing. Filtering happens here, per recipient, after the server stage ran once.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{ClientContext, ClientOutcome, SyncError};

/// The client input.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// The team the message is for.
    pub team: String,
    /// The message.
    pub text: String,
}

/// The part of `teamMessage_server_v1`'s output this stage reads.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerOutput {
    /// User id of the sender.
    pub sent_by: String,
}

/// Decides one recipient. A `team` claim that is not a string counts as no team.
pub fn deliver(
    ctx: ClientContext<'_, Input, ServerOutput>,
) -> Result<ClientOutcome<()>, SyncError> {
    let Some(recipient) = ctx.recipient else {
        return Ok(ClientOutcome::Skip);
    };
    let team = recipient.claim::<String>("team").ok().flatten();
    if recipient.admin || team.as_deref() == Some(ctx.input.team.as_str()) {
        Ok(ClientOutcome::DeliverPlain)
    } else {
        Ok(ClientOutcome::Skip)
    }
}

synchost_sdk::client!(handler = deliver);

#[cfg(test)]
mod tests {
    use super::*;
    use synchost_sdk::{Session, testing};

    #[test]
    fn only_the_team_and_admins_receive_it() {
        let recipients = [
            Some(Session::new("red-player").with_claim("team", "red")),
            Some(Session::new("blue-player").with_claim("team", "blue")),
            Some(
                Session::new("blue-admin")
                    .with_claim("team", "blue")
                    .with_admin(true),
            ),
            Some(Session::new("teamless")),
            Some(Session::new("odd-claim").with_claim("team", &7)),
            None,
        ];
        let input = Input {
            team: "red".to_owned(),
            text: "go".to_owned(),
        };
        let sent_by_ann = ServerOutput {
            sent_by: "ann".to_owned(),
        };
        let outcomes =
            testing::run_client(deliver, &input, Some(&sent_by_ann), "office", &recipients);
        let delivered: Vec<bool> = outcomes
            .iter()
            .map(|outcome| matches!(outcome, Ok(ClientOutcome::DeliverPlain)))
            .collect();
        assert_eq!(delivered, [true, false, true, false, false, false]);
        assert!(outcomes.iter().all(Result::is_ok));
    }
}
