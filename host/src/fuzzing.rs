//! Entry points for the fuzz targets in `host/fuzz/`: the pure decoders of the layers, reached
//! without widening any layer's own public API.
//!
//! Only thin forwarding lives here: no logic of its own, nothing the server uses. It must never
//! grow into a second way to call these codecs from product code.

use bytes::Bytes;

use crate::transport::{Incoming, Message};

pub use crate::plugin::msgpack_check::is_single_value;
pub use crate::sync::convert::{ConvertError, json_to_msgpack, msgpack_to_json};
pub use crate::sync::request::{
    SyncRequest, check_room_name, from_frame, from_http, response_index,
};

/// One packet of an Engine.IO polling body, as the transport decoded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollingPacket {
    /// A control packet: its type digit (`0`, `1`, `2`, `3`, `5`, `6`); `2probe` is `'p'`.
    Control(char),
    /// A text message (`4…`).
    Text(String),
    /// A binary message (`b` + base64).
    Binary(Bytes),
}

/// Decodes a polling request body the way the transport does; `None` when it refuses it.
pub fn decode_polling_body(body: &[u8]) -> Option<Vec<PollingPacket>> {
    use crate::transport::packet::{Packet, Payload};
    let payload = Payload::parse(Bytes::copy_from_slice(body)).ok()?;
    let packets = payload.packets().map(|packet| match packet {
        Packet::Open => PollingPacket::Control('0'),
        Packet::Close => PollingPacket::Control('1'),
        Packet::Ping { probe: false } => PollingPacket::Control('2'),
        Packet::Ping { probe: true } => PollingPacket::Control('p'),
        Packet::Pong => PollingPacket::Control('3'),
        Packet::Upgrade => PollingPacket::Control('5'),
        Packet::Noop => PollingPacket::Control('6'),
        Packet::Message(Incoming::Text(text)) => PollingPacket::Text(text),
        Packet::Message(Incoming::Binary(bytes)) => PollingPacket::Binary(bytes),
    });
    Some(packets.collect())
}

/// Encodes messages into one polling response body, as the transport does.
pub fn encode_polling_body(messages: &[Message]) -> String {
    let mut body = String::new();
    for (index, message) in messages.iter().enumerate() {
        if index > 0 {
            body.push(crate::transport::packet::SEPARATOR);
        }
        crate::transport::packet::encode_polling(message, &mut body);
    }
    body
}
