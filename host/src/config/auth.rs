//! The `[auth]` section: which key verifies session tokens, which claims are checked, and where
//! tokens are looked for. Only shape and cross-field rules live here; reading key files happens
//! when a verifier is built, so a config can be checked without touching the disk.

use std::path::PathBuf;

use serde::Deserialize;

/// How session tokens (signed JWTs) are verified.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSection {
    /// Shared secret for HS256/HS384/HS512. Prefer `secret_file` outside development.
    pub secret: Option<String>,
    /// File holding the shared secret (surrounding whitespace is trimmed).
    pub secret_file: Option<PathBuf>,
    /// PEM public key: RSA (RS*/PS*), EC P-256 (ES256) or P-384 (ES384), or Ed25519 (EdDSA).
    pub public_key_file: Option<PathBuf>,
    /// Allowed `alg` values; empty means every algorithm that fits the configured key.
    pub algorithms: Vec<String>,
    /// Required `iss` claim, when set.
    pub issuer: Option<String>,
    /// Required `aud` claim, when set. Tokens carrying an `aud` are refused when this is unset.
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds. Default 30.
    pub leeway_s: u64,
    /// Cookie read when a request has no `Authorization: Bearer` header. Default `token`.
    pub cookie_name: String,
    /// Where the development secret lives when no key is configured. Default `.synchost/dev-secret`.
    pub dev_secret_file: PathBuf,
    /// What happens to a socket whose token expires and is not renewed in time. Default
    /// `anonymous`.
    pub on_expiry: OnExpiry,
}

/// What a socket becomes when its session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnExpiry {
    /// It stays connected without a session, leaving the rooms anonymous members may not be in.
    #[default]
    Anonymous,
    /// It is disconnected (the client may reconnect with a new token).
    Close,
}

impl Default for AuthSection {
    fn default() -> Self {
        Self {
            secret: None,
            secret_file: None,
            public_key_file: None,
            algorithms: Vec::new(),
            issuer: None,
            audience: None,
            leeway_s: 30,
            cookie_name: "token".to_owned(),
            dev_secret_file: PathBuf::from(".synchost/dev-secret"),
            on_expiry: OnExpiry::Anonymous,
        }
    }
}

/// The algorithm names `algorithms` accepts (the JOSE spellings).
pub const KNOWN_ALGORITHMS: [&str; 12] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "EdDSA",
];

/// A cross-field rule of `[auth]` that does not hold: the offending key and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid config value at `{key}`: {reason}")]
pub struct AuthConfigError {
    /// The dotted key path, e.g. `auth.public_key_file`.
    pub key: String,
    /// What is wrong with it.
    pub reason: String,
}

impl AuthSection {
    /// Whether no key is configured, so the development secret is used.
    pub fn uses_dev_secret(&self) -> bool {
        self.secret.is_none() && self.secret_file.is_none() && self.public_key_file.is_none()
    }

    /// Checks the rules serde cannot express: one key source at most, known algorithm names that
    /// fit the kind of key, a usable cookie name.
    ///
    /// # Errors
    /// [`AuthConfigError`] naming the first offending key.
    pub fn validate(&self) -> Result<(), AuthConfigError> {
        let invalid = |key: &str, reason: &str| AuthConfigError {
            key: format!("auth.{key}"),
            reason: reason.to_owned(),
        };
        let shared = self.secret.is_some() || self.secret_file.is_some();
        if self.public_key_file.is_some() && shared {
            return Err(invalid(
                "public_key_file",
                "set either a shared secret (`secret`/`secret_file`) or `public_key_file`, not both",
            ));
        }
        if self.secret.is_some() && self.secret_file.is_some() {
            return Err(invalid(
                "secret_file",
                "set either `secret` or `secret_file`, not both",
            ));
        }
        if self
            .secret
            .as_deref()
            .is_some_and(|secret| secret.trim().is_empty())
        {
            return Err(invalid("secret", "must not be empty"));
        }
        for name in &self.algorithms {
            if !KNOWN_ALGORITHMS.contains(&name.as_str()) {
                return Err(invalid(
                    "algorithms",
                    &format!(
                        "unknown algorithm `{name}` (known: {})",
                        KNOWN_ALGORITHMS.join(", ")
                    ),
                ));
            }
            let hmac = name.starts_with("HS");
            if hmac && self.public_key_file.is_some() {
                return Err(invalid(
                    "algorithms",
                    &format!("`{name}` needs a shared secret, but `public_key_file` is set"),
                ));
            }
            if !hmac && self.public_key_file.is_none() {
                return Err(invalid(
                    "algorithms",
                    &format!("`{name}` needs `public_key_file`, but a shared secret is in use"),
                ));
            }
        }
        let cookie_ok = !self.cookie_name.is_empty()
            && self
                .cookie_name
                .bytes()
                .all(|byte| byte.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&byte));
        if !cookie_ok {
            return Err(invalid("cookie_name", "must be a non-empty cookie token"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_use_the_dev_secret() {
        let section = AuthSection::default();
        assert!(section.uses_dev_secret());
        assert_eq!(section.leeway_s, 30);
        assert_eq!(section.cookie_name, "token");
        section.validate().unwrap();
    }

    #[test]
    fn secret_and_public_key_together_are_refused() {
        let section = AuthSection {
            secret: Some("s3cret".to_owned()),
            public_key_file: Some("key.pem".into()),
            ..AuthSection::default()
        };
        assert_eq!(section.validate().unwrap_err().key, "auth.public_key_file");
    }

    #[test]
    fn algorithms_must_fit_the_key() {
        let hs_with_pem = AuthSection {
            public_key_file: Some("key.pem".into()),
            algorithms: vec!["HS256".to_owned()],
            ..AuthSection::default()
        };
        assert_eq!(hs_with_pem.validate().unwrap_err().key, "auth.algorithms");
        let rs_with_secret = AuthSection {
            algorithms: vec!["RS256".to_owned()],
            ..AuthSection::default()
        };
        assert_eq!(
            rs_with_secret.validate().unwrap_err().key,
            "auth.algorithms"
        );
        let typo = AuthSection {
            algorithms: vec!["none".to_owned()],
            ..AuthSection::default()
        };
        assert!(typo.validate().unwrap_err().reason.contains("none"));
    }

    #[test]
    fn empty_secret_and_bad_cookie_name_are_refused() {
        let empty = AuthSection {
            secret: Some("  ".to_owned()),
            ..AuthSection::default()
        };
        assert_eq!(empty.validate().unwrap_err().key, "auth.secret");
        let cookie = AuthSection {
            cookie_name: "a b".to_owned(),
            ..AuthSection::default()
        };
        assert_eq!(cookie.validate().unwrap_err().key, "auth.cookie_name");
    }
}
