//! Signed session tokens (JWTs): [`TokenVerifier`] checks a token's signature, algorithm, expiry
//! and the configured issuer and audience, then maps its claims to a session; [`mint`] signs
//! development and test tokens with the shared secret. A token is a credential: it never appears
//! in an error, a log line or a `Debug` output.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};

use super::claims::session_from_claims;
use super::key::{self, HMAC, Key};
use crate::config::{AuthConfigError, AuthSection};
use crate::plugin::Session;

/// Longest token accepted; real session tokens are far shorter, and this bounds the work an
/// anonymous caller can cause before the signature check.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why a presented token does not yield a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token was valid but its `exp` (plus leeway) has passed.
    #[error("token expired")]
    Expired,
    /// Bad signature, algorithm, shape, issuer, audience or claims; the reason is for logs only.
    #[error("invalid token: {0}")]
    Invalid(String),
}

impl TokenError {
    /// The stable error code sent to the client.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Expired => "auth.tokenExpired",
            TokenError::Invalid(_) => "auth.invalidToken",
        }
    }
}

/// Why the token machinery could not be set up (a configuration or key problem).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The `[auth]` section breaks a cross-field rule.
    #[error(transparent)]
    Config(#[from] AuthConfigError),
    /// A key or secret file could not be read.
    #[error("cannot read key file {path}")]
    ReadKey {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A secret file holds only whitespace.
    #[error("secret file {path} is empty")]
    EmptySecret {
        /// The file.
        path: PathBuf,
    },
    /// The development secret could not be created or read.
    #[error("cannot create the development secret at {path}")]
    DevSecret {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// `public_key_file` is not a usable PEM public key.
    #[error("public key {path}: {reason}")]
    BadPem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// `auth.algorithms` names an algorithm the configured key cannot verify.
    #[error("algorithm {algorithm} does not fit the configured key")]
    AlgorithmMismatch {
        /// The algorithm name.
        algorithm: String,
    },
    /// Minting needs a shared secret, but only a public key is configured.
    #[error(
        "tokens can only be minted with a shared secret (auth.secret, auth.secret_file or the development secret); this config has only auth.public_key_file"
    )]
    NeedsSharedSecret,
    /// Signing failed.
    #[error("cannot sign token: {0}")]
    Sign(String),
}

/// The claim that makes a token a room token.
pub const ROOMS_CLAIM: &str = "rooms";

/// What a room token grants: rooms, to one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomGrant {
    /// The user it was minted for (`sub`).
    pub user: String,
    /// The rooms it lets that user into.
    pub rooms: Vec<String>,
}

