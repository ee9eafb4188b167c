//! Binary attachments: collecting the binary messages that follow a BINARY_EVENT / BINARY_ACK, and
//! framing outgoing packets with attachments.
//!
//! On the wire every buffer inside the arguments is replaced by `{"_placeholder":true,"num":i}` (at
//! any depth, numbered in traversal order), the packet type becomes 5 or 6 with `<n>-`, and n binary
//! messages follow. The arguments stay raw JSON with their placeholders; the buffers travel beside
//! them in order, so an echo re-sends the same header and the same bytes. Pure: no I/O and no clock;
//! the byte budget of a waiting packet is enforced here, its time budget by the connection.

use bytes::Bytes;
use serde_json::Value;

use super::packet::{self, Packet, ParseError};
use crate::transport::Message;

/// The default byte budget of one binary packet (header and attachments): one `maxPayload`.
pub const DEFAULT_MAX_BINARY_BYTES: usize = 1_000_000;

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
/// header waiting, or a text message while one is waiting, is an error (as in Node's parser). The
/// header and attachments held for one packet never exceed `max_bytes` (Node has no such budget).
#[derive(Debug)]
pub struct Reassembler {
    max_attachments: usize,
    max_bytes: usize,
    pending: Option<Decoded>,
    /// Bytes of the waiting packet's header and attachments so far.
    held: usize,
    /// Binary packets begun so far; identifies the one waiting.
    begun: u64,
}

impl Reassembler {
    /// A reassembler accepting at most `max_attachments` attachments per packet and holding at most
    /// `max_bytes` of one packet (header text and attachments).
    pub fn new(max_attachments: usize, max_bytes: usize) -> Self {
        Self {
            max_attachments,
            max_bytes,
            pending: None,
            held: 0,
            begun: 0,
        }
    }

    /// The sequence number of the packet waiting for attachments, if one is: a timer armed for it
    /// can tell whether the packet it was armed for is still the one waiting.
    pub fn waiting_packet(&self) -> Option<u64> {
        self.pending.as_ref().map(|_| self.begun)
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
                if text.len() > self.max_bytes {
                    return Err(ParseError::BinaryTooLarge(self.max_bytes));
                }
                let binaries = Vec::with_capacity(packet.attachments);
                self.pending = Some(Decoded { packet, binaries });
                self.held = text.len();
                self.begun += 1;
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
    /// [`ParseError::UnexpectedBinary`] when no binary packet is waiting;
    /// [`ParseError::BinaryTooLarge`] when this attachment takes the packet past the byte budget (the
    /// packet is then dropped).
    pub fn feed_binary(&mut self, data: Bytes) -> Result<Option<Decoded>, ParseError> {
        let pending = self.pending.as_mut().ok_or(ParseError::UnexpectedBinary)?;
        self.held = self.held.saturating_add(data.len());
        if self.held > self.max_bytes {
            self.pending = None;
            return Err(ParseError::BinaryTooLarge(self.max_bytes));
        }
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
        let mut reassembler = Reassembler::new(10, 1 << 20);
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
        let mut reassembler = Reassembler::new(10, 1 << 20);
        let deep = format!(r#"51-["m",{{"a":[1,{{"b":{PH0}}}]}}]"#);
        assert_eq!(reassembler.feed_text(&deep).unwrap(), None);
        let mut reassembler = Reassembler::new(10, 1 << 20);
        let out_of_range = format!(r#"51-["m",{{"a":[1,{{"b":{PH1}}}]}}]"#);
        assert_eq!(
            reassembler.feed_text(&out_of_range),
            Err(ParseError::IllegalPlaceholder)
        );
        let bad_num = r#"51-["m",[{"_placeholder":true,"num":"0"}]]"#;
        assert_eq!(
            Reassembler::new(10, 1 << 20).feed_text(bad_num),
            Err(ParseError::IllegalPlaceholder)
        );
    }

    #[test]
    fn stray_binary_and_interleaved_text_are_errors() {
        let mut reassembler = Reassembler::new(10, 1 << 20);
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
        let done = Reassembler::new(10, 1 << 20)
            .feed_text(r#"50-["m"]"#)
            .unwrap()
            .unwrap();
        assert!(done.binaries.is_empty());
    }

    #[test]
    fn too_many_attachments_are_refused() {
        assert_eq!(
            Reassembler::new(10, 1 << 20).feed_text(r#"511-["m"]"#),
            Err(ParseError::TooManyAttachments)
        );
    }

    #[test]
    fn a_packet_past_the_byte_budget_is_refused_and_dropped() {
        let header = format!(r#"52-["m",{PH0},{PH1}]"#);
        let budget = header.len() + 10;
        let mut reassembler = Reassembler::new(10, budget);
        assert_eq!(reassembler.feed_text(&header).unwrap(), None);
        assert_eq!(reassembler.waiting_packet(), Some(1));
        assert_eq!(
            reassembler.feed_binary(Bytes::from(vec![0; 6])).unwrap(),
            None
        );
        assert_eq!(
            reassembler.feed_binary(Bytes::from(vec![0; 5])),
            Err(ParseError::BinaryTooLarge(budget))
        );
        assert!(!reassembler.is_waiting());
        // The header alone may not exceed it either.
        assert_eq!(
            Reassembler::new(10, 8).feed_text(&header),
            Err(ParseError::BinaryTooLarge(8))
        );
        // Exactly at the budget is fine, and the next packet gets the next number.
        let mut reassembler = Reassembler::new(10, header.len() + 10);
        reassembler.feed_text(&header).unwrap();
        reassembler.feed_binary(Bytes::from(vec![0; 5])).unwrap();
        assert!(
            reassembler
                .feed_binary(Bytes::from(vec![0; 5]))
                .unwrap()
                .is_some()
        );
        reassembler.feed_text(&header).unwrap();
        assert_eq!(reassembler.waiting_packet(), Some(2));
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
