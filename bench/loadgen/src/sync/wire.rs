//! The frames of synchost's sync pipeline that the sync run speaks: `joinRoom`, `sync` with an
//! ack, the ack's envelope and the `sync` frames members receive (README, "Syncs over Socket.IO").
//!
//! How a sync carries its identity: `data` is `{"amount": tag}` with `tag = sender << 32 | seq`,
//! and the route answers `serverOutput: {"newValue": tag + 1}` (the contract of
//! `examples/updateCounter`, both builds). Decoding never panics on server input.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

/// Bits of a tag that hold the sequence number; the sender index sits above them.
const SEQ_BITS: u32 = 32;

/// One sync's identity: which publisher sent it, and its number in that publisher's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// Publisher index, from 0.
    pub sender: u32,
    /// That publisher's sequence number, from 0.
    pub seq: u32,
}

impl Tag {
    /// The number sent as `amount`.
    pub fn amount(self) -> u64 {
        u64::from(self.sender) << SEQ_BITS | u64::from(self.seq)
    }

    /// The tag whose `amount` is `amount`.
    pub fn from_amount(amount: u64) -> Self {
        Self {
            sender: (amount >> SEQ_BITS) as u32,
            seq: (amount & u64::from(u32::MAX)) as u32,
        }
    }
}

/// `joinRoom` with the room as its only argument, asking for ack id 0.
pub fn encode_join_room(room: &str) -> String {
    format!("420[\"joinRoom\",{}]", json_string(room))
}

/// `sync` for `name`/`version` with raw JSON `data`, to `receiver`, asking for `ack_id`.
pub fn encode_sync(ack_id: u64, name: &str, version: &str, data: &str, receiver: &str) -> String {
    format!(
        "42{ack_id}[\"sync\",{{\"name\":{},\"version\":{},\"data\":{data},\"receiver\":{}}}]",
        json_string(name),
        json_string(version),
        json_string(receiver)
    )
}

/// The `data` that carries `tag`.
pub fn tagged_data(tag: Tag) -> String {
    format!("{{\"amount\":{}}}", tag.amount())
}

/// A frame received from synchost, as far as the sync run cares.
#[derive(Debug, PartialEq, Eq)]
pub enum SyncIncoming {
    /// EIO ping.
    Ping,
    /// EIO close.
    Close,
    /// An ack: its id and envelope.
    Ack(u64, Envelope),
    /// A `sync` frame for a recipient.
    Frame(Frame),
    /// A `sync` event whose argument is not a frame object.
    Malformed,
    /// Anything else.
    Other,
}

/// The envelope of an ack, or of a frame: `status`, and what the run counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// `status == "success"`.
    pub success: bool,
    /// `errorCode` of an error.
    pub error_code: Option<String>,
    /// `result.version` of a success, as raw JSON (`None` when absent): which build answered.
    pub result_version: Option<String>,
}

/// A `sync` frame as a recipient gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// `fullName`, `sync/<page>/<name>/v<n>`.
    pub full_name: String,
    /// The envelope part.
    pub envelope: Envelope,
    /// `serverOutput.newValue`, when it is a non-negative integer.
    pub new_value: Option<u64>,
}

#[derive(Deserialize)]
struct WireEnvelope<'a> {
    status: Option<&'a str>,
    #[serde(rename = "errorCode")]
    error_code: Option<String>,
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    #[serde(rename = "fullName")]
    full_name: Option<String>,
    #[serde(rename = "serverOutput", borrow)]
    server_output: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WithVersion<'a> {
    #[serde(borrow)]
    version: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WithNewValue {
    #[serde(rename = "newValue")]
    new_value: Option<u64>,
}

/// Classifies one text frame.
pub fn decode(text: &str) -> SyncIncoming {
    match text.as_bytes().first() {
        Some(b'1') => SyncIncoming::Close,
        Some(b'2') => SyncIncoming::Ping,
        Some(b'4') => decode_socketio(&text[1..]),
        _ => SyncIncoming::Other,
    }
}