/// Verifies session tokens against the configured key; cheap to clone.
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of Debug output.
        formatter
            .debug_struct("TokenVerifier")
            .field("algorithms", &self.validation.algorithms)
            .field("leeway", &self.validation.leeway)
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// Builds a verifier: validates the section and reads its key (or the development secret).
    ///
    /// # Errors
    /// [`SessionError`] for contradictory settings, unreadable or malformed keys, and algorithms
    /// that do not fit the key.
    pub fn from_config(section: &AuthSection) -> Result<Self, SessionError> {
        section.validate()?;
        let (key, fitting) = match key::load(section)? {
            Key::Shared(secret) => (DecodingKey::from_secret(&secret), HMAC),
            Key::Public { key, algorithms } => (key, algorithms),
        };
        let algorithms = allowed_algorithms(section, fitting)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = algorithms;
        validation.leeway = section.leeway_s;
        validation.validate_nbf = true;
        validation.required_spec_claims = HashSet::from(["exp".to_owned(), "sub".to_owned()]);
        if let Some(issuer) = &section.issuer {
            validation.set_issuer(&[issuer]);
            validation.required_spec_claims.insert("iss".to_owned());
        }
        if let Some(audience) = &section.audience {
            validation.set_audience(&[audience]);
            validation.required_spec_claims.insert("aud".to_owned());
        }
        Ok(Self { key, validation })
    }

    /// Verifies `token` and maps its claims to a session.
    ///
    /// # Errors
    /// [`TokenError::Expired`] past `exp` plus leeway; [`TokenError::Invalid`] for anything else.
    pub fn verify(&self, token: &str) -> Result<Session, TokenError> {
        self.verify_expiring(token).map(|(session, _)| session)
    }

    /// As [`TokenVerifier::verify`], with the moment the token stops verifying: its `exp` plus the
    /// leeway, in Unix seconds.
    ///
    /// # Errors
    /// As [`TokenVerifier::verify`].
    pub fn verify_expiring(&self, token: &str) -> Result<(Session, u64), TokenError> {
        let (claims, expires) = self.verified_claims(token)?;
        // A room token (see [`TokenVerifier::verify_grant`]) may travel in invitations: it must
        // never sign anyone in.
        if claims.contains_key(ROOMS_CLAIM) {
            return Err(TokenError::Invalid(
                "a room token is not a session token".to_owned(),
            ));
        }
        Ok((session_from_claims(claims)?, expires))
    }

    /// Verifies a room token: the same keys and rules as a session token, a `sub` naming the user it
    /// was minted for, and a `rooms` claim listing the rooms it grants.
    ///
    /// # Errors
    /// As [`TokenVerifier::verify`], and [`TokenError::Invalid`] without a `rooms` list of strings.
    pub fn verify_grant(&self, token: &str) -> Result<RoomGrant, TokenError> {
        let (claims, _) = self.verified_claims(token)?;
        let rooms = match claims.get(ROOMS_CLAIM) {
            Some(Value::Array(rooms)) => rooms
                .iter()
                .map(|room| room.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>(),
            _ => None,
        }
        .ok_or_else(|| TokenError::Invalid("claim `rooms` is not a list of rooms".to_owned()))?;
        let user = session_from_claims(claims)?.id;
        Ok(RoomGrant { user, rooms })
    }

    /// The claims of a token that verifies, and when it stops verifying (`exp` plus the leeway,
    /// Unix seconds).
    fn verified_claims(&self, token: &str) -> Result<(Map<String, Value>, u64), TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Invalid("token too long".to_owned()));
        }
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &self.validation)
            .map_err(|error| match error.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid(error.to_string()),
        })?;
        // `exp` is a required claim, so a verified token has one.
        let expires = data
            .claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or_else(|| TokenError::Invalid("exp is not a number of seconds".to_owned()))?
            .saturating_add(self.validation.leeway);
        Ok((data.claims, expires))
    }
}

/// The configured algorithms, or every one that fits the key; a configured one that does not
/// fit is an error rather than a token that can never verify.
fn allowed_algorithms(
    section: &AuthSection,
    fitting: &[Algorithm],
) -> Result<Vec<Algorithm>, SessionError> {
    if section.algorithms.is_empty() {
        return Ok(fitting.to_vec());
    }
    section
        .algorithms
        .iter()
        .map(|name| {
            name.parse::<Algorithm>()
                .ok()
                .filter(|algorithm| fitting.contains(algorithm))
                .ok_or_else(|| SessionError::AlgorithmMismatch {
                    algorithm: name.clone(),
                })
        })
        .collect()
}

/// Signs a token with the shared or development secret, valid for `ttl` from now.
///
/// Sets `iat` and `exp` (replacing any given), and `iss`/`aud` from the section when configured
/// and not given. Uses the first configured algorithm, else HS256.
///
/// # Errors
/// [`SessionError::NeedsSharedSecret`] when only a public key is configured; key errors as in
/// [`TokenVerifier::from_config`].
pub fn mint(
    section: &AuthSection,
    mut claims: Map<String, Value>,
    ttl: Duration,
) -> Result<String, SessionError> {
    section.validate()?;
    let Key::Shared(secret) = key::load(section)? else {
        return Err(SessionError::NeedsSharedSecret);
    };
    let algorithm = allowed_algorithms(section, HMAC)?
        .first()
        .copied()
        .unwrap_or(Algorithm::HS256);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    claims.insert("iat".to_owned(), Value::from(now));
    claims.insert(
        "exp".to_owned(),
        Value::from(now.saturating_add(ttl.as_secs())),
    );
    for (claim, configured) in [("iss", &section.issuer), ("aud", &section.audience)] {
        if let Some(value) = configured
            && !claims.contains_key(claim)
        {
            claims.insert(claim.to_owned(), Value::from(value.as_str()));
        }
    }
    jsonwebtoken::encode(
        &Header::new(algorithm),
        &claims,
        &EncodingKey::from_secret(&secret),
    )
    .map_err(|error| SessionError::Sign(error.to_string()))
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
