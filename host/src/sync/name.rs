//! Sync names as clients write them, turned into a [`RouteKey`].
//!
//! Two forms are accepted: `name: "<page...>/<sync>"` with `version: "v<n>"`, and the full form
//! `name: "sync/<page...>/<sync>/v<n>"` without a version. The page may be nested: everything before
//! the last segment is the page path (`test/nestedTest/room` → page `test/nestedTest`, sync `room`).
//! Backslashes count as slashes and outer slashes and spaces are ignored; anything else that does not
//! match is refused, never guessed at.

use crate::plugin::RouteKey;

/// The route a name designates, and the names the wire uses for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncName {
    /// The route.
    pub key: RouteKey,
}

impl SyncName {
    /// Parses a name, with the version given apart or inside a full name.
    pub fn parse(name: &str, version: Option<&str>) -> Option<Self> {
        let cleaned = name.trim().replace('\\', "/");
        let mut segments: Vec<&str> = cleaned.trim_matches('/').split('/').collect();
        let version = match version {
            Some(version) => {
                if segments.len() > 2 && segments[0] == "sync" {
                    segments.remove(0);
                }
                version.trim()
            }
            None => {
                if segments.first() != Some(&"sync") {
                    return None;
                }
                segments.remove(0);
                segments.pop()?
            }
        };
        if segments.len() < 2 || !version.starts_with('v') {
            return None;
        }
        RouteKey::parse(&segments.join("/"), version).map(|key| Self { key })
    }

    /// The client-facing name, `<page>/<sync>`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.key.page, self.key.name)
    }

    /// The version as written on the wire, `v<n>`.
    pub fn version(&self) -> String {
        format!("v{}", self.key.version)
    }

    /// The full name clients route callbacks by, `sync/<page>/<sync>/v<n>`.
    pub fn full_name(&self) -> String {
        format!(
            "sync/{}/{}/v{}",
            self.key.page, self.key.name, self.key.version
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(name: &str, version: Option<&str>) -> Option<(String, String, u32)> {
        SyncName::parse(name, version).map(|n| (n.key.page, n.key.name, n.key.version))
    }

    #[test]
    fn short_form_with_version() {
        assert_eq!(
            parts("examples/updateCounter", Some("v1")),
            Some(("examples".into(), "updateCounter".into(), 1))
        );
        assert_eq!(
            parts(" /examples\\updateCounter/ ", Some("v2")),
            Some(("examples".into(), "updateCounter".into(), 2))
        );
    }

    #[test]
    fn full_form_without_version() {
        assert_eq!(
            parts("sync/examples/updateCounter/v1", None),
            Some(("examples".into(), "updateCounter".into(), 1))
        );
        assert_eq!(
            parts("sync/examples/updateCounter", Some("v3")),
            Some(("examples".into(), "updateCounter".into(), 3))
        );
    }

    #[test]
    fn nested_page() {
        assert_eq!(
            parts("test/nestedTest/room", Some("v1")),
            Some(("test/nestedTest".into(), "room".into(), 1))
        );
        let name = SyncName::parse("sync/test/nestedTest/room/v1", None).unwrap_or_else(|| {
            panic!("nested full name must parse");
        });
        assert_eq!(name.full_name(), "sync/test/nestedTest/room/v1");
        assert_eq!(name.name(), "test/nestedTest/room");
        assert_eq!(name.version(), "v1");
    }

    #[test]
    fn refuses_what_does_not_match() {
        for (name, version) in [
            ("", Some("v1")),
            ("updateCounter", Some("v1")),
            ("examples//updateCounter", Some("v1")),
            ("examples/updateCounter", Some("1")),
            ("examples/updateCounter", Some("v0")),
            ("examples/updateCounter", Some("vx")),
            ("examples/updateCounter/v1", None),
            ("sync/examples/v1", None),
            ("sync/examples/updateCounter/1", None),
            ("examples/up date", Some("v1")),
            ("examples/_sync/x", Some("v1")),
        ] {
            assert_eq!(parts(name, version), None, "{name:?} {version:?}");
        }
    }
}
