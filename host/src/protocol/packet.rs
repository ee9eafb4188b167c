//! The Socket.IO v5 default-parser codec: one text packet to a [`Packet`] and back.
//!
//! Pure: no I/O, no allocation beyond the packet itself, so it can be fuzzed and benchmarked alone.
//! Decoding is as strict as Node's `socket.io-parser` (an invalid packet is an error, and the caller
//! closes the connection); encoding produces Node's exact strings. Payloads stay raw JSON text
//! (compacted, key order and number spelling kept) so that what a client sent can be echoed byte for
//! byte. Binary attachments are handled by [`super::binary`].

use std::fmt::Write as _;

use serde_json::value::RawValue;

use super::args::{Args, compact};

/// Event names a client may not send: they are reserved for the library's own events.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// The attachment limit of Node's parser (`maxAttachments`).
pub const DEFAULT_MAX_ATTACHMENTS: usize = 10;

/// The seven Socket.IO packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketType {
    /// `0`: join a namespace (client) or accept the join (server).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event with JSON arguments.
    Event,
    /// `3`: the answer to an event that asked for one.
    Ack,
    /// `4`: the server refused a CONNECT.
    ConnectError,
    /// `5`: an event whose arguments carry binary attachments.
    BinaryEvent,
    /// `6`: an ack whose arguments carry binary attachments.
    BinaryAck,
}

impl PacketType {
    /// The type digit on the wire.
    pub fn digit(self) -> char {
        match self {
            Self::Connect => '0',
            Self::Disconnect => '1',
            Self::Event => '2',
            Self::Ack => '3',
            Self::ConnectError => '4',
            Self::BinaryEvent => '5',
            Self::BinaryAck => '6',
        }
    }

    fn from_digit(byte: u8) -> Option<Self> {
        Some(match byte {
            b'0' => Self::Connect,
            b'1' => Self::Disconnect,
            b'2' => Self::Event,
            b'3' => Self::Ack,
            b'4' => Self::ConnectError,
            b'5' => Self::BinaryEvent,
            b'6' => Self::BinaryAck,
            _ => return None,
        })
    }

    /// Whether binary attachments follow packets of this type.
    pub fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }
}

/// Why a text packet was rejected. Every variant closes the connection that sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The packet was empty.
    #[error("empty packet")]
    Empty,
    /// The first character is not a type digit 0–6.
    #[error("unknown packet type")]
    UnknownType,
    /// The `<n>-` attachment count of a binary packet is missing or not a number.
    #[error("illegal attachments")]
    IllegalAttachments,
    /// More attachments were announced than the limit allows.
    #[error("too many attachments")]
    TooManyAttachments,
    /// The ack id does not fit in 64 bits.
    #[error("ack id too large")]
    AckIdOverflow,
    /// The payload is not JSON.
    #[error("payload is not valid json")]
    InvalidJson,
    /// The payload is JSON but not what this packet type allows.
    #[error("invalid payload for a {0:?} packet")]
    InvalidPayload(PacketType),
    /// A placeholder points at an attachment that does not exist.
    #[error("placeholder refers to a missing attachment")]
    IllegalPlaceholder,
    /// A binary message arrived while no binary packet was waiting for attachments.
    #[error("binary message without a binary packet")]
    UnexpectedBinary,
    /// A text packet arrived while a binary packet was still waiting for attachments.
    #[error("text packet while attachments were pending")]
    UnexpectedText,
    /// A binary packet's header and attachments together exceed the byte budget.
    #[error("binary packet larger than {0} bytes")]
    BinaryTooLarge(usize),
}

/// One decoded (or to-be-encoded) Socket.IO packet.
#[derive(Debug, Clone)]
pub struct Packet {
    /// The packet type.
    pub packet_type: PacketType,
    /// The namespace, `/` when the packet names none.
    pub namespace: String,
    /// The ack id, when the sender wants an answer (events) or answers (acks).
    pub id: Option<u64>,
    /// How many binary messages follow (types 5 and 6 only).
    pub attachments: usize,
    /// The JSON payload, compact, as the sender wrote it otherwise.
    pub payload: Option<Box<RawValue>>,
}

impl PartialEq for Packet {
    fn eq(&self, other: &Self) -> bool {
        fn payload(packet: &Packet) -> Option<&str> {
            packet.payload.as_deref().map(RawValue::get)
        }
        (self.packet_type, &self.namespace, self.id, self.attachments)
            == (
                other.packet_type,
                &other.namespace,
                other.id,
                other.attachments,
            )
            && payload(self) == payload(other)
    }
}

impl Packet {
    /// Encodes the packet to its wire text (without the Engine.IO digit).
    pub fn encode(&self) -> String {
        let payload = self.payload.as_deref().map(RawValue::get);
        encode(
            self.packet_type,
            &self.namespace,
            self.attachments,
            self.id,
            payload,
        )
    }

