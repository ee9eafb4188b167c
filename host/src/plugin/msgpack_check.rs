//! "Is this exactly one MessagePack value, nested no deeper than allowed?" without decoding it: a
//! single forward pass over the bytes that skips each value by its header, with no allocation.
//!
//! Every output of every recipient goes through this check on a plugin worker, so it must stay
//! cheap; it must also accept exactly what rmp-serde accepts when it skips a value
//! (`serde::de::IgnoredAny`), because that is the guarantee downstream decoders rely on. It never
//! recurses: open containers are counted on a fixed stack of [`MAX_DEPTH`] entries, and a value
//! nested deeper than the caller's bound is refused as [`Shape::TooDeep`] before anything
//! downstream (the JSON conversion on a network thread) recurses into it.
//!
//! Depth is the nesting of the JSON the value becomes (see `sync::convert`): an array or a map is
//! one level, binary data one (it becomes an array of numbers), an extension value two (it becomes
//! `[type, [bytes..]]`); a scalar at the top is depth 0.

/// The deepest bound a caller may ask for: the largest `max_output_depth` an operator may set.
pub const MAX_DEPTH: usize = crate::config::MAX_OUTPUT_DEPTH_CEILING as usize;

/// What [`check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Exactly one well-formed value within the depth bound, and nothing after it.
    Valid,
    /// Not one well-formed value (empty, truncated, trailing bytes, a reserved byte).
    Malformed,
    /// Well-formed as far as read, but nested deeper than the bound.
    TooDeep,
}

/// Checks that `bytes` hold exactly one well-formed MessagePack value nested at most `max_depth`
/// levels deep (`max_depth` is capped at [`MAX_DEPTH`]).
pub fn check(bytes: &[u8], max_depth: usize) -> Shape {
    skip_one(bytes, max_depth.min(MAX_DEPTH))
}

/// Whether `bytes` hold exactly one well-formed value, with no depth bound of this module: the
/// fast pass up to [`MAX_DEPTH`] levels, rmp-serde's own answer beyond (it refuses past about
/// 1,000). Outputs are never checked this way (rmp-serde recurses); it is the reference that
/// fuzzing compares the fast pass with.
#[allow(dead_code)]
pub fn is_single_value(bytes: &[u8]) -> bool {
    match check(bytes, MAX_DEPTH) {
        Shape::Valid => true,
        Shape::Malformed => false,
        Shape::TooDeep => is_single_value_slow(bytes),
    }
}

/// rmp-serde's own answer (the reference the fast pass is tested against).
fn is_single_value_slow(mut bytes: &[u8]) -> bool {
    let mut decoder = rmp_serde::Deserializer::new(&mut bytes);
    let parsed = <serde::de::IgnoredAny as serde::Deserialize>::deserialize(&mut decoder).is_ok();
    parsed && bytes.is_empty()
}

/// What a header says about the value it starts.
enum Header {
    /// A scalar whose payload (after the header) is this many bytes.
    Scalar { header: usize, payload: u64 },
    /// A container (array, map) holding this many values after the header.
    Container { header: usize, values: u64 },
}

/// Reads a big-endian length of `width` bytes at `at`.
fn length(bytes: &[u8], at: usize, width: usize) -> Option<u64> {
    let field = bytes.get(at..at.checked_add(width)?)?;
    Some(
        field
            .iter()
            .fold(0u64, |acc, byte| acc << 8 | u64::from(*byte)),
    )
}

