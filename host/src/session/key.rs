//! Turns the `[auth]` section into key material: a shared secret (inline, from a file, or the
//! development secret) or a PEM public key with the algorithms it can verify. This is the only
//! code that reads key files; it never logs or returns a secret in an error message.

use std::io::Write as _;
use std::path::Path;
use std::sync::Once;

use jsonwebtoken::{Algorithm, DecodingKey};

use super::token::SessionError;
use crate::config::AuthSection;

/// HMAC algorithms, usable with a shared secret.
pub(super) const HMAC: &[Algorithm] = &[Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
const RSA: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];
/// Lengths of an uncompressed and a compressed SEC1 point on P-256 and P-384.
const P256_POINT: [usize; 2] = [65, 33];
const P384_POINT: [usize; 2] = [97, 49];

/// The key that signs or verifies tokens.
pub(super) enum Key {
    /// HS* shared secret bytes.
    Shared(Vec<u8>),
    /// A public key and the algorithms that fit it.
    Public {
        key: DecodingKey,
        algorithms: &'static [Algorithm],
    },
}

/// Reads the key the section names; falls back to the development secret when none is set.
pub(super) fn load(section: &AuthSection) -> Result<Key, SessionError> {
    if let Some(path) = &section.public_key_file {
        return public_key(path);
    }
    if let Some(secret) = &section.secret {
        return Ok(Key::Shared(secret.as_bytes().to_vec()));
    }
    if let Some(path) = &section.secret_file {
        return read_secret(path).map(|secret| Key::Shared(secret.into_bytes()));
    }
    dev_secret(&section.dev_secret_file).map(|secret| Key::Shared(secret.into_bytes()))
}

/// The development secret at `path`: read if the file exists, else 32 random bytes written there
/// as hex (owner-only permissions, parent folders created). Warns once per process.
pub(super) fn dev_secret(path: &Path) -> Result<String, SessionError> {
    static WARNED: Once = Once::new();
    let failed = |source| SessionError::DevSecret {
        path: path.to_owned(),
        source,
    };
    if !path.exists() {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(failed)?;
        }
        let bytes: [u8; 32] = rand::random();
        let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        match owner_only_new_file(path) {
            Ok(mut file) => writeln!(file, "{hex}").map_err(failed)?,
            // Another process created it first; use theirs.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(failed(error)),
        }
    }
    let secret = read_secret(path)?;
    WARNED.call_once(|| {
        tracing::warn!(
            path = %path.display(),
            "development secret in use: set auth.secret, auth.secret_file or auth.public_key_file for production"
        );
    });
    Ok(secret)
}

fn owner_only_new_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn read_secret(path: &Path) -> Result<String, SessionError> {
    let text = std::fs::read_to_string(path).map_err(|source| SessionError::ReadKey {
        path: path.to_owned(),
        source,
    })?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(SessionError::EmptySecret {
            path: path.to_owned(),
        });
    }
    Ok(secret.to_owned())
}

/// Reads a PEM public key and works out its kind from its contents.
fn public_key(path: &Path) -> Result<Key, SessionError> {
    let pem = std::fs::read(path).map_err(|source| SessionError::ReadKey {
        path: path.to_owned(),
        source,
    })?;
    if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
        return Ok(Key::Public {
            key,
            algorithms: RSA,
        });
    }
    if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
        let length = key.as_bytes().len();
        let algorithms: &'static [Algorithm] = if P256_POINT.contains(&length) {
            &[Algorithm::ES256]
        } else if P384_POINT.contains(&length) {
            &[Algorithm::ES384]
        } else {
            return Err(SessionError::BadPem {
                path: path.to_owned(),
                reason: "EC keys must be on P-256 or P-384".to_owned(),
            });
        };
        return Ok(Key::Public { key, algorithms });
    }
    if let Ok(key) = DecodingKey::from_ed_pem(&pem) {
        return Ok(Key::Public {
            key,
            algorithms: &[Algorithm::EdDSA],
        });
    }
    Err(SessionError::BadPem {
        path: path.to_owned(),
        reason: "not a PEM public key (RSA, EC P-256/P-384 or Ed25519)".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dev_secret_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/state/dev-secret");
        let first = dev_secret(&path).unwrap();
        assert_eq!(first.len(), 64, "32 bytes as hex");
        assert!(first.bytes().all(|byte| byte.is_ascii_hexdigit()));
        let second = dev_secret(&path).unwrap();
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = dev_secret(&dir.path().join("other")).unwrap();
        assert_ne!(first, other, "each file gets its own random secret");
    }

    #[test]
    fn secret_files_are_trimmed_and_must_not_be_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "  hunter2\n").unwrap();
        assert_eq!(read_secret(&path).unwrap(), "hunter2");
        std::fs::write(&path, "\n").unwrap();
        assert!(matches!(
            read_secret(&path),
            Err(SessionError::EmptySecret { .. })
        ));
        assert!(matches!(
            read_secret(&dir.path().join("missing")),
            Err(SessionError::ReadKey { .. })
        ));
    }

    #[test]
    fn garbage_is_not_a_public_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(
            &path,
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        )
        .unwrap();
        let Err(error) = public_key(&path) else {
            panic!("garbage accepted as a key")
        };
        assert!(matches!(error, SessionError::BadPem { .. }), "{error}");
    }
}
