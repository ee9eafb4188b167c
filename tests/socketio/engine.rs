//! S-E, S-B, S-C and S-U: the Engine.IO checks of the suite, on the `/socket.io/` path.

use std::time::Duration;

use anyhow::ensure;

use crate::client::{Frame, WsClient, get, http, polling_handshake, post};
use crate::harness::{MAX_PAYLOAD, PING_INTERVAL_MS, PING_TIMEOUT_MS, conformance_server};

fn assert_open_packet(json: &serde_json::Value, upgrades: serde_json::Value) {
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "maxPayload",
            "pingInterval",
            "pingTimeout",
            "sid",
            "upgrades"
        ],
        "exactly five keys"
    );
    assert_eq!(json["upgrades"], upgrades);
    assert_eq!(json["pingInterval"], PING_INTERVAL_MS);
    assert_eq!(json["pingTimeout"], PING_TIMEOUT_MS);
    assert_eq!(json["maxPayload"], MAX_PAYLOAD);
}

#[tokio::test]
async fn s_e1_polling_handshake_opens_a_session() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let (_, json) = polling_handshake(addr).await?;
    assert_open_packet(&json, serde_json::json!(["websocket"]));
    Ok(())
}

#[tokio::test]
async fn s_e2_bad_protocol_version_is_refused() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    assert_eq!(get(addr, "transport=polling").await?.status, 400);
    assert_eq!(get(addr, "EIO=abc&transport=polling").await?.status, 400);
    Ok(())
}

#[tokio::test]
async fn s_e3_bad_transport_is_refused() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    assert_eq!(get(addr, "EIO=4").await?.status, 400);
    assert_eq!(get(addr, "EIO=4&transport=abc").await?.status, 400);
    Ok(())
}

#[tokio::test]
async fn s_e4_bad_handshake_method_is_refused() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    assert_eq!(post(addr, "EIO=4&transport=polling", "").await?.status, 400);
    assert_eq!(
        http(
            addr,
            "PUT",
            "/socket.io/?EIO=4&transport=polling",
            Some(b"")
        )
        .await?
        .status,
        400
    );
    Ok(())
}

#[tokio::test]
async fn s_e5_websocket_handshake_has_no_upgrades() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let mut ws = WsClient::open(addr, "").await?;
    assert_open_packet(&ws.handshake().await?, serde_json::json!([]));
    Ok(())
}

/// A WebSocket session with a bad query must not open: the upgrade is refused, or (as Node does for a
/// bad `EIO`, answering 400 after the 101) the connection ends before any open packet.
async fn refused_websocket(addr: std::net::SocketAddr, query: &str) -> anyhow::Result<()> {
    let url = format!("ws://{addr}/socket.io/?{query}");
    let Ok(mut ws) = WsClient::connect(&url).await else {
        return Ok(());
    };
    let frame = ws.next_frame(Duration::from_secs(2)).await?;
    ensure!(
        frame == Frame::Closed,
        "the session must not open, got {frame:?}"
    );
    Ok(())
}

#[tokio::test]
async fn s_e6_websocket_with_bad_protocol_version_is_refused() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    refused_websocket(addr, "EIO=abc&transport=websocket").await
}

#[tokio::test]
async fn s_e7_websocket_with_bad_transport_is_refused() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    refused_websocket(addr, "EIO=4&transport=abc").await
}

#[tokio::test]
async fn s_b1_polling_ping_pong_three_times() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let (sid, _) = polling_handshake(addr).await?;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    for _ in 0..3 {
        let ping = get(addr, &query).await?;
        assert_eq!((ping.status.as_u16(), ping.text().as_str()), (200, "2"));
        let pong = post(addr, &query, "3").await?;
        assert_eq!((pong.status.as_u16(), pong.text().as_str()), (200, "ok"));
    }
    Ok(())
}

#[tokio::test]
async fn s_b2_polling_session_times_out() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let (sid, _) = polling_handshake(addr).await?;
    tokio::time::sleep(Duration::from_millis(PING_INTERVAL_MS + PING_TIMEOUT_MS)).await;
    assert_eq!(
        get(addr, &format!("EIO=4&transport=polling&sid={sid}"))
            .await?
            .status,
        400
    );
    Ok(())
}

#[tokio::test]
async fn s_b3_websocket_ping_pong_three_times() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let mut ws = WsClient::open(addr, "").await?;
    ws.handshake().await?;
    for _ in 0..3 {
        assert_eq!(
            ws.next_frame(Duration::from_secs(1)).await?,
            Frame::Text("2".into())
        );
        ws.send("3").await?;
    }
    Ok(())
}

#[tokio::test]
async fn s_b4_websocket_session_times_out() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let mut ws = WsClient::open(addr, "").await?;
    ws.handshake().await?;
    ws.expect_closed(Duration::from_secs(5)).await
}

#[tokio::test]
async fn s_c1_polling_close_packet() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let (sid, _) = polling_handshake(addr).await?;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    let held = tokio::spawn({
        let query = query.clone();
        async move { get(addr, &query).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(post(addr, &query, "1").await?.status, 200);
    let held = held.await??;
    assert_eq!((held.status.as_u16(), held.text().as_str()), (200, "6"));
    assert_eq!(get(addr, &query).await?.status, 400);
    Ok(())
}

#[tokio::test]
async fn s_c2_websocket_close_packet() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let mut ws = WsClient::open(addr, "").await?;
    ws.handshake().await?;
    ws.send("1").await?;
    ws.expect_closed(Duration::from_secs(2)).await
}

/// Opens a polling session and upgrades it to WebSocket: probe, then `5`.
async fn upgraded(addr: std::net::SocketAddr) -> anyhow::Result<(String, WsClient)> {
    let (sid, _) = polling_handshake(addr).await?;
    let mut ws = WsClient::open(addr, &format!("&sid={sid}")).await?;
    ws.send("2probe").await?;
    assert_eq!(ws.next_text().await?, "3probe");
    ws.send("5").await?;
    Ok((sid, ws))
}

#[tokio::test]
async fn s_u1_upgrade_to_websocket() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let (_, mut ws) = upgraded(addr).await?;
    // The upgraded transport carries Socket.IO.
    ws.send("40").await?;
    let Frame::Text(reply) = ws.next_skipping_pings().await? else {
        anyhow::bail!("expected the CONNECT reply")
    };
    ensure!(reply.starts_with("40{\"sid\":"), "{reply}");
    Ok(())
}

#[tokio::test]
async fn s_u2_polling_after_upgrade_is_refused() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let (sid, _ws) = upgraded(addr).await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        get(addr, &format!("EIO=4&transport=polling&sid={sid}"))
            .await?
            .status,
        400
    );
    Ok(())
}

#[tokio::test]
async fn s_u3_second_websocket_is_closed() -> anyhow::Result<()> {
    let addr = conformance_server().await?;
    let (sid, mut first) = upgraded(addr).await?;
    let mut second = WsClient::open(addr, &format!("&sid={sid}")).await?;
    second.expect_closed(Duration::from_secs(2)).await?;
    first.send("40").await?;
    ensure!(
        matches!(first.next_skipping_pings().await?, Frame::Text(reply) if reply.starts_with("40"))
    );
    Ok(())
}
