//! Upgrade checks (E-U1..E-U3), the handover of queued packets and of a POST in flight, and an
//! abandoned upgrade.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use synchost::conformance::engineio_config;
use synchost::transport::EngineConfig;
use synchost_tests::engineio::{EngineServer, STEP};
use synchost_tests::http_client::HttpClient;
use synchost_tests::ws_client::{Frame, WsClient};

async fn probe(server: &EngineServer, sid: &str) -> WsClient {
    let mut ws = WsClient::connect(&server.ws_url(&format!("EIO=4&transport=websocket&sid={sid}")))
        .await
        .unwrap();
    ws.send_text("2probe").await.unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap(), "3probe");
    ws
}

#[tokio::test]
async fn e_u1_upgrade_flushes_polling_with_a_noop_then_moves_to_websocket() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let mut ws = probe(&server, &sid).await;
    let poll = http.get(&server.session_url(&sid)).await.unwrap();
    assert_eq!((poll.status.as_u16(), poll.text().as_str()), (200, "6"));
    ws.send_text("5").await.unwrap();
    ws.send_text("4hello").await.unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap(), "4hello");
}

#[tokio::test]
async fn a_held_get_is_flushed_with_a_noop_when_the_probe_succeeds() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let url = server.session_url(&sid);
    let held = tokio::spawn({
        let http = http.clone();
        async move { http.get(&url).await }
    });
    let _ws = probe(&server, &sid).await;
    let held = held.await.unwrap().unwrap();
    assert_eq!((held.status.as_u16(), held.text().as_str()), (200, "6"));
}

#[tokio::test]
async fn e_u2_polling_after_the_upgrade_is_refused_even_back_to_back() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let mut ws = WsClient::connect(&server.ws_url(&format!("EIO=4&transport=websocket&sid={sid}")))
        .await
        .unwrap();
    ws.send_text("2probe").await.unwrap();
    ws.send_text("5").await.unwrap();
    let poll = http.get(&server.session_url(&sid)).await.unwrap();
    assert_eq!(poll.status, 400);
    assert_eq!(poll.json().unwrap()["code"], 3);
    assert_eq!(ws.next_text(STEP).await.unwrap(), "3probe");
    ws.send_text("4hello").await.unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap(), "4hello");
}

#[tokio::test]
async fn e_u3_a_second_websocket_for_an_upgraded_session_is_closed() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let query = format!("EIO=4&transport=websocket&sid={sid}");
    let mut ws = WsClient::connect(&server.ws_url(&query)).await.unwrap();
    ws.send_text("2probe").await.unwrap();
    ws.send_text("5").await.unwrap();
    let mut second = WsClient::connect(&server.ws_url(&query)).await.unwrap();
    second.wait_closed(STEP).await.unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap(), "3probe");
    ws.send_text("4hello").await.unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap(), "4hello");
}

#[tokio::test]
async fn packets_queued_during_polling_are_handed_to_the_websocket_in_order() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    // Echoes pile up in the queue because nobody polls.
    http.post(&server.session_url(&sid), "4a\x1e4b\x1ebAQI=\x1e4c")
        .await
        .unwrap();
    let mut ws = probe(&server, &sid).await;
    ws.send_text("5").await.unwrap();
    ws.send_text("4d").await.unwrap();
    let mut received = Vec::new();
    while received.len() < 5 {
        match ws.next_frame(STEP).await.unwrap() {
            Frame::Text(text) if text == "2" => ws.send_text("3").await.unwrap(),
            frame => received.push(frame),
        }
    }
    let text = |s: &str| Frame::Text(s.to_owned());
    assert_eq!(
        received,
        [
            text("4a"),
            text("4b"),
            Frame::Binary(vec![1, 2]),
            text("4c"),
            text("4d")
        ]
    );
}

#[tokio::test]
async fn the_session_keeps_its_heartbeat_across_the_upgrade() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let mut ws = probe(&server, &sid).await;
    ws.send_text("5").await.unwrap();
    for _ in 0..2 {
        assert_eq!(ws.next_text(STEP).await.unwrap(), "2");
        ws.send_text("3").await.unwrap();
    }
    ws.send_text("4still here").await.unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap(), "4still here");
}

