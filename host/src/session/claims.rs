//! Verified token claims → the [`Session`] handlers see. The mapping is fixed so every issuer's
//! tokens produce the same layout: known claims fill the typed fields, every other claim except
//! the registered JWT ones travels in `extra` as a MessagePack map. A claim of the wrong type
//! refuses the token rather than being dropped silently; nothing here ever sees the raw token.

use serde_json::{Map, Value};

use super::token::TokenError;
use crate::plugin::Session;

/// Registered JWT claims: checked by the verifier, never copied into `extra`.
pub const REGISTERED_CLAIMS: [&str; 7] = ["exp", "iat", "nbf", "iss", "aud", "jti", "sub"];

/// Claims that may carry the preferred language, in order of preference.
const LANGUAGE_CLAIMS: [&str; 3] = ["language", "lang", "locale"];

/// Builds a session from verified claims.
///
/// `sub` (non-empty string) → `id`; `name`, `email` (strings); the first of `language`, `lang`,
/// `locale` → `language`, reduced to its lower-cased primary subtag (`nl-BE` → `nl`; a value
/// that is not a language tag is ignored); `admin` (boolean, default false; roles do not imply
/// it); `roles` (array of strings). Null counts as absent.
///
/// # Errors
/// [`TokenError::Invalid`] when `sub` is missing or a known claim has the wrong type.
pub fn session_from_claims(mut claims: Map<String, Value>) -> Result<Session, TokenError> {
    let id = match claims.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
        Some(Value::String(_)) => return Err(invalid("claim `sub` is empty")),
        Some(_) => return Err(invalid("claim `sub` is not a string")),
        None => return Err(invalid("claim `sub` is missing")),
    };
    let name = optional_text(&mut claims, "name")?;
    let email = optional_text(&mut claims, "email")?;
    let mut language = None;
    for key in LANGUAGE_CLAIMS {
        if let Some(tag) = optional_text(&mut claims, key)? {
            language = primary_subtag(&tag);
            break;
        }
    }
    let admin = match claims.shift_remove("admin") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(admin)) => admin,
        Some(_) => return Err(invalid("claim `admin` is not a boolean")),
    };
    let roles = match claims.shift_remove("roles") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(role) => Ok(role),
                _ => Err(invalid("claim `roles` holds a non-string")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("claim `roles` is not an array")),
    };
    for registered in REGISTERED_CLAIMS {
        claims.shift_remove(registered);
    }
    let extra = rmp_serde::to_vec_named(&claims)
        .map_err(|error| invalid(&format!("claims cannot be encoded: {error}")))?;
    Ok(Session {
        id,
        name,
        email,
        language,
        admin,
        roles,
        extra,
    })
}

/// Removes `key`; a string is returned, null or absence gives `None`, anything else is an error.
fn optional_text(claims: &mut Map<String, Value>, key: &str) -> Result<Option<String>, TokenError> {
    match claims.shift_remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(invalid(&format!("claim `{key}` is not a string"))),
    }
}

/// `nl-BE` → `nl`, `pt_BR` → `pt`; `None` unless the primary subtag is 2–8 ASCII letters.
fn primary_subtag(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?;
    let well_formed =
        (2..=8).contains(&primary.len()) && primary.bytes().all(|byte| byte.is_ascii_alphabetic());
    well_formed.then(|| primary.to_ascii_lowercase())
}

fn invalid(reason: &str) -> TokenError {
    TokenError::Invalid(reason.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn known_claims_fill_fields_and_the_rest_goes_to_extra() {
        let session = session_from_claims(claims(json!({
            "sub": "u1", "name": "Ann", "email": "ann@example.com", "language": "nl-BE",
            "admin": true, "roles": ["editor", "admin"], "team": "red", "level": 3,
            "exp": 1, "iat": 1, "nbf": 1, "iss": "me", "aud": "you", "jti": "x",
        })))
        .unwrap();
        assert_eq!(session.id, "u1");
        assert_eq!(session.name.as_deref(), Some("Ann"));
        assert_eq!(session.email.as_deref(), Some("ann@example.com"));
        assert_eq!(session.language.as_deref(), Some("nl"));
        assert!(session.admin);
        assert_eq!(session.roles, ["editor", "admin"]);
        let extra: Map<String, Value> = rmp_serde::from_slice(&session.extra).unwrap();
        assert_eq!(Value::Object(extra), json!({"team": "red", "level": 3}));
    }

    #[test]
    fn a_bare_token_gives_an_empty_session_with_an_empty_extra_map() {
        let session = session_from_claims(claims(json!({"sub": "u2", "exp": 9}))).unwrap();
        assert_eq!(session.name, None);
        assert_eq!(session.language, None);
        assert!(!session.admin);
        assert!(session.roles.is_empty());
        assert_eq!(session.extra, [0x80], "MessagePack empty map");
    }

    #[test]
    fn language_comes_from_the_first_language_claim_present() {
        let language = |value| session_from_claims(claims(value)).unwrap().language;
        assert_eq!(
            language(json!({"sub": "u", "lang": "EN_us"})),
            Some("en".to_owned())
        );
        assert_eq!(
            language(json!({"sub": "u", "locale": "de"})),
            Some("de".to_owned())
        );
        assert_eq!(
            language(json!({"sub": "u", "language": "fr-CA", "locale": "de"})),
            Some("fr".to_owned())
        );
        assert_eq!(language(json!({"sub": "u", "language": "12-x"})), None);
        // The claims not used for `language` stay available in extra.
        let session = session_from_claims(claims(
            json!({"sub": "u", "language": "fr", "locale": "de-AT"}),
        ))
        .unwrap();
        let extra: Map<String, Value> = rmp_serde::from_slice(&session.extra).unwrap();
        assert_eq!(extra.get("locale"), Some(&json!("de-AT")));
    }

    #[test]
    fn roles_do_not_imply_admin() {
        let session = session_from_claims(claims(json!({"sub": "u", "roles": ["admin"]}))).unwrap();
        assert!(!session.admin);
    }

    #[test]
    fn wrong_types_refuse_the_token_with_a_reason() {
        for (value, needle) in [
            (json!({}), "sub"),
            (json!({"sub": ""}), "sub"),
            (json!({"sub": 7}), "sub"),
            (json!({"sub": "u", "name": 1}), "name"),
            (json!({"sub": "u", "admin": "yes"}), "admin"),
            (json!({"sub": "u", "roles": "admin"}), "roles"),
            (json!({"sub": "u", "roles": ["a", 1]}), "roles"),
            (json!({"sub": "u", "lang": ["en"]}), "lang"),
        ] {
            let Err(TokenError::Invalid(reason)) = session_from_claims(claims(value.clone()))
            else {
                panic!("{value} accepted")
            };
            assert!(reason.contains(needle), "{value}: {reason}");
        }
    }
}
