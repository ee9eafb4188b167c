//! Behaviour of the Socket.IO layer through real (detached) Engine.IO sockets: what a client sends goes
//! in through the `EngineHandler` calls, and what the server sends is read from the socket's queue.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::value::RawValue;
use tokio::sync::Notify;

use super::*;
use crate::transport::{
    CloseReason, EngineConnection, EngineHandler, Incoming, Message, Outbox, RequestInfo,
};

/// A client as the server sees it, minus the network.
struct Client {
    server: SocketIo,
    engine: EngineConnection,
    connection: Connection,
    rx: Outbox,
}

impl Client {
    fn open(server: &SocketIo) -> Self {
        let request = RequestInfo {
            headers: Default::default(),
            query: String::new(),
            remote_addr: None,
        };
        let (engine, rx) = EngineConnection::detached("eio-sid", request, 64);
        let connection = server.on_open(engine.clone());
        Self {
            server: server.clone(),
            engine,
            connection,
            rx,
        }
    }

    fn send(&self, text: &str) {
        self.server
            .on_message(&self.connection, Incoming::Text(text.to_owned()));
    }

    fn send_binary(&self, data: &'static [u8]) {
        self.server
            .on_message(&self.connection, Incoming::Binary(Bytes::from_static(data)));
    }

    async fn next(&mut self) -> Message {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .expect("no frame within 5 s")
    }

    async fn next_text(&mut self) -> String {
        match self.next().await {
            Message::Text(text) => text.to_string(),
            Message::Binary(data) => panic!("expected text, got {} bytes", data.len()),
        }
    }

    /// Connects to `namespace` and returns the socket id from the reply.
    async fn connect(&mut self, packet: &str) -> String {
        self.send(packet);
        let reply = self.next_text().await;
        assert!(reply.starts_with('0'), "{reply}");
        let json = &reply[reply.find('{').unwrap()..];
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            value.as_object().unwrap().len(),
            1,
            "the reply holds only the sid: {reply}"
        );
        value["sid"].as_str().unwrap().to_owned()
    }

    async fn nothing_queued(&mut self) -> bool {
        tokio::task::yield_now().await;
        self.rx.try_recv().is_none()
    }
}

/// Records every call; answers `echo` and acks like the conformance handler; refuses when told.
#[derive(Clone, Default)]
struct Recorder {
    log: Arc<Mutex<Vec<String>>>,
    refuse: bool,
    /// When set, the connect hook waits for this before accepting.
    gate: Option<Arc<Notify>>,
    sockets: Arc<Mutex<Vec<Socket>>>,
}

