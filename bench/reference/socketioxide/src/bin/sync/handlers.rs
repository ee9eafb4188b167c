//! The two bench routes as native Rust closures: `bench/relay` v1 (the client stage approves
//! each recipient without output of its own) and `bench/relayEach` v1 (each recipient gets its
//! own output). The same logic as the synchost components and the Node handlers.
//!
//! They must stay plain functions of their arguments: no caching, no batching, no I/O.

use serde::{Deserialize, Serialize};

use crate::token::Session;
use crate::wire::Failure;

/// The largest integer a JSON number carries exactly (2^53 − 1).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
/// The longest `note`, in characters.
const MAX_NOTE_CHARS: usize = 256;

/// What a sender sends: `{amount, note?}`.
#[derive(Debug, Deserialize)]
pub struct Input {
    /// A non-negative integer up to 2^53 − 1.
    pub amount: u64,
    /// Up to 256 characters.
    pub note: Option<String>,
}

/// What the server stage answers, once per sync.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerOutput {
    /// `amount + 1`.
    pub new_value: u64,
    /// The input's note, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The sender's session id, `null` when anonymous.
    pub by: Option<String>,
}

/// What `relayEach` gives each recipient.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientOutput {
    /// The recipient's session id.
    pub to: String,
    /// The server output's `newValue`.
    pub new_value: u64,
}

/// The server stage: the input and the sender's session to the output.
pub type ServerStage = fn(&Input, Option<&Session>) -> Result<ServerOutput, Failure>;
/// The client stage: the input, the server output and one recipient's session to that
/// recipient's output (`None`: approve without output).
pub type ClientStage =
    fn(&Input, &ServerOutput, Option<&Session>) -> Result<Option<RecipientOutput>, Failure>;

/// One route's two stages.
pub struct Route {
    /// Runs once per sync.
    pub server: ServerStage,
    /// Runs once per recipient.
    pub client: ClientStage,
}

static RELAY: Route = Route {
    server: relay_server,
    client: |input, output, recipient| {
        check_recipient(input, output, recipient)?;
        Ok(None)
    },
};

static RELAY_EACH: Route = Route {
    server: relay_server,
    client: |input, output, recipient| {
        let session = check_recipient(input, output, recipient)?;
        Ok(Some(RecipientOutput {
            to: session.id.clone(),
            new_value: output.new_value,
        }))
    },
};

/// The route for `name` and `version`.
pub fn route(name: &str, version: &str) -> Option<&'static Route> {
    match (name, version) {
        ("bench/relay", "v1") => Some(&RELAY),
        ("bench/relayEach", "v1") => Some(&RELAY_EACH),
        _ => None,
    }
}

fn relay_server(input: &Input, sender: Option<&Session>) -> Result<ServerOutput, Failure> {
    let note_fits = input
        .note
        .as_ref()
        .is_none_or(|note| note.chars().count() <= MAX_NOTE_CHARS);
    if input.amount > MAX_SAFE_INTEGER || !note_fits {
        return Err(Failure::InvalidInput);
    }
    Ok(ServerOutput {
        new_value: input.amount + 1,
        note: input.note.clone(),
        by: sender.map(|session| session.id.clone()),
    })
}

/// Both client stages: the recipient is signed in and the output answers the input.
fn check_recipient<'a>(
    input: &Input,
    output: &ServerOutput,
    recipient: Option<&'a Session>,
) -> Result<&'a Session, Failure> {
    let session = recipient.ok_or(Failure::SignInRequired)?;
    if output.new_value != input.amount + 1 {
        return Err(Failure::Mismatch);
    }
    Ok(session)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn input(amount: u64, note: Option<&str>) -> Input {
        Input {
            amount,
            note: note.map(str::to_owned),
        }
    }

    fn ann() -> Session {
        Session {
            id: "ann".into(),
            name: None,
        }
    }

    #[test]
    fn the_server_stage_checks_bounds_and_names_the_sender() {
        let output = relay_server(&input(41, Some("hi")), Some(&ann())).unwrap();
        assert_eq!(
            (
                output.new_value,
                output.note.as_deref(),
                output.by.as_deref()
            ),
            (42, Some("hi"), Some("ann"))
        );
        assert_eq!(relay_server(&input(1, None), None).unwrap().by, None);
        assert!(relay_server(&input(MAX_SAFE_INTEGER, None), None).is_ok());
        let too_big = relay_server(&input(MAX_SAFE_INTEGER + 1, None), None);
        assert_eq!(too_big.err(), Some(Failure::InvalidInput));
        let fits = "é".repeat(MAX_NOTE_CHARS);
        assert!(relay_server(&input(1, Some(&fits)), None).is_ok());
        let long = "é".repeat(MAX_NOTE_CHARS + 1);
        let refused = relay_server(&input(1, Some(&long)), None);
        assert_eq!(refused.err(), Some(Failure::InvalidInput));
    }

    #[test]
    fn the_client_stages_need_a_signed_in_recipient_and_a_matching_output() {
        let relay = route("bench/relay", "v1").unwrap();
        let each = route("bench/relayEach", "v1").unwrap();
        assert!(route("bench/relay", "v2").is_none());
        let sent = input(7, None);
        let output = relay_server(&sent, None).unwrap();
        let approved = (relay.client)(&sent, &output, Some(&ann())).unwrap();
        assert!(approved.is_none());
        let own = (each.client)(&sent, &output, Some(&ann()))
            .unwrap()
            .unwrap();
        assert_eq!((own.to.as_str(), own.new_value), ("ann", 8));
        for stage in [relay.client, each.client] {
            assert_eq!(
                stage(&sent, &output, None).err(),
                Some(Failure::SignInRequired)
            );
            let other = input(9, None);
            assert_eq!(
                stage(&other, &output, Some(&ann())).err(),
                Some(Failure::Mismatch)
            );
        }
    }
}
