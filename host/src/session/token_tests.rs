#![allow(clippy::unwrap_used)]
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use super::*;

const HOUR: Duration = Duration::from_secs(3600);

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

fn with_secret(secret: &str) -> AuthSection {
    AuthSection {
        secret: Some(secret.to_owned()),
        ..AuthSection::default()
    }
}

fn with_public_key(dir: &Path, pem: &str) -> AuthSection {
    let path = dir.join("public.pem");
    std::fs::write(&path, pem).unwrap();
    AuthSection {
        public_key_file: Some(path),
        ..AuthSection::default()
    }
}

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// Signs arbitrary claims, bypassing `mint`'s own `exp`.
fn sign(algorithm: Algorithm, key: &EncodingKey, claims: Value) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), &claims, key).unwrap()
}

fn verify(section: &AuthSection, token: &str) -> Result<Session, TokenError> {
    TokenVerifier::from_config(section).unwrap().verify(token)
}

fn assert_invalid(result: Result<Session, TokenError>, what: &str) {
    match result {
        Err(error @ TokenError::Invalid(_)) => assert_eq!(error.code(), "auth.invalidToken"),
        other => panic!("{what}: expected Invalid, got {other:?}"),
    }
}

#[test]
fn minted_tokens_verify_into_sessions() {
    let section = with_secret("correct horse battery staple");
    let claims = object(json!({"sub": "u1", "name": "Ann", "roles": ["editor"], "team": "red"}));
    let token = mint(&section, claims, HOUR).unwrap();
    let session = verify(&section, &token).unwrap();
    assert_eq!(session.id, "u1");
    assert_eq!(session.name.as_deref(), Some("Ann"));
    assert_eq!(session.roles, ["editor"]);
    let extra: Map<String, Value> = rmp_serde::from_slice(&session.extra).unwrap();
    assert_eq!(Value::Object(extra), json!({"team": "red"}));
}

#[test]
fn expiry_beyond_leeway_is_expired_and_within_leeway_passes() {
    let section = with_secret("s3cret");
    let key = EncodingKey::from_secret(b"s3cret");
    let stale = sign(
        Algorithm::HS256,
        &key,
        json!({"sub": "u", "exp": now() - 3600}),
    );
    let error = verify(&section, &stale).unwrap_err();
    assert_eq!(error, TokenError::Expired);
    assert_eq!(error.code(), "auth.tokenExpired");
    let skewed = sign(
        Algorithm::HS256,
        &key,
        json!({"sub": "u", "exp": now() - 5}),
    );
    verify(&section, &skewed).unwrap();
    let not_yet = sign(
        Algorithm::HS256,
        &key,
        json!({"sub": "u", "exp": now() + 3600, "nbf": now() + 600}),
    );
    assert_invalid(verify(&section, &not_yet), "nbf in the future");
    let forever = sign(Algorithm::HS256, &key, json!({"sub": "u"}));
    assert_invalid(verify(&section, &forever), "no exp");
}

#[test]
fn bad_signatures_and_malformed_tokens_are_invalid() {
    let section = with_secret("right");
    let token = mint(&with_secret("wrong"), object(json!({"sub": "u"})), HOUR).unwrap();
    assert_invalid(verify(&section, &token), "other secret");
    let good = mint(&section, object(json!({"sub": "u"})), HOUR).unwrap();
    // Change a character well inside the signature, where every bit counts.
    let at = good.len() - 10;
    let replacement = if &good[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{replacement}{}", &good[..at], &good[at + 1..]);
    assert_invalid(verify(&section, &tampered), "tampered signature");
    for garbage in ["", "abc", "a.b.c", "a.b", "....", "ü.ü.ü"] {
        assert_invalid(verify(&section, garbage), garbage);
    }
    let huge = format!("{good}{}", "A".repeat(MAX_TOKEN_LEN));
    assert_invalid(verify(&section, &huge), "too long");
}

#[test]
fn alg_none_is_refused() {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(json!({"sub": "u", "exp": now() + 60}).to_string());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        assert_invalid(verify(&with_secret("s"), &token), "alg none");
    }
}

#[test]
fn configured_algorithms_restrict_what_verifies() {
    let mut section = with_secret("s3cret");
    section.algorithms = vec!["HS512".to_owned()];
    let hs256 = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(b"s3cret"),
        json!({"sub": "u", "exp": now() + 60}),
    );
    assert_invalid(verify(&section, &hs256), "HS256 when only HS512 is allowed");
    let minted = mint(&section, object(json!({"sub": "u"})), HOUR).unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&minted).unwrap().alg,
        Algorithm::HS512
    );
    verify(&section, &minted).unwrap();
}

#[test]
fn issuer_and_audience_are_checked_when_configured() {
    let mut section = with_secret("s3cret");
    section.issuer = Some("https://id.example".to_owned());
    section.audience = Some("synchost".to_owned());
    let key = EncodingKey::from_secret(b"s3cret");
    let exp = now() + 600;
    let token = |claims| sign(Algorithm::HS256, &key, claims);
    verify(
        &section,
        &token(json!({"sub": "u", "exp": exp, "iss": "https://id.example", "aud": "synchost"})),
    )
    .unwrap();
    for (claims, what) in [
        (
            json!({"sub": "u", "exp": exp, "iss": "https://evil.example", "aud": "synchost"}),
            "issuer",
        ),
        (
            json!({"sub": "u", "exp": exp, "aud": "synchost"}),
            "missing issuer",
        ),
        (
            json!({"sub": "u", "exp": exp, "iss": "https://id.example", "aud": "other"}),
            "audience",
        ),
        (
            json!({"sub": "u", "exp": exp, "iss": "https://id.example"}),
            "missing audience",
        ),
    ] {
        assert_invalid(verify(&section, &token(claims)), what);
    }
    // `mint` fills in the configured issuer and audience.
    verify(
        &section,
        &mint(&section, object(json!({"sub": "u"})), HOUR).unwrap(),
    )
    .unwrap();
    // Without a configured audience, a token addressed to someone is not for us.
    let plain = with_secret("s3cret");
    assert_invalid(
        verify(
            &plain,
            &token(json!({"sub": "u", "exp": exp, "aud": "other"})),
        ),
        "unexpected audience",
    );
}

