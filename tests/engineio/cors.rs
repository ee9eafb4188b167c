//! CORS on polling and the Origin check on WebSocket upgrades.

use synchost::conformance::engineio_config;
use synchost::transport::{AllowedOrigins, CorsConfig, EngineConfig};
use synchost_tests::engineio::EngineServer;
use synchost_tests::http_client::HttpClient;
use synchost_tests::ws_client::WsClient;

const ALLOWED: &str = "https://app.test";

fn listed(credentials: bool) -> EngineConfig {
    let cors = CorsConfig {
        origins: AllowedOrigins::List(vec![ALLOWED.to_owned()]),
        credentials,
    };
    EngineConfig {
        cors,
        ..engineio_config()
    }
}

#[tokio::test]
async fn any_origin_gets_a_wildcard_and_preflights_get_204() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let url = server.url("EIO=4&transport=polling");
    let preflight = http
        .send(
            "OPTIONS".parse().unwrap(),
            &url,
            &[
                ("origin", "https://x.test"),
                ("access-control-request-headers", "content-type"),
            ],
            "",
        )
        .await
        .unwrap();
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("content-type")
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    let handshake = http
        .send(
            "GET".parse().unwrap(),
            &url,
            &[("origin", "https://x.test")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(handshake.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn listed_origins_are_echoed_with_credentials_and_others_get_no_headers() {
    let server = EngineServer::start_with(listed(true)).await.unwrap();
    let http = HttpClient::new();
    let url = server.url("EIO=4&transport=polling");
    let allowed = http
        .send("GET".parse().unwrap(), &url, &[("origin", ALLOWED)], "")
        .await
        .unwrap();
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(
        allowed.header("access-control-allow-credentials"),
        Some("true")
    );
    let other = http
        .send(
            "GET".parse().unwrap(),
            &url,
            &[("origin", "https://evil.test")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn websocket_upgrades_from_unlisted_origins_are_refused() {
    let server = EngineServer::start_with(listed(false)).await.unwrap();
    let url = server.ws_url("EIO=4&transport=websocket");
    let refused = WsClient::connect_with(&url, &[("origin", "https://evil.test")]).await;
    assert!(refused.err().unwrap().to_string().contains("403"));
    let mut allowed = WsClient::connect_with(&url, &[("origin", ALLOWED)])
        .await
        .unwrap();
    assert!(
        allowed
            .next_text(synchost_tests::engineio::STEP)
            .await
            .unwrap()
            .starts_with('0')
    );
    let mut no_origin = WsClient::connect(&url).await.unwrap();
    assert!(
        no_origin
            .next_text(synchost_tests::engineio::STEP)
            .await
            .unwrap()
            .starts_with('0')
    );
}

#[tokio::test]
async fn without_configuration_no_cors_headers_are_sent() {
    let config = EngineConfig {
        cors: CorsConfig::default(),
        ..engineio_config()
    };
    let server = EngineServer::start_with(config).await.unwrap();
    let url = server.url("EIO=4&transport=polling");
    let response = HttpClient::new()
        .send(
            "GET".parse().unwrap(),
            &url,
            &[("origin", "https://x.test")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("access-control-allow-origin"), None);
}
