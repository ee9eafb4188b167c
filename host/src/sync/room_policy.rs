//! Whether a session may be in a room, by the operator's `[rooms]` policies.
//!
//! The policy that decides a room (see `config::rooms`) is turned into the same [`AuthSpec`] a
//! route declares and checked by the one predicate both use ([`authorize`]), so a room condition
//! means exactly what a route condition means. Used when a socket joins, when a signed-in user's
//! remembered rooms are rejoined, and when a config change re-checks every member: a refusal here
//! is never softened into a join. A room token (a JWT from the app's backend whose `rooms` claim
//! lists rooms, for one user) lets its holder into those rooms for the life of the connection,
//! whatever the policy; policies with `require_token` let in no one else.
//!
//! A policy may also name a join handler ([`ask_join_handler`]): once its own rules passed, the
//! handler decides. Only an explicit yes lets the member in: a refusal is the handler's verdict, and
//! a handler that is not loaded or fails decides nothing, so the join is refused too
//! ([`undecided`] tells the two apart for remembered rooms, which are forgotten only on a verdict).

use std::sync::Arc;

use crate::config::{ConditionType, ConditionValue, RoomCondition, RoomsSection};
use crate::plugin::{
    AuthCondition, AuthSpec, PluginRuntime, Scalar, Session, StageError, ValueType,
};
use crate::session::{AuthFailure, TokenVerifier, authorize};

use super::failure::{Code, Failure};
use super::peer::Peer;

/// Checks `session` (`None`: anonymous) against the policy of `room`.
///
/// # Errors
/// `auth.required` without a session where one is needed; `room.tokenRequired` (param `room`) where
/// only a room token lets a session in; `room.forbidden` (params `room`, `key`) when a condition
/// does not hold; `auth.invalidCondition` for a condition naming a field sessions do not have.
pub fn admit(rooms: &RoomsSection, room: &str, session: Option<&Session>) -> Result<(), Failure> {
    let policy = rooms.policy_for(room);
    if policy.require_token {
        return Err(match session {
            None => Failure::auth(&AuthFailure::LoginRequired),
            Some(_) => Failure::new(Code::RoomTokenRequired).text("room", room),
        });
    }
    let spec = AuthSpec {
        login: policy.login,
        additional: policy.conditions.iter().map(condition).collect(),
    };
    authorize(&spec, session).map_err(|failure| match failure {
        AuthFailure::Forbidden { key } => Failure::new(Code::RoomForbidden)
            .text("room", room)
            .text("key", key),
        other => Failure::auth(&other),
    })
}

/// As [`admit`], for a member that may hold room tokens: a room the peer was granted passes.
///
/// # Errors
/// As [`admit`].
pub fn admit_peer(rooms: &RoomsSection, room: &str, peer: &Peer) -> Result<(), Failure> {
    if peer.session.is_some() && peer.granted.contains(room) {
        return Ok(());
    }
    admit(rooms, room, peer.session.as_deref())
}

/// Checks a room token presented with a join: it verifies (the session tokens' keys and rules), it
/// was minted for this session's user (`sub`), and its `rooms` claim lists `room`.
///
/// # Errors
/// `auth.required` for an anonymous peer; `auth.invalidToken` / `auth.tokenExpired`;
/// `room.tokenRefused` (param `room`) for a good token that does not grant this room to this user.
pub fn check_grant(
    verifier: &TokenVerifier,
    token: &str,
    room: &str,
    session: Option<&Session>,
) -> Result<(), Failure> {
    let session = session.ok_or_else(|| Failure::auth(&AuthFailure::LoginRequired))?;
    let grant = verifier
        .verify_grant(token)
        .map_err(|error| Failure::token(&error))?;
    let listed = grant.rooms.iter().any(|listed| listed == room);
    if grant.user == session.id && listed {
        Ok(())
    } else {
        Err(Failure::new(Code::RoomTokenRefused).text("room", room))
    }
}