    /// Splits a validated EVENT / BINARY_EVENT payload into the event name and the other arguments.
    ///
    /// # Errors
    /// [`ParseError::InvalidPayload`] when this is not an event packet with a valid payload.
    pub fn event_parts(&self) -> Result<(String, Args), ParseError> {
        let invalid = ParseError::InvalidPayload(self.packet_type);
        let payload = self.payload.as_deref().ok_or_else(|| invalid.clone())?;
        let text = payload.get();
        let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|_| invalid.clone())?;
        let first = items.first().ok_or_else(|| invalid.clone())?;
        let name = event_name(first).ok_or(invalid)?;
        // The payload is compact, so the first element ends right before `,` or `]`.
        let end = first.get().as_ptr() as usize - text.as_ptr() as usize + first.get().len();
        let rest = text.get(end + 1..).unwrap_or("");
        let args = if rest.is_empty() {
            Args::empty()
        } else {
            Args::from_compact_unchecked(format!("[{rest}"))
        };
        Ok((name, args))
    }
}

/// Writes a packet's wire text: type digit, `<n>-` for binary types, namespace and `,` unless it is
/// `/`, ack id, payload. This is Node's encoder, byte for byte.
pub fn encode(
    packet_type: PacketType,
    namespace: &str,
    attachments: usize,
    id: Option<u64>,
    payload: Option<&str>,
) -> String {
    let mut out = String::with_capacity(namespace.len() + payload.map_or(0, str::len) + 24);
    out.push(packet_type.digit());
    // Writing to a String cannot fail.
    if packet_type.is_binary() {
        let _ = write!(out, "{attachments}-");
    }
    if namespace != "/" {
        out.push_str(namespace);
        out.push(',');
    }
    if let Some(id) = id {
        let _ = write!(out, "{id}");
    }
    if let Some(payload) = payload {
        out.push_str(payload);
    }
    out
}

/// Decodes one text packet (attachments, if announced, are collected by [`super::binary`]).
///
/// # Errors
/// Any [`ParseError`] but the two about binary ordering.
pub fn decode(text: &str, max_attachments: usize) -> Result<Packet, ParseError> {
    let bytes = text.as_bytes();
    let first = *bytes.first().ok_or(ParseError::Empty)?;
    let packet_type = PacketType::from_digit(first).ok_or(ParseError::UnknownType)?;
    let mut at = 1;

    let mut attachments = 0;
    if packet_type.is_binary() {
        let dash = text[at..].find('-').ok_or(ParseError::IllegalAttachments)? + at;
        let count = &text[at..dash];
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::IllegalAttachments);
        }
        attachments = count
            .parse::<usize>()
            .map_err(|_| ParseError::TooManyAttachments)?;
        if attachments > max_attachments {
            return Err(ParseError::TooManyAttachments);
        }
        at = dash + 1;
    }

    // A namespace runs from `/` to the first `,` or to the end of the packet (`40/custom` is valid).
    let mut namespace = "/";
    if bytes.get(at) == Some(&b'/') {
        let end = text[at..].find(',').map_or(text.len(), |comma| comma + at);
        namespace = &text[at..end];
        at = (end + 1).min(text.len());
    }

    let digits = bytes[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let id = if digits > 0 {
        let id = text[at..at + digits]
            .parse::<u64>()
            .map_err(|_| ParseError::AckIdOverflow)?;
        at += digits;
        Some(id)
    } else {
        None
    };

    let payload = match &text[at..] {
        "" => None,
        raw => Some(compact(raw).ok_or(ParseError::InvalidJson)?),
    };
    if !payload_is_valid(packet_type, payload.as_deref()) {
        return Err(ParseError::InvalidPayload(packet_type));
    }
    Ok(Packet {
        packet_type,
        namespace: namespace.to_owned(),
        id,
        attachments,
        payload,
    })
}

/// The payload rules of Node's parser, plus: events and acks must carry a payload.
fn payload_is_valid(packet_type: PacketType, payload: Option<&RawValue>) -> bool {
    let first_byte = payload.and_then(|raw| raw.get().bytes().next());
    match packet_type {
        PacketType::Connect => matches!(first_byte, None | Some(b'{')),
        PacketType::Disconnect => payload.is_none(),
        PacketType::ConnectError => matches!(first_byte, Some(b'{' | b'"')),
        PacketType::Ack | PacketType::BinaryAck => first_byte == Some(b'['),
        PacketType::Event | PacketType::BinaryEvent => payload.is_some_and(event_payload_is_valid),
    }
}

fn event_payload_is_valid(payload: &RawValue) -> bool {
    let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(payload.get()) else {
        return false;
    };
    items
        .first()
        .is_some_and(|first| event_name(first).is_some())
}

/// The event name of a first array element: a string that is not reserved, or a number (kept as
/// its JSON text).
fn event_name(first: &RawValue) -> Option<String> {
    match first.get().bytes().next()? {
        b'"' => {
            let name: String = serde_json::from_str(first.get()).ok()?;
            (!RESERVED_EVENTS.contains(&name.as_str())).then_some(name)
        }
        b'-' | b'0'..=b'9' => Some(first.get().to_owned()),
        _ => None,
    }
}

#[cfg(test)]
#[path = "packet_tests.rs"]
mod tests;
