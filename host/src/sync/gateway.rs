//! The sync pipeline's Socket.IO entry: the handler of the `/` namespace.
//!
//! At CONNECT it verifies the token (from the `auth` payload, a Bearer header or the session cookie),
//! attaches the [`Peer`] and rejoins the user's remembered rooms; a bad or expired token refuses the
//! connection with a CONNECT_ERROR whose `data` is the error envelope. Then it routes `sync` and the
//! room events; every other event is ignored. Both run on the connection's lane, one after another
//! in arrival order, off the connection's own task, so two syncs of one sender never overtake each
//! other. A full lane asks the transport to stop reading the connection until a place frees up
//! (`ready`), so a fast sender is slowed down rather than refused.

use std::sync::Arc;

use axum::http::HeaderName;
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION, COOKIE, HOST, ORIGIN};
use serde_json::value::RawValue;

use super::envelope::{Envelopes, FrameNames};
use super::failure::{Code, Failure};
use super::lane::Lane;
use super::peer::{Caller, Peer, header_token};
use super::reply::Reply;
use super::request::from_frame;
use super::rooms::RoomEvent;
use super::service::SyncService;
use crate::protocol::{BoxFuture, ConnectError, DisconnectReason, Event, NamespaceHandler, Socket};
use crate::session::token_from_auth;

/// The handshake headers `peer_for` reads: the token (Bearer header or cookie) and the language.
/// The transport keeps no others for a connection.
static REQUEST_HEADERS: [HeaderName; 6] = [
    AUTHORIZATION,
    COOKIE,
    ORIGIN,
    HOST,
    HeaderName::from_static("x-language"),
    ACCEPT_LANGUAGE,
];

/// The `/` namespace handler.
#[derive(Clone)]
pub struct SyncGateway {
    service: Arc<SyncService>,
}

impl SyncGateway {
    /// A gateway feeding `service`.
    pub fn new(service: Arc<SyncService>) -> Self {
        Self { service }
    }
}

impl NamespaceHandler for SyncGateway {
    fn request_headers(&self) -> &[HeaderName] {
        &REQUEST_HEADERS
    }

    fn on_connect(
        &self,
        socket: Socket,
        auth: Box<RawValue>,
    ) -> BoxFuture<Result<(), ConnectError>> {
        let service = self.service.clone();
        Box::pin(async move {
            let peer = service.peer_for(&socket, &auth)?;
            service.rejoin(&socket, &peer).await;
            peer.attach(&socket);
            Ok(())
        })
    }

    fn on_event(&self, socket: &Socket, event: Event) {
        let room_event = RoomEvent::from_name(&event.name);
        if event.name != "sync" && event.name != "renew" && room_event.is_none() {
            tracing::debug!(socket = socket.id(), event = %event.name, "event ignored");
            return;
        }
        // Every socket of this namespace got its peer, and with it its lane, at CONNECT.
        let Some(lane) = Peer::current(socket).and_then(|peer| peer.lane.clone()) else {
            return;
        };
        let Some(working) = self.service.drain.enter() else {
            self.service
                .refuse(socket, event, Failure::new(Code::ShuttingDown));
            return;
        };
        let slot = match lane.reserve() {
            Ok(slot) => slot,
            Err(error) => {
                tracing::debug!(socket = socket.id(), %error, "event refused");
                self.service.refuse_busy(socket, event);
                return;
            }
        };
        let (service, own) = (self.service.clone(), socket.clone());
        match room_event {
            None if event.name == "renew" => slot.run(async move {
                let _working = working;
                let items = event.args.raw_items().unwrap_or_default();
                let first = items.first().copied();
                let reply = Reply::new(&own, &event.name, event.ack, first);
                reply.send(&service.renew(&own, first).await);
            }),
            None => slot.run(async move {
                let _working = working;
                service.socket_sync(&own, event).await;
            }),
            Some(room_event) => slot.run(async move {
                let _working = working;
                let items = event.args.raw_items().unwrap_or_default();
                let first = items.first().copied();
                let reply = Reply::new(&own, &event.name, event.ack, first);
                reply.send(&service.room_event(&own, room_event, first).await);
            }),
        }
    }

    fn ready(&self, socket: &Socket) -> Option<crate::transport::Ready> {
        Peer::current(socket)?.lane.as_ref()?.ready()
    }

