//! The HTTP trigger: `POST /sync/<page...>/<sync>/v<n>` with `{ data, receiver, ignoreSelf }`.
//!
//! It runs the same pipeline as a socket sync and delivers over the sockets; the response body is
//! the same envelope as the socket ack, sent after delivery, with a real HTTP status: 400 bad input,
//! 401 login required or bad token, 403 forbidden or not a room member, 404 unknown route, 405 wrong
//! method, 413 body too large, 415 wrong content type, 429 rate limited, 500 handler failure, 504
//! handler timeout; a handler's own status wins. Checks run cheapest first, before the body is read.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use super::envelope::Envelopes;
use super::failure::{Code, Failure};
use super::peer::{Caller, Peer};
use super::request::from_http;
use super::service::SyncService;
use crate::session::token_from_headers;

/// The routes of the trigger, to merge into the server's router.
pub fn router(service: Arc<SyncService>) -> Router {
    Router::new()
        .route("/sync/{*path}", any(trigger))
        .with_state(service)
}

async fn trigger(
    State(service): State<Arc<SyncService>>,
    Path(path): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let (method, headers) = (parts.method, parts.headers);
    let peer_address = parts.extensions.get::<ConnectInfo<SocketAddr>>().copied();
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let (x_language, accept) = (header("x-language"), header("accept-language"));
    let messages = service.envelopes().messages();
    let mut peer = Peer {
        session: None,
        language: messages.negotiate(None, x_language, accept),
        address: peer_address.map(|ConnectInfo(address)| address.ip()),
        lane: None,
    };
    let config = service.config();
    let refuse = |failure: Failure, peer: &Peer| {
        service.stats().record_refused();
        respond(
            failure.status,
            service.envelopes().error(&failure, &peer.language),
        )
    };
    if method != Method::POST {
        let mut response = refuse(Failure::new(Code::MethodNotAllowed), &peer);
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    if !is_json(header("content-type")) {
        return refuse(Failure::new(Code::UnsupportedMediaType), &peer);
    }
    if let Some(token) = token_from_headers(&headers, &config.auth.cookie_name) {
        match service.verifier().verify(&token) {
            Ok(session) => {
                peer.language = messages.negotiate(session.language.as_deref(), x_language, accept);
                peer.session = Some(Arc::new(session));
            }
            Err(error) => return refuse(Failure::token(&error), &peer),
        }
    }
    let limit_kb = config.sync.http_body_limit_kb;
    let Ok(body) = axum::body::to_bytes(body, limit_kb as usize * 1024).await else {
        return refuse(
            Failure::new(Code::PayloadTooLarge).number("limitKb", i64::from(limit_kb)),
            &peer,
        );
    };
    let request = match from_http(&path, &body, config.sync.max_room_name_chars) {
        Ok(request) => request,
        Err(failure) => return refuse(failure, &peer),
    };
    let caller = Caller { peer, socket: None };
    match service.prepare(&caller, &request).await {
        Ok(prepared) => {
            let body = Envelopes::success(prepared.server_json.as_deref());
            service.fan_out(&caller, &request, prepared).await;
            respond(200, body)
        }
        Err(failure) => respond(
            failure.status,
            service.envelopes().error(&failure, &caller.peer.language),
        ),
    }
}

/// Whether a content type is JSON (`application/json`, with or without parameters).
fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn respond(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(Some("application/jsonx")));
        assert!(!is_json(None));
    }
}
