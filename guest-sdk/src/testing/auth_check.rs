//! The route auth rule evaluated the way the host does (seed semantics), so handler tests can
//! check who gets in without a running host. The host's own implementation is authoritative.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::auth::{Condition, ValueType};
use crate::{Auth, Scalar, Session, SyncError};

/// A session field as the rule sees it: a scalar, or something compound (a list, a map).
enum Field {
    Scalar(Scalar),
    Compound,
}

/// Checks `auth` against `caller` like the host does before the server stage.
///
/// # Errors
/// `auth.required` without a session when one is needed, `auth.invalidCondition` (500) for a
/// key the session does not have, `auth.forbidden` (403, param `key`) for a failed condition.
pub fn authorize(auth: &Auth, caller: Option<&Session>) -> Result<(), SyncError> {
    if !auth.login && auth.additional.is_empty() {
        return Ok(());
    }
    let session = caller.ok_or_else(SyncError::login_required)?;
    for condition in &auth.additional {
        let field = field(session, &condition.key).ok_or_else(|| {
            SyncError::new("auth.invalidCondition")
                .param("key", condition.key.as_str())
                .status(500)
        })?;
        if !holds(condition, &field) {
            return Err(SyncError::new("auth.forbidden")
                .param("key", condition.key.as_str())
                .status(403));
        }
    }
    Ok(())
}

fn field(session: &Session, key: &str) -> Option<Field> {
    let text = |value: &Option<String>| Field::Scalar(value.clone().into());
    Some(match key {
        "id" => Field::Scalar(session.id.as_str().into()),
        "name" => text(&session.name),
        "email" => text(&session.email),
        "language" => text(&session.language),
        "admin" => Field::Scalar(session.admin.into()),
        "roles" => Field::Compound,
        claim => session.claim::<Field>(claim).ok().flatten()?,
    })
}

fn holds(condition: &Condition, field: &Field) -> bool {
    let nullish = matches!(field, Field::Scalar(Scalar::Null));
    if condition.nullish.is_some_and(|want| want != nullish) {
        return false;
    }
    if let (Some(value_type), false) = (condition.value_type, nullish) {
        let matches = matches!(
            (value_type, field),
            (ValueType::String, Field::Scalar(Scalar::Text(_)))
                | (
                    ValueType::Number,
                    Field::Scalar(Scalar::Integer(_) | Scalar::Float(_))
                )
                | (ValueType::Boolean, Field::Scalar(Scalar::Boolean(_)))
        );
        if !matches {
            return false;
        }
    }
    if let Some(expected) = &condition.value {
        let equal = match field {
            Field::Scalar(actual) => strictly_equal(actual, expected),
            Field::Compound => false,
        };
        if !equal {
            return false;
        }
    }
    condition
        .must_be_falsy
        .is_none_or(|want| want == falsy(field))
}

/// JavaScript `===` on scalars: numbers compare by value whatever their encoding.
fn strictly_equal(a: &Scalar, b: &Scalar) -> bool {
    match (a, b) {
        (Scalar::Integer(x), Scalar::Float(y)) | (Scalar::Float(y), Scalar::Integer(x)) => {
            *x as f64 == *y
        }
        _ => a == b,
    }
}

fn falsy(field: &Field) -> bool {
    match field {
        Field::Scalar(Scalar::Null) => true,
        Field::Scalar(Scalar::Boolean(value)) => !value,
        Field::Scalar(Scalar::Integer(value)) => *value == 0,
        Field::Scalar(Scalar::Float(value)) => *value == 0.0 || value.is_nan(),
        Field::Scalar(Scalar::Text(value)) => value.is_empty(),
        Field::Compound => false,
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any claim value")
    }
    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Field, E> {
        Ok(Field::Scalar(Scalar::Boolean(value)))
    }
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Field, E> {
        Ok(Field::Scalar(Scalar::Integer(value)))
    }
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Field, E> {
        Ok(Field::Scalar(
            i64::try_from(value).map_or(Scalar::Float(value as f64), Scalar::Integer),
        ))
    }
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Field, E> {
        Ok(Field::Scalar(Scalar::Float(value)))
    }
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Field, E> {
        Ok(Field::Scalar(Scalar::Text(value.to_owned())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Field, E> {
        Ok(Field::Scalar(Scalar::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Field, E> {
        Ok(Field::Scalar(Scalar::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        deserializer.deserialize_any(FieldVisitor)
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Field, E> {
        Ok(Field::Compound)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Compound)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Compound)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn code(auth: &Auth, session: Option<&Session>) -> Option<String> {
        authorize(auth, session).err().map(|error| error.code)
    }

    #[test]
    fn public_routes_admit_anonymous_callers_and_login_routes_do_not() {
        assert_eq!(code(&Auth::public(), None), None);
        assert_eq!(code(&Auth::login(), None).as_deref(), Some("auth.required"));
        let admins = Auth::public().require(Condition::key("admin").equals(true));
        assert_eq!(code(&admins, None).as_deref(), Some("auth.required"));
    }

    #[test]
    fn conditions_follow_the_seed_semantics() {
        let ann = Session::new("ann")
            .with_claim("level", &3)
            .with_claim("team", "");
        let rule = |condition: Condition| Auth::login().require(condition);
        assert_eq!(
            code(&rule(Condition::key("admin").equals(true)), Some(&ann)).as_deref(),
            Some("auth.forbidden")
        );
        assert_eq!(
            code(&rule(Condition::key("level").equals(3.0)), Some(&ann)),
            None
        );
        assert_eq!(
            code(
                &rule(Condition::key("level").of_type(ValueType::String)),
                Some(&ann)
            )
            .as_deref(),
            Some("auth.forbidden")
        );
        assert_eq!(
            code(&rule(Condition::key("name").nullish(true)), Some(&ann)),
            None
        );
        assert_eq!(
            code(
                &rule(Condition::key("team").must_be_falsy(true)),
                Some(&ann)
            ),
            None
        );
        assert_eq!(
            code(
                &rule(Condition::key("roles").must_be_falsy(false)),
                Some(&ann)
            ),
            None
        );
        assert_eq!(
            code(&rule(Condition::key("planet")), Some(&ann)).as_deref(),
            Some("auth.invalidCondition")
        );
    }
}