/// Decodes the header of the value starting at `at`.
fn header(bytes: &[u8], at: usize) -> Option<Header> {
    let scalar = |header: usize, payload: u64| Some(Header::Scalar { header, payload });
    let sized = |width: usize| scalar(1 + width, length(bytes, at + 1, width)?);
    let container = |width: usize, per_entry: u64| {
        Some(Header::Container {
            header: 1 + width,
            values: length(bytes, at + 1, width)? * per_entry,
        })
    };
    match *bytes.get(at)? {
        0x00..=0x7f | 0xc0 | 0xc2 | 0xc3 | 0xe0..=0xff => scalar(1, 0),
        tag @ 0x80..=0x8f => Some(Header::Container {
            header: 1,
            values: u64::from(tag & 0x0f) * 2,
        }),
        tag @ 0x90..=0x9f => Some(Header::Container {
            header: 1,
            values: u64::from(tag & 0x0f),
        }),
        tag @ 0xa0..=0xbf => scalar(1, u64::from(tag & 0x1f)),
        0xc1 => None,
        // bin8/16/32 and str8/16/32: a length, then that many bytes.
        0xc4 | 0xd9 => sized(1),
        0xc5 | 0xda => sized(2),
        0xc6 | 0xdb => sized(4),
        // ext8/16/32: a length, a type byte, then the data.
        0xc7 => Some(Header::Scalar {
            header: 2,
            payload: length(bytes, at + 1, 1)? + 1,
        }),
        0xc8 => Some(Header::Scalar {
            header: 3,
            payload: length(bytes, at + 1, 2)? + 1,
        }),
        0xc9 => Some(Header::Scalar {
            header: 5,
            payload: length(bytes, at + 1, 4)? + 1,
        }),
        0xcc | 0xd0 => scalar(1, 1),
        0xcd | 0xd1 => scalar(1, 2),
        0xca | 0xce | 0xd2 => scalar(1, 4),
        0xcb | 0xcf | 0xd3 => scalar(1, 8),
        // fixext 1/2/4/8/16: a type byte, then the data.
        0xd4 => scalar(1, 2),
        0xd5 => scalar(1, 3),
        0xd6 => scalar(1, 5),
        0xd7 => scalar(1, 9),
        0xd8 => scalar(1, 17),
        0xdc => container(2, 1),
        0xdd => container(4, 1),
        0xde => container(2, 2),
        0xdf => container(4, 2),
    }
}

/// JSON levels a scalar with tag `tag` adds below where it sits: binary data becomes an array,
/// an extension value an array holding an array.
fn scalar_levels(tag: u8) -> usize {
    match tag {
        0xc4..=0xc6 => 1,
        0xc7..=0xc9 | 0xd4..=0xd8 => 2,
        _ => 0,
    }
}

