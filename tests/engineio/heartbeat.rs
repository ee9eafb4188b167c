//! Heartbeat checks (E-B1..E-B4): the first ping comes after pingInterval, never at open; the pong
//! deadline is pingTimeout from the ping.

use std::time::Duration;

use synchost_tests::engineio::{EngineServer, STEP};
use synchost_tests::http_client::HttpClient;

#[tokio::test]
async fn no_ping_is_sent_at_open() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    http.post(&server.session_url(&sid), "4first")
        .await
        .unwrap();
    // A ping queued at open would come before the echo in this body.
    assert_eq!(
        http.get(&server.session_url(&sid)).await.unwrap().text(),
        "4first"
    );
    let (mut ws, _) = server.open_websocket().await.unwrap();
    ws.send_text("4first").await.unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap(), "4first");
}

#[tokio::test]
async fn e_b1_polling_ping_pong_three_times() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    for _ in 0..3 {
        let poll = http.get(&server.session_url(&sid)).await.unwrap();
        assert_eq!((poll.status.as_u16(), poll.text().as_str()), (200, "2"));
        let pong = http.post(&server.session_url(&sid), "3").await.unwrap();
        assert_eq!(pong.status, 200);
    }
}

#[tokio::test]
async fn e_b2_polling_session_closes_on_ping_timeout() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    // pingInterval + pingTimeout: the ping went out unanswered and its deadline has passed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        http.get(&server.session_url(&sid)).await.unwrap().status,
        400
    );
}

#[tokio::test]
async fn e_b3_websocket_ping_pong_three_times() {
    let server = EngineServer::start().await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    for _ in 0..3 {
        assert_eq!(ws.next_text(STEP).await.unwrap(), "2");
        ws.send_text("3").await.unwrap();
    }
}

#[tokio::test]
async fn e_b4_websocket_closes_on_ping_timeout() {
    let server = EngineServer::start().await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    ws.wait_closed(Duration::from_secs(5)).await.unwrap();
    assert_eq!(server.engine.metrics().open_connections(), 0);
}

#[tokio::test]
async fn a_client_ping_is_a_protocol_error() {
    let server = EngineServer::start().await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    ws.send_text("2").await.unwrap();
    ws.wait_closed(STEP).await.unwrap();
}
