//! [`RouteKey`]: one version of one handler (`<page>/<name>@v<n>`), the name files, config keys and
//! requests all use.
//!
//! It lives with the configuration because the configuration names handlers too (a room policy's
//! `join = "chess/game@v1"`), and a reference that does not parse must be refused with the file,
//! not found at the first join. Parsing is pure and strict: what does not match is `None`, never a
//! guess.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// One route: a page, a handler name and a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct RouteKey {
    /// The page, possibly nested (`test/nestedTest`).
    pub page: String,
    /// The sync name (`updateCounter`).
    pub name: String,
    /// The version number (`1` for `v1`).
    pub version: u32,
}

impl RouteKey {
    /// A route key from its parts.
    pub fn new(page: impl Into<String>, name: impl Into<String>, version: u32) -> Self {
        Self {
            page: page.into(),
            name: name.into(),
            version,
        }
    }

    /// Parses `<page>/<name>` plus a version written `v<n>` (or `<n>`).
    pub fn parse(route: &str, version: &str) -> Option<Self> {
        let (page, name) = route.trim_matches('/').rsplit_once('/')?;
        let number = version.strip_prefix('v').unwrap_or(version);
        let valid = page.split('/').all(is_segment) && is_segment(name);
        if !valid {
            return None;
        }
        Some(Self::new(page, name, parse_version(number)?))
    }
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}@v{}", self.page, self.name, self.version)
    }
}

/// A text that is not `<page>/<name>@v<n>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not <page>/<name>@v<n>")]
pub struct BadRouteKey(String);

impl FromStr for RouteKey {
    type Err = BadRouteKey;

    /// Parses what [`RouteKey`] displays: `<page>/<name>@v<n>`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.rsplit_once('@')
            .and_then(|(route, version)| {
                version
                    .starts_with('v')
                    .then(|| Self::parse(route, version))
                    .flatten()
            })
            .ok_or_else(|| BadRouteKey(text.to_owned()))
    }
}

impl TryFrom<String> for RouteKey {
    type Error = BadRouteKey;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

/// A version number: decimal digits without a leading zero, at least 1.
pub(crate) fn parse_version(digits: &str) -> Option<u32> {
    let plain = !digits.is_empty()
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && !digits.starts_with('0');
    plain.then(|| digits.parse().ok()).flatten()
}

/// A page segment or handler name: ASCII letters, digits, `_` and `-`, and never `_sync`.
pub(crate) fn is_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "_sync"
        && segment
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys_parse_from_cli_form() {
        assert_eq!(
            RouteKey::parse("test/nestedTest/counter", "v2"),
            Some(RouteKey::new("test/nestedTest", "counter", 2))
        );
        assert_eq!(
            RouteKey::parse("examples/updateCounter", "1")
                .map(|key| key.to_string())
                .as_deref(),
            Some("examples/updateCounter@v1")
        );
        assert_eq!(RouteKey::parse("lonely", "v1"), None);
        assert_eq!(RouteKey::parse("a/b", "vx"), None);
    }

    #[test]
    fn the_displayed_form_parses_back_and_nothing_else_does() {
        let key = RouteKey::new("test/nested", "game", 3);
        assert_eq!(key.to_string().parse::<RouteKey>(), Ok(key));
        for text in [
            "chess/game",
            "chess/game@1",
            "chess@v1",
            "chess/game@v0",
            "/game@v1",
            "a b/c@v1",
        ] {
            assert!(text.parse::<RouteKey>().is_err(), "{text}");
        }
    }
}
