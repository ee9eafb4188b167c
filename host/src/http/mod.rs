//! HTTP wiring: mounts the Engine.IO path on an axum router, applies CORS, binds listeners and serves
//! connections.
//!
//! This is the only place that knows both axum's router and the transport; it adds no protocol logic.
//! Connections are served with a header-read timeout so idle TCP connections that never send a request
//! are dropped, and with a cap on the size of a request's head (request line and headers), answered
//! with 431 past it, so no request can make the host hold more than that before any route runs.
//! A response the peer stops reading closes the connection after [`WRITE_STALL_TIMEOUT`] without
//! progress (`write_stall`), so no peer can pin a response in memory by never reading it.

mod cors;
mod static_files;
mod write_stall;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::routing::any;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::transport::{Engine, EngineHandler};
use write_stall::WriteStall;

pub use cors::cors;
pub use static_files::{StaticDirError, StaticFiles};

/// A connection must send its request headers within this time, or it is closed.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection whose peer reads nothing of a pending response for this long is closed. Covers
/// HTTP responses and, after an upgrade, WebSocket writes.
const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest request head (request line and headers together) accepted: Node's default
/// (`--max-http-header-size`, 16 KiB). Larger heads get 431 and the connection is closed. Also the
/// connection's read buffer ceiling, so a body is read in pieces of at most this size.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// A router serving `engine` on its configured path (any method), with its CORS rules.
pub fn engine_router<H: EngineHandler>(engine: Engine<H>) -> Router {
    let path = engine.config().path.clone();
    let cors_config = engine.config().cors.clone();
    Router::new()
        .route(
            &path,
            any(move |request: Request| async move { engine.handle(request).await }),
        )
        .layer(axum::middleware::from_fn_with_state(
            cors_config,
            cors::cors,
        ))
}

/// Binds `host:port`. `localhost` binds both loopbacks, 127.0.0.1 and ::1 (clients may resolve it to
/// either); ::1 is skipped when the machine has no IPv6. Port 0 picks one free port for both.
///
/// # Errors
/// When no address could be bound.
pub async fn bind(host: &str, port: u16) -> io::Result<Vec<TcpListener>> {
    let addresses: Vec<SocketAddr> = if host == "localhost" {
        vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ]
    } else {
        tokio::net::lookup_host((host, port)).await?.collect()
    };
    let mut listeners: Vec<TcpListener> = Vec::new();
    let mut last_error = None;
    for mut address in addresses {
        if let Some(first) = listeners.first() {
            // Keep every stack on the port the first one got (matters for port 0).
            address.set_port(first.local_addr()?.port());
        }
        match TcpListener::bind(address).await {
            Ok(listener) => listeners.push(listener),
            Err(error) => {
                tracing::warn!(%address, %error, "could not bind");
                last_error = Some(error);
            }
        }
    }
    match (listeners.is_empty(), last_error) {
        (true, Some(error)) => Err(error),
        (true, None) => Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "no address to bind",
        )),
        (false, _) => Ok(listeners),
    }
}

/// Serves `router` on every listener until `shutdown` completes; then the listeners are closed
/// (new connections are refused) before this returns, while connections already accepted keep
/// being served. Peer addresses reach handlers as `ConnectInfo<SocketAddr>`; WebSocket upgrades
/// are supported.
pub async fn serve(
    listeners: Vec<TcpListener>,
    router: Router,
    shutdown: impl Future<Output = ()>,
) {
    let mut accept_loops = JoinSet::new();
    for listener in listeners {
        accept_loops.spawn(accept_loop(listener, router.clone()));
    }
    shutdown.await;
    accept_loops.abort_all();
    // Each loop owns its listener: once all are joined, every listening socket is closed.
    while accept_loops.join_next().await.is_some() {}
}

async fn accept_loop(listener: TcpListener, router: Router) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tokio::spawn(serve_connection(
                    stream,
                    peer,
                    router.clone(),
                    WRITE_STALL_TIMEOUT,
                ));
            }
            Err(error) => {
                // Usually out of file descriptors: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    write_stall: Duration,
) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut router = router.clone();
        async move {
            let response =
                tower_service::Service::call(&mut router, request.map(axum::body::Body::new)).await;
            Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_header_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(WriteStall::new(stream, write_stall)), service)
        .with_upgrades();
    if let Err(error) = connection.await {
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}

/// Whether a body read failed because the body was longer than the limit given to
/// `axum::body::to_bytes` (as opposed to the client aborting or sending bad chunking).
pub fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A response far larger than the kernel's socket buffers on both ends.
    const LARGE: usize = 64 * 1024 * 1024;

    #[tokio::test]
    async fn a_peer_that_never_reads_its_response_is_closed() {
        let router = Router::new().route("/large", any(|| async { vec![b'x'; LARGE] }));
        let listener = TcpListener::bind("127.0.0.1:0").await;
        let listener = listener.unwrap_or_else(|error| panic!("bind: {error}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|error| panic!("{error}"));
        let mut client = TcpStream::connect(address)
            .await
            .unwrap_or_else(|error| panic!("connect: {error}"));
        let (stream, peer) = listener
            .accept()
            .await
            .unwrap_or_else(|error| panic!("accept: {error}"));
        let served = tokio::spawn(serve_connection(
            stream,
            peer,
            router,
            Duration::from_millis(500),
        ));
        let request = b"GET /large HTTP/1.1\r\nhost: test\r\n\r\n";
        client
            .write_all(request)
            .await
            .unwrap_or_else(|error| panic!("write: {error}"));
        // The client never reads. Only guards against hanging: the connection must end at all.
        let ended = tokio::time::timeout(Duration::from_secs(120), served).await;
        assert!(
            ended.is_ok(),
            "the connection of a peer that never reads stayed open"
        );
        drop(client);
    }
}
