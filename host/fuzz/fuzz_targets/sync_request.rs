//! Feeds arbitrary socket frames and HTTP trigger requests to the sync request parser and checks
//! what an accepted request promises the pipeline: a trimmed, valid receiver room, `data` that is
//! one JSON value, and a name whose `fullName` (what recipients route callbacks by) parses back to
//! the same route.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;
use synchost::fuzzing::{SyncRequest, check_room_name, from_frame, from_http, response_index};
use synchost::sync::SyncName;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // The low bit picks the entry point; the rest of the byte is the room-name limit.
    let max_room_chars = usize::from(selector >> 1);
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let request = if selector & 1 == 0 {
        // The socket layer hands over one JSON value; anything else never reaches the parser.
        let Ok(frame) = serde_json::from_str::<&RawValue>(text) else {
            return;
        };
        let _ = response_index(frame);
        from_frame(frame, max_room_chars)
    } else {
        // The path after `/sync/`, a newline, then the body.
        let (path, body) = text.split_once('\n').unwrap_or((text, ""));
        from_http(path, body.as_bytes(), max_room_chars)
    };
    if let Ok(request) = request {
        check(&request, max_room_chars);
    }
});

fn check(request: &SyncRequest, max_room_chars: usize) {
    assert_eq!(request.receiver.trim(), request.receiver);
    assert!(check_room_name(&request.receiver, max_room_chars).is_ok());
    serde_json::from_str::<serde::de::IgnoredAny>(request.data.get())
        .expect("data is one JSON value");
    let name = &request.name;
    assert_eq!(
        SyncName::parse(&name.full_name(), None).as_ref(),
        Some(name)
    );
}
