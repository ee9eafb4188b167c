//! Bad input: oversized payloads, malformed packets, unknown sessions, wrong methods, and floods of
//! connections that never finish a handshake while a good connection keeps working.

use std::time::Duration;

use synchost::conformance::engineio_config;
use synchost::transport::EngineConfig;
use synchost_tests::engineio::{EngineServer, STEP};
use synchost_tests::http_client::HttpClient;
use synchost_tests::ws_client::WsClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn small_payload() -> EngineConfig {
    EngineConfig {
        max_payload_bytes: 1000,
        ..engineio_config()
    }
}

/// Writes raw request bytes and returns the status code of the response.
async fn raw_status(server: &EngineServer, request: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = tokio::time::timeout(STEP, stream.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert!(read > 0, "connection closed before a response");
        head.extend_from_slice(&buffer[..read]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split(' ').nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn an_announced_oversized_post_gets_413_without_being_read() {
    let server = EngineServer::start_with(small_payload()).await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    // Claims two megabytes, sends ten bytes, and waits: the answer must not need the rest.
    let request = format!(
        "POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nhost: x\r\ncontent-length: 2000000\r\n\r\n4aaaaaaaaa"
    );
    assert_eq!(raw_status(&server, request.as_bytes()).await, 413);
    // Node keeps the session.
    http.post(&server.session_url(&sid), "4still")
        .await
        .unwrap();
    assert_eq!(
        http.get(&server.session_url(&sid)).await.unwrap().text(),
        "4still"
    );
}

#[tokio::test]
async fn a_chunked_oversized_post_gets_413() {
    let server = EngineServer::start_with(small_payload()).await.unwrap();
    let sid = server.open_polling(&HttpClient::new()).await.unwrap();
    let chunk = format!("4{}", "a".repeat(1099));
    let request = format!(
        "POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    assert_eq!(raw_status(&server, request.as_bytes()).await, 413);
}

#[tokio::test]
async fn an_oversized_websocket_message_closes_the_connection() {
    let server = EngineServer::start_with(small_payload()).await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    ws.send_text(&format!("4{}", "a".repeat(999)))
        .await
        .unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap().len(), 1000);
    ws.send_text(&format!("4{}", "a".repeat(1000)))
        .await
        .unwrap();
    ws.wait_closed(STEP).await.unwrap();
}

#[tokio::test]
async fn malformed_polling_bodies_close_the_session() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    for body in ["4a\x1e", "b!!", "", "7"] {
        let sid = server.open_polling(&http).await.unwrap();
        assert_eq!(
            http.post(&server.session_url(&sid), body)
                .await
                .unwrap()
                .status,
            400,
            "{body:?}"
        );
        assert_eq!(
            http.get(&server.session_url(&sid)).await.unwrap().status,
            400,
            "{body:?}"
        );
    }
    let sid = server.open_polling(&http).await.unwrap();
    let not_utf8 = http
        .send(
            "POST".parse().unwrap(),
            &server.session_url(&sid),
            &[],
            vec![b'4', 0xff],
        )
        .await;
    assert_eq!(not_utf8.unwrap().status, 400);
}

#[tokio::test]
async fn malformed_websocket_packets_close_the_connection() {
    let server = EngineServer::start().await.unwrap();
    for text in ["", "b!!", "9", "2probe"] {
        let (mut ws, _) = server.open_websocket().await.unwrap();
        ws.send_text(text).await.unwrap();
        ws.wait_closed(STEP)
            .await
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
}

#[tokio::test]
async fn unknown_sessions_and_mismatched_transports_are_refused() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let unknown = server.session_url("AAAAAAAAAAAAAAAAAAAA");
    let expected = serde_json::json!({ "code": 1, "message": "Session ID unknown" });
    assert_eq!(http.get(&unknown).await.unwrap().json().unwrap(), expected);
    assert_eq!(
        http.post(&unknown, "4x").await.unwrap().json().unwrap(),
        expected
    );
    let ws_unknown = server.ws_url("EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA");
    assert!(WsClient::connect(&ws_unknown).await.is_err());
    let (_ws, open) = server.open_websocket().await.unwrap();
    let polling_on_ws = http
        .get(&server.session_url(open["sid"].as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        polling_on_ws.json().unwrap(),
        serde_json::json!({ "code": 3, "message": "Bad request" })
    );
}

#[tokio::test]
async fn other_methods_on_a_session_get_500_like_node() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let put = http
        .send("PUT".parse().unwrap(), &server.session_url(&sid), &[], "4x")
        .await
        .unwrap();
    assert_eq!(put.status, 500);
}

#[tokio::test]
async fn a_flood_of_unfinished_handshakes_does_not_hurt_a_good_connection() {
    // The good connection answers pings only between the rounds' connection storms, so it gets
    // 2 s to answer each (the conformance settings give 200 ms, which a loaded machine can miss
    // while this test opens 35 connections); silent sessions still expire after 2.3 s.
    let config = EngineConfig {
        ping_timeout_ms: 2_000,
        ..engineio_config()
    };
    let server = EngineServer::start_with(config).await.unwrap();
    let (mut good, _) = server.open_websocket().await.unwrap();
    let http = HttpClient::new();
    let mut idle_tcp = Vec::new();
    let mut silent_upgrades = Vec::new();
    for round in 0..10 {
        // TCP connections that never send a byte.
        for _ in 0..20 {
            idle_tcp.push(TcpStream::connect(server.addr).await.unwrap());
        }
        // WebSocket upgrades whose client never reads a frame.
        for _ in 0..5 {
            let mut stream = TcpStream::connect(server.addr).await.unwrap();
            let upgrade = "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\n\
                           upgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
            stream.write_all(upgrade.as_bytes()).await.unwrap();
            silent_upgrades.push(stream);
        }
        // Polling sessions that never poll.
        for _ in 0..10 {
            server.open_polling(&http).await.unwrap();
        }
        let text = format!("4good {round}");
        good.send_text(&text).await.unwrap();
        loop {
            let frame = good.next_text(STEP).await.unwrap();
            if frame == "2" {
                good.send_text("3").await.unwrap();
            } else {
                assert_eq!(frame, text);
                break;
            }
        }
    }
    // Sessions that never answer pings expire: only the good connection stays. (The deadline only
    // guards against a hang.)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while server.engine.connection_count() > 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} sessions left",
            server.engine.connection_count()
        );
        let frame = good.next_text(Duration::from_millis(50)).await;
        if frame.is_ok_and(|f| f == "2") {
            good.send_text("3").await.unwrap();
        }
    }
    good.send_text("4still good").await.unwrap();
    loop {
        let frame = good.next_text(STEP).await.unwrap();
        if frame != "2" {
            assert_eq!(frame, "4still good");
            break;
        }
        good.send_text("3").await.unwrap();
    }
    drop((idle_tcp, silent_upgrades));
}