fn decode_socketio(packet: &str) -> SyncIncoming {
    if let Some(rest) = packet.strip_prefix('3') {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(id) = rest[..digits].parse() else {
            return SyncIncoming::Other;
        };
        return match serde_json::from_str::<(WireEnvelope<'_>,)>(&rest[digits..]) {
            Ok((wire,)) => SyncIncoming::Ack(id, envelope(&wire)),
            Err(_) => SyncIncoming::Ack(id, Envelope::default()),
        };
    }
    let Some(event) = packet.strip_prefix('2') else {
        return SyncIncoming::Other;
    };
    if !event.starts_with("[\"sync\",") {
        return SyncIncoming::Other;
    }
    let Ok((_, wire)) = serde_json::from_str::<(IgnoredAny, WireEnvelope<'_>)>(event) else {
        return SyncIncoming::Malformed;
    };
    let Some(full_name) = wire.full_name.clone() else {
        return SyncIncoming::Malformed;
    };
    let new_value = wire
        .server_output
        .and_then(|raw| serde_json::from_str::<WithNewValue>(raw.get()).ok())
        .and_then(|output| output.new_value);
    SyncIncoming::Frame(Frame {
        full_name,
        envelope: envelope(&wire),
        new_value,
    })
}

fn envelope(wire: &WireEnvelope<'_>) -> Envelope {
    let result_version = wire
        .result
        .and_then(|raw| serde_json::from_str::<WithVersion<'_>>(raw.get()).ok())
        .and_then(|result| result.version.map(|raw| raw.get().to_owned()));
    Envelope {
        success: wire.status == Some("success"),
        error_code: wire.error_code.clone(),
        result_version,
    }
}

fn json_string(text: &str) -> String {
    // Serialising a &str to JSON cannot fail.
    serde_json::to_string(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tags_round_trip_through_amount() {
        let tag = Tag {
            sender: 7,
            seq: 123_456,
        };
        assert_eq!(Tag::from_amount(tag.amount()), tag);
        assert_eq!(
            tagged_data(Tag { sender: 1, seq: 2 }),
            r#"{"amount":4294967298}"#
        );
    }

    #[test]
    fn encodes_join_room_and_sync() {
        assert_eq!(encode_join_room("soak"), r#"420["joinRoom","soak"]"#);
        assert_eq!(
            encode_sync(9, "examples/updateCounter", "v1", r#"{"amount":1}"#, "soak"),
            r#"429["sync",{"name":"examples/updateCounter","version":"v1","data":{"amount":1},"receiver":"soak"}]"#
        );
    }

    #[test]
    fn decodes_acks_with_their_envelope() {
        assert_eq!(
            decode(r#"4312[{"status":"success","result":{"newValue":2,"version":2}}]"#),
            SyncIncoming::Ack(
                12,
                Envelope {
                    success: true,
                    error_code: None,
                    result_version: Some("2".into())
                }
            )
        );
        let SyncIncoming::Ack(3, refused) =
            decode(r#"433[{"status":"error","errorCode":"plugin.timeout","httpStatus":500}]"#)
        else {
            panic!("not an ack");
        };
        assert!(!refused.success);
        assert_eq!(refused.error_code.as_deref(), Some("plugin.timeout"));
        assert_eq!(decode("43x"), SyncIncoming::Other);
    }

    #[test]
    fn decodes_recipient_frames() {
        let frame = decode(
            r#"42["sync",{"name":"examples/updateCounter","version":"v1","fullName":"sync/examples/updateCounter/v1","status":"success","serverOutput":{"newValue":4294967299},"clientOutput":null}]"#,
        );
        let SyncIncoming::Frame(frame) = frame else {
            panic!("not a frame: {frame:?}");
        };
        assert_eq!(frame.full_name, "sync/examples/updateCounter/v1");
        assert!(frame.envelope.success);
        assert_eq!(
            frame.new_value.map(|value| Tag::from_amount(value - 1)),
            Some(Tag { sender: 1, seq: 2 })
        );
        assert_eq!(decode(r#"42["sync",5]"#), SyncIncoming::Malformed);
        assert_eq!(decode(r#"42["other",{}]"#), SyncIncoming::Other);
        assert_eq!(decode("2"), SyncIncoming::Ping);
    }
}
