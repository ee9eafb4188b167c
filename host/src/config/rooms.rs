//! The `[rooms]` section: who may be in which room, by room name pattern, and how often a peer may
//! join.
//!
//! A policy is written in the same language as a route's `Auth` (`login`, and conditions on session
//! fields with `value`, `type`, `nullish`, `falsy`), so an operator learns one rule language. The
//! first `[[rooms.policy]]` whose pattern matches a room decides; rooms no pattern names get
//! `[rooms.default]`. Patterns are exact names with `*` standing for any run of characters. A
//! policy may also require a room token (a signed grant of listed rooms), and may name a join
//! handler (a sandboxed component that decides each join from the room and the session). This file
//! only parses and validates; the sync layer applies the policies.

use serde::Deserialize;

use super::Error;
use super::route_key::RouteKey;

/// Room policies and join limits.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoomsSection {
    /// The policy of rooms no pattern names. Default: anyone, anonymous connections included.
    pub default: RoomPolicy,
    /// Policies by room name pattern, the first match deciding.
    pub policy: Vec<PatternPolicy>,
    /// Joins one user (or, for anonymous connections, one address) may make per minute, over all
    /// of its connections; more get `room.joinRateExceeded`. 0 = unlimited. Default 120.
    pub join_rate_per_minute: u32,
}

impl Default for RoomsSection {
    fn default() -> Self {
        Self {
            default: RoomPolicy::default(),
            policy: Vec::new(),
            join_rate_per_minute: 120,
        }
    }
}

/// Who may be in a room.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoomPolicy {
    /// Whether a session is required (anonymous connections refused with `auth.required`).
    pub login: bool,
    /// Whether only a room token lets a session in (`room.tokenRequired` without one).
    pub require_token: bool,
    /// Conditions on the session, all of which must hold (any condition also requires a session).
    pub conditions: Vec<RoomCondition>,
    /// The join handler that decides each join after the rules above passed
    /// (`"<page>/<name>@v<n>"`, the file `<page>/_sync/<name>_join_v<n>.wasm`).
    pub join: Option<RouteKey>,
}

/// One condition on a session field, as in a route's `Auth`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomCondition {
    /// `id`, `name`, `email`, `language`, `admin`, `roles`, or an extra claim.
    pub key: String,
    /// Strict equality with this value (for `roles`, a text value means "has this role").
    pub value: Option<ConditionValue>,
    /// `string`, `number` or `boolean` (skipped when the field is null).
    #[serde(rename = "type")]
    pub value_type: Option<ConditionType>,
    /// true: the field must be null or absent; false: present and not null.
    pub nullish: Option<bool>,
    /// true: the field must be falsy; false: truthy.
    pub falsy: Option<bool>,
}

/// A condition's value: a TOML string, integer, float or boolean.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ConditionValue {
    /// A boolean.
    Boolean(bool),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A string.
    Text(String),
}

/// The type a condition requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConditionType {
    /// A string.
    String,
    /// A number.
    Number,
    /// A boolean.
    Boolean,
}

/// A policy for the rooms whose names match `pattern`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternPolicy {
    /// A room name, with `*` matching any run of characters (`game-*`, `team:*`, `*`).
    pub pattern: String,
    /// Whether a session is required.
    #[serde(default)]
    pub login: bool,
    /// Whether only a room token lets a session in.
    #[serde(default)]
    pub require_token: bool,
    /// Conditions on the session.
    #[serde(default)]
    pub conditions: Vec<RoomCondition>,
    /// The join handler that decides each join after the rules above passed.
    #[serde(default)]
    pub join: Option<RouteKey>,
}

