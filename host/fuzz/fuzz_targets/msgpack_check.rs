//! Feeds arbitrary bytes to the output checker and compares it with two decoders: it must give
//! exactly rmp-serde's answer (its reference by design), whatever it accepts rmpv must decode as one
//! value with nothing after it, and whatever rmpv decodes as one value it must accept unless the
//! value nests past rmp-serde's limit or holds the reserved byte 0xc1 (which rmpv alone lets pass).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rmpv::Value;
use synchost::fuzzing::is_single_value;

/// rmp-serde refuses values nested deeper than about this (arrays, maps and extensions count).
const RMP_SERDE_DEPTH: usize = 1000;

fuzz_target!(|data: &[u8]| {
    let accepted = is_single_value(data);

    let mut rest = data;
    let mut decoder = rmp_serde::Deserializer::new(&mut rest);
    let serde_ok = <serde::de::IgnoredAny as serde::Deserialize>::deserialize(&mut decoder).is_ok()
        && rest.is_empty();
    assert_eq!(accepted, serde_ok, "rmp-serde disagrees on {data:02x?}");

    let mut rest = data;
    let rmpv_ok = match rmpv::decode::read_value(&mut rest) {
        Ok(value) => rest.is_empty().then_some(value),
        Err(_) => None,
    };
    if accepted {
        assert!(
            rmpv_ok.is_some(),
            "rmpv refuses what was accepted: {data:02x?}"
        );
    }
    // rmpv reads the reserved marker 0xc1, which MessagePack never allows, as nil; the checker and
    // rmp-serde refuse it. Inputs holding that byte anywhere are left to the first comparison.
    if let Some(value) = rmpv_ok
        && !accepted
        && !data.contains(&0xc1)
    {
        assert!(
            depth(&value) > RMP_SERDE_DEPTH,
            "refused a shallow value rmpv decodes: {data:02x?}"
        );
    }
});

/// Containers and extensions on the deepest path, counted without recursion.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, level)) = stack.pop() {
        deepest = deepest.max(level);
        match value {
            Value::Array(items) => stack.extend(items.iter().map(|item| (item, level + 1))),
            Value::Map(entries) => {
                for (key, item) in entries {
                    stack.push((key, level + 1));
                    stack.push((item, level + 1));
                }
            }
            Value::Ext(..) => deepest = deepest.max(level + 1),
            _ => {}
        }
    }
    deepest
}
