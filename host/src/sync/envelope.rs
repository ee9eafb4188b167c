//! The JSON the pipeline sends: the sender's ack, recipients' `sync` frames, and error envelopes.
//!
//! This is the one place that turns a [`Failure`] into a sentence (through the Fluent catalogs), so
//! every transport speaks the same envelope:
//! - success ack: `{"status":"success","result":<serverOutput>}`;
//! - error: `{"status":"error","errorCode":..,"errorParams":[{"key":..,"value":..}]?,"httpStatus":..,"message":..}`;
//! - recipient frame: `{"name":..,"version":..,"fullName":..,"status":"success","serverOutput":..,"clientOutput":..}`,
//!   or the error envelope with the three names in front.
//!
//! Outputs arrive here as JSON text already; nothing is parsed again.

use crate::i18n::{Arg, Messages};
use crate::plugin::Scalar;

use super::failure::Failure;
use super::name::SyncName;

/// Builds envelopes; translation uses the catalogs it holds.
#[derive(Clone)]
pub struct Envelopes {
    messages: Messages,
}

/// The `"name":..,"version":..,"fullName":..` prefix of a sync's recipient frames, built once.
#[derive(Debug, Clone)]
pub struct FrameNames(String);

impl FrameNames {
    /// The names of `name`.
    pub fn new(name: &SyncName) -> Self {
        Self(format!(
            r#""name":{},"version":{},"fullName":{}"#,
            json_string(&name.name()),
            json_string(&name.version()),
            json_string(&name.full_name()),
        ))
    }
}

impl Envelopes {
    /// Envelopes translated with `messages`.
    pub fn new(messages: Messages) -> Self {
        Self { messages }
    }

    /// The catalogs, for language negotiation.
    pub fn messages(&self) -> &Messages {
        &self.messages
    }

    /// The sender's success ack; `result` is `null` when the sync has no server stage.
    pub fn success(result: Option<&str>) -> String {
        format!(
            r#"{{"status":"success","result":{}}}"#,
            result.unwrap_or("null")
        )
    }

    /// A success with extra fields already written as JSON members (`"rooms":[..]`).
    pub fn success_with(members: &str) -> String {
        format!(r#"{{"status":"success",{members}}}"#)
    }

    /// An error envelope in `language`.
    pub fn error(&self, failure: &Failure, language: &str) -> String {
        format!("{{{}}}", self.error_members(failure, language))
    }

    /// A recipient's success frame up to its last member's value, the client output (`null`
    /// when there is none): a fan-out fills in each recipient's own.
    pub fn recipient_success_head(names: &FrameNames, server_output: Option<&str>) -> String {
        format!(
            r#"{{{},"status":"success","serverOutput":{},"clientOutput":"#,
            names.0,
            server_output.unwrap_or("null"),
        )
    }

    /// A recipient's error frame in the recipient's `language`.
    pub fn recipient_error(&self, names: &FrameNames, failure: &Failure, language: &str) -> String {
        format!("{{{},{}}}", names.0, self.error_members(failure, language))
    }

    /// The translated message of a failure.
    pub fn message(&self, failure: &Failure, language: &str) -> String {
        let args: Vec<(&str, Arg<'_>)> = failure
            .params
            .iter()
            .map(|param| (param.key.as_str(), arg(&param.value)))
            .collect();
        self.messages.message(language, &failure.code, &args)
    }

    fn error_members(&self, failure: &Failure, language: &str) -> String {
        let mut out = format!(
            r#""status":"error","errorCode":{}"#,
            json_string(&failure.code)
        );
        if !failure.params.is_empty() {
            let params: Vec<String> = failure
                .params
                .iter()
                .map(|param| {
                    format!(
                        r#"{{"key":{},"value":{}}}"#,
                        json_string(&param.key),
                        scalar_json(&param.value)
                    )
                })
                .collect();
            out.push_str(&format!(r#","errorParams":[{}]"#, params.join(",")));
        }
        out.push_str(&format!(
            r#","httpStatus":{},"message":{}"#,
            failure.status,
            json_string(&self.message(failure, language))
        ));
        out
    }
}

fn arg(value: &Scalar) -> Arg<'_> {
    match value {
        Scalar::Null => Arg::Null,
        Scalar::Boolean(value) => Arg::Bool(*value),
        #[allow(clippy::cast_precision_loss)]
        Scalar::Integer(value) => Arg::Number(*value as f64),
        Scalar::Float(value) => Arg::Number(*value),
        Scalar::Text(value) => Arg::Text(value),
    }
}

fn scalar_json(value: &Scalar) -> String {
    match value {
        Scalar::Null => "null".to_owned(),
        Scalar::Boolean(value) => value.to_string(),
        Scalar::Integer(value) => value.to_string(),
        Scalar::Float(value) if value.is_finite() => {
            serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
        }
        Scalar::Float(_) => "null".to_owned(),
        Scalar::Text(value) => json_string(value),
    }
}

/// A JSON string literal.
pub fn json_string(text: &str) -> String {
    // Serialising a str cannot fail.
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sync::failure::Code;

    fn envelopes() -> Envelopes {
        Envelopes::new(Messages::builtin("en").unwrap())
    }

    #[test]
    fn error_envelope_is_translated_and_valid_json() {
        let failure = Failure::new(Code::NotRoomMember).text("room", "lobby");
        let en: serde_json::Value =
            serde_json::from_str(&envelopes().error(&failure, "en")).unwrap();
        let nl: serde_json::Value =
            serde_json::from_str(&envelopes().error(&failure, "nl")).unwrap();
        assert_eq!(en["status"], "error");
        assert_eq!(en["errorCode"], "sync.notRoomMember");
        assert_eq!(en["httpStatus"], 403);
        assert_eq!(en["errorParams"][0]["key"], "room");
        assert_eq!(en["errorParams"][0]["value"], "lobby");
        assert_ne!(en["message"], nl["message"]);
        assert!(en["message"].as_str().unwrap().contains("lobby"));
    }

    #[test]
    fn recipient_frames_carry_the_names() {
        let name = SyncName::parse("test/nestedTest/room", Some("v1")).unwrap();
        let names = FrameNames::new(&name);
        let head = Envelopes::recipient_success_head(&names, Some(r#"{"n":1}"#));
        let frame: serde_json::Value = serde_json::from_str(&format!("{head}null}}")).unwrap();
        assert_eq!(frame["name"], "test/nestedTest/room");
        assert_eq!(frame["version"], "v1");
        assert_eq!(frame["fullName"], "sync/test/nestedTest/room/v1");
        assert_eq!(frame["serverOutput"]["n"], 1);
        assert!(frame["clientOutput"].is_null());
        let failure = Failure::new(Code::InvalidClientResponse);
        let error: serde_json::Value =
            serde_json::from_str(&envelopes().recipient_error(&names, &failure, "en")).unwrap();
        assert_eq!(error["fullName"], "sync/test/nestedTest/room/v1");
        assert_eq!(error["status"], "error");
        assert!(error.get("errorParams").is_none());
    }

    #[test]
    fn success_ack() {
        assert_eq!(
            Envelopes::success(Some("{\"a\":1}")),
            r#"{"status":"success","result":{"a":1}}"#
        );
        assert_eq!(
            Envelopes::success(None),
            r#"{"status":"success","result":null}"#
        );
    }
}
