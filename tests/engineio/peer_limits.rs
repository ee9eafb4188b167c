//! What a hostile peer cannot make the transport hold: request heads past 16 KiB, headers no layer
//! reads, and more pending connections than `max_pending_connections`.

use std::sync::{Arc, Mutex};

use hyper::HeaderMap;
use hyper::header::HeaderName;
use synchost::conformance::engineio_config;
use synchost::transport::{CloseReason, EngineConfig, EngineConnection, EngineHandler, Incoming};
use synchost_tests::engineio::{EngineServer, STEP};
use synchost_tests::http_client::HttpClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `head` (a whole request head, blank line included) on a fresh connection and returns the
/// status line of the answer.
async fn status_line(server: &EngineServer, head: &str) -> String {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let read = tokio::time::timeout(STEP, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(read, 0, "connection closed without an answer");
        answer.extend_from_slice(&chunk[..read]);
    }
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().unwrap_or_default().to_owned()
}

/// A polling handshake whose head is about `head_bytes` long.
fn handshake_head(server: &EngineServer, head_bytes: usize) -> String {
    let start = format!(
        "GET {}?EIO=4&transport=polling HTTP/1.1\r\nhost: {}\r\n",
        server.engine.config().path,
        server.addr
    );
    let filler = head_bytes.saturating_sub(start.len() + "x-fill: \r\n\r\n".len());
    format!("{start}x-fill: {}\r\n\r\n", "f".repeat(filler))
}

#[tokio::test]
async fn a_request_head_past_16_kib_gets_431_and_one_just_under_is_served() {
    let server = EngineServer::start().await.unwrap();
    let under = status_line(&server, &handshake_head(&server, 16 * 1024 - 64)).await;
    assert!(under.starts_with("HTTP/1.1 200"), "{under}");
    let over = status_line(&server, &handshake_head(&server, 16 * 1024 + 64)).await;
    assert!(over.starts_with("HTTP/1.1 431"), "{over}");
    // Many headers that are small each but large together count the same way.
    let mut many = handshake_head(&server, 0);
    many.truncate(many.len() - 2);
    for i in 0..90 {
        many.push_str(&format!("x-h{i}: {}\r\n", "m".repeat(200)));
    }
    many.push_str("\r\n");
    let over = status_line(&server, &many).await;
    assert!(over.starts_with("HTTP/1.1 431"), "{over}");
}

/// Records the headers each new connection kept, and declares the one header it reads.
#[derive(Clone, Default)]
struct HeaderRecorder {
    seen: Arc<Mutex<Vec<HeaderMap>>>,
}

static READS: [HeaderName; 1] = [hyper::header::ACCEPT_LANGUAGE];

impl EngineHandler for HeaderRecorder {
    type Connection = ();

    fn request_headers(&self) -> &[HeaderName] {
        &READS
    }

    fn on_open(&self, socket: EngineConnection) {
        self.seen
            .lock()
            .unwrap()
            .push(socket.request().headers.clone());
    }

    fn on_message(&self, _: &(), _: Incoming) {}

    fn on_close(&self, _: &(), _: CloseReason) {}
}

#[tokio::test]
async fn a_session_keeps_only_the_headers_its_upper_layer_reads() {
    let recorder = HeaderRecorder::default();
    let server = EngineServer::start_handler(engineio_config(), recorder.clone())
        .await
        .unwrap();
    let junk: Vec<(String, String)> = (0..12)
        .map(|i| (format!("x-junk-{i}"), "j".repeat(1000)))
        .collect();
    let mut headers: Vec<(&str, &str)> = junk
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    headers.push(("accept-language", "nl"));
    headers.push(("cookie", "token=abc"));
    let response = HttpClient::new()
        .send(
            hyper::Method::GET,
            &server.url("EIO=4&transport=polling"),
            &headers,
            bytes::Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let kept: Vec<(&str, &[u8])> = seen[0]
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    assert_eq!(kept, [("accept-language", b"nl".as_slice())]);
}

fn capped(max_pending_connections: usize) -> EngineConfig {
    EngineConfig {
        max_pending_connections,
        // Long enough that no session times out while the test runs.
        ping_interval_ms: 60_000,
        ..engineio_config()
    }
}

#[tokio::test]
async fn handshakes_past_max_pending_connections_get_503_until_a_slot_frees() {
    // The echo handler never accepts a connection, so every open session stays pending.
    let server = EngineServer::start_with(capped(3)).await.unwrap();
    let http = HttpClient::new();
    let mut sids = Vec::new();
    for _ in 0..3 {
        sids.push(server.open_polling(&http).await.unwrap());
    }
    let refused = http
        .get(&server.url("EIO=4&transport=polling"))
        .await
        .unwrap();
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.text(), "Too many pending connections");
    // A WebSocket handshake is refused the same way, before the upgrade.
    let ws =
        synchost_tests::ws_client::WsClient::connect(&server.ws_url("EIO=4&transport=websocket"))
            .await;
    assert!(ws.is_err(), "the upgrade should be refused");
    let snapshot = server.engine.metrics().snapshot();
    assert_eq!((snapshot.pending, snapshot.busy_refusals), (3, 2));

    // The client closes one session: its slot comes back once the session has finished.
    let closed = http.post(&server.session_url(&sids[0]), "1").await.unwrap();
    assert_eq!(closed.status, 200);
    let deadline = tokio::time::Instant::now() + STEP;
    while server.engine.metrics().snapshot().pending == 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot never came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.open_polling(&http).await.unwrap();
}

#[tokio::test]
async fn a_post_body_sent_slowly_ends_when_its_session_times_out() {
    // The suite's heartbeat (300 + 200 ms): the stuck POST keeps the pong from arriving.
    let server = EngineServer::start().await.unwrap();
    let sid = server.open_polling(&HttpClient::new()).await.unwrap();
    let head = format!(
        "POST {}?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nhost: {}\r\n\
         content-type: text/plain\r\ncontent-length: 100\r\n\r\n4hello",
        server.engine.config().path,
        server.addr
    );
    // Six of the hundred announced bytes, then nothing: the answer comes once the session is gone.
    let status = status_line(&server, &head).await;
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
}
