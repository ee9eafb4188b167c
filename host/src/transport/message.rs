//! Outgoing messages, framed once for the wire.
//!
//! A text message is stored with its Engine.IO type digit already in front, as validated UTF-8, so a
//! WebSocket send is a reference-count bump and a polling body is a concatenation: no copy and no
//! re-validation per recipient. Nothing here does I/O.

use std::fmt;
use std::ops::Deref;

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;

/// The Engine.IO `message` packet type, the digit every outgoing text frame starts with.
const MESSAGE_DIGIT: char = '4';

/// A text message framed for the wire (`4` + payload). Dereferences to the payload, without the digit.
#[derive(Clone, PartialEq, Eq)]
pub struct TextFrame(Utf8Bytes);

impl TextFrame {
    /// The payload, without the Engine.IO type digit.
    pub fn as_str(&self) -> &str {
        // The frame always starts with the one-byte ASCII digit (see `Message::text`), so index 1 is a
        // character boundary.
        &self.0.as_str()[MESSAGE_DIGIT.len_utf8()..]
    }

    /// The whole frame, digit included, as sent in a WebSocket text frame or a polling body.
    pub(crate) fn framed(&self) -> &Utf8Bytes {
        &self.0
    }
}

impl Deref for TextFrame {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for TextFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// An outgoing message, framed once for the wire and cheap to clone: a broadcast builds one `Message`
/// and queues clones of it on every recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (a Socket.IO packet, for example); the frame dereferences to the text.
    Text(TextFrame),
    /// A binary message (a Socket.IO attachment, for example).
    Binary(Bytes),
}

impl Message {
    /// A text message; copies `text` once into its wire frame.
    pub fn text(text: &str) -> Self {
        let mut framed = String::with_capacity(text.len() + 1);
        framed.push(MESSAGE_DIGIT);
        framed.push_str(text);
        Self::Text(TextFrame(Utf8Bytes::from(framed)))
    }

    /// A text message of `parts` joined, built in one allocation.
    pub fn text_parts(parts: &[&str]) -> Self {
        let len = parts.iter().map(|part| part.len()).sum::<usize>();
        let mut framed = String::with_capacity(len + 1);
        framed.push(MESSAGE_DIGIT);
        for part in parts {
            framed.push_str(part);
        }
        Self::Text(TextFrame(Utf8Bytes::from(framed)))
    }

    /// A text message that takes ownership of `text`: the digit is inserted in place (reusing spare
    /// capacity when there is some), so no second buffer is built.
    pub fn text_owned(mut text: String) -> Self {
        text.insert(0, MESSAGE_DIGIT);
        Self::Text(TextFrame(Utf8Bytes::from(text)))
    }

    /// A binary message.
    pub fn binary(bytes: Bytes) -> Self {
        Self::Binary(bytes)
    }

    /// Bytes on the wire (the type digit included for text), what a queue's byte budget counts.
    pub fn wire_len(&self) -> usize {
        match self {
            Self::Text(frame) => frame.framed().len(),
            Self::Binary(bytes) => bytes.len(),
        }
    }

    /// The text, when this is a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(frame) => Some(frame.as_str()),
            Self::Binary(_) => None,
        }
    }

    /// The bytes, when this is a binary message.
    pub fn as_binary(&self) -> Option<&Bytes> {
        match self {
            Self::Text(_) => None,
            Self::Binary(bytes) => Some(bytes),
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::text_owned(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_framed_once_and_reads_back_without_the_digit() {
        let message = Message::text("42[\"x\"]");
        let Message::Text(frame) = &message else {
            panic!("expected text")
        };
        assert_eq!(frame.framed().as_str(), "442[\"x\"]");
        assert_eq!(&**frame, "42[\"x\"]");
        assert_eq!(message.as_text(), Some("42[\"x\"]"));
        assert_eq!(
            Message::from(String::from("héllo")).as_text(),
            Some("héllo")
        );
        assert_eq!(Message::text("").as_text(), Some(""));
    }
}