    fn on_disconnect(&self, socket: &Socket, _reason: DisconnectReason) {
        self.service.seams.presence.disconnected(socket.id());
    }
}

impl SyncService {
    /// Verifies a connecting socket's token and builds its peer.
    fn peer_for(&self, socket: &Socket, auth: &RawValue) -> Result<Peer, ConnectError> {
        let request = socket.request();
        let headers = &request.headers;
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let (x_language, accept) = (header("x-language"), header("accept-language"));
        let config = self.config();
        let refuse = |failure: Failure| {
            let language = self
                .envelopes
                .messages()
                .negotiate(None, x_language, accept);
            let envelope = self.envelopes.error(&failure, &language);
            let refusal = ConnectError::new(self.envelopes.message(&failure, &language));
            match RawValue::from_string(envelope) {
                Ok(data) => refusal.with_data(data),
                Err(_) => refusal,
            }
        };
        let token = match token_from_auth(auth) {
            Some(token) => Some(token),
            None => header_token(headers, &config).map_err(refuse)?,
        };
        let (session, expires_at) = match token
            .map(|token| self.verifier.verify_expiring(&token))
            .transpose()
        {
            Ok(Some((session, expires))) => (Some(Arc::new(session)), Some(expires)),
            Ok(None) => (None, None),
            Err(error) => return Err(refuse(Failure::token(&error))),
        };
        let language = self.envelopes.messages().negotiate(
            session
                .as_deref()
                .and_then(|session| session.language.as_deref()),
            x_language,
            accept,
        );
        Ok(Peer {
            signed_in_as: session
                .as_ref()
                .map(|session| Arc::from(session.id.as_str())),
            session,
            language,
            address: request.remote_addr.map(|addr| addr.ip()),
            lane: Some(Lane::start(config.sync.max_in_flight_per_connection)),
            expires_at,
            granted: Arc::default(),
        })
    }

    /// Answers an event that arrived while the connection's lane was full.
    fn refuse_busy(&self, socket: &Socket, event: Event) {
        let max = self.config().sync.max_in_flight_per_connection;
        let failure = Failure::new(Code::TooManyInFlight)
            .number("max", i64::try_from(max).unwrap_or(i64::MAX));
        self.refuse(socket, event, failure);
    }

    /// Answers an event with `failure` without running it.
    fn refuse(&self, socket: &Socket, event: Event, failure: Failure) {
        self.stats.record_refused();
        let items = event.args.raw_items().unwrap_or_default();
        let reply = Reply::new(socket, &event.name, event.ack, items.first().copied());
        reply.send(&self.envelopes.error(&failure, &Peer::of(socket).language));
    }

    /// One `sync` event: parse, prepare, answer the sender, deliver to the room.
    async fn socket_sync(&self, socket: &Socket, event: Event) {
        let items = event.args.raw_items().unwrap_or_default();
        let first = items.first().copied();
        let reply = Reply::new(socket, "sync", event.ack, first);
        let peer = Peer::of(socket);
        let max_room = self.config().sync.max_room_name_chars;
        let parsed = first
            .ok_or_else(|| Failure::new(Code::InvalidRequest).text("field", "request"))
            .and_then(|frame| from_frame(frame, max_room));
        let request = match parsed {
            Ok(request) => request,
            Err(failure) => {
                self.stats.record_refused();
                let envelope = self.envelopes.error(&failure, &peer.language);
                match reply {
                    // Without any reply channel the error still reaches the sender, on `sync`.
                    Reply::Nothing => Reply::Event {
                        socket: socket.clone(),
                        event: "sync".to_owned(),
                    }
                    .send(&envelope),
                    reply => reply.send(&envelope),
                }
                return;
            }
        };
        let caller = Caller {
            peer,
            socket: Some(socket.clone()),
        };
        match self.prepare(&caller, &request).await {
            Ok(prepared) => {
                reply.send(&Envelopes::success(prepared.server_json.as_deref()));
                self.fan_out(&caller, &request, prepared).await;
            }
            Err(failure) => match reply {
                Reply::Nothing => Reply::Event {
                    socket: socket.clone(),
                    event: "sync".to_owned(),
                }
                .send(&self.envelopes.recipient_error(
                    &FrameNames::new(&request.name),
                    &failure,
                    &caller.peer.language,
                )),
                reply => reply.send(&self.envelopes.error(&failure, &caller.peer.language)),
            },
        }
    }
}
