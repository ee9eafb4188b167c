//! S-C-1…S-C-7 (CONNECT) and S-D-1, S-D-2 (DISCONNECT).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, ensure};

use crate::client::{Frame, WsClient};
use crate::harness::conformance_server;

/// Checks a CONNECT reply `40[/nsp,]{"sid":..}` whose JSON is exactly `{sid}`.
fn assert_connect_reply(frame: &str, prefix: &str) -> anyhow::Result<()> {
    let json = frame
        .strip_prefix(prefix)
        .with_context(|| format!("{frame:?} should start with {prefix:?}"))?;
    let value: serde_json::Value = serde_json::from_str(json)?;
    let object = value.as_object().context("object")?;
    ensure!(
        object.len() == 1 && object["sid"].is_string(),
        "exactly {{sid}}: {json}"
    );
    Ok(())
}

/// Opens a WebSocket, joins `/` and reads the CONNECT reply and the `auth` event.
pub async fn init(addr: SocketAddr) -> anyhow::Result<WsClient> {
    let mut ws = WsClient::open(addr, "").await?;
    ws.handshake().await?;
    ws.send("40").await?;
    assert_connect_reply(&ws.next_text().await?, "40")?;
    assert_eq!(ws.next_text().await?, r#"42["auth",{}]"#);
    Ok(ws)
}

async fn open(addr: SocketAddr) -> anyhow::Result<WsClient> {
    let mut ws = WsClient::open(addr, "").await?;
    ws.handshake().await?;
    Ok(ws)
}

#[tokio::test]
async fn s_c_1_connect_to_main_namespace() -> anyhow::Result<()> {
    init(conformance_server().await?).await.map(drop)
}

#[tokio::test]
async fn s_c_2_connect_with_auth() -> anyhow::Result<()> {
    let mut ws = open(conformance_server().await?).await?;
    ws.send(r#"40{"token":"123"}"#).await?;
    assert_connect_reply(&ws.next_text().await?, "40")?;
    assert_eq!(ws.next_text().await?, r#"42["auth",{"token":"123"}]"#);
    Ok(())
}

#[tokio::test]
async fn s_c_3_connect_to_custom_namespace() -> anyhow::Result<()> {
    let mut ws = open(conformance_server().await?).await?;
    ws.send("40/custom,").await?;
    assert_connect_reply(&ws.next_text().await?, "40/custom,")?;
    assert_eq!(ws.next_text().await?, r#"42/custom,["auth",{}]"#);
    Ok(())
}

#[tokio::test]
async fn s_c_4_connect_to_custom_namespace_with_auth() -> anyhow::Result<()> {
    let mut ws = open(conformance_server().await?).await?;
    ws.send(r#"40/custom,{"token":"abc"}"#).await?;
    assert_connect_reply(&ws.next_text().await?, "40/custom,")?;
    assert_eq!(
        ws.next_text().await?,
        r#"42/custom,["auth",{"token":"abc"}]"#
    );
    Ok(())
}

#[tokio::test]
async fn s_c_5_connect_to_unknown_namespace_is_refused() -> anyhow::Result<()> {
    let mut ws = open(conformance_server().await?).await?;
    ws.send("40/random").await?;
    assert_eq!(
        ws.next_text().await?,
        r#"44/random,{"message":"Invalid namespace"}"#
    );
    Ok(())
}

#[tokio::test]
async fn s_c_6_invalid_packet_before_connect_closes() -> anyhow::Result<()> {
    let mut ws = open(conformance_server().await?).await?;
    ws.send("4abc").await?;
    ws.expect_closed(Duration::from_secs(2)).await
}

#[tokio::test]
async fn s_c_7_idle_connection_is_closed() -> anyhow::Result<()> {
    let mut ws = open(conformance_server().await?).await?;
    ws.expect_closed(Duration::from_secs(2)).await
}

#[tokio::test]
async fn s_d_1_disconnect_keeps_the_engine_io_connection() -> anyhow::Result<()> {
    let mut ws = init(conformance_server().await?).await?;
    ws.send("41").await?;
    // Nothing is sent in answer; the next frame is the heartbeat, so the connection is still open.
    assert_eq!(
        ws.next_frame(Duration::from_secs(1)).await?,
        Frame::Text("2".into())
    );
    Ok(())
}

#[tokio::test]
async fn s_d_2_namespaces_join_and_leave_between_pings() -> anyhow::Result<()> {
    let mut ws = init(conformance_server().await?).await?;
    // Deliberately not answered: everything below must fit before the pong deadline.
    assert_eq!(
        ws.next_frame(Duration::from_secs(1)).await?,
        Frame::Text("2".into())
    );
    ws.send("40/custom").await?;
    assert_connect_reply(&ws.next_text().await?, "40/custom,")?;
    assert_eq!(ws.next_text().await?, r#"42/custom,["auth",{}]"#);
    ws.send("41/custom").await?;
    ws.send(r#"42["message","message to main namespace"]"#)
        .await?;
    assert_eq!(
        ws.next_text().await?,
        r#"42["message-back","message to main namespace"]"#
    );
    Ok(())
}
