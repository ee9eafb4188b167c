//! "Is this exactly one MessagePack value?" without decoding it: a single forward pass over the
//! bytes that skips each value by its header, with no allocation.
//!
//! Every output of every recipient goes through this check, so it must stay cheap; it must also
//! accept exactly what rmp-serde accepts when it skips a value (`serde::de::IgnoredAny`), because
//! that is the guarantee downstream decoders rely on. It never recurses: open containers are
//! counted on a small fixed stack, and a value nested deeper than that stack is handed to
//! rmp-serde itself, so the answer for deep values is rmp-serde's by construction.

/// Open containers tracked in the fast pass; deeper values fall back to rmp-serde.
const FAST_DEPTH: usize = 32;

/// rmp-serde's default nesting limit: a value may hold at most this many nested containers
/// (arrays, maps and extension values each count one).
#[cfg(test)]
const RMP_MAX_NESTED: usize = 1023;

/// Whether `bytes` holds exactly one well-formed MessagePack value and nothing after it.
pub fn is_single_value(bytes: &[u8]) -> bool {
    match skip_one(bytes) {
        Fast::Valid => true,
        Fast::Invalid => false,
        Fast::TooDeep => is_single_value_slow(bytes),
    }
}

enum Fast {
    Valid,
    Invalid,
    TooDeep,
}

/// rmp-serde's own answer (also the reference the fast pass is tested against).
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

/// Whether `tag` starts an extension value, which rmp-serde counts as one level of nesting.
fn is_extension(tag: u8) -> bool {
    matches!(tag, 0xc7..=0xc9 | 0xd4..=0xd8)
}

fn skip_one(bytes: &[u8]) -> Fast {
    // Values still to read in each open container; the outermost "container" is the one value.
    let mut open = [0u64; FAST_DEPTH + 1];
    let mut depth = 0usize;
    open[0] = 1;
    let mut at = 0usize;
    loop {
        while open[depth] == 0 {
            if depth == 0 {
                return if at == bytes.len() {
                    Fast::Valid
                } else {
                    Fast::Invalid
                };
            }
            depth -= 1;
        }
        open[depth] -= 1;
        let Some(tag) = bytes.get(at).copied() else {
            return Fast::Invalid;
        };
        match header(bytes, at) {
            None => return Fast::Invalid,
            Some(Header::Scalar { header, payload }) => {
                // An extension is a container to rmp-serde's depth count, with no children.
                if is_extension(tag) && depth >= FAST_DEPTH {
                    return Fast::TooDeep;
                }
                let end = u64::try_from(at + header)
                    .ok()
                    .and_then(|start| start.checked_add(payload));
                match end {
                    Some(end) if end <= bytes.len() as u64 => at = end as usize,
                    _ => return Fast::Invalid,
                }
            }
            Some(Header::Container { header, values }) => {
                at += header;
                if at > bytes.len() || values > (bytes.len() - at) as u64 {
                    // Every value takes at least one byte.
                    return Fast::Invalid;
                }
                if depth >= FAST_DEPTH {
                    return Fast::TooDeep;
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

    fn agrees(bytes: &[u8]) {
        assert_eq!(
            is_single_value(bytes),
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
            assert!(is_single_value(&bytes), "rejected {bytes:02x?}");
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

    #[test]
    fn deep_nesting_follows_rmp_serde_limit() {
        // rmp-serde recurses once per level; unoptimised frames need more than a test thread's
        // default stack (plugin workers have several MiB).
        std::thread::Builder::new()
            .stack_size(64 * 1024 * 1024)
            .spawn(deep_nesting)
            .unwrap()
            .join()
            .unwrap();
    }

    fn deep_nesting() {
        for depth in [
            FAST_DEPTH - 1,
            FAST_DEPTH,
            FAST_DEPTH + 1,
            RMP_MAX_NESTED,
            1024,
            2000,
        ] {
            let mut arrays = vec![0x91; depth];
            arrays.push(0x01);
            agrees(&arrays);
            let mut with_ext = vec![0x91; depth];
            with_ext.extend_from_slice(&[0xd4, 1, 2]);
            agrees(&with_ext);
        }
        let mut limit = vec![0x91; RMP_MAX_NESTED];
        limit.push(0xc0);
        assert!(is_single_value(&limit));
        let mut over = vec![0x91; RMP_MAX_NESTED + 1];
        over.push(0xc0);
        assert!(!is_single_value(&over));
    }

    #[test]
    fn huge_declared_lengths_are_rejected_without_reading_past_the_end() {
        assert!(!is_single_value(&[0xdd, 0xff, 0xff, 0xff, 0xff]));
        assert!(!is_single_value(&[0xdf, 0xff, 0xff, 0xff, 0xff, 0x01]));
        assert!(!is_single_value(&[0xc6, 0xff, 0xff, 0xff, 0xff]));
        assert!(!is_single_value(&[0xc9, 0xff, 0xff, 0xff, 0xff, 0x01]));
    }
}
