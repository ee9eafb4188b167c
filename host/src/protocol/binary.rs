//! Binary attachments: collecting the binary messages that follow a BINARY_EVENT / BINARY_ACK, and
//! framing outgoing packets with attachments.
//!
//! On the wire every buffer inside the arguments is replaced by `{"_placeholder":true,"num":i}` (at
//! any depth, numbered in traversal order), the packet type becomes 5 or 6 with `<n>-`, and n binary
//! messages follow. The arguments stay raw JSON with their placeholders; the buffers travel beside
//! them in order, so an echo re-sends the same header and the same bytes. Pure: no I/O.

use bytes::Bytes;
use serde_json::Value;

use super::packet::{self, Packet, ParseError};
use crate::transport::Message;

/// A complete packet with the attachments it announced, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The packet (its placeholders are left in the payload).
    pub packet: Packet,
    /// The attachments, `packet.attachments` of them.
    pub binaries: Vec<Bytes>,
}

/// Turns the message stream of one connection into complete packets.
///
/// A binary packet's header is held until its attachments have arrived; a binary message with no
/// header waiting, or a text message while one is waiting, is an error (as in Node's parser).
#[derive(Debug)]
pub struct Reassembler {
    max_attachments: usize,
    pending: Option<Decoded>,
}

impl Reassembler {
    /// A reassembler accepting at most `max_attachments` attachments per packet.
    pub fn new(max_attachments: usize) -> Self {
        Self {
            max_attachments,
            pending: None,
        }
    }

    /// Feeds one text message; returns the packet when it is complete.
    ///
    /// # Errors
    /// Any [`ParseError`]; the connection should then be closed.
    pub fn feed_text(&mut self, text: &str) -> Result<Option<Decoded>, ParseError> {
        if self.pending.is_some() {
            return Err(ParseError::UnexpectedText);
        }
        let packet = packet::decode(text, self.max_attachments)?;
        if packet.packet_type.is_binary() {
            if let Some(payload) = &packet.payload {
                check_placeholders(payload.get(), packet.attachments)?;
            }
            if packet.attachments > 0 {
                let binaries = Vec::with_capacity(packet.attachments);
                self.pending = Some(Decoded { packet, binaries });
                return Ok(None);
            }
        }
        Ok(Some(Decoded {
            packet,
            binaries: Vec::new(),
        }))
    }

    /// Feeds one binary message; returns the packet when it was the last attachment.
    ///
    /// # Errors
    /// [`ParseError::UnexpectedBinary`] when no binary packet is waiting.
    pub fn feed_binary(&mut self, data: Bytes) -> Result<Option<Decoded>, ParseError> {
        let pending = self.pending.as_mut().ok_or(ParseError::UnexpectedBinary)?;
        pending.binaries.push(data);
        if pending.binaries.len() < pending.packet.attachments {
            return Ok(None);
        }
        Ok(self.pending.take())
    }

    /// Whether a binary packet is waiting for attachments.
    pub fn is_waiting(&self) -> bool {
        self.pending.is_some()
    }
}

/// Checks that every placeholder, at any depth, names an attachment that exists.
fn check_placeholders(payload: &str, attachments: usize) -> Result<(), ParseError> {
    let value: Value = serde_json::from_str(payload).map_err(|_| ParseError::InvalidJson)?;
    let mut stack = vec![&value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if map.get("_placeholder") == Some(&Value::Bool(true)) {
                    let num = map.get("num").and_then(Value::as_u64);
                    if num.is_none_or(|num| num >= attachments as u64) {
                        return Err(ParseError::IllegalPlaceholder);
                    }
                } else {
                    stack.extend(map.values());
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    Ok(())
}

/// The JSON text of the placeholder for attachment `num`.
pub fn placeholder(num: usize) -> String {
    format!(r#"{{"_placeholder":true,"num":{num}}}"#)
}

/// The wire messages of one packet: the text header, then each attachment. Built once and shared by
/// every recipient of a broadcast.
pub fn frame(header: String, binaries: &[Bytes]) -> Vec<Message> {
    let mut messages = Vec::with_capacity(1 + binaries.len());
    messages.push(Message::text_owned(header));
    messages.extend(binaries.iter().cloned().map(Message::Binary));
    messages
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::protocol::packet::PacketType;

    const PH0: &str = r#"{"_placeholder":true,"num":0}"#;
    const PH1: &str = r#"{"_placeholder":true,"num":1}"#;

    #[test]
    fn header_waits_for_all_attachments() {
        let mut reassembler = Reassembler::new(10);
        let header = format!(r#"452-["message",{PH0},{PH1}]"#);
        assert_eq!(reassembler.feed_text(&header[1..]).unwrap(), None);
        assert!(reassembler.is_waiting());
        assert_eq!(
            reassembler
                .feed_binary(Bytes::from_static(&[1, 2, 3]))
                .unwrap(),
            None
        );
        let done = reassembler
            .feed_binary(Bytes::from_static(&[4, 5, 6]))
            .unwrap()
            .unwrap();
        assert_eq!(done.packet.packet_type, PacketType::BinaryEvent);
        assert_eq!(
            done.binaries,
            vec![
                Bytes::from_static(&[1, 2, 3]),
                Bytes::from_static(&[4, 5, 6])
            ]
        );
        assert!(!reassembler.is_waiting());
    }

    #[test]
    fn placeholders_at_any_depth_are_checked() {
        let mut reassembler = Reassembler::new(10);
        let deep = format!(r#"51-["m",{{"a":[1,{{"b":{PH0}}}]}}]"#);
        assert_eq!(reassembler.feed_text(&deep).unwrap(), None);
        let mut reassembler = Reassembler::new(10);
        let out_of_range = format!(r#"51-["m",{{"a":[1,{{"b":{PH1}}}]}}]"#);
        assert_eq!(
            reassembler.feed_text(&out_of_range),
            Err(ParseError::IllegalPlaceholder)
        );
        let bad_num = r#"51-["m",[{"_placeholder":true,"num":"0"}]]"#;
        assert_eq!(
            Reassembler::new(10).feed_text(bad_num),
            Err(ParseError::IllegalPlaceholder)
        );
    }

    #[test]
    fn stray_binary_and_interleaved_text_are_errors() {
        let mut reassembler = Reassembler::new(10);
        assert_eq!(
            reassembler.feed_binary(Bytes::new()),
            Err(ParseError::UnexpectedBinary)
        );
        reassembler
            .feed_text(&format!(r#"51-["m",{PH0}]"#))
            .unwrap();
        assert_eq!(
            reassembler.feed_text(r#"2["m"]"#),
            Err(ParseError::UnexpectedText)
        );
    }

    #[test]
    fn zero_attachments_complete_at_once() {
        let done = Reassembler::new(10)
            .feed_text(r#"50-["m"]"#)
            .unwrap()
            .unwrap();
        assert!(done.binaries.is_empty());
    }

    #[test]
    fn too_many_attachments_are_refused() {
        assert_eq!(
            Reassembler::new(10).feed_text(r#"511-["m"]"#),
            Err(ParseError::TooManyAttachments)
        );
    }

    #[test]
    fn frame_puts_header_first() {
        let messages = frame("x".to_owned(), &[Bytes::from_static(b"ab")]);
        assert_eq!(
            messages,
            vec![
                Message::text("x"),
                Message::Binary(Bytes::from_static(b"ab"))
            ]
        );
        assert_eq!(placeholder(3), r#"{"_placeholder":true,"num":3}"#);
    }
}
