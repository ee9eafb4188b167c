//! `Session`: who called (server stage) or who receives (client stage). Built by the host from
//! verified token claims; handlers never see raw tokens. Claims beyond the fixed fields travel
//! as one MessagePack map and are decoded on demand with serde.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::msgpack::{self, CodecError};

/// MessagePack for an empty map, the extra claims of a session that has none.
const EMPTY_MAP: [u8; 1] = [0x80];

/// A connected user's session.
///
/// ```
/// use synchost_sdk::Session;
///
/// let alice = Session::new("u1").with_name("Alice").with_claim("team", &"red");
/// assert_eq!(alice.claim::<String>("team").unwrap().as_deref(), Some("red"));
/// assert_eq!(alice.claim::<String>("country").unwrap(), None);
/// // A claim of another type is an error, not a silent `None`.
/// assert!(alice.claim::<u32>("team").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Session {
    /// Stable user id (the token subject).
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Preferred language, e.g. `en`.
    pub language: Option<String>,
    /// Whether the user is an administrator.
    pub admin: bool,
    /// Role names.
    pub roles: Vec<String>,
    extra: Vec<u8>,
}

impl Session {
    /// A session with only an id.
    pub fn new(id: impl Into<String>) -> Self {
        Session {
            id: id.into(),
            extra: EMPTY_MAP.to_vec(),
            ..Session::default()
        }
    }

    /// Builds a session from the host's parts; `extra` is the MessagePack map of other claims.
    pub fn from_parts(
        id: String,
        name: Option<String>,
        email: Option<String>,
        language: Option<String>,
        admin: bool,
        roles: Vec<String>,
        extra: Vec<u8>,
    ) -> Self {
        Session {
            id,
            name,
            email,
            language,
            admin,
            roles,
            extra,
        }
    }

    /// Sets the display name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the e-mail address.
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the preferred language.
    pub fn with_language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Sets the administrator flag.
    pub fn with_admin(mut self, admin: bool) -> Self {
        self.admin = admin;
        self
    }

    /// Adds a role.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Adds an extra claim. A value that cannot be encoded is left out (serde refuses only
    /// exotic values, such as maps with non-string keys).
    pub fn with_claim<T: Serialize + ?Sized>(mut self, key: &str, value: &T) -> Self {
        if let (Ok(key_bytes), Ok(value_bytes)) = (msgpack::encode(key), msgpack::encode(value)) {
            let (count, header_len) = map_header(self.extra_or_empty()).unwrap_or((0, 0));
            let mut extra = Vec::with_capacity(self.extra.len() + key_bytes.len() + 8);
            write_map_header(&mut extra, count + 1);
            extra.extend_from_slice(self.extra.get(header_len..).unwrap_or_default());
            extra.extend_from_slice(&key_bytes);
            extra.extend_from_slice(&value_bytes);
            self.extra = extra;
        }
        self
    }

    /// Whether the session has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The extra claims' buffer, for refilling a session in place.
    pub(crate) fn extra_mut(&mut self) -> &mut Vec<u8> {
        &mut self.extra
    }

    /// The extra claims as MessagePack (a map).
    pub fn extra_bytes(&self) -> &[u8] {
        &self.extra
    }

    /// Decodes every extra claim into `T`, typically a struct with optional fields; unknown
    /// claims are ignored.
    ///
    /// # Errors
    /// When a claim that `T` names has another type.
    pub fn extra<T: DeserializeOwned>(&self) -> Result<T, CodecError> {
        msgpack::decode(self.extra_or_empty())
    }

    /// One extra claim, or `None` when it is absent.
    ///
    /// # Errors
    /// When the claim exists but is not a `T`.
    pub fn claim<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, CodecError> {
        let finder = ClaimFinder {
            key,
            value: PhantomData,
        };
        let mut deserializer = rmp_serde::Deserializer::from_read_ref(self.extra_or_empty());
        deserializer
            .deserialize_map(finder)
            .map_err(|error| msgpack::decode_error(&error))
    }

    fn extra_or_empty(&self) -> &[u8] {
        if self.extra.is_empty() {
            &EMPTY_MAP
        } else {
            &self.extra
        }
    }
}

/// Reads a MessagePack map header: (entry count, header length in bytes).
fn map_header(bytes: &[u8]) -> Option<(u32, usize)> {
    match *bytes.first()? {
        tag @ 0x80..=0x8f => Some((u32::from(tag & 0x0f), 1)),
        0xde => Some((
            u32::from(u16::from_be_bytes([*bytes.get(1)?, *bytes.get(2)?])),
            3,
        )),
        0xdf => {
            let len = bytes.get(1..5)?;
            Some((u32::from_be_bytes([len[0], len[1], len[2], len[3]]), 5))
        }
        _ => None,
    }
}

fn write_map_header(out: &mut Vec<u8>, count: u32) {
    match count {
        0..=15 => out.push(0x80 | count as u8),
        16..=0xffff => {
            out.push(0xde);
            out.extend_from_slice(&(count as u16).to_be_bytes());
        }
        _ => {
            out.push(0xdf);
            out.extend_from_slice(&count.to_be_bytes());
        }
    }
}

/// Walks the claims map once, decoding only the wanted value (the last one wins on duplicates).
struct ClaimFinder<'k, T> {
    key: &'k str,
    value: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ClaimFinder<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.key {
                found = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn claims_survive_the_switch_from_fixmap_to_map16() {
        let session = (0..20).fold(Session::new("u"), |session, n| {
            session.with_claim(&format!("c{n}"), &n)
        });
        assert_eq!(session.extra_bytes()[0], 0xde);
        for n in 0..20 {
            assert_eq!(session.claim::<i32>(&format!("c{n}")).unwrap(), Some(n));
        }
    }

    #[test]
    fn an_empty_extra_from_the_host_reads_as_no_claims() {
        let session = Session::from_parts("u".into(), None, None, None, false, vec![], vec![]);
        assert_eq!(session.claim::<String>("team").unwrap(), None);
    }
}