#[tokio::test]
async fn an_unfinished_upgrade_is_dropped_after_the_upgrade_timeout_and_polling_goes_on() {
    let (server, http, sid, mut ws) = probed_session(Some(200)).await;
    ws.wait_closed(Duration::from_secs(2)).await.unwrap();
    http.post(&server.session_url(&sid), "4after")
        .await
        .unwrap();
    assert_eq!(
        http.get(&server.session_url(&sid)).await.unwrap().text(),
        "4after"
    );
}

#[tokio::test]
async fn another_packet_during_the_probe_abandons_the_upgrade() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let mut ws = probe(&server, &sid).await;
    ws.send_text("4too early").await.unwrap();
    ws.wait_closed(STEP).await.unwrap();
    http.post(&server.session_url(&sid), "4polling")
        .await
        .unwrap();
    assert_eq!(
        http.get(&server.session_url(&sid)).await.unwrap().text(),
        "4polling"
    );
}

#[tokio::test]
async fn a_post_still_in_flight_at_the_upgrade_is_handled_before_the_websocket_takes_over() {
    let (server, _http, sid, mut ws) = probed_session(None).await;
    let mut post = post_in_flight(&server, &sid, 6).await;
    ws.send_text("5").await.unwrap();
    post.write_all(b"4hello").await.unwrap();
    assert!(read_head(&mut post).await.starts_with("HTTP/1.1 200"));
    // The echo of the POSTed message comes first, then what the WebSocket itself carried.
    ws.send_text("4world").await.unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap(), "4hello");
    assert_eq!(ws.next_text(STEP).await.unwrap(), "4world");
}

/// A polling session (heartbeat slowed to 5 s, so pings stay out of the way) whose WebSocket probe
/// got its `3probe`; `upgrade_timeout_ms` replaces the conformance setting when given.
async fn probed_session(
    upgrade_timeout_ms: Option<u64>,
) -> (EngineServer, HttpClient, String, WsClient) {
    let defaults = engineio_config();
    let config = EngineConfig {
        upgrade_timeout_ms: upgrade_timeout_ms.unwrap_or(defaults.upgrade_timeout_ms),
        ping_interval_ms: 5_000,
        ..defaults
    };
    let server = EngineServer::start_with(config).await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let ws = probe(&server, &sid).await;
    (server, http, sid, ws)
}

/// A POST of `length` bytes whose body has not been sent yet. `100 Continue` comes back once the server
/// has taken the POST and starts reading its body, so the POST is in flight when this returns.
async fn post_in_flight(server: &EngineServer, sid: &str, length: usize) -> TcpStream {
    let mut post = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST {}?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nhost: {}\r\n\
         content-type: text/plain\r\ncontent-length: {length}\r\nexpect: 100-continue\r\n\r\n",
        server.engine.config().path,
        server.addr
    );
    post.write_all(head.as_bytes()).await.unwrap();
    assert!(read_head(&mut post).await.starts_with("HTTP/1.1 100"));
    post
}

/// Reads one response head (up to the blank line) from a raw connection.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let read = tokio::time::timeout(STEP, stream.read(&mut byte))
            .await
            .unwrap()
            .unwrap();
        assert!(read > 0, "connection closed before a response");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

#[tokio::test]
async fn an_upgrade_still_waiting_for_a_post_at_the_upgrade_timeout_closes_the_session() {
    let (server, http, sid, mut ws) = probed_session(Some(300)).await;
    // Held open to the end, but its body never comes: the upgrade cannot hand over without losing it,
    // so the session ends.
    let _post = post_in_flight(&server, &sid, 6).await;
    ws.send_text("5").await.unwrap();
    ws.wait_closed(Duration::from_secs(3)).await.unwrap();
    let poll = http.get(&server.session_url(&sid)).await.unwrap();
    assert_eq!(poll.status, 400);
}
