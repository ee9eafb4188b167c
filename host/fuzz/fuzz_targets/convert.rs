//! Feeds arbitrary JSON and MessagePack to the two conversions of the sync pipeline and checks
//! their round trips: JSON → MessagePack gives exactly one MessagePack value that converts back to
//! the same JSON value; MessagePack → JSON gives JSON whose value is a fixed point of the round trip
//! (binary, extensions, non-finite floats and non-string keys map to plain JSON once, then stay).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use synchost::fuzzing::{ConvertError, is_single_value, json_to_msgpack, msgpack_to_json};

/// Within serde_json's own recursion limit (128), so every accepted input can be compared as a tree.
const MAX_DEPTH: usize = 100;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector & 1 == 0 {
        if let Ok(json) = std::str::from_utf8(rest) {
            json_side(json, usize::from(selector >> 1) % (MAX_DEPTH + 1));
        }
    } else {
        msgpack_side(rest);
    }
});

fn json_side(json: &str, max_depth: usize) {
    // The pipeline only converts text that already parsed as JSON.
    let Ok(original) = serde_json::from_str::<Value>(json) else {
        return;
    };
    let packed = match json_to_msgpack(json, max_depth) {
        Ok(packed) => packed,
        Err(ConvertError::TooDeep(_)) => return,
        Err(error) => panic!("valid JSON refused: {error}"),
    };
    assert!(
        is_single_value(&packed),
        "not one MessagePack value: {packed:02x?}"
    );
    let back = msgpack_to_json(&packed).expect("converts back");
    let back_value: Value = serde_json::from_str(&back).expect("back is JSON");
    assert_eq!(original, back_value, "{json} became {back}");
}

fn msgpack_side(bytes: &[u8]) {
    let Ok(first) = msgpack_to_json(bytes) else {
        return;
    };
    match serde_json::from_str::<serde::de::IgnoredAny>(&first) {
        Ok(_) => {}
        Err(error) if error.to_string().contains("recursion limit") => return,
        Err(error) => panic!("not JSON ({error}): {first}"),
    }
    let packed = match json_to_msgpack(&first, MAX_DEPTH) {
        Ok(packed) => packed,
        Err(ConvertError::TooDeep(_)) => return,
        Err(error) => panic!("own JSON refused ({error}): {first}"),
    };
    let second = msgpack_to_json(&packed).expect("converts back");
    // The same JSON values, not always the same text: a float32 is written as its own shortest
    // decimal ("3.545925e+13"), which comes back as a float64 written as its own ("35459250000000.0").
    let parse = |text: &str| serde_json::from_str::<Value>(text).expect("JSON");
    assert_eq!(parse(&first), parse(&second), "{first} became {second}");
}
