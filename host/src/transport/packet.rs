//! The Engine.IO v4 packet codec: one packet from a WebSocket frame, and the `\x1e`-separated bodies of
//! HTTP long-polling.
//!
//! Pure functions over bytes: no I/O, no clock, no connection state, so they can be table-tested and fuzzed.
//! Binary travels raw in WebSocket frames and as `b` + standard base64 in polling bodies (no `4` after
//! the `b` in v4).

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;

use super::{Incoming, Message};

/// Separates packets in a polling body (ASCII record separator).
pub(crate) const SEPARATOR: char = '\x1e';

/// Standard alphabet; padding optional on input (browsers always pad, lenient peers may not).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One packet received from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Packet {
    /// `0`: meaningless from a client; ignored.
    Open,
    /// `1`: the client closes the connection.
    Close,
    /// `2`: a ping; only `2probe` (the upgrade probe) is legal from a v4 client.
    Ping { probe: bool },
    /// `3`: a pong answering the server's ping (`3probe` is the server's answer to a probe).
    Pong,
    /// `4`: a message for the upper layer.
    Message(Incoming),
    /// `5`: completes an upgrade.
    Upgrade,
    /// `6`: no operation.
    Noop,
}

/// A packet or payload that does not follow the Engine.IO v4 grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PacketError {
    /// The packet was empty.
    #[error("empty packet")]
    Empty,
    /// The first character is not a packet type digit or `b`.
    #[error("unknown packet type")]
    UnknownType,
    /// The base64 of a binary packet did not decode.
    #[error("invalid base64 in binary packet")]
    InvalidBase64,
    /// A polling body was not UTF-8.
    #[error("payload is not utf-8")]
    NotUtf8,
}

/// Parses one text packet: a WebSocket text frame, or one piece of a polling body.
pub(crate) fn parse_text(text: &str) -> Result<Packet, PacketError> {
    let mut chars = text.chars();
    let kind = chars.next().ok_or(PacketError::Empty)?;
    let data = chars.as_str();
    Ok(match kind {
        '0' => Packet::Open,
        '1' => Packet::Close,
        '2' => Packet::Ping {
            probe: data == "probe",
        },
        '3' => Packet::Pong,
        '4' => Packet::Message(Incoming::Text(data.to_owned())),
        '5' => Packet::Upgrade,
        '6' => Packet::Noop,
        'b' => {
            let bytes = BASE64
                .decode(data)
                .map_err(|_| PacketError::InvalidBase64)?;
            Packet::Message(Incoming::Binary(Bytes::from(bytes)))
        }
        _ => return Err(PacketError::UnknownType),
    })
}

/// Checks one text packet as [`parse_text`] would, without building it (a binary packet's base64 is
/// decoded and dropped).
fn check_text(text: &str) -> Result<(), PacketError> {
    match text.chars().next() {
        None => Err(PacketError::Empty),
        Some('0'..='6') => Ok(()),
        Some('b') => parse_text(text).map(drop),
        Some(_) => Err(PacketError::UnknownType),
    }
}

/// A polling body checked whole, then read one packet at a time. The body stays the one buffer it
/// arrived in: a body of many tiny packets turned into a vector of packets at once would take many
/// times its own size.
#[derive(Debug, Clone)]
pub(crate) struct Payload(Bytes);

impl Payload {
    /// Checks a whole polling body. Any bad packet rejects the whole body, so nothing of it is
    /// delivered.
    pub(crate) fn parse(body: Bytes) -> Result<Self, PacketError> {
        let text = std::str::from_utf8(&body).map_err(|_| PacketError::NotUtf8)?;
        text.split(SEPARATOR).try_for_each(check_text)?;
        Ok(Self(body))
    }

    /// The packets, in order, each decoded when reached.
    pub(crate) fn packets(&self) -> impl Iterator<Item = Packet> + '_ {
        // Both were checked by `parse`, so nothing is skipped here.
        let text = std::str::from_utf8(&self.0).unwrap_or_default();
        text.split(SEPARATOR)
            .filter_map(|piece| parse_text(piece).ok())
    }
}

/// Parses a whole polling body into packets at once (tests only; the server reads a [`Payload`]).
#[cfg(test)]
fn parse_payload(body: &[u8]) -> Result<Vec<Packet>, PacketError> {
    let payload = Payload::parse(Bytes::copy_from_slice(body))?;
    Ok(payload.packets().collect())
}

/// Appends one message to a polling body being built (the caller adds the separators).
pub(crate) fn encode_polling(message: &Message, body: &mut String) {
    match message {
        Message::Text(frame) => body.push_str(frame.framed()),
        Message::Binary(bytes) => {
            body.push('b');
            BASE64.encode_string(bytes, body);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn text_packets_follow_the_spec_examples() {
        let cases: &[(&str, Packet)] = &[
            ("0", Packet::Open),
            ("1", Packet::Close),
            ("2", Packet::Ping { probe: false }),
            ("2probe", Packet::Ping { probe: true }),
            ("3", Packet::Pong),
            ("3probe", Packet::Pong),
            ("4hello", Packet::Message(Incoming::Text("hello".into()))),
            ("4", Packet::Message(Incoming::Text(String::new()))),
            ("4€uro", Packet::Message(Incoming::Text("€uro".into()))),
            ("5", Packet::Upgrade),
            ("6", Packet::Noop),
            (
                "bAQIDBA==",
                Packet::Message(Incoming::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
            ),
            (
                "bAQIDBA",
                Packet::Message(Incoming::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
            ),
        ];
        for (text, packet) in cases {
            assert_eq!(parse_text(text).as_ref(), Ok(packet), "{text}");
        }
    }

    #[test]
    fn malformed_packets_are_rejected() {
        assert_eq!(parse_text(""), Err(PacketError::Empty));
        assert_eq!(parse_text("abc"), Err(PacketError::UnknownType));
        assert_eq!(parse_text("7"), Err(PacketError::UnknownType));
        assert_eq!(parse_text("b!!"), Err(PacketError::InvalidBase64));
        assert_eq!(parse_payload(b"4a\x1eabc"), Err(PacketError::UnknownType));
        assert_eq!(parse_payload(b"4a\x1e"), Err(PacketError::Empty));
        assert_eq!(parse_payload(&[b'4', 0xff]), Err(PacketError::NotUtf8));
        assert_eq!(parse_payload(b"4a\x1eb!!"), Err(PacketError::InvalidBase64));
    }

    #[test]
    fn payloads_split_on_the_record_separator() {
        let packets = parse_payload(b"4hello\x1ebAQIDBA==\x1e3").unwrap();
        assert_eq!(packets.len(), 3);
        assert_eq!(packets[2], Packet::Pong);
    }

    #[test]
    fn polling_encoding_uses_b_and_standard_base64() {
        let mut body = String::new();
        encode_polling(&Message::text("hello"), &mut body);
        body.push(SEPARATOR);
        encode_polling(
            &Message::binary(Bytes::from_static(&[1, 2, 3, 4, 0xfb, 0xff])),
            &mut body,
        );
        assert_eq!(body, "4hello\x1ebAQIDBPv/");
    }
}
