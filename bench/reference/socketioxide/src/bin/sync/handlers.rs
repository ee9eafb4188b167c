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
