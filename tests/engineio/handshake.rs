//! Handshake checks (suite E-H1..E-H7) and the error bodies Node sends.

use synchost_tests::engineio::{EngineServer, open_packet_json};
use synchost_tests::http_client::HttpClient;
use synchost_tests::ws_client::WsClient;

fn assert_five_keys(open: &serde_json::Value, upgrades: serde_json::Value) {
    let object = open.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "maxPayload",
            "pingInterval",
            "pingTimeout",
            "sid",
            "upgrades"
        ]
    );
    assert_eq!(open["upgrades"], upgrades);
    assert_eq!(open["pingInterval"], 300);
    assert_eq!(open["pingTimeout"], 200);
    assert_eq!(open["maxPayload"], 1_000_000);
    let sid = open["sid"].as_str().unwrap();
    assert_eq!(sid.len(), 20);
    assert!(
        sid.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{sid}"
    );
}

#[tokio::test]
async fn e_h1_polling_handshake_sends_exactly_the_five_keys() {
    let server = EngineServer::start().await.unwrap();
    let response = HttpClient::new()
        .get(&server.url("EIO=4&transport=polling"))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    let open = open_packet_json(&response.text()).unwrap();
    assert_five_keys(&open, serde_json::json!(["websocket"]));
}

#[tokio::test]
async fn handshakes_get_distinct_session_ids() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let first = server.open_polling(&http).await.unwrap();
    let second = server.open_polling(&http).await.unwrap();
    assert_ne!(first, second);
}

async fn assert_error(server: &EngineServer, method: &str, query: &str, code: u64, message: &str) {
    let method = method.parse().unwrap();
    let response = HttpClient::new()
        .send(method, &server.url(query), &[], "")
        .await
        .unwrap();
    assert_eq!(response.status, 400, "{query}");
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.json().unwrap(),
        serde_json::json!({ "code": code, "message": message }),
        "{query}"
    );
}

#[tokio::test]
async fn e_h2_bad_protocol_version_is_refused() {
    let server = EngineServer::start().await.unwrap();
    assert_error(
        &server,
        "GET",
        "transport=polling",
        5,
        "Unsupported protocol version",
    )
    .await;
    assert_error(
        &server,
        "GET",
        "EIO=abc&transport=polling",
        5,
        "Unsupported protocol version",
    )
    .await;
    assert_error(
        &server,
        "GET",
        "EIO=3&transport=polling",
        5,
        "Unsupported protocol version",
    )
    .await;
}

#[tokio::test]
async fn e_h3_bad_transport_is_refused() {
    let server = EngineServer::start().await.unwrap();
    assert_error(&server, "GET", "EIO=4", 0, "Transport unknown").await;
    assert_error(
        &server,
        "GET",
        "EIO=4&transport=abc",
        0,
        "Transport unknown",
    )
    .await;
}

#[tokio::test]
async fn e_h4_handshake_must_be_a_get() {
    let server = EngineServer::start().await.unwrap();
    assert_error(
        &server,
        "POST",
        "EIO=4&transport=polling",
        2,
        "Bad handshake method",
    )
    .await;
    assert_error(
        &server,
        "PUT",
        "EIO=4&transport=polling",
        2,
        "Bad handshake method",
    )
    .await;
}

#[tokio::test]
async fn websocket_transport_without_an_upgrade_is_a_bad_request() {
    let server = EngineServer::start().await.unwrap();
    assert_error(
        &server,
        "GET",
        "EIO=4&transport=websocket",
        3,
        "Bad request",
    )
    .await;
}

#[tokio::test]
async fn e_h5_websocket_handshake_sends_the_five_keys_and_no_upgrades() {
    let server = EngineServer::start().await.unwrap();
    let (_ws, open) = server.open_websocket().await.unwrap();
    assert_five_keys(&open, serde_json::json!([]));
}

#[tokio::test]
async fn e_h6_e_h7_websocket_with_bad_version_or_transport_is_refused() {
    let server = EngineServer::start().await.unwrap();
    for query in [
        "transport=websocket",
        "EIO=abc&transport=websocket",
        "EIO=4",
        "EIO=4&transport=abc",
    ] {
        let result = WsClient::connect(&server.ws_url(query)).await;
        let error = result
            .err()
            .unwrap_or_else(|| panic!("{query} was accepted"));
        assert!(error.to_string().contains("400"), "{query}: {error}");
    }
}
