//! `synchost token`: prints a signed session token for development and tests, using the config's
//! `[auth]` shared secret or the development secret (the same file `synchost serve` uses). It
//! refuses to run when only a public key is configured, since it cannot sign for that key.

use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::{Map, Value};

use synchost::session::{TokenVerifier, mint};

use super::ConfigArgs;

/// Claims the dedicated flags or the minting itself set; `--claim` may not override them.
const RESERVED: [&str; 3] = ["sub", "exp", "iat"];

/// Arguments of `synchost token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// User id (the `sub` claim).
    #[arg(long)]
    sub: String,
    /// Display name.
    #[arg(long)]
    name: Option<String>,
    /// E-mail address.
    #[arg(long)]
    email: Option<String>,
    /// Preferred language, e.g. `nl` or `nl-BE`.
    #[arg(long)]
    lang: Option<String>,
    /// Marks the user as administrator.
    #[arg(long)]
    admin: bool,
    /// A role; repeat for several.
    #[arg(long = "role")]
    roles: Vec<String>,
    /// A room this token grants: makes it a room token for `joinRoom { room, token }`, which never
    /// signs in; repeat for several.
    #[arg(long = "room")]
    rooms: Vec<String>,
    /// An extra claim `key=value`; the value is parsed as JSON when it can be, else kept as text.
    #[arg(long = "claim", value_parser = parse_claim)]
    claims: Vec<(String, Value)>,
    /// Lifetime: seconds, or a number with `s`, `m`, `h` or `d`.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    ttl: Duration,
}

/// Mints the token described by `args` and checks that the same config accepts it.
pub fn token(args: &TokenArgs) -> anyhow::Result<String> {
    let (_, config) = args.config.load()?;
    if args.sub.is_empty() {
        bail!("--sub must not be empty");
    }
    let mut claims = Map::new();
    claims.insert("sub".to_owned(), Value::from(args.sub.as_str()));
    for (key, value) in [
        ("name", &args.name),
        ("email", &args.email),
        ("language", &args.lang),
    ] {
        if let Some(value) = value {
            claims.insert(key.to_owned(), Value::from(value.as_str()));
        }
    }
    if args.admin {
        claims.insert("admin".to_owned(), Value::Bool(true));
    }
    if !args.roles.is_empty() {
        claims.insert("roles".to_owned(), Value::from(args.roles.clone()));
    }
    if !args.rooms.is_empty() {
        claims.insert("rooms".to_owned(), Value::from(args.rooms.clone()));
    }
    for (key, value) in &args.claims {
        claims.insert(key.clone(), value.clone());
    }
    let token = mint(&config.auth, claims, args.ttl).context("cannot mint a token")?;
    let verifier = TokenVerifier::from_config(&config.auth)?;
    // A token with --room is a room token, which never signs in: check it as one.
    let checked = if args.rooms.is_empty() {
        verifier.verify(&token).map(|_| ())
    } else {
        verifier.verify_grant(&token).map(|_| ())
    };
    checked.context("the minted token does not verify with this config")?;
    Ok(token)
}

fn parse_claim(text: &str) -> Result<(String, Value), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not key=value"))?;
    if key.is_empty() {
        return Err("claim name is empty".to_owned());
    }
    if RESERVED.contains(&key) {
        return Err(format!("`{key}` is set by --sub / --ttl, not --claim"));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::from(value));
    Ok((key.to_owned(), value))
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    let (digits, unit) = match text.char_indices().last() {
        Some((at, unit)) if unit.is_ascii_alphabetic() => (&text[..at], unit),
        _ => (text, 's'),
    };
    let count: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 3600, 30m, 1h or 7d"))?;
    let unit_secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use s, m, h or d)"
            ));
        }
    };
    match count.checked_mul(unit_secs) {
        Some(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
        _ => Err(format!("`{text}` is not a positive duration")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn ttl_accepts_seconds_and_units() {
        assert_eq!(parse_ttl("3600").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("7d").unwrap(), Duration::from_secs(604_800));
        for bad in ["", "h", "0", "1w", "-5", "1.5h", "99999999999999999999d"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn claims_parse_as_json_when_they_can() {
        assert_eq!(
            parse_claim("level=3").unwrap(),
            ("level".to_owned(), json!(3))
        );
        assert_eq!(
            parse_claim("team=red").unwrap(),
            ("team".to_owned(), json!("red"))
        );
        assert_eq!(parse_claim("tags=[\"a\"]").unwrap().1, json!(["a"]));
        assert_eq!(parse_claim("note=a=b").unwrap().1, json!("a=b"));
        assert!(parse_claim("novalue").is_err());
        assert!(parse_claim("=x").is_err());
        assert!(parse_claim("exp=1").is_err());
    }
}
