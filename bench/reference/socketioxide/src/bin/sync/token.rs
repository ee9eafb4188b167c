//! Session tokens: an HS256 JWT with `sub`, `name` and `exp`, checked once at CONNECT and turned
//! into the [`Session`] the connection keeps. It must never accept another algorithm, an unsigned
//! or expired token, or put a token in an error message.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::wire::Failure;

/// Who a signed-in connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The token's `sub`.
    pub id: String,
    /// The token's `name`, when it has one.
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    name: Option<String>,
    exp: u64,
}

/// Checks tokens against one shared secret.
pub struct Verifier {
    secret: Vec<u8>,
}

impl Verifier {
    /// A verifier for tokens signed with `secret`.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
        }
    }

    /// The session `token` names: [`Failure::TokenExpired`] past its `exp`,
    /// [`Failure::InvalidToken`] for anything else that is wrong with it.
    pub fn verify(&self, token: &str) -> Result<Session, Failure> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Failure::InvalidToken);
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Failure::InvalidToken)?;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).map_err(|_| Failure::InvalidToken)?;
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(claims.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| Failure::InvalidToken)?;

        let header: Header = decode_part(header)?;
        if header.alg != "HS256" {
            return Err(Failure::InvalidToken);
        }
        let claims: Claims = decode_part(claims)?;
        if claims.sub.is_empty() {
            return Err(Failure::InvalidToken);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Failure::InvalidToken)?
            .as_secs();
        if claims.exp <= now {
            return Err(Failure::TokenExpired);
        }
        Ok(Session {
            id: claims.sub,
            name: claims.name,
        })
    }
}

fn decode_part<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, Failure> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Failure::InvalidToken)?;
    serde_json::from_slice(&bytes).map_err(|_| Failure::InvalidToken)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn part(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn sign(secret: &[u8], header: &str, claims: &str) -> String {
        let input = format!("{}.{}", part(header), part(claims));
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
    const CLAIMS: &str = r#"{"sub":"u7","name":"User 7","exp":4102444800}"#;

    #[test]
    fn a_signed_token_names_its_session() {
        let verifier = Verifier::new("secret");
        assert_eq!(
            verifier.verify(&sign(b"secret", HS256, CLAIMS)),
            Ok(Session {
                id: "u7".into(),
                name: Some("User 7".into())
            })
        );
    }

    #[test]
    fn other_secrets_algorithms_shapes_and_old_tokens_are_refused() {
        let verifier = Verifier::new("secret");
        let refused = [
            sign(b"other", HS256, CLAIMS),
            sign(b"secret", r#"{"alg":"HS384"}"#, CLAIMS),
            sign(b"secret", HS256, r#"{"sub":"","exp":4102444800}"#),
            sign(b"secret", HS256, r#"{"sub":"u7"}"#),
            "a.b".to_owned(),
            format!("{}.extra", sign(b"secret", HS256, CLAIMS)),
        ];
        for token in &refused {
            assert_eq!(
                verifier.verify(token),
                Err(Failure::InvalidToken),
                "{token}"
            );
        }
        let old = sign(b"secret", HS256, r#"{"sub":"u7","exp":1000}"#);
        assert_eq!(verifier.verify(&old), Err(Failure::TokenExpired));
    }
}
