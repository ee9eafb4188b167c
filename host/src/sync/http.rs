//! The HTTP trigger: `POST /sync/<page...>/<sync>/v<n>` with `{ data, receiver, ignoreSelf }`.
//!
//! It runs the same pipeline as a socket sync and delivers over the sockets; the response body is
//! the same envelope as the socket ack, sent after delivery, with a real HTTP status: 400 bad input,
//! 401 login required or bad token, 403 forbidden or not a room member, 404 unknown route, 405 wrong
//! method, 408 body too slow, 413 body too large, 415 wrong content type, 429 rate limited, 500
//! handler failure, 503 too many trigger requests in progress, 504 handler timeout; a handler's own
//! status wins. Checks run cheapest first, before the body is read.
//!
//! A caller cannot stall or half-run a sync: at most `sync.max_http_in_flight` requests are handled
//! at once (from reading the body to the end of delivery), the body must arrive within
//! `sync.http_body_timeout_ms`, and once the body is read the sync runs on its own task, so a caller
//! that disconnects after the server stage ran (and its side effects happened) still gets its
//! delivery to the room; only the response is lost.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use super::envelope::Envelopes;
use super::failure::{Code, Failure};
use super::peer::{Caller, Peer, header_token};
use super::request::from_http;
use super::service::SyncService;

/// What every trigger request shares.
#[derive(Clone)]
struct Trigger {
    service: Arc<SyncService>,
    /// Trigger requests in progress on this host (capped by `sync.max_http_in_flight`).
    in_flight: InFlight,
}

/// A count of trigger requests in progress, shared by every request.
#[derive(Clone, Default)]
struct InFlight(Arc<AtomicUsize>);

/// One request in progress; the count goes down when it is dropped.
struct InFlightPermit(Arc<AtomicUsize>);

impl InFlight {
    /// Counts one more unless `max` are already in progress (read per request, so it applies live).
    fn try_acquire(&self, max: usize) -> Option<InFlightPermit> {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                (count < max).then_some(count + 1)
            })
            .ok()
            .map(|_| InFlightPermit(self.0.clone()))
    }
}

impl Drop for InFlightPermit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The routes of the trigger, to merge into the server's router.
pub fn router(service: Arc<SyncService>) -> Router {
    let state = Trigger {
        service,
        in_flight: InFlight::default(),
    };
    Router::new()
        .route("/sync/{*path}", any(trigger))
        .with_state(state)
}

async fn trigger(
    State(Trigger { service, in_flight }): State<Trigger>,
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
        expires_at: None,
        signed_in_as: None,
        granted: Arc::default(),
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
    let token = match header_token(&headers, &config) {
        Ok(token) => token,
        Err(failure) => return refuse(failure, &peer),
    };
    if let Some(token) = token {
        match service.verifier().verify(&token) {
            Ok(session) => {
                peer.language = messages.negotiate(session.language.as_deref(), x_language, accept);
                peer.session = Some(Arc::new(session));
            }
            Err(error) => return refuse(Failure::token(&error), &peer),
        }
    }
    let Some(working) = service.drain().enter() else {
        return refuse(Failure::new(Code::ShuttingDown), &peer);
    };
    let max_in_flight = config.sync.max_http_in_flight;
    let Some(permit) = in_flight.try_acquire(max_in_flight) else {
        let max = i64::try_from(max_in_flight).unwrap_or(i64::MAX);
        return refuse(Failure::new(Code::ServerBusy).number("max", max), &peer);
    };
    let body = match read_body(body, &config.sync).await {
        Ok(body) => body,
        Err(failure) => return refuse(failure, &peer),
    };
    let request = match from_http(&path, &body, config.sync.max_room_name_chars) {
        Ok(request) => request,
        Err(failure) => return refuse(failure, &peer),
    };
    let caller = Caller { peer, socket: None };
    // Detached: dropping this request (the caller went away) must not cut the sync in half.
    let sync = tokio::spawn(async move {
        let response = match service.prepare(&caller, &request).await {
            Ok(prepared) => {
                let body = Envelopes::success(prepared.server_json.as_deref());
                service.fan_out(&caller, &request, prepared).await;
                respond(200, body)
            }
            Err(failure) => respond(
                failure.status,
                service.envelopes().error(&failure, &caller.peer.language),
            ),
        };
        drop((permit, working));
        response
    });
    match sync.await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, "HTTP sync task failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Reads the whole body within the size and time limits.
async fn read_body(
    body: axum::body::Body,
    limits: &crate::config::SyncSection,
) -> Result<bytes::Bytes, Failure> {
    let limit_kb = limits.http_body_limit_kb;
    let timeout = Duration::from_millis(limits.http_body_timeout_ms);
    let read = axum::body::to_bytes(body, limit_kb as usize * 1024);
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(error)) if crate::http::is_length_limit(&error) => {
            Err(Failure::new(Code::PayloadTooLarge).number("limitKb", i64::from(limit_kb)))
        }
        // The caller aborted or sent a malformed body (bad chunking).
        Ok(Err(_)) => Err(Failure::new(Code::InvalidBody)),
        Err(_) => {
            let seconds = limits.http_body_timeout_ms.div_ceil(1000);
            Err(Failure::new(Code::BodyTimeout)
                .number("seconds", i64::try_from(seconds).unwrap_or(i64::MAX)))
        }
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
