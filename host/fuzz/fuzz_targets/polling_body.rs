//! Feeds arbitrary bytes to the Engine.IO polling body decoder and checks its invariants: it never
//! panics, a body it accepts has one packet per record separator, and re-encoding the packets the
//! way the transport writes them gives a body that decodes to the same packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synchost::fuzzing::{PollingPacket, decode_polling_body, encode_polling_body};
use synchost::transport::Message;

fuzz_target!(|data: &[u8]| {
    let Some(packets) = decode_polling_body(data) else {
        return;
    };
    let separators = data.iter().filter(|&&b| b == 0x1e).count();
    assert_eq!(packets.len(), separators + 1);
    let pieces: Vec<String> = packets
        .iter()
        .map(|packet| match packet {
            PollingPacket::Control('p') => "2probe".to_owned(),
            PollingPacket::Control(digit) => digit.to_string(),
            PollingPacket::Text(text) => encode_polling_body(&[Message::text(text)]),
            PollingPacket::Binary(bytes) => encode_polling_body(&[Message::binary(bytes.clone())]),
        })
        .collect();
    let again = pieces.join("\u{1e}");
    assert_eq!(
        decode_polling_body(again.as_bytes()).as_ref(),
        Some(&packets),
        "{again:?}"
    );
});
