//! What a hostile peer cannot make the Socket.IO layer hold: a binary packet whose attachments never
//! come (time budget), or whose attachments exceed the byte budget; replies it never reads past the
//! queue's byte bound; and a session stays pending only until it joins a namespace. Plus checks
//! that found no defect and keep it so: deep nesting, oversized ack ids, a flood of namespaces.

use std::net::SocketAddr;
use std::time::Duration;

use synchost::protocol::{ConformanceEcho, SocketIo};
use synchost::transport::{Engine, EngineConfig};

use crate::client::{Frame, WsClient, get, polling_handshake, post};

/// Generous: only reached when the server fails to act.
const WITHIN: Duration = Duration::from_secs(5);

const BUDGET_BYTES: usize = 1000;

/// The echo namespace on `/` with a 200 ms, 1000-byte binary budget and a heartbeat too slow to
/// close anything while a test runs (so only the budget can close a connection).
async fn server(max_pending_connections: usize) -> SocketAddr {
    server_with(EngineConfig {
        max_pending_connections,
        ..config()
    })
    .await
}

fn config() -> EngineConfig {
    EngineConfig {
        ping_interval_ms: 60_000,
        ping_timeout_ms: 60_000,
        ..synchost::conformance::socketio_config()
    }
}

async fn server_with(config: EngineConfig) -> SocketAddr {
    let io = SocketIo::builder()
        .binary_budget(Duration::from_millis(200), BUDGET_BYTES)
        .namespace("/", ConformanceEcho::main())
        .build();
    let engine = Engine::new(config, io).unwrap();
    let listeners = synchost::http::bind("127.0.0.1", 0).await.unwrap();
    let addr = listeners[0].local_addr().unwrap();
    tokio::spawn(synchost::http::serve(
        listeners,
        synchost::http::engine_router(engine),
        std::future::pending::<()>(),
    ));
    addr
}

async fn joined(addr: SocketAddr) -> WsClient {
    let mut ws = WsClient::open(addr, "").await.unwrap();
    ws.handshake().await.unwrap();
    ws.send("40").await.unwrap();
    assert!(ws.next_text().await.unwrap().starts_with("40{"));
    assert_eq!(ws.next_text().await.unwrap(), r#"42["auth",{}]"#);
    ws
}

const TWO_PLACEHOLDERS: &str =
    r#"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;

#[tokio::test]
async fn a_binary_packet_whose_attachments_never_come_closes_its_connection() {
    let addr = server(100).await;
    let mut ws = joined(addr).await;
    ws.send(TWO_PLACEHOLDERS).await.unwrap();
    ws.send_binary(&[1, 2, 3]).await.unwrap();
    // The second attachment never comes.
    ws.expect_closed(WITHIN).await.unwrap();

    // A packet that completes in time is echoed, and the budget does not fire afterwards.
    let mut ws = joined(addr).await;
    ws.send(TWO_PLACEHOLDERS).await.unwrap();
    ws.send_binary(&[1, 2, 3]).await.unwrap();
    ws.send_binary(&[4]).await.unwrap();
    let echo = ws.next_text().await.unwrap();
    assert!(echo.starts_with(r#"452-["message-back""#), "{echo}");
    assert_eq!(
        ws.next_frame(WITHIN).await.unwrap(),
        Frame::Binary(vec![1, 2, 3])
    );
    assert_eq!(ws.next_frame(WITHIN).await.unwrap(), Frame::Binary(vec![4]));
    tokio::time::sleep(Duration::from_millis(400)).await;
    ws.send(r#"42["message","still here"]"#).await.unwrap();
    assert_eq!(
        ws.next_text().await.unwrap(),
        r#"42["message-back","still here"]"#
    );
}

#[tokio::test]
async fn a_binary_packet_past_the_byte_budget_closes_its_connection() {
    let addr = server(100).await;
    let mut ws = joined(addr).await;
    ws.send(TWO_PLACEHOLDERS).await.unwrap();
    ws.send_binary(&[0; BUDGET_BYTES / 2]).await.unwrap();
    ws.send_binary(&[0; BUDGET_BYTES / 2]).await.unwrap();
    ws.expect_closed(WITHIN).await.unwrap();
}

#[tokio::test]
async fn joining_a_namespace_frees_the_pending_slot() {
    let addr = server(1).await;
    let mut first = WsClient::open(addr, "").await.unwrap();
    first.handshake().await.unwrap();
    assert!(
        polling_handshake(addr).await.is_err(),
        "the one pending slot is taken"
    );
    first.send("40").await.unwrap();
    assert!(first.next_text().await.unwrap().starts_with("40{"));
    // The slot is given back when the CONNECT is accepted, which the reply follows.
    polling_handshake(addr).await.unwrap();
}

#[tokio::test]
async fn replies_a_peer_never_reads_are_bounded_in_bytes_not_only_in_count() {
    // Each CONNECT to an unknown namespace is answered with an error that repeats the name, so a
    // peer that never polls could pin 1024 replies as large as its requests.
    let addr = server_with(EngineConfig {
        queue_max_bytes: 64 * 1024,
        ..config()
    })
    .await;
    let (sid, _) = polling_handshake(addr).await.unwrap();
    let query = format!("EIO=4&transport=polling&sid={sid}");
    let connect = format!("40/{},", "n".repeat(40 * 1024));
    let mut refused = false;
    for _ in 0..4 {
        let response = post(addr, &query, &connect).await.unwrap();
        if response.status != 200 {
            refused = true;
            break;
        }
    }
    let answer = get(addr, &query).await.unwrap();
    assert!(
        refused || answer.status != 200 || answer.text() == "1",
        "the session kept {} bytes of replies",
        answer.body.len()
    );
}

#[tokio::test]
async fn deep_nesting_passes_as_text_and_an_oversized_ack_id_or_a_namespace_flood_stays_contained()
{
    let addr = server(100).await;
    // 100,000 nested arrays in an event's arguments: arguments stay raw text, which is checked
    // without recursion, so the echo comes back whole and the connection goes on.
    let mut ws = joined(addr).await;
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    ws.send(&format!(r#"42["message",{nested}]"#))
        .await
        .unwrap();
    assert_eq!(
        ws.next_text().await.unwrap(),
        format!(r#"42["message-back",{nested}]"#)
    );
    ws.send(r#"42["message","after"]"#).await.unwrap();
    assert_eq!(
        ws.next_text().await.unwrap(),
        r#"42["message-back","after"]"#
    );
    // An ack id past 64 bits.
    let mut ws = joined(addr).await;
    ws.send(r#"4299999999999999999999999["message"]"#)
        .await
        .unwrap();
    ws.expect_closed(WITHIN).await.unwrap();
    // Many unknown namespaces: one refusal each, then a known one still works on the same connection.
    let mut ws = WsClient::open(addr, "").await.unwrap();
    ws.handshake().await.unwrap();
    for i in 0..200 {
        ws.send(&format!("40/nope{i},")).await.unwrap();
        assert_eq!(
            ws.next_text().await.unwrap(),
            format!(r#"44/nope{i},{{"message":"Invalid namespace"}}"#)
        );
    }
    ws.send("40").await.unwrap();
    assert!(ws.next_text().await.unwrap().starts_with("40{"));
    // Other connections were never affected.
    let mut other = joined(addr).await;
    other.send(r#"42["message","ok"]"#).await.unwrap();
    assert_eq!(
        other.next_text().await.unwrap(),
        r#"42["message-back","ok"]"#
    );
}