impl RoomsSection {
    /// The policy deciding `room`: the first pattern that matches, else the default.
    pub fn policy_for(&self, room: &str) -> RoomPolicyRef<'_> {
        match self
            .policy
            .iter()
            .find(|policy| matches(&policy.pattern, room))
        {
            Some(policy) => RoomPolicyRef {
                pattern: Some(&policy.pattern),
                login: policy.login,
                require_token: policy.require_token,
                conditions: &policy.conditions,
                join: policy.join.as_ref(),
            },
            None => RoomPolicyRef {
                pattern: None,
                login: self.default.login,
                require_token: self.default.require_token,
                conditions: &self.default.conditions,
                join: self.default.join.as_ref(),
            },
        }
    }

    /// Checks what serde cannot: patterns are not empty.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the policy.
    pub fn validate(&self) -> Result<(), Error> {
        match self
            .policy
            .iter()
            .position(|policy| policy.pattern.is_empty())
        {
            Some(index) => Err(Error::Invalid {
                key: format!("rooms.policy[{index}].pattern"),
                reason: "must not be empty".to_owned(),
            }),
            None => Ok(()),
        }
    }
}

/// The policy that decides one room.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoomPolicyRef<'a> {
    /// The pattern that matched; `None` for the default policy.
    pub pattern: Option<&'a str>,
    /// Whether a session is required.
    pub login: bool,
    /// Whether only a room token lets a session in.
    pub require_token: bool,
    /// Conditions on the session.
    pub conditions: &'a [RoomCondition],
    /// The join handler that decides each join, if the policy names one.
    pub join: Option<&'a RouteKey>,
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters (none included).
pub fn matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return pattern == name;
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*` at all: the whole name must be the pattern.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Config;

    #[test]
    fn patterns_match_with_stars() {
        assert!(matches("game-*", "game-1"));
        assert!(matches("game-*", "game-"));
        assert!(!matches("game-*", "agame-1"));
        assert!(matches("*", ""));
        assert!(matches("team:*:chat", "team:red:chat"));
        assert!(!matches("team:*:chat", "team:red:chat2"));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("a*b*c", "acb"));
        assert!(matches("lobby", "lobby"));
        assert!(!matches("lobby", "lobby2"));
        assert!(matches("*-vip", "x-vip"));
        assert!(!matches("ab*ba", "aba"));
    }

    #[test]
    fn the_first_matching_policy_decides_and_the_default_covers_the_rest() {
        let config = Config::from_toml(
            r#"
[rooms.default]
login = true
[[rooms.policy]]
pattern = "public-*"
[[rooms.policy]]
pattern = "team:*"
conditions = [{ key = "team", value = "red" }, { key = "level", type = "number", falsy = false }]
join = "teams/members@v2"
[[rooms.policy]]
pattern = "*"
login = false
"#,
        )
        .unwrap();
        let rooms = &config.rooms;
        assert_eq!(rooms.policy_for("public-1").pattern, Some("public-*"));
        assert!(!rooms.policy_for("public-1").login);
        let team = rooms.policy_for("team:red");
        assert_eq!(team.conditions.len(), 2);
        assert_eq!(
            team.conditions[0].value,
            Some(ConditionValue::Text("red".into()))
        );
        assert_eq!(team.conditions[1].value_type, Some(ConditionType::Number));
        assert_eq!(team.join, Some(&RouteKey::new("teams", "members", 2)));
        assert_eq!(rooms.policy_for("other").pattern, Some("*"));
        assert_eq!(rooms.policy_for("public-1").join, None);
        assert!(Config::default().rooms.policy_for("x").pattern.is_none());
        assert!(!Config::default().rooms.policy_for("x").login);
    }

    #[test]
    fn bad_policies_are_named() {
        let error = Config::from_toml("[[rooms.policy]]\npattern = \"\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("rooms.policy[0].pattern"), "{error}");
        let error = Config::from_toml("[[rooms.policy]]\npattern = \"a\"\nlogn = true\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("logn"), "{error}");
        let error = Config::from_toml("[[rooms.policy]]\npattern = \"a\"\njoin = \"chess/game\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("chess/game"), "{error}");
    }
}