fn skip_one(bytes: &[u8], max_depth: usize) -> Shape {
    // Values still to read in each open container; the outermost "container" is the one value.
    let mut open = [0u64; MAX_DEPTH + 1];
    let mut depth = 0usize;
    open[0] = 1;
    let mut at = 0usize;
    loop {
        while open[depth] == 0 {
            if depth == 0 {
                return if at == bytes.len() {
                    Shape::Valid
                } else {
                    Shape::Malformed
                };
            }
            depth -= 1;
        }
        open[depth] -= 1;
        let Some(tag) = bytes.get(at).copied() else {
            return Shape::Malformed;
        };
        match header(bytes, at) {
            None => return Shape::Malformed,
            Some(Header::Scalar { header, payload }) => {
                if depth + scalar_levels(tag) > max_depth {
                    return Shape::TooDeep;
                }
                let end = u64::try_from(at + header)
                    .ok()
                    .and_then(|start| start.checked_add(payload));
                match end {
                    Some(end) if end <= bytes.len() as u64 => at = end as usize,
                    _ => return Shape::Malformed,
                }
            }
            Some(Header::Container { header, values }) => {
                at += header;
                if at > bytes.len() || values > (bytes.len() - at) as u64 {
                    // Every value takes at least one byte.
                    return Shape::Malformed;
                }
                if depth >= max_depth {
                    return Shape::TooDeep;
                }
                depth += 1;
                open[depth] = values;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// A random well-formed value built from every kind of header.
    fn value(rng: &mut Rng, depth: u32, out: &mut Vec<u8>) {
        let kinds = if depth > 4 { 10 } else { 16 };
        match rng.below(kinds) {
            0 => out.push(rng.below(0x80) as u8),
            1 => out.push(0xe0 | rng.below(32) as u8),
            2 => out.extend_from_slice(&[0xc0, 0xc2, 0xc3][rng.below(3) as usize..][..1]),
            3 => {
                let marker = [0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xca, 0xcb];
                let widths = [1, 2, 4, 8, 1, 2, 4, 8, 4, 8];
                let index = rng.below(marker.len() as u64) as usize;
                out.push(marker[index]);
                out.extend((0..widths[index]).map(|_| rng.next() as u8));
            }
            4 => {
                let len = rng.below(40) as usize;
                if len < 32 {
                    out.push(0xa0 | len as u8);
                } else {
                    out.extend_from_slice(&[0xd9, len as u8]);
                }
                // Not always UTF-8: rmp-serde skips invalid strings as bytes.
                out.extend((0..len).map(|_| rng.next() as u8));
            }
            5 => {
                let len = rng.below(300) as usize;
                out.extend_from_slice(&[0xc5, (len >> 8) as u8, len as u8]);
                out.extend((0..len).map(|_| rng.next() as u8));
            }
            6 => {
                let len = rng.below(20);
                out.extend_from_slice(&[0xda, 0, len as u8]);
                out.extend((0..len).map(|_| b'x'));
            }
            7 => {
                let (marker, len) =
                    [(0xd4, 1), (0xd5, 2), (0xd6, 4), (0xd7, 8), (0xd8, 16)][rng.below(5) as usize];
                out.extend_from_slice(&[marker, 7]);
                out.extend((0..len).map(|_| rng.next() as u8));
            }
            8 => {
                let len = rng.below(10) as u8;
                out.extend_from_slice(&[0xc7, len, 3]);
                out.extend((0..len).map(|_| rng.next() as u8));
            }
            9 => {
                let len = rng.below(5) as u32;
                out.push(0xc9);
                out.extend_from_slice(&len.to_be_bytes());
                out.push(1);
                out.extend((0..len).map(|_| 0u8));
            }
            10 | 11 => {
                let len = rng.below(6) as u8;
                out.push(0x90 | len);
                (0..len).for_each(|_| value(rng, depth + 1, out));
            }
            12 | 13 => {
                let len = rng.below(5) as u8;
                out.push(0x80 | len);
                (0..len * 2).for_each(|_| value(rng, depth + 1, out));
            }
            14 => {
                let len = rng.below(4) as u16;
                out.push(0xdc);
                out.extend_from_slice(&len.to_be_bytes());
                (0..len).for_each(|_| value(rng, depth + 1, out));
            }
            _ => {
                let len = rng.below(3) as u32;
                out.push(0xdf);
                out.extend_from_slice(&len.to_be_bytes());
                (0..len * 2).for_each(|_| value(rng, depth + 1, out));
            }
        }
    }

    /// Within the depth bound the fast pass and rmp-serde give the same answer.
    fn agrees(bytes: &[u8]) {
        let fast = match check(bytes, MAX_DEPTH) {
            Shape::Valid => true,
            Shape::Malformed => false,
            Shape::TooDeep => panic!("test values stay shallow: {bytes:02x?}"),
        };
        assert_eq!(
            fast,
            is_single_value_slow(bytes),
            "disagreement on {bytes:02x?}"
        );
    }

    #[test]
    fn agrees_with_rmp_serde_on_every_short_input() {
        agrees(&[]);
        for a in 0..=255u8 {
            agrees(&[a]);
            for b in 0..=255u8 {
                agrees(&[a, b]);
            }
        }
    }

    #[test]
    fn agrees_with_rmp_serde_on_random_values_and_their_corruptions() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for _ in 0..20_000 {
            let mut bytes = Vec::new();
            value(&mut rng, 0, &mut bytes);
            assert_eq!(check(&bytes, MAX_DEPTH), Shape::Valid, "{bytes:02x?}");
            agrees(&bytes);
            // Truncated, extended, and with one byte flipped.
            agrees(&bytes[..rng.below(bytes.len() as u64) as usize]);
            let mut longer = bytes.clone();
            longer.push(rng.next() as u8);
            agrees(&longer);
            let index = rng.below(bytes.len() as u64) as usize;
            bytes[index] = rng.next() as u8;
            agrees(&bytes);
        }
    }

    fn nested(depth: usize, leaf: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0x91; depth];
        bytes.extend_from_slice(leaf);
        bytes
    }

    #[test]
    fn depth_is_counted_as_the_json_it_becomes() {
        for max in [0, 1, 2, 31, 32, MAX_DEPTH] {
            assert_eq!(check(&nested(max, &[0xc0]), max), Shape::Valid, "{max}");
            if max > 0 {
                // A map level counts like an array level.
                let mut map = nested(max - 1, &[0x81, 0xa1, b'k', 0xc0]);
                assert_eq!(check(&map, max), Shape::Valid);
                map.insert(0, 0x91);
                assert_eq!(check(&map, max), Shape::TooDeep);
            }
            assert_eq!(check(&nested(max + 1, &[0xc0]), max), Shape::TooDeep);
        }
        // Binary data is one level (an array of numbers), an extension two ([type, [bytes]]).
        let bin = [0xc4, 0x01, 0x07];
        assert_eq!(check(&nested(3, &bin), 4), Shape::Valid);
        assert_eq!(check(&nested(4, &bin), 4), Shape::TooDeep);
        let ext = [0xd4, 0x01, 0x07];
        assert_eq!(check(&nested(2, &ext), 4), Shape::Valid);
        assert_eq!(check(&nested(3, &ext), 4), Shape::TooDeep);
        // Strings and numbers add nothing; an empty array is still a level.
        assert_eq!(check(&nested(4, &[0xa1, b'x']), 4), Shape::Valid);
        assert_eq!(check(&nested(4, &[0x90]), 4), Shape::TooDeep);
    }

    #[test]
    fn far_deeper_values_are_refused_without_recursion_on_a_small_stack() {
        let checked = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(|| {
                let deep = nested(100_000, &[0xc0]);
                (check(&deep, 32), check(&deep, usize::MAX))
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(checked, (Shape::TooDeep, Shape::TooDeep));
        // Truncated before the bound is reached: malformed, whatever the depth asked for.
        assert_eq!(check(&nested(10, &[]), 32), Shape::Malformed);
    }

    #[test]
    fn without_a_bound_deep_values_follow_rmp_serde() {
        // rmp-serde recurses once per level; unoptimised frames need more than a test thread's
        // default stack.
        std::thread::Builder::new()
            .stack_size(64 * 1024 * 1024)
            .spawn(|| {
                for depth in [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 1023, 1024, 2000] {
                    for leaf in [&[0x01][..], &[0xd4, 1, 2]] {
                        let bytes = nested(depth, leaf);
                        assert_eq!(
                            is_single_value(&bytes),
                            is_single_value_slow(&bytes),
                            "{depth}"
                        );
                    }
                }
                assert!(is_single_value(&nested(1023, &[0xc0])));
                assert!(!is_single_value(&nested(1024, &[0xc0])));
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn huge_declared_lengths_are_rejected_without_reading_past_the_end() {
        for bytes in [
            &[0xdd, 0xff, 0xff, 0xff, 0xff][..],
            &[0xdf, 0xff, 0xff, 0xff, 0xff, 0x01],
            &[0xc6, 0xff, 0xff, 0xff, 0xff],
            &[0xc9, 0xff, 0xff, 0xff, 0xff, 0x01],
        ] {
            assert_eq!(check(bytes, MAX_DEPTH), Shape::Malformed, "{bytes:02x?}");
        }
    }
}