/// Asks the join handler the policy of `room` names, if it names one, whether `session` (`None`:
/// anonymous) may join. Call it after [`admit`] passed.
///
/// # Errors
/// `room.joinUnavailable` (param `room`) when the handler is not loaded; the auth codes when its
/// declared auth refuses; the handler's own refusal (403 unless it chose a status); a plugin code
/// (`plugin.timeout`, `plugin.trap`, ...) when it fails.
pub async fn ask_join_handler(
    runtime: &PluginRuntime,
    rooms: &RoomsSection,
    room: &str,
    session: Option<&Arc<Session>>,
) -> Result<(), Failure> {
    let Some(key) = rooms.policy_for(room).join else {
        return Ok(());
    };
    let Some(handler) = runtime.join_handler(key) else {
        tracing::warn!(room, handler = %key, "join refused: the room's join handler is not loaded");
        return Err(Failure::new(Code::JoinHandlerUnavailable).text("room", room));
    };
    authorize(&handler.metadata().auth, session.map(Arc::as_ref))
        .map_err(|failure| Failure::auth(&failure))?;
    let result = runtime
        .decide_join(
            handler,
            room.to_owned(),
            session.map(|session| Session::clone(session)),
        )
        .await;
    match result {
        Ok(()) => Ok(()),
        Err(StageError::Refused(mut refusal)) => {
            refusal.http_status.get_or_insert(403);
            Err(Failure::refused(refusal))
        }
        Err(StageError::Failed(error)) => {
            tracing::warn!(room, handler = %key, %error, "join refused: the join handler failed");
            Err(Failure::plugin(&error))
        }
    }
}

/// Whether a refusal decides nothing about the member: the operator's mistake (a condition naming a
/// field sessions do not have), a join handler that is not loaded, or one that failed. Such a room
/// is not entered, but a remembered one is not forgotten either: fixing the cause brings it back.
pub fn undecided(failure: &Failure) -> bool {
    failure.code == "auth.invalidCondition"
        || failure.code == Code::JoinHandlerUnavailable.as_str()
        || failure.code.starts_with("plugin.")
}

fn condition(condition: &RoomCondition) -> AuthCondition {
    AuthCondition {
        key: condition.key.clone(),
        value: condition.value.as_ref().map(|value| match value {
            ConditionValue::Boolean(value) => Scalar::Boolean(*value),
            ConditionValue::Integer(value) => Scalar::Integer(*value),
            ConditionValue::Float(value) => Scalar::Float(*value),
            ConditionValue::Text(value) => Scalar::Text(value.clone()),
        }),
        value_type: condition.value_type.map(|value_type| match value_type {
            ConditionType::String => ValueType::String,
            ConditionType::Number => ValueType::Number,
            ConditionType::Boolean => ValueType::Boolean,
        }),
        nullish: condition.nullish,
        must_be_falsy: condition.falsy,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Config;

    fn session(id: &str, roles: &[&str], extra: serde_json::Value) -> Session {
        Session {
            id: id.to_owned(),
            name: None,
            email: None,
            language: None,
            admin: false,
            roles: roles.iter().map(|role| (*role).to_owned()).collect(),
            extra: rmp_serde::to_vec_named(&extra).unwrap(),
        }
    }

    fn rooms(toml: &str) -> RoomsSection {
        Config::from_toml(toml).unwrap().rooms
    }

    #[test]
    fn the_default_policy_lets_anyone_in() {
        let rooms = RoomsSection::default();
        assert!(admit(&rooms, "lobby", None).is_ok());
    }

    #[test]
    fn login_and_conditions_refuse_with_their_codes() {
        let rooms = rooms(
            r#"
[[rooms.policy]]
pattern = "team:*"
conditions = [{ key = "team", value = "red" }]
[[rooms.policy]]
pattern = "staff-*"
conditions = [{ key = "roles", value = "staff" }]
[rooms.default]
login = true
"#,
        );
        let red = session("ann", &[], serde_json::json!({ "team": "red" }));
        let blue = session("bob", &["staff"], serde_json::json!({ "team": "blue" }));
        assert_eq!(
            admit(&rooms, "lobby", None).unwrap_err().code,
            "auth.required"
        );
        assert!(admit(&rooms, "lobby", Some(&red)).is_ok());
        assert!(admit(&rooms, "team:1", Some(&red)).is_ok());
        let refused = admit(&rooms, "team:1", Some(&blue)).unwrap_err();
        assert_eq!(refused.code, "room.forbidden");
        assert_eq!(refused.status, 403);
        assert_eq!(
            admit(&rooms, "team:1", None).unwrap_err().code,
            "auth.required"
        );
        assert!(admit(&rooms, "staff-chat", Some(&blue)).is_ok());
        assert_eq!(
            admit(&rooms, "staff-chat", Some(&red)).unwrap_err().code,
            "room.forbidden"
        );
    }
}
