//! Message checks over polling (E-M1..E-M5) and WebSocket (E-M6..E-M8).

use std::time::Duration;

use synchost_tests::engineio::{EngineServer, STEP};
use synchost_tests::http_client::HttpClient;
use synchost_tests::ws_client::Frame;

#[tokio::test]
async fn e_m1_polling_echoes_a_text_message() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let push = http
        .post(&server.session_url(&sid), "4hello")
        .await
        .unwrap();
    assert_eq!((push.status.as_u16(), push.text().as_str()), (200, "ok"));
    assert_eq!(push.header("content-type"), Some("text/html"));
    let poll = http.get(&server.session_url(&sid)).await.unwrap();
    assert_eq!(
        (poll.status.as_u16(), poll.text().as_str()),
        (200, "4hello")
    );
    assert_eq!(
        poll.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
}

/// POSTs `body` on a fresh polling session and checks that the next GET returns it unchanged.
async fn assert_polling_echoes(body: &str) {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    assert_eq!(
        http.post(&server.session_url(&sid), body)
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        http.get(&server.session_url(&sid)).await.unwrap().text(),
        body
    );
}

#[tokio::test]
async fn e_m2_polling_returns_every_queued_packet_in_one_body() {
    assert_polling_echoes("4test1\x1e4test2\x1e4test3").await;
}

#[tokio::test]
async fn e_m3_polling_echoes_binary_as_base64_binary() {
    assert_polling_echoes("4hello\x1ebAQIDBA==").await;
}

#[tokio::test]
async fn e_m4_an_invalid_packet_closes_the_polling_session() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    assert_eq!(
        http.post(&server.session_url(&sid), "abc")
            .await
            .unwrap()
            .status,
        400
    );
    assert_eq!(
        http.get(&server.session_url(&sid)).await.unwrap().status,
        400
    );
}

#[tokio::test]
async fn e_m5_an_overlapping_poll_closes_the_session() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let url = server.session_url(&sid);
    let burst = format!("{url}&t=burst");
    // Whichever GET the server sees second is the overlap: it gets 400 and the held one gets `1`.
    let (first, second) = tokio::join!(http.get(&url), http.get(&burst));
    let (first, second) = (first.unwrap(), second.unwrap());
    let mut outcomes = [
        (first.status.as_u16(), first.text()),
        (second.status.as_u16(), second.text()),
    ];
    outcomes.sort();
    assert_eq!(outcomes[0].0, 200);
    assert_eq!(outcomes[0].1, "1");
    assert_eq!(outcomes[1].0, 400);
    assert_eq!(http.get(&url).await.unwrap().status, 400);
}

#[tokio::test]
async fn e_m6_websocket_echoes_text() {
    let server = EngineServer::start().await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    ws.send_text("4hello").await.unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap(), "4hello");
}

#[tokio::test]
async fn e_m7_websocket_echoes_binary_as_binary() {
    let server = EngineServer::start().await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    ws.send_binary(&[1, 2, 3, 4]).await.unwrap();
    assert_eq!(
        ws.next_frame(STEP).await.unwrap(),
        Frame::Binary(vec![1, 2, 3, 4])
    );
}

#[tokio::test]
async fn e_m8_an_invalid_websocket_packet_closes_the_connection() {
    let server = EngineServer::start().await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    ws.send_text("abc").await.unwrap();
    ws.wait_closed(Duration::from_secs(2)).await.unwrap();
}

#[tokio::test]
async fn many_messages_keep_their_order_on_websocket() {
    let server = EngineServer::start().await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    for i in 0..200 {
        ws.send_text(&format!("4m{i}")).await.unwrap();
    }
    for i in 0..200 {
        assert_eq!(ws.next_text(STEP).await.unwrap(), format!("4m{i}"));
    }
}
