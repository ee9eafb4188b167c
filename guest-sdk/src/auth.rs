//! `Auth`: who may call a route, declared by the handler and enforced by the host before the
//! server stage runs. Semantics follow the seed system: `login` requires a session, and every
//! additional condition must hold (all constraints within one condition are AND-ed). The SDK
//! only describes the rule; it never enforces it inside the guest.

use crate::Scalar;

/// The type an auth condition checks for (skipped when the value is null or absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// A string.
    String,
    /// A number.
    Number,
    /// A boolean.
    Boolean,
}

/// One condition on a session field: `id`, `name`, `email`, `language`, `admin`, `roles`, or
/// an extra claim. Every constraint that is set must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The session field or claim name.
    pub key: String,
    /// Strict equality with this value.
    pub value: Option<Scalar>,
    /// Type check.
    pub value_type: Option<ValueType>,
    /// `true`: must be null or absent; `false`: must be present and not null.
    pub nullish: Option<bool>,
    /// `true`: must be falsy; `false`: must be truthy.
    pub must_be_falsy: Option<bool>,
}

impl Condition {
    /// A condition on `key` with no constraint yet.
    pub fn key(key: impl Into<String>) -> Self {
        Condition {
            key: key.into(),
            value: None,
            value_type: None,
            nullish: None,
            must_be_falsy: None,
        }
    }

    /// The field must equal `value` strictly.
    pub fn equals(mut self, value: impl Into<Scalar>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// The field must have this type when it is not null.
    pub fn of_type(mut self, value_type: ValueType) -> Self {
        self.value_type = Some(value_type);
        self
    }

    /// `true`: the field must be null or absent; `false`: it must be present and not null.
    pub fn nullish(mut self, nullish: bool) -> Self {
        self.nullish = Some(nullish);
        self
    }

    /// `true`: the field must be falsy; `false`: it must be truthy.
    pub fn must_be_falsy(mut self, must_be_falsy: bool) -> Self {
        self.must_be_falsy = Some(must_be_falsy);
        self
    }
}

/// Who may call a route.
///
/// ```
/// use synchost_sdk::{Auth, Condition};
///
/// let anyone = Auth::public();
/// assert!(!anyone.login);
/// let admins = Auth::login().require(Condition::key("admin").equals(true));
/// assert!(admins.login);
/// assert_eq!(admins.additional.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Auth {
    /// Whether a session is required.
    pub login: bool,
    /// Conditions that must all hold (they also require a session).
    pub additional: Vec<Condition>,
}

impl Auth {
    /// Anyone may call, including anonymous connections.
    pub fn public() -> Self {
        Auth::default()
    }

    /// A logged-in session is required.
    pub fn login() -> Self {
        Auth {
            login: true,
            additional: Vec::new(),
        }
    }

    /// Adds a condition that must hold.
    pub fn require(mut self, condition: Condition) -> Self {
        self.additional.push(condition);
        self
    }
}
