//! Feeds arbitrary message sequences to the Socket.IO decoder and checks its invariants: it never
//! panics, every accepted packet re-encodes to text that decodes to the same packet, and a complete
//! binary packet carries exactly the attachments it announced.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use synchost::protocol::binary::{DEFAULT_MAX_BINARY_BYTES, Reassembler};
use synchost::protocol::packet::{self, DEFAULT_MAX_ATTACHMENTS};

fuzz_target!(|data: &[u8]| {
    let mut reassembler = Reassembler::new(DEFAULT_MAX_ATTACHMENTS, DEFAULT_MAX_BINARY_BYTES);
    // Messages are separated by 0xFF; a message starting with 0xFE is binary, any other is text.
    for message in data.split(|&b| b == 0xFF) {
        let result = match message.split_first() {
            Some((0xFE, rest)) => reassembler.feed_binary(Bytes::copy_from_slice(rest)),
            _ => match std::str::from_utf8(message) {
                Ok(text) => reassembler.feed_text(text),
                Err(_) => continue,
            },
        };
        match result {
            Ok(Some(decoded)) => {
                assert_eq!(decoded.binaries.len(), decoded.packet.attachments);
                let encoded = decoded.packet.encode();
                let again = packet::decode(&encoded, DEFAULT_MAX_ATTACHMENTS)
                    .expect("re-encoded packet decodes");
                assert_eq!(again, decoded.packet, "{encoded}");
                if matches!(
                    decoded.packet.packet_type,
                    packet::PacketType::Event | packet::PacketType::BinaryEvent
                ) {
                    decoded.packet.event_parts().expect("a valid event splits");
                }
            }
            Ok(None) => {}
            Err(_) => reassembler = Reassembler::new(DEFAULT_MAX_ATTACHMENTS, DEFAULT_MAX_BINARY_BYTES),
        }
    }
});
