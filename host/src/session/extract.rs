//! Where a caller's token is found: the Socket.IO CONNECT `auth` payload, an
//! `Authorization: Bearer` header, or a cookie. These functions only locate the string; they never
//! verify, log or keep it. An empty value counts as no token.
//!
//! A cookie is sent by the browser whichever site made the request, so a token found in one may
//! act as its user only when the request comes from the host's own origin, from no origin at all
//! (not a browser's cross-site request), or from an origin the operator allowed
//! ([`cookie_origin_allowed`]); a WebSocket from another site must never ride on it.

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The token in a CONNECT `auth` payload `{"token": "..."}`; a `Bearer ` prefix is tolerated.
/// Anything else (no object, no `token`, not a string, empty) gives `None`.
pub fn token_from_auth(auth: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Auth<'a> {
        #[serde(borrow)]
        token: Option<std::borrow::Cow<'a, str>>,
    }
    let auth: Auth<'_> = serde_json::from_str(auth.get()).ok()?;
    let token = auth.token?;
    non_empty(strip_bearer(&token).unwrap_or(&token))
}

/// Where a token in the headers came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `Authorization: Bearer`: set by the caller's own code, never by the browser on its own.
    Bearer,
    /// The session cookie: sent by the browser with any request to this host.
    Cookie,
}

/// The token from `Authorization: Bearer <token>`, else from the cookie `cookie_name`.
/// Other authorization schemes are ignored (the cookie still counts).
pub fn token_from_headers(headers: &HeaderMap, cookie_name: &str) -> Option<String> {
    token_with_source(headers, cookie_name).map(|(token, _)| token)
}

/// As [`token_from_headers`], saying where the token was found.
pub fn token_with_source(headers: &HeaderMap, cookie_name: &str) -> Option<(String, TokenSource)> {
    let bearer = headers
        .get_all(AUTHORIZATION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| strip_bearer(value).and_then(non_empty));
    if let Some(token) = bearer {
        return Some((token, TokenSource::Bearer));
    }
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(name, value)| {
            (name.trim() == cookie_name)
                .then(|| non_empty(value.trim().trim_matches('"')))
                .flatten()
        })
        .map(|token| (token, TokenSource::Cookie))
}

/// Whether a cookie token of this request may act as its user: yes without an `Origin` header,
/// when the origin is the host's own (its authority equals `Host`), or when `allowed` accepts it.
///
/// # Errors
/// The refused origin.
pub fn cookie_origin_allowed(
    headers: &HeaderMap,
    allowed: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    let host = headers.get(HOST).and_then(|value| value.to_str().ok());
    let same = matches!((authority, host), (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host));
    if same || allowed(&origin) {
        Ok(())
    } else {
        Err(origin)
    }
}

/// `Bearer <token>` (scheme case-insensitive) → the token part.
fn strip_bearer(value: &str) -> Option<&str> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("bearer") {
        return Some("");
    }
    let (scheme, rest) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(rest)
}

fn non_empty(token: &str) -> Option<String> {
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use axum::http::HeaderValue;

    use super::*;

    fn auth(json: &str) -> Option<String> {
        token_from_auth(&RawValue::from_string(json.to_owned()).unwrap())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn a_cookie_counts_only_from_no_origin_the_own_origin_or_an_allowed_one() {
        let none = |_: &str| false;
        let listed = |origin: &str| origin == "https://app.example";
        assert!(cookie_origin_allowed(&headers(&[("host", "h:3000")]), none).is_ok());
        let own = headers(&[("host", "h:3000"), ("origin", "http://h:3000")]);
        assert!(cookie_origin_allowed(&own, none).is_ok());
        let other = headers(&[("host", "h:3000"), ("origin", "https://evil.example")]);
        assert_eq!(
            cookie_origin_allowed(&other, none),
            Err("https://evil.example".to_owned())
        );
        assert!(cookie_origin_allowed(&other, listed).is_err());
        let app = headers(&[("host", "h:3000"), ("origin", "https://app.example")]);
        assert!(cookie_origin_allowed(&app, listed).is_ok());
        assert!(cookie_origin_allowed(&headers(&[("origin", "null")]), none).is_err());
    }

    #[test]
    fn the_source_of_a_header_token_is_told() {
        let bearer = headers(&[("authorization", "Bearer b"), ("cookie", "token=c")]);
        assert_eq!(
            token_with_source(&bearer, "token"),
            Some(("b".to_owned(), TokenSource::Bearer))
        );
        let cookie = headers(&[("cookie", "token=c")]);
        assert_eq!(
            token_with_source(&cookie, "token"),
            Some(("c".to_owned(), TokenSource::Cookie))
        );
    }

    #[test]
    fn auth_payload_token_with_or_without_bearer() {
        assert_eq!(
            auth(r#"{"token":"abc.def.ghi"}"#).as_deref(),
            Some("abc.def.ghi")
        );
        assert_eq!(auth(r#"{"token":"Bearer abc"}"#).as_deref(), Some("abc"));
        assert_eq!(auth(r#"{"token":"bearer  abc "}"#).as_deref(), Some("abc"));
        assert_eq!(
            auth(r#"{"token":"a\u002eb"}"#).as_deref(),
            Some("a.b"),
            "escapes decode"
        );
        assert_eq!(auth(r#"{"token":"x","other":1}"#).as_deref(), Some("x"));
        for absent in [
            r#"{}"#,
            r#"{"token":""}"#,
            r#"{"token":"Bearer "}"#,
            r#"{"token":null}"#,
            r#"{"token":5}"#,
            r#""abc""#,
            r#"null"#,
            r#"[]"#,
        ] {
            assert_eq!(auth(absent), None, "{absent}");
        }
    }

    #[test]
    fn bearer_header_wins_over_the_cookie() {
        let map = headers(&[
            ("authorization", "Bearer from-header"),
            ("cookie", "token=from-cookie"),
        ]);
        assert_eq!(
            token_from_headers(&map, "token").as_deref(),
            Some("from-header")
        );
    }

    #[test]
    fn the_named_cookie_is_found_among_several() {
        let map = headers(&[
            ("cookie", "theme=dark; tokenx=nope"),
            ("cookie", "lang=nl;  token=\"jwt.value.sig\" ; other=1"),
        ]);
        assert_eq!(
            token_from_headers(&map, "token").as_deref(),
            Some("jwt.value.sig")
        );
        assert_eq!(token_from_headers(&map, "session"), None);
    }

    #[test]
    fn other_schemes_and_empty_values_fall_through() {
        let map = headers(&[
            ("authorization", "Basic dXNlcjpwYXNz"),
            ("cookie", "token=c"),
        ]);
        assert_eq!(token_from_headers(&map, "token").as_deref(), Some("c"));
        let map = headers(&[("authorization", "Bearer "), ("cookie", "token=; x=1")]);
        assert_eq!(token_from_headers(&map, "token"), None);
        assert_eq!(token_from_headers(&HeaderMap::new(), "token"), None);
    }
}
