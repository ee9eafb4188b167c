//! S-M-1…S-M-7: events, binary events, acknowledgements and malformed packets.

use std::time::Duration;

use crate::client::Frame;
use crate::connect::init;
use crate::harness::conformance_server;

const PH0: &str = r#"{"_placeholder":true,"num":0}"#;
const PH1: &str = r#"{"_placeholder":true,"num":1}"#;

#[tokio::test]
async fn s_m_1_event_is_echoed() -> anyhow::Result<()> {
    let mut ws = init(conformance_server().await?).await?;
    ws.send(r#"42["message",1,"2",{"3":[true]}]"#).await?;
    assert_eq!(
        ws.next_skipping_pings().await?,
        Frame::Text(r#"42["message-back",1,"2",{"3":[true]}]"#.into())
    );
    Ok(())
}

#[tokio::test]
async fn s_m_2_binary_event_is_echoed() -> anyhow::Result<()> {
    let mut ws = init(conformance_server().await?).await?;
    ws.send(&format!(r#"452-["message",{PH0},{PH1}]"#)).await?;
    ws.send_binary(&[1, 2, 3]).await?;
    ws.send_binary(&[4, 5, 6]).await?;
    let header = format!(r#"452-["message-back",{PH0},{PH1}]"#);
    assert_eq!(ws.next_skipping_pings().await?, Frame::Text(header));
    assert_eq!(
        ws.next_skipping_pings().await?,
        Frame::Binary(vec![1, 2, 3])
    );
    assert_eq!(
        ws.next_skipping_pings().await?,
        Frame::Binary(vec![4, 5, 6])
    );
    Ok(())
}

#[tokio::test]
async fn s_m_3_event_with_ack_is_acknowledged() -> anyhow::Result<()> {
    let mut ws = init(conformance_server().await?).await?;
    ws.send(r#"42456["message-with-ack",1,"2",{"3":[false]}]"#)
        .await?;
    assert_eq!(
        ws.next_skipping_pings().await?,
        Frame::Text(r#"43456[1,"2",{"3":[false]}]"#.into())
    );
    Ok(())
}

#[tokio::test]
async fn s_m_4_binary_event_with_ack_is_acknowledged() -> anyhow::Result<()> {
    let mut ws = init(conformance_server().await?).await?;
    ws.send(&format!(r#"452-789["message-with-ack",{PH0},{PH1}]"#))
        .await?;
    ws.send_binary(&[1, 2, 3]).await?;
    ws.send_binary(&[4, 5, 6]).await?;
    assert_eq!(
        ws.next_skipping_pings().await?,
        Frame::Text(format!("462-789[{PH0},{PH1}]"))
    );
    assert_eq!(
        ws.next_skipping_pings().await?,
        Frame::Binary(vec![1, 2, 3])
    );
    assert_eq!(
        ws.next_skipping_pings().await?,
        Frame::Binary(vec![4, 5, 6])
    );
    Ok(())
}

async fn closes_on(packet: &str) -> anyhow::Result<()> {
    let mut ws = init(conformance_server().await?).await?;
    ws.send(packet).await?;
    ws.expect_closed(Duration::from_secs(2)).await
}

#[tokio::test]
async fn s_m_5_invalid_packet_type_closes() -> anyhow::Result<()> {
    closes_on("4abc").await
}

#[tokio::test]
async fn s_m_6_invalid_payload_closes() -> anyhow::Result<()> {
    closes_on("42{}").await
}

#[tokio::test]
async fn s_m_7_invalid_ack_id_closes() -> anyhow::Result<()> {
    closes_on(r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#).await
}