#[test]
fn rsa_public_key_verifies_rs256_and_refuses_hs256_confusion() {
    let dir = tempfile::tempdir().unwrap();
    let public = include_str!("testdata/rsa-public.pem");
    let section = with_public_key(dir.path(), public);
    let private = EncodingKey::from_rsa_pem(include_bytes!("testdata/rsa-private.pem")).unwrap();
    let claims = json!({"sub": "rsa-user", "exp": now() + 60});
    assert_eq!(
        verify(&section, &sign(Algorithm::RS256, &private, claims.clone()))
            .unwrap()
            .id,
        "rsa-user"
    );
    verify(&section, &sign(Algorithm::PS384, &private, claims.clone())).unwrap();
    // The classic confusion attack: an HS256 token keyed with the public key's own bytes.
    let confused = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(public.as_bytes()),
        claims,
    );
    assert_invalid(verify(&section, &confused), "HS256 against a public key");
    assert!(matches!(
        mint(&section, object(json!({"sub": "u"})), HOUR),
        Err(SessionError::NeedsSharedSecret)
    ));
}

#[test]
fn ed25519_public_key_verifies_eddsa() {
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
    let signing = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let public = signing
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let private = signing.to_pkcs8_pem(LineEnding::LF).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let section = with_public_key(dir.path(), &public);
    let key = EncodingKey::from_ed_pem(private.as_bytes()).unwrap();
    let token = sign(
        Algorithm::EdDSA,
        &key,
        json!({"sub": "ed", "exp": now() + 60}),
    );
    assert_eq!(verify(&section, &token).unwrap().id, "ed");
    let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    let other_key =
        EncodingKey::from_ed_pem(other.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes());
    let forged = sign(
        Algorithm::EdDSA,
        &other_key.unwrap(),
        json!({"sub": "ed", "exp": now() + 60}),
    );
    assert_invalid(verify(&section, &forged), "other Ed25519 key");
}

#[test]
fn p256_public_key_verifies_es256_only() {
    use p256::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
    let secret = p256::SecretKey::from_slice(&[42; 32]).unwrap();
    let public = secret
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let private = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut section = with_public_key(dir.path(), &public);
    let key = EncodingKey::from_ec_pem(private.as_bytes()).unwrap();
    let token = sign(
        Algorithm::ES256,
        &key,
        json!({"sub": "ec", "exp": now() + 60}),
    );
    assert_eq!(verify(&section, &token).unwrap().id, "ec");
    section.algorithms = vec!["ES384".to_owned()];
    assert!(matches!(
        TokenVerifier::from_config(&section),
        Err(SessionError::AlgorithmMismatch { .. })
    ));
}

#[test]
fn dev_secret_tokens_verify_with_the_same_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let section = AuthSection {
        dev_secret_file: dir.path().join(".synchost/dev-secret"),
        ..AuthSection::default()
    };
    let token = mint(&section, object(json!({"sub": "dev"})), HOUR).unwrap();
    assert!(section.dev_secret_file.exists());
    assert_eq!(verify(&section, &token).unwrap().id, "dev");
    let elsewhere = AuthSection {
        dev_secret_file: dir.path().join("other-secret"),
        ..AuthSection::default()
    };
    assert_invalid(verify(&elsewhere, &token), "other dev secret");
}

#[test]
fn setup_errors_are_reported_and_debug_hides_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let missing = AuthSection {
        public_key_file: Some(dir.path().join("absent.pem")),
        ..AuthSection::default()
    };
    assert!(matches!(
        TokenVerifier::from_config(&missing),
        Err(SessionError::ReadKey { .. })
    ));
    let both = AuthSection {
        public_key_file: Some(dir.path().join("absent.pem")),
        ..with_secret("x")
    };
    assert!(matches!(
        TokenVerifier::from_config(&both),
        Err(SessionError::Config(_))
    ));
    let verifier = TokenVerifier::from_config(&with_secret("topsecretvalue")).unwrap();
    assert!(!format!("{verifier:?}").contains("topsecretvalue"));
}

#[test]
fn a_room_token_grants_rooms_and_never_signs_in() {
    let section = with_secret("s3cret");
    let verifier = TokenVerifier::from_config(&section).unwrap();
    let grant = mint(
        &section,
        object(json!({"sub": "bob", "rooms": ["game-1"]})),
        HOUR,
    )
    .unwrap();
    assert_eq!(
        verifier.verify_grant(&grant).unwrap(),
        RoomGrant {
            user: "bob".to_owned(),
            rooms: vec!["game-1".to_owned()],
        }
    );
    assert_invalid(verify(&section, &grant), "a room token used as a session");
    let session = mint(&section, object(json!({"sub": "bob"})), HOUR).unwrap();
    assert!(matches!(
        verifier.verify_grant(&session),
        Err(TokenError::Invalid(_))
    ));
    let mixed = mint(
        &section,
        object(json!({"sub": "bob", "rooms": ["a", 1]})),
        HOUR,
    )
    .unwrap();
    assert!(matches!(
        verifier.verify_grant(&mixed),
        Err(TokenError::Invalid(_))
    ));
}
