//! Sessions: who is calling. Signed tokens (JWTs) presented on a connection or request are
//! verified once and turned into the [`Session`](crate::plugin::Session) handlers see; routes'
//! auth predicates are decided against it.
//!
//! The `[auth]` section these read lives in [`crate::config::AuthSection`].
//!
//! - [`token`]: verifying and minting tokens.
//! - [`claims`]: the claim → session mapping.
//! - [`extract`]: where tokens are looked for (CONNECT `auth`, `Authorization`, cookie).
//! - [`policy`]: auth predicates.
//!
//! This layer never hands a raw token to a handler and never writes one to a log. The transport
//! and protocol layers do not import it; the sync pipeline calls it.

pub mod claims;
pub mod extract;
mod key;
pub mod policy;
pub mod token;

pub use claims::session_from_claims;
pub use extract::{
    TokenSource, cookie_origin_allowed, token_from_auth, token_from_headers, token_with_source,
};
pub use policy::{AuthFailure, authorize};
pub use token::{ROOMS_CLAIM, RoomGrant, SessionError, TokenError, TokenVerifier, mint};
