//! Cross-origin resource sharing for the Engine.IO path, shaped like Node's `cors` package.
//!
//! With no origins configured nothing is added. Otherwise allowed origins get `Access-Control-Allow-*`
//! headers (the origin echoed, or `*` for any origin without credentials) and OPTIONS preflights are
//! answered with 204 here, before Engine.IO sees them. Requests from other origins proceed without
//! CORS headers, so the browser withholds the response; the WebSocket origin check lives in transport.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::transport::{AllowedOrigins, CorsConfig};

/// The methods a preflight allows (the `cors` package's default list).
const ALLOWED_METHODS: &str = "GET,HEAD,PUT,PATCH,POST,DELETE";

/// Middleware: answers preflights and decorates responses for allowed origins.
pub async fn cors(State(config): State<CorsConfig>, request: Request, next: Next) -> Response {
    if !config.origins.is_configured() {
        return next.run(request).await;
    }
    let allow_origin = allowed_origin(&config, request.headers());
    if request.method() == Method::OPTIONS {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        decorate(headers, &config, allow_origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        if let Some(requested) = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
            headers.append(
                header::VARY,
                HeaderValue::from_static("Access-Control-Request-Headers"),
            );
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        return response;
    }
    let mut response = next.run(request).await;
    decorate(response.headers_mut(), &config, allow_origin);
    response
}

/// The `Access-Control-Allow-Origin` value for this request, if its origin is allowed.
fn allowed_origin(config: &CorsConfig, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN);
    match &config.origins {
        // A wildcard cannot be used with credentials, so the origin is echoed then.
        AllowedOrigins::Any if !config.credentials => Some(HeaderValue::from_static("*")),
        AllowedOrigins::Any => origin.cloned(),
        AllowedOrigins::List(list) => {
            let origin = origin?;
            let text = origin.to_str().ok()?;
            list.iter()
                .any(|allowed| allowed == text)
                .then(|| origin.clone())
        }
    }
}

fn decorate(headers: &mut HeaderMap, config: &CorsConfig, allow_origin: Option<HeaderValue>) {
    let Some(allow_origin) = allow_origin else {
        return;
    };
    if allow_origin != "*" {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
    if config.credentials {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}