impl Recorder {
    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl NamespaceHandler for Recorder {
    fn on_connect(
        &self,
        socket: Socket,
        auth: Box<RawValue>,
    ) -> BoxFuture<Result<(), ConnectError>> {
        let this = self.clone();
        Box::pin(async move {
            this.log
                .lock()
                .unwrap()
                .push(format!("connect {}", auth.get()));
            if let Some(gate) = &this.gate {
                gate.notified().await;
            }
            if this.refuse {
                let data = RawValue::from_string(r#"{"code":"auth.required"}"#.to_owned()).unwrap();
                return Err(ConnectError::new("not authorized").with_data(data));
            }
            this.sockets.lock().unwrap().push(socket);
            Ok(())
        })
    }

    fn on_event(&self, socket: &Socket, event: Event) {
        self.log.lock().unwrap().push(format!(
            "event {} {} {}",
            event.name,
            event.args.as_json(),
            event.binaries.len()
        ));
        match event.ack {
            Some(ack) => ack.send_binary(&event.args, &event.binaries).unwrap(),
            None if event.name == "echo" => socket
                .emit_binary("echo-back", &event.args, &event.binaries)
                .unwrap(),
            None => {}
        }
    }

    fn on_disconnect(&self, _socket: &Socket, reason: DisconnectReason) {
        self.log
            .lock()
            .unwrap()
            .push(format!("disconnect {}", reason.as_str()));
    }
}

fn server_with(handler: Recorder) -> SocketIo {
    SocketIo::builder()
        .namespace("/", handler.clone())
        .namespace("/custom", handler)
        .build()
}

#[tokio::test]
async fn conformance_connect_sends_reply_then_auth() {
    let server = conformance_server();
    let mut client = Client::open(&server);
    let sid = client.connect("0").await;
    assert_eq!(sid.len(), 20);
    assert_ne!(
        sid,
        client.engine.id(),
        "the socket id is never the Engine.IO id"
    );
    assert_eq!(client.next_text().await, r#"2["auth",{}]"#);

    client.connect(r#"0/custom,{"token":"abc"}"#).await;
    assert_eq!(
        client.next_text().await,
        r#"2/custom,["auth",{"token":"abc"}]"#
    );
}

#[tokio::test]
async fn conformance_echoes_events_binaries_and_acks() {
    let server = conformance_server();
    let mut client = Client::open(&server);
    client.connect(r#"0{"token":"123"}"#).await;
    assert_eq!(client.next_text().await, r#"2["auth",{"token":"123"}]"#);

    client.send(r#"2["message",1,"2",{"3":[true]}]"#);
    assert_eq!(
        client.next_text().await,
        r#"2["message-back",1,"2",{"3":[true]}]"#
    );

    client.send(r#"52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#);
    client.send_binary(&[1, 2, 3]);
    client.send_binary(&[4, 5, 6]);
    assert_eq!(
        client.next_text().await,
        r#"52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
    );
    assert_eq!(
        client.next().await,
        Message::Binary(Bytes::from_static(&[1, 2, 3]))
    );
    assert_eq!(
        client.next().await,
        Message::Binary(Bytes::from_static(&[4, 5, 6]))
    );

    client.send(r#"2456["message-with-ack",1,"2",{"3":[false]}]"#);
    assert_eq!(client.next_text().await, r#"3456[1,"2",{"3":[false]}]"#);

    client.send(
        r#"52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    );
    client.send_binary(&[1, 2, 3]);
    client.send_binary(&[4, 5, 6]);
    assert_eq!(
        client.next_text().await,
        r#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
    );
    assert_eq!(
        client.next().await,
        Message::Binary(Bytes::from_static(&[1, 2, 3]))
    );
    assert!(!client.engine.is_closed());
}

#[tokio::test]
async fn unknown_namespace_is_refused_with_node_text() {
    let server = conformance_server();
    let mut client = Client::open(&server);
    client.send("0/random");
    assert_eq!(
        client.next_text().await,
        r#"4/random,{"message":"Invalid namespace"}"#
    );
    assert!(!client.engine.is_closed());
}

#[tokio::test]
async fn malformed_packets_close_the_connection() {
    for (connect_first, bad) in [
        (false, "4abc"),
        (true, "4abc"),
        (true, "2{}"),
        (true, r#"2abc["message"]"#),
        (true, "9"),
        (true, r#"2["disconnect"]"#),
    ] {
        let server = conformance_server();
        let mut client = Client::open(&server);
        if connect_first {
            client.connect("0").await;
        }
        client.send(bad);
        assert!(
            client.engine.is_closed(),
            "{bad} should close the connection"
        );
    }
}

#[tokio::test]
async fn invalid_sequences_close_the_connection() {
    let server = conformance_server();
    for sequence in [
        &[r#"2["message"]"#][..],
        &["0", "0"],
        &["0", r#"4{"message":"x"}"#],
        &["0", "1/custom"],
    ] {
        let client = Client::open(&server);
        for packet in sequence {
            client.send(packet);
            tokio::task::yield_now().await;
        }
        assert!(client.engine.is_closed(), "{sequence:?}");
    }
    let mut client = Client::open(&server);
    client.connect("0").await;
    client.send_binary(&[1]);
    assert!(
        client.engine.is_closed(),
        "a stray binary closes the connection"
    );
}

#[tokio::test]
async fn client_disconnect_leaves_namespace_and_keeps_connection() {
    let handler = Recorder::default();
    let server = server_with(handler.clone());
    let mut client = Client::open(&server);
    client.connect("0").await;
    client.connect("0/custom").await;
    client.send("1/custom");
    client.send("1");
    assert!(
        !client.engine.is_closed(),
        "Engine.IO stays open after the last namespace leaves"
    );
    assert_eq!(
        handler
            .log()
            .iter()
            .filter(|l| *l == "disconnect client namespace disconnect")
            .count(),
        2
    );
    assert_eq!(server.of("/").unwrap().len(), 0);
    // Rejoining works and events flow again.
    client.connect("0").await;
    client.send(r#"2["echo","again"]"#);
    assert_eq!(client.next_text().await, r#"2["echo-back","again"]"#);
}

#[tokio::test]
async fn connect_hook_refusal_sends_connect_error_with_data() {
    let handler = Recorder {
        refuse: true,
        ..Recorder::default()
    };
    let server = server_with(handler.clone());
    let mut client = Client::open(&server);
    client.send(r#"0/custom,{"token":"bad"}"#);
    assert_eq!(
        client.next_text().await,
        r#"4/custom,{"message":"not authorized","data":{"code":"auth.required"}}"#
    );
    assert_eq!(
        handler.log(),
        vec![r#"connect {"token":"bad"}"#.to_owned()],
        "a refused socket is never disconnected"
    );
    assert_eq!(server.of("/custom").unwrap().len(), 0);
    client.send(r#"2/custom,["echo"]"#);
    assert!(
        client.engine.is_closed(),
        "events for a refused namespace close the connection"
    );
}

#[tokio::test]
async fn emits_during_the_connect_hook_follow_the_reply() {
    let gate = Arc::new(Notify::new());
    let handler = Recorder {
        gate: Some(gate.clone()),
        ..Recorder::default()
    };
    let server = server_with(handler.clone());
    let mut client = Client::open(&server);
    client.send("0");
    tokio::task::yield_now().await;
    // The socket is connecting: a broadcast now must wait for the CONNECT reply.
    let out = server
        .of("/")
        .unwrap()
        .broadcast()
        .emit("early", &Args::empty());
    assert_eq!(out.sent, 1);
    assert!(client.nothing_queued().await);
    gate.notify_one();
    assert!(client.next_text().await.starts_with(r#"0{"sid":"#));
    assert_eq!(client.next_text().await, r#"2["early"]"#);
}

#[tokio::test(start_paused = true)]
async fn connect_timeout_closes_idle_connections_only() {
    let server = SocketIo::builder()
        .connect_timeout(Duration::from_secs(1))
        .namespace("/", Recorder::default())
        .build();
    let idle = Client::open(&server);
    let mut joined = Client::open(&server);
    joined.connect("0").await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(!idle.engine.is_closed());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        idle.engine.is_closed(),
        "no CONNECT within connectTimeout closes the connection"
    );
    assert!(!joined.engine.is_closed());
}

#[tokio::test(start_paused = true)]
async fn server_acks_round_trip_and_time_out() {
    let handler = Recorder::default();
    let server = server_with(handler.clone());
    let mut client = Client::open(&server);
    client.connect("0/custom,").await;
    let socket = handler.sockets.lock().unwrap()[0].clone();

    let asking = socket.clone();
    let request = tokio::spawn(async move {
        asking
            .emit_with_ack(
                "question",
                &Args::from_json("[1]").unwrap(),
                &[],
                Duration::from_secs(1),
            )
            .await
    });
    assert_eq!(client.next_text().await, r#"2/custom,0["question",1]"#);
    client.send(r#"61-/custom,0[{"_placeholder":true,"num":0}]"#);
    client.send_binary(&[9]);
    let reply = request.await.unwrap().unwrap();
    assert_eq!(reply.args.as_json(), r#"[{"_placeholder":true,"num":0}]"#);
    assert_eq!(reply.binaries, vec![Bytes::from_static(&[9])]);

    let waited = socket
        .emit_with_ack("question", &Args::empty(), &[], Duration::from_secs(1))
        .await;
    assert_eq!(waited, Err(AckError::Timeout));
    assert_eq!(
        client.next_text().await,
        r#"2/custom,1["question"]"#,
        "ids count up per socket"
    );
    // A late answer to a timed-out request is ignored.
    client.send("3/custom,1[]");
    assert!(!client.engine.is_closed());
}

#[tokio::test]
async fn server_disconnect_and_connection_close_reach_the_handler_once() {
    let handler = Recorder::default();
    let server = server_with(handler.clone());
    let mut client = Client::open(&server);
    client.connect("0").await;
    client.connect("0/custom").await;
    let custom = handler
        .sockets
        .lock()
        .unwrap()
        .iter()
        .find(|s| s.namespace() == "/custom")
        .cloned()
        .unwrap();
    custom.disconnect();
    assert_eq!(client.next_text().await, "1/custom,");
    custom.disconnect();
    server.on_close(&client.connection, CloseReason::ClientClose);
    let log = handler.log();
    assert!(
        log.contains(&"disconnect server namespace disconnect".to_owned()),
        "{log:?}"
    );
    assert!(
        log.contains(&"disconnect transport close".to_owned()),
        "{log:?}"
    );
    assert_eq!(
        log.iter().filter(|l| l.starts_with("disconnect")).count(),
        2,
        "{log:?}"
    );
    assert!(server.of("/").unwrap().is_empty());
    assert_eq!(
        custom.emit("x", &Args::empty()),
        Err(EmitError::Disconnected)
    );
}

#[tokio::test]
async fn broadcasts_are_deduplicated_excepted_and_encoded_once() {
    let handler = Recorder::default();
    let server = server_with(handler.clone());
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut client = Client::open(&server);
        client.connect("0").await;
        clients.push(client);
    }
    let sockets = handler.sockets.lock().unwrap().clone();
    sockets[0].join("a");
    sockets[0].join("b");
    sockets[1].join("b");
    sockets[2].join("b");
    let namespace = server.of("/").unwrap();
    let out = namespace
        .to("a")
        .to("b")
        .except(sockets[2].id().to_owned())
        .emit("news", &Args::from_json("[1]").unwrap());
    assert_eq!((out.sent, out.failed), (2, 0));

    let mut pointers = Vec::new();
    for client in &mut clients[..2] {
        let Message::Text(text) = client.next().await else {
            panic!("expected text")
        };
        assert_eq!(&*text, r#"2["news",1]"#);
        pointers.push(text.as_ptr());
        assert!(client.nothing_queued().await, "received once");
    }
    assert_eq!(
        pointers[0], pointers[1],
        "one encoding shared by every recipient"
    );
    assert!(clients[2].nothing_queued().await, "excepted");

    // `socket.to(room)` leaves the sender out.
    sockets[1].to("b").emit("from-1", &Args::empty());
    assert_eq!(clients[0].next_text().await, r#"2["from-1"]"#);
    assert_eq!(clients[2].next_text().await, r#"2["from-1"]"#);
    assert!(clients[1].nothing_queued().await);
    let mut rooms: Vec<String> = sockets[0].rooms().iter().map(|r| r.to_string()).collect();
    rooms.sort();
    let mut expected = vec!["a".to_owned(), "b".to_owned(), sockets[0].id().to_owned()];
    expected.sort();
    assert_eq!(rooms, expected);
    assert_eq!(
        namespace.socket(sockets[1].id()).unwrap().id(),
        sockets[1].id()
    );
}

#[tokio::test]
async fn slow_consumers_are_closed_or_skipped_when_volatile() {
    let handler = Recorder::default();
    let server = server_with(handler.clone());
    let mut client = Client::open(&server);
    client.connect("0").await;
    let namespace = server.of("/").unwrap();
    // The detached queue holds 64 messages; volatile sends beyond that are dropped and counted.
    for _ in 0..70 {
        namespace
            .broadcast()
            .volatile()
            .emit("tick", &Args::empty());
    }
    assert_eq!(namespace.stats().dropped, 6);
    assert!(!client.engine.is_closed());
    namespace.broadcast().emit("must-arrive", &Args::empty());
    assert!(
        client.engine.is_closed(),
        "a full queue closes a slow consumer"
    );
    assert_eq!(namespace.stats().failed, 1);
}
