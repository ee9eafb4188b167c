//! Session tokens for signed-in benchmark clients: an HS256 JWT per connection, signed with the
//! secret the server under test is configured with, so every server sees the same sessions.
//!
//! Only what a benchmark needs: `sub`, `name` and `exp`. It never reads a token back.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a benchmark token stays valid: longer than any run.
const LIFETIME_SECS: u64 = 6 * 3600;

/// The HS256 token of user `u<index>` (name `User <index>`), valid for six hours from now.
pub fn sign(secret: &str, index: usize) -> anyhow::Result<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "sub": format!("u{index}"),
        "name": format!("User {index}"),
        "exp": now + LIFETIME_SECS,
    });
    let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?);
    let signing_input = format!("{header}.{claims}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    Ok(format!("{signing_input}.{signature}"))
}

/// The Socket.IO CONNECT to `/` carrying `token` as `auth: {token}`.
pub fn connect_frame(token: &str) -> String {
    format!("40{}", serde_json::json!({ "token": token }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_has_three_parts_and_names_its_user() {
        let token = sign("secret", 7).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "u7");
        assert_eq!(claims["name"], "User 7");
        // Another secret signs differently.
        assert_ne!(
            sign("other", 7).unwrap().rsplit('.').next(),
            parts.last().copied()
        );
        assert!(connect_frame("a.b.c").starts_with(r#"40{"token":"a.b.c"}"#));
    }
}
