//! `examples/teamMessage` v1, server stage: a chat line for one team. Uses operator config
//! (`maxLength`, default 280 characters; capability `config`) and reports how many connections
//! the room has (capability `rooms`). The client stage decides who actually receives it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{Auth, ServerContext, SyncError, config, rooms};

/// Message length limit when the operator sets none.
pub const DEFAULT_MAX_LENGTH: usize = 280;

/// What the client sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// The team the message is for.
    pub team: String,
    /// The message.
    pub text: String,
}

/// The server output.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The team the message is for.
    pub team: String,
    /// The message, trimmed.
    pub text: String,
    /// User id of the sender.
    pub sent_by: String,
    /// Connections in the room when it was sent (before team filtering).
    pub room_size: u32,
}

/// The configured length limit; an unparsable value is an operator error worth a log line.
fn max_length() -> Result<usize, SyncError> {
    Ok(match config::get("maxLength")? {
        Some(text) => text.trim().parse().unwrap_or_else(|_| {
            synchost_sdk::warn!("config maxLength {text:?} is not a number; using the default");
            DEFAULT_MAX_LENGTH
        }),
        None => DEFAULT_MAX_LENGTH,
    })
}

/// Validates the message and stamps it with its sender and the room size.
pub fn team_message(ctx: ServerContext<Input>) -> Result<Output, SyncError> {
    let sent_by = ctx.require_caller()?.id.clone();
    let text = ctx.input.text.trim();
    if text.is_empty() {
        return Err(SyncError::new("examples.emptyMessage"));
    }
    let max = max_length()?;
    let length = text.chars().count();
    if length > max {
        return Err(SyncError::new("examples.messageTooLong")
            .param("length", u32::try_from(length).unwrap_or(u32::MAX))
            .param("max", u32::try_from(max).unwrap_or(u32::MAX)));
    }
    Ok(Output {
        team: ctx.input.team,
        text: text.to_owned(),
        sent_by,
        room_size: rooms::size(&ctx.room)?,
    })
}

synchost_sdk::server!(auth = Auth::login(), handler = team_message);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::Session;
    use synchost_sdk::testing::{self, Capability};

    fn send(text: &str) -> Result<Output, SyncError> {
        let input = Input {
            team: "red".to_owned(),
            text: text.to_owned(),
        };
        testing::run_server(team_message, &input, Some(Session::new("ann")), "office")
    }

    #[test]
    fn a_message_carries_sender_and_room_size() {
        testing::set_room("office", vec![Some(Session::new("ann")), None, None]);
        let output = send("  hello team ").unwrap();
        assert_eq!(output.text, "hello team");
        assert_eq!(output.sent_by, "ann");
        assert_eq!(output.room_size, 3);
    }

    #[test]
    fn the_operator_limit_applies() {
        testing::set_config("maxLength", "5");
        let error = send("too long").unwrap_err();
        assert_eq!(error.code, "examples.messageTooLong");
        assert_eq!(error.find_param("max"), Some(&5u32.into()));
        assert!(send("short").is_ok());
    }

    #[test]
    fn a_broken_limit_falls_back_to_the_default_and_logs() {
        testing::set_config("maxLength", "lots");
        assert!(send(&"x".repeat(DEFAULT_MAX_LENGTH)).is_ok());
        assert!(send(&"x".repeat(DEFAULT_MAX_LENGTH + 1)).is_err());
        assert!(
            testing::logs()
                .iter()
                .any(|(_, line)| line.contains("maxLength"))
        );
    }

    #[test]
    fn an_empty_message_is_refused() {
        assert_eq!(send("   ").unwrap_err().code, "examples.emptyMessage");
    }

    #[test]
    fn without_the_rooms_capability_the_call_fails() {
        testing::deny(Capability::Rooms);
        assert_eq!(
            send("hi").unwrap_err().code,
            synchost_sdk::host::HOST_CALL_FAILED
        );
    }
}
