//! Who may read the operator endpoints (`/metrics`, `/admin/plugins`, and every admin endpoint
//! after them), and the admin page's files.
//!
//! They tell an outsider which routes exist, how busy the node is and what failed, so they are not
//! public. Either they live on their own listen address (`[server] admin_listen`, for a network
//! only operators reach, where they need no token), or they are served on the public address only
//! to a request carrying `Authorization: Bearer <token>` whose session has `admin`. A cookie never
//! counts here: a page on another site could make a browser send it.

use axum::extract::{Request, State};
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::StaticFiles;
use crate::session::{TokenSource, TokenVerifier, token_with_source};

/// A page's files under `prefix` (`/admin`: the admin page, `/admin-ui`: the Socket.IO Admin UI).
/// `<prefix>` redirects to `<prefix>/`, so the page's relative links resolve. The files are the
/// page's code only; the data comes from the admin endpoints.
pub fn page_router(prefix: &'static str, files: StaticFiles) -> axum::Router {
    let files = std::sync::Arc::new(files);
    let index = files.clone();
    let slash = format!("{prefix}/");
    let redirect_to = slash.clone();
    axum::Router::new()
        .route(
            prefix,
            axum::routing::get(move || {
                let to = redirect_to.clone();
                async move { axum::response::Redirect::permanent(&to) }
            }),
        )
        .route(
            &slash,
            axum::routing::get(move |request: Request| {
                let files = index.clone();
                async move { files.respond(request.method(), "/").await }
            }),
        )
        .route(
            &format!("{prefix}/{{*path}}"),
            axum::routing::get(
                move |axum::extract::Path(path): axum::extract::Path<String>, request: Request| {
                    let files = files.clone();
                    async move { files.respond(request.method(), &format!("/{path}")).await }
                },
            ),
        )
}

/// Lets the request through when it carries an admin token; 401 without a valid token, 403 for a
/// token without `admin`.
pub async fn require_admin(
    State(verifier): State<TokenVerifier>,
    request: Request,
    next: Next,
) -> Response {
    match admin_check(&verifier, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(status) => refuse(status),
    }
}

fn admin_check(verifier: &TokenVerifier, headers: &HeaderMap) -> Result<(), StatusCode> {
    let token = match token_with_source(headers, "") {
        Some((token, TokenSource::Bearer)) => token,
        _ => return Err(StatusCode::UNAUTHORIZED),
    };
    let session = verifier
        .verify(&token)
        .map_err(|_| StatusCode::UNAUTHORIZED)?;
    if session.admin {
        Ok(())
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

fn refuse(status: StatusCode) -> Response {
    let text = if status == StatusCode::FORBIDDEN {
        "an admin token is required\n"
    } else {
        "authorization required: Bearer <admin token>, or use [server] admin_listen\n"
    };
    let mut response = (status, text).into_response();
    if status == StatusCode::UNAUTHORIZED
        && let Ok(value) = "Bearer".parse()
    {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use axum::http::header::AUTHORIZATION;

    use super::*;
    use crate::config::AuthSection;
    use crate::session::mint;

    fn auth() -> AuthSection {
        AuthSection {
            secret: Some("admin-test-secret".to_owned()),
            ..AuthSection::default()
        }
    }

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn only_an_admin_bearer_token_passes() {
        let verifier = TokenVerifier::from_config(&auth()).unwrap();
        let token = |admin: bool| {
            let claims = serde_json::json!({ "sub": "ops", "admin": admin });
            let serde_json::Value::Object(claims) = claims else {
                unreachable!()
            };
            mint(&auth(), claims, std::time::Duration::from_secs(600)).unwrap()
        };
        let (admin, plain) = (token(true), token(false));
        assert_eq!(
            admin_check(&verifier, &with(&format!("Bearer {admin}"))),
            Ok(())
        );
        assert_eq!(
            admin_check(&verifier, &with(&format!("Bearer {plain}"))),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            admin_check(&verifier, &with("Bearer nonsense")),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            admin_check(&verifier, &HeaderMap::new()),
            Err(StatusCode::UNAUTHORIZED)
        );
        let mut cookie = HeaderMap::new();
        cookie.insert("cookie", format!("token={admin}").parse().unwrap());
        assert_eq!(
            admin_check(&verifier, &cookie),
            Err(StatusCode::UNAUTHORIZED)
        );
    }
}
