//! Builds the outgoing packets of the server, framed for the wire: the one place that writes them.
//!
//! Each function returns ready [`Message`]s (the header, then any attachments) that can be queued on
//! one socket or shared by every recipient of a broadcast. Arguments with binaries always go out as
//! BINARY_EVENT / BINARY_ACK: clients only rebuild buffers for types 5 and 6.

use bytes::Bytes;

use super::args::Args;
use super::binary::frame;
use super::handler::ConnectError;
use super::packet::{PacketType, encode};
use crate::transport::Message;

/// An EVENT (or BINARY_EVENT) packet: `event` with `args`, optionally asking for ack `id`.
pub fn event(
    namespace: &str,
    event: &str,
    args: &Args,
    binaries: &[Bytes],
    id: Option<u64>,
) -> Vec<Message> {
    let packet_type = if binaries.is_empty() {
        PacketType::Event
    } else {
        PacketType::BinaryEvent
    };
    frame(
        encode(
            packet_type,
            namespace,
            binaries.len(),
            id,
            Some(&args.prepend(&json_string(event))),
        ),
        binaries,
    )
}

/// An EVENT with one argument, an object whose last member each recipient gets its own value of:
/// the packet is `head`, the value's JSON, then `tail`, so a fan-out with a value per recipient
/// builds each frame with one allocation and copies only that value.
#[derive(Debug, Clone)]
pub struct EventTemplate {
    head: String,
    tail: String,
}

impl EventTemplate {
    /// `event` with the argument `object_head` + value + `}`; `object_head` is compact JSON that
    /// opens an object and ends with the last member's `"key":`.
    pub fn new(namespace: &str, event: &str, object_head: &str) -> Self {
        let head = encode(
            PacketType::Event,
            namespace,
            0,
            None,
            Some(&format!("[{},{object_head}", json_string(event))),
        );
        Self {
            head,
            tail: "}]".to_owned(),
        }
    }

    /// The packet with `value` (compact JSON) filled in.
    pub fn fill(&self, value: &str) -> Message {
        Message::text_parts(&[&self.head, value, &self.tail])
    }
}

/// An ACK (or BINARY_ACK) packet answering request `id`.
pub fn ack(namespace: &str, id: u64, args: &Args, binaries: &[Bytes]) -> Vec<Message> {
    let packet_type = if binaries.is_empty() {
        PacketType::Ack
    } else {
        PacketType::BinaryAck
    };
    frame(
        encode(
            packet_type,
            namespace,
            binaries.len(),
            Some(id),
            Some(args.as_json()),
        ),
        binaries,
    )
}

/// The CONNECT reply `0[/nsp,]{"sid":"<id>"}`.
pub fn connect(namespace: &str, socket_id: &str) -> Message {
    let payload = format!(r#"{{"sid":{}}}"#, json_string(socket_id));
    text(encode(
        PacketType::Connect,
        namespace,
        0,
        None,
        Some(&payload),
    ))
}

/// A CONNECT_ERROR `4[/nsp,]{"message":..[,"data":..]}`.
pub fn connect_error(namespace: &str, error: &ConnectError) -> Message {
    text(encode(
        PacketType::ConnectError,
        namespace,
        0,
        None,
        Some(&error.to_json()),
    ))
}

/// The CONNECT_ERROR Node sends for a namespace that does not exist.
pub fn invalid_namespace(namespace: &str) -> Message {
    connect_error(namespace, &ConnectError::new("Invalid namespace"))
}

/// A DISCONNECT `1[/nsp,]`.
pub fn disconnect(namespace: &str) -> Message {
    text(encode(PacketType::Disconnect, namespace, 0, None, None))
}

fn text(packet: String) -> Message {
    Message::text_owned(packet)
}

fn json_string(value: &str) -> String {
    // Serialising a &str cannot fail; the fallback only satisfies the type.
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn texts(messages: &[Message]) -> Vec<String> {
        messages
            .iter()
            .map(|m| match m {
                Message::Text(frame) => frame.to_string(),
                Message::Binary(b) => format!("<{} bytes>", b.len()),
            })
            .collect()
    }

    #[test]
    fn a_template_fills_in_the_last_member() {
        let template = EventTemplate::new("/", "sync", r#"{"a":1,"b":"#);
        let filled = template.fill(r#"{"to":"ann"}"#);
        let whole = event(
            "/",
            "sync",
            &Args::from_json(r#"[{"a":1,"b":{"to":"ann"}}]"#).unwrap(),
            &[],
            None,
        );
        assert_eq!(texts(&[filled]), texts(&whole));
        let other = EventTemplate::new("/chat", "sync", r#"{"b":"#).fill("null");
        assert_eq!(texts(&[other]), [r#"2/chat,["sync",{"b":null}]"#]);
    }

    #[test]
    fn builds_node_strings() {
        let args = Args::from_json(r#"[1,"2",{"3":[true]}]"#).unwrap();
        assert_eq!(
            texts(&event("/", "message-back", &args, &[], None)),
            [r#"2["message-back",1,"2",{"3":[true]}]"#]
        );
        assert_eq!(
            texts(&event(
                "/custom",
                "auth",
                &Args::from_json("[{}]").unwrap(),
                &[],
                None
            )),
            [r#"2/custom,["auth",{}]"#]
        );
        assert_eq!(
            texts(&event("/", "x", &Args::empty(), &[], Some(0))),
            [r#"20["x"]"#]
        );
        let placeholders =
            Args::from_json(r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
                .unwrap();
        let binaries = [
            Bytes::from_static(&[1, 2, 3]),
            Bytes::from_static(&[4, 5, 6]),
        ];
        assert_eq!(
            texts(&ack("/", 789, &placeholders, &binaries)),
            [
                r#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
                "<3 bytes>",
                "<3 bytes>"
            ]
        );
        assert_eq!(texts(&[connect("/", "abc")]), [r#"0{"sid":"abc"}"#]);
        assert_eq!(
            texts(&[invalid_namespace("/random")]),
            [r#"4/random,{"message":"Invalid namespace"}"#]
        );
        assert_eq!(texts(&[disconnect("/custom")]), ["1/custom,"]);
        let refused = ConnectError::new("no")
            .with_data(serde_json::value::RawValue::from_string(r#"{"code":1}"#.into()).unwrap());
        assert_eq!(
            texts(&[connect_error("/", &refused)]),
            [r#"4{"message":"no","data":{"code":1}}"#]
        );
    }
}
