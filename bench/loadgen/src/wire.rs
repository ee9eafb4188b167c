//! The few Engine.IO v4 / Socket.IO v5 text frames the benchmark speaks, encoded and decoded
//! without I/O so they can be tested on their own.
//!
//! Only namespace `/` and the default (JSON) parser are supported; anything else a server sends is
//! reported as `Other` rather than guessed at. Decoding never panics on server input.

use serde::Deserialize;
use serde::de::IgnoredAny;

/// A frame received from the server, as far as the benchmark cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// EIO `open` (the handshake JSON is not needed).
    Open,
    /// EIO `ping`, to be answered with a pong.
    Ping,
    /// EIO `close`.
    Close,
    /// SIO CONNECT accepted on `/`.
    Connected,
    /// SIO CONNECT_ERROR on `/`, with its raw payload.
    ConnectRefused(String),
    /// SIO ACK with its id.
    Ack(u64),
    /// SIO EVENT `msg` carrying a benchmark payload.
    Msg(Delivery),
    /// SIO EVENT `msg` whose payload is not `{seq, sentUs, ...}`.
    MalformedMsg,
    /// Anything else (other events, pongs, noops).
    Other,
}

/// The fields of a broadcast payload that the receivers check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Delivery {
    /// Publisher sequence number, from 0.
    pub seq: u64,
    /// Publisher send time in microseconds since the load generator's epoch.
    #[serde(rename = "sentUs")]
    pub sent_us: u64,
}

/// Classifies one text frame.
pub fn decode(text: &str) -> Incoming {
    let bytes = text.as_bytes();
    match bytes.first() {
        Some(b'0') => Incoming::Open,
        Some(b'1') => Incoming::Close,
        Some(b'2') => Incoming::Ping,
        Some(b'4') => decode_socketio(&text[1..]),
        _ => Incoming::Other,
    }
}

fn decode_socketio(packet: &str) -> Incoming {
    let Some(kind) = packet.as_bytes().first() else {
        return Incoming::Other;
    };
    let rest = &packet[1..];
    match kind {
        b'0' if !rest.starts_with('/') => Incoming::Connected,
        b'4' if !rest.starts_with('/') => Incoming::ConnectRefused(rest.to_owned()),
        b'3' => {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            rest[..digits]
                .parse()
                .map_or(Incoming::Other, Incoming::Ack)
        }
        b'2' if rest.starts_with("[\"msg\",") => {
            match serde_json::from_str::<(IgnoredAny, Delivery)>(rest) {
                Ok((_, delivery)) => Incoming::Msg(delivery),
                Err(_) => Incoming::MalformedMsg,
            }
        }
        _ => Incoming::Other,
    }
}

/// The EIO pong answering a ping.
pub const PONG: &str = "3";

/// The SIO CONNECT to namespace `/` with no auth.
pub const CONNECT: &str = "40";

/// `join` with the room as its only argument, asking for an ack with `ack_id`.
pub fn encode_join(ack_id: u64, room: &str) -> String {
    format!("42{ack_id}[\"join\",{}]", json_string(room))
}

/// `publish` with `[room, {seq, sentUs, pad}]`, asking for an ack with `ack_id`.
pub fn encode_publish(ack_id: u64, room: &str, delivery: Delivery, pad: &str) -> String {
    format!(
        "42{ack_id}[\"publish\",{},{{\"seq\":{},\"sentUs\":{},\"pad\":{}}}]",
        json_string(room),
        delivery.seq,
        delivery.sent_us,
        json_string(pad)
    )
}

/// Padding that brings the JSON payload object to roughly `payload_bytes`.
pub fn padding_for(payload_bytes: usize) -> String {
    // `{"seq":N,"sentUs":T,"pad":""}` is about 40 bytes for typical N and T.
    "x".repeat(payload_bytes.saturating_sub(40))
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
    fn decodes_engine_io_control_frames() {
        assert_eq!(decode(r#"0{"sid":"a","upgrades":[]}"#), Incoming::Open);
        assert_eq!(decode("2"), Incoming::Ping);
        assert_eq!(decode("1"), Incoming::Close);
        assert_eq!(decode("6"), Incoming::Other);
        assert_eq!(decode(""), Incoming::Other);
    }

    #[test]
    fn decodes_connect_replies_on_root_namespace_only() {
        assert_eq!(decode(r#"40{"sid":"x"}"#), Incoming::Connected);
        assert_eq!(decode(r#"40/admin,{"sid":"x"}"#), Incoming::Other);
        assert_eq!(
            decode(r#"44{"message":"no"}"#),
            Incoming::ConnectRefused(r#"{"message":"no"}"#.to_owned())
        );
    }

    #[test]
    fn decodes_acks_by_id() {
        assert_eq!(decode(r#"437["ok"]"#), Incoming::Ack(7));
        assert_eq!(decode(r#"43["ok"]"#), Incoming::Other);
    }

    #[test]
    fn decodes_msg_whatever_the_key_order() {
        let expected = Incoming::Msg(Delivery {
            seq: 3,
            sent_us: 99,
        });
        assert_eq!(
            decode(r#"42["msg",{"seq":3,"sentUs":99,"pad":"xx"}]"#),
            expected
        );
        assert_eq!(
            decode(r#"42["msg",{"pad":"xx","sentUs":99,"seq":3}]"#),
            expected
        );
        assert_eq!(decode(r#"42["msg",{"seq":"3"}]"#), Incoming::MalformedMsg);
        assert_eq!(decode(r#"42["other",{"seq":3}]"#), Incoming::Other);
    }

    #[test]
    fn publish_round_trips_through_the_msg_decoder() {
        let delivery = Delivery {
            seq: 12,
            sent_us: 3456,
        };
        let frame = encode_publish(5, "room \"a\"", delivery, &padding_for(100));
        assert!(frame.starts_with(r#"425["publish","room \"a\"",{"seq":12,"#));
        // A server rebroadcasts the payload object as the `msg` argument.
        let payload = frame
            .split_once(r#"a\"","#)
            .unwrap()
            .1
            .trim_end_matches(']');
        // "About" 100 bytes: the digits of seq and sentUs vary.
        assert!((90..=110).contains(&payload.len()), "{}", payload.len());
        let rebroadcast = format!("42[\"msg\",{payload}]");
        assert_eq!(decode(&rebroadcast), Incoming::Msg(delivery));
    }

    #[test]
    fn encodes_join_with_ack_id() {
        assert_eq!(encode_join(1, "bench"), r#"421["join","bench"]"#);
    }
}
