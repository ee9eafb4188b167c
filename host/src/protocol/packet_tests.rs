//! Table tests for the codec, taken from the protocol's examples and the conformance checks. The
//! Engine.IO `4` is not part of a Socket.IO packet, so `40/custom,` on the wire is `0/custom,` here.
#![allow(clippy::unwrap_used, clippy::type_complexity)]

use super::*;

fn ok(text: &str) -> Packet {
    decode(text, DEFAULT_MAX_ATTACHMENTS).unwrap_or_else(|e| panic!("{text:?} failed: {e}"))
}

fn err(text: &str) -> ParseError {
    decode(text, DEFAULT_MAX_ATTACHMENTS).expect_err(text)
}

#[test]
fn decodes_the_suite_packets() {
    // (packet, type, namespace, id, attachments, payload)
    let table: &[(&str, PacketType, &str, Option<u64>, usize, Option<&str>)] = &[
        ("0", PacketType::Connect, "/", None, 0, None),
        (
            r#"0{"token":"123"}"#,
            PacketType::Connect,
            "/",
            None,
            0,
            Some(r#"{"token":"123"}"#),
        ),
        ("0/custom,", PacketType::Connect, "/custom", None, 0, None),
        ("0/custom", PacketType::Connect, "/custom", None, 0, None),
        (
            r#"0/custom,{"token":"abc"}"#,
            PacketType::Connect,
            "/custom",
            None,
            0,
            Some(r#"{"token":"abc"}"#),
        ),
        ("0/random", PacketType::Connect, "/random", None, 0, None),
        ("1", PacketType::Disconnect, "/", None, 0, None),
        ("1/custom", PacketType::Disconnect, "/custom", None, 0, None),
        (
            "1/custom,",
            PacketType::Disconnect,
            "/custom",
            None,
            0,
            None,
        ),
        (
            r#"2["message",1,"2",{"3":[true]}]"#,
            PacketType::Event,
            "/",
            None,
            0,
            Some(r#"["message",1,"2",{"3":[true]}]"#),
        ),
        (
            r#"2456["message-with-ack",1]"#,
            PacketType::Event,
            "/",
            Some(456),
            0,
            Some(r#"["message-with-ack",1]"#),
        ),
        (
            r#"2/admin,456["project:delete",123]"#,
            PacketType::Event,
            "/admin",
            Some(456),
            0,
            Some(r#"["project:delete",123]"#),
        ),
        (
            r#"3/admin,456[]"#,
            PacketType::Ack,
            "/admin",
            Some(456),
            0,
            Some("[]"),
        ),
        (
            r#"4{"message":"Not authorized"}"#,
            PacketType::ConnectError,
            "/",
            None,
            0,
            Some(r#"{"message":"Not authorized"}"#),
        ),
        (
            r#"4"oops""#,
            PacketType::ConnectError,
            "/",
            None,
            0,
            Some(r#""oops""#),
        ),
        (
            r#"52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            PacketType::BinaryEvent,
            "/",
            None,
            2,
            Some(r#"["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
        ),
        (
            r#"52-789["message-with-ack",1]"#,
            PacketType::BinaryEvent,
            "/",
            Some(789),
            2,
            Some(r#"["message-with-ack",1]"#),
        ),
        (
            r#"61-/admin,456[{"_placeholder":true,"num":0}]"#,
            PacketType::BinaryAck,
            "/admin",
            Some(456),
            1,
            Some(r#"[{"_placeholder":true,"num":0}]"#),
        ),
        (
            r#"2[12,"x"]"#,
            PacketType::Event,
            "/",
            None,
            0,
            Some(r#"[12,"x"]"#),
        ),
        (
            "2[ \"a\" , { \"k\" : 1 } ]",
            PacketType::Event,
            "/",
            None,
            0,
            Some(r#"["a",{"k":1}]"#),
        ),
    ];
    for &(text, packet_type, namespace, id, attachments, payload) in table {
        let packet = ok(text);
        assert_eq!(packet.packet_type, packet_type, "{text}");
        assert_eq!(packet.namespace, namespace, "{text}");
        assert_eq!(packet.id, id, "{text}");
        assert_eq!(packet.attachments, attachments, "{text}");
        assert_eq!(
            packet.payload.as_deref().map(RawValue::get),
            payload,
            "{text}"
        );
    }
}

#[test]
fn rejects_what_node_rejects() {
    let table: &[(&str, ParseError)] = &[
        ("", ParseError::Empty),
        ("7", ParseError::UnknownType),
        ("x", ParseError::UnknownType),
        ("4abc", ParseError::InvalidJson),
        ("2{}", ParseError::InvalidPayload(PacketType::Event)),
        (r#"2abc["message"]"#, ParseError::InvalidJson),
        ("2[]", ParseError::InvalidPayload(PacketType::Event)),
        ("2", ParseError::InvalidPayload(PacketType::Event)),
        ("2[true]", ParseError::InvalidPayload(PacketType::Event)),
        (
            r#"2[{"a":1}]"#,
            ParseError::InvalidPayload(PacketType::Event),
        ),
        ("0[]", ParseError::InvalidPayload(PacketType::Connect)),
        (r#"0"x""#, ParseError::InvalidPayload(PacketType::Connect)),
        ("1{}", ParseError::InvalidPayload(PacketType::Disconnect)),
        ("3{}", ParseError::InvalidPayload(PacketType::Ack)),
        ("31", ParseError::InvalidPayload(PacketType::Ack)),
        ("4", ParseError::InvalidPayload(PacketType::ConnectError)),
        ("4[1]", ParseError::InvalidPayload(PacketType::ConnectError)),
        (r#"5["a"]"#, ParseError::IllegalAttachments),
        (r#"5x-["a"]"#, ParseError::IllegalAttachments),
        (r#"5-["a"]"#, ParseError::IllegalAttachments),
        (r#"511-["a"]"#, ParseError::TooManyAttachments),
        (
            r#"599999999999999999999999-["a"]"#,
            ParseError::TooManyAttachments,
        ),
        (
            r#"299999999999999999999999["a"]"#,
            ParseError::AckIdOverflow,
        ),
        ("2[\"a\"]x", ParseError::InvalidJson),
    ];
    for (text, expected) in table {
        assert_eq!(&err(text), expected, "{text}");
    }
}

#[test]
fn reserved_event_names_are_refused() {
    for name in RESERVED_EVENTS {
        assert_eq!(
            err(&format!(r#"2["{name}"]"#)),
            ParseError::InvalidPayload(PacketType::Event),
            "{name}"
        );
    }
    // An escaped spelling of a reserved name is still that name.
    assert!(decode(r#"2["conn\u0065ct"]"#, 10).is_err());
    assert!(decode(r#"2["connected"]"#, 10).is_ok());
}

#[test]
fn encodes_node_strings() {
    let table: &[(PacketType, &str, usize, Option<u64>, Option<&str>, &str)] = &[
        (
            PacketType::Connect,
            "/",
            0,
            None,
            Some(r#"{"sid":"abc"}"#),
            r#"0{"sid":"abc"}"#,
        ),
        (
            PacketType::Connect,
            "/custom",
            0,
            None,
            Some(r#"{"sid":"abc"}"#),
            r#"0/custom,{"sid":"abc"}"#,
        ),
        (
            PacketType::ConnectError,
            "/random",
            0,
            None,
            Some(r#"{"message":"Invalid namespace"}"#),
            r#"4/random,{"message":"Invalid namespace"}"#,
        ),
        (PacketType::Disconnect, "/", 0, None, None, "1"),
        (
            PacketType::Disconnect,
            "/custom",
            0,
            None,
            None,
            "1/custom,",
        ),
        (
            PacketType::Event,
            "/",
            0,
            None,
            Some(r#"["auth",{}]"#),
            r#"2["auth",{}]"#,
        ),
        (
            PacketType::Event,
            "/custom",
            0,
            None,
            Some(r#"["auth",{}]"#),
            r#"2/custom,["auth",{}]"#,
        ),
        (
            PacketType::Ack,
            "/",
            0,
            Some(456),
            Some(r#"[1,"2",{"3":[false]}]"#),
            r#"3456[1,"2",{"3":[false]}]"#,
        ),
        (
            PacketType::BinaryAck,
            "/",
            2,
            Some(789),
            Some(r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            r#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        ),
        (
            PacketType::BinaryEvent,
            "/admin",
            1,
            Some(7),
            Some("[]"),
            "51-/admin,7[]",
        ),
    ];
    for &(packet_type, namespace, attachments, id, payload, expected) in table {
        assert_eq!(
            encode(packet_type, namespace, attachments, id, payload),
            expected
        );
    }
}

#[test]
fn decode_then_encode_is_identity_for_compact_packets() {
    for text in [
        r#"2["message",1,"2",{"3":[true]}]"#,
        r#"2/custom,12["x",{"b":1,"a":2}]"#,
        r#"52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        "1/custom,",
        r#"0/custom,{"token":"abc"}"#,
    ] {
        assert_eq!(ok(text).encode(), text);
    }
}

#[test]
fn event_parts_split_name_and_arguments() {
    let (name, args) = ok(r#"2["message",1,"2",{"3":[true]}]"#)
        .event_parts()
        .unwrap();
    assert_eq!(
        (name.as_str(), args.as_json()),
        ("message", r#"[1,"2",{"3":[true]}]"#)
    );
    let (name, args) = ok(r#"2["only"]"#).event_parts().unwrap();
    assert_eq!((name.as_str(), args.as_json()), ("only", "[]"));
    let (name, args) = ok(r#"2["with \"quote\"",[1]]"#).event_parts().unwrap();
    assert_eq!((name.as_str(), args.as_json()), ("with \"quote\"", "[[1]]"));
    let (name, _) = ok("2[42]").event_parts().unwrap();
    assert_eq!(name, "42");
    assert!(ok("3[]").event_parts().is_err());
}
