//! What runs inside a component, read from the `producers` section toolchains write at its top
//! level: componentize-js (the TypeScript SDK's build) declares `language: JavaScript`. A
//! JavaScript component carries a whole engine with a garbage-collected heap, and its warm
//! instances get their own default for `max_invocations` (see `config::Guest`).
//!
//! Only section headers are read, never code, so this costs a few milliseconds even for a 12 MB
//! engine, and a file it cannot parse is simply `Compiled`: compiling it is what reports the error.

use wasmparser::{KnownCustom, Parser, Payload};

use crate::config::Guest;

/// The guest kind `bytes` declares; `Compiled` unless its top-level producers name JavaScript.
pub fn guest_of(bytes: &[u8]) -> Guest {
    // Nested modules and components have producers sections of their own (the engine's C++
    // toolchain); only the outermost one speaks for the file.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else {
            return Guest::Compiled;
        };
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::CustomSection(section) if depth == 0 => {
                if let KnownCustom::Producers(reader) = section.as_known()
                    && declares_javascript(reader)
                {
                    return Guest::JavaScript;
                }
            }
            _ => {}
        }
    }
    Guest::Compiled
}

fn declares_javascript(reader: wasmparser::ProducersSectionReader<'_>) -> bool {
    reader.into_iter().filter_map(Result::ok).any(|field| {
        field.name == "language"
            && field
                .values
                .into_iter()
                .filter_map(Result::ok)
                .any(|value| value.name == "JavaScript")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component with nothing but a producers section naming `language`.
    fn component_declaring(language: &str) -> Vec<u8> {
        let mut section = vec![1, 8];
        section.extend_from_slice(b"language");
        section.push(1);
        section.push(u8::try_from(language.len()).unwrap_or(0));
        section.extend_from_slice(language.as_bytes());
        section.push(0); // empty version
        let name = b"producers";
        let mut payload = vec![u8::try_from(name.len()).unwrap_or(0)];
        payload.extend_from_slice(name);
        payload.extend_from_slice(&section);
        // Component preamble: magic, version 0x0d, layer 1; then custom section 0.
        let mut bytes = vec![0, b'a', b's', b'm', 0x0d, 0, 1, 0, 0];
        bytes.push(u8::try_from(payload.len()).unwrap_or(0));
        bytes.extend_from_slice(&payload);
        bytes
    }

    #[test]
    fn a_component_declaring_javascript_is_javascript() {
        assert_eq!(
            guest_of(&component_declaring("JavaScript")),
            Guest::JavaScript
        );
    }

    #[test]
    fn other_languages_and_unreadable_bytes_are_compiled() {
        assert_eq!(guest_of(&component_declaring("Rust")), Guest::Compiled);
        assert_eq!(guest_of(b"not wasm at all"), Guest::Compiled);
        assert_eq!(guest_of(&[]), Guest::Compiled);
    }
}
