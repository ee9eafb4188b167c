//! Delivery of one prepared sync to the members of its room.
//!
//! Recipients are the room's sockets (every socket for `all`), minus the sender's own when
//! `ignoreSelf`. Without a client stage every recipient gets the same frame, encoded once. With one,
//! the client stage runs once for all recipients (the runtime batches them), each seeing its own
//! session; frames are then encoded once per distinct client output (`frames.rs`), and an error in
//! one recipient's stage becomes an error frame for that recipient only, in that recipient's language.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;

use super::bus::{BusStats, WIRE_VERSION, WireSync};
use super::convert::msgpack_to_json;
use super::envelope::FrameNames;
use super::failure::{Code, Failure};
use super::frames::{Built, Frames, Planned};
use super::name::SyncName;
use super::peer::{Caller, Peer};
use super::request::SyncRequest;
use super::service::{Prepared, SyncService};
use crate::plugin::{ClientBatchCall, Followed, RecipientOutcome, RouteKey, StageError, SyncCall};
use crate::protocol::{Broadcast, NamespaceRooms, Socket};
use crate::transport::Message;

/// What one fan-out did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Recipients whose queue took a success frame.
    pub delivered: u64,
    /// Recipients the client stage skipped.
    pub skipped: u64,
    /// Recipients that got an error frame.
    pub errors: u64,
}

/// Who a fan-out on this node delivers to: the room's members here, minus the sender's own
/// connections when it asked for `ignoreSelf`. Owned, so it can go to a plugin worker with the sync.
#[derive(Debug, Clone)]
pub(super) struct Audience {
    /// The room (`all` for every connection).
    pub room: String,
    /// The sending connection, left out.
    pub except_socket: Option<String>,
    /// The signed-in sender, all of whose connections are left out.
    pub except_user: Option<String>,
}

impl Audience {
    /// The audience of a sync sent by `caller`.
    pub fn of(caller: &Caller, request: &SyncRequest) -> Self {
        let ignore = |id: Option<&str>| id.filter(|_| request.ignore_self).map(str::to_owned);
        Self {
            room: request.receiver.clone(),
            except_socket: ignore(caller.socket.as_ref().map(Socket::id)),
            except_user: ignore(caller.peer.user_id()),
        }
    }

    /// The other connections of a signed-in sender can only be told apart one by one.
    fn per_socket(&self) -> bool {
        self.except_user.is_some()
    }

    fn excludes(&self, socket: &Socket) -> bool {
        self.except_socket.as_deref() == Some(socket.id())
            || self.except_user.as_deref().is_some_and(|user| {
                Peer::current(socket).is_some_and(|peer| peer.user_id() == Some(user))
            })
    }

    /// Who is in the audience now, on this node.
    fn targets(&self, namespace: &NamespaceRooms) -> Broadcast {
        let mut targets = if self.room == "all" {
            namespace.broadcast()
        } else {
            namespace.to(self.room.clone())
        };
        if let Some(own) = &self.except_socket {
            targets = targets.except(own.clone());
        }
        targets
    }

    /// The audience's sockets on this node, as they are now.
    fn sockets(&self, namespace: &NamespaceRooms) -> Vec<Socket> {
        let mut sockets = self.targets(namespace).sockets();
        if self.per_socket() {
            sockets.retain(|socket| !self.excludes(socket));
        }
        sockets
    }

    /// The members the client stage runs for, each with its peer, as they are now.
    pub fn recipients(&self, namespace: &NamespaceRooms) -> Recipients {
        let sockets = self.sockets(namespace);
        // Shared with the sockets: a recipient's session is counted, never copied.
        let peers = sockets.iter().map(Peer::current).collect();
        Recipients { sockets, peers }
    }
}

/// The recipients of one fan-out with a client stage.
pub(super) struct Recipients {
    sockets: Vec<Socket>,
    peers: Vec<Option<Arc<Peer>>>,
}

impl Recipients {
    /// The client stage's batch for these recipients.
    pub fn batch(
        &self,
        input: Bytes,
        server_output: Option<Bytes>,
        room: String,
    ) -> ClientBatchCall {
        // A recipient whose session ended is anonymous here, even before the sweep ends it.
        let now = super::expiry::now_s();
        ClientBatchCall {
            input,
            server_output,
            room,
            recipients: self
                .peers
                .iter()
                .map(|peer| peer.as_ref().and_then(|peer| peer.live_session(now)))
                .collect(),
        }
    }
}

/// A prepared sync as the fan-out on one node uses it (the sender's node, or another one).
pub(super) struct Delivery<'a> {
    pub key: &'a RouteKey,
    pub audience: Audience,
    pub call: SyncCall,
    pub input: Bytes,
    pub server_output: Option<Bytes>,
    pub server_json: Option<&'a str>,
    /// The client stage, when it already ran with the server stage.
    pub early: Option<Followed<Recipients>>,
}

impl SyncService {
    /// Delivers `prepared` to the room of `request`: to this node's members, and through the bus to
    /// the other nodes' (which run the client stage for their own members).
    pub async fn fan_out(
        &self,
        caller: &Caller,
        request: &SyncRequest,
        prepared: Prepared,
    ) -> Delivered {
        let Prepared {
            call,
            input,
            server_output,
            server_json,
            early,
        } = prepared;
        self.publish_to_peers(caller, request, &call, &input, server_output.as_deref());
        self.deliver_here(Delivery {
            key: &request.name.key,
            audience: Audience::of(caller, request),
            call,
            input,
            server_output,
            server_json: server_json.as_deref(),
            early,
        })
        .await
    }

    /// Delivers to the members of the room on this node.
    pub(super) async fn deliver_here(&self, delivery: Delivery<'_>) -> Delivered {
        let Delivery {
            key,
            audience,
            call,
            input,
            server_output,
            server_json,
            early,
        } = delivery;
        let namespace = &self.namespace;
        let per_socket = audience.per_socket();
        let names = FrameNames::new(&SyncName { key: key.clone() });
        let frames = Frames {
            namespace: namespace.name(),
            names: &names,
            server_json,
            envelopes: &self.envelopes,
        };
        let plain = call.route().client().is_none();
        if plain && !per_socket {
            // One frame for the whole room, through the rooms' own encode-once fan-out.
            let fan_out = audience
                .targets(namespace)
                .send_frames(std::slice::from_ref(&frames.plain_success()));
            let delivered = Delivered {
                delivered: fan_out.sent,
                ..Delivered::default()
            };
            self.stats.record_fan_out(delivered.delivered, 0, 0);
            return delivered;
        }
        let delivered = if plain {
            let frame = frames.plain_success();
            let mut delivered = Delivered::default();
            for socket in &audience.sockets(namespace) {
                count(
                    &mut delivered,
                    socket
                        .send_frames(std::slice::from_ref(&frame), false)
                        .is_ok(),
                );
            }
            delivered
        } else {
            let Followed {
                companion: recipients,
                outcomes,
            } = match early {
                Some(followed) => followed,
                None => {
                    let recipients = audience.recipients(namespace);
                    let batch = recipients.batch(input, server_output, audience.room);
                    Followed {
                        outcomes: call.clients(batch).await,
                        companion: recipients,
                    }
                }
            };
            self.deliver_outcomes(key, &call, &recipients, outcomes, &frames)
        };
        self.stats
            .record_fan_out(delivered.delivered, delivered.skipped, delivered.errors);
        delivered
    }

    /// Hands the prepared sync to the other nodes (nothing when this node is alone); a failure costs
    /// only their members' deliveries and is counted.
    fn publish_to_peers(
        &self,
        caller: &Caller,
        request: &SyncRequest,
        call: &SyncCall,
        input: &[u8],
        server_output: Option<&[u8]>,
    ) {
        let bus = &self.seams.bus;
        if !bus.has_peers() {
            return;
        }
        let route = call.route();
        let key = &request.name.key;
        let wire = WireSync {
            format: WIRE_VERSION,
            page: key.page.clone(),
            name: key.name.clone(),
            version: key.version,
            server_hash: route.server().map(|stage| stage.hash().to_owned()),
            client_hash: route.client().map(|stage| stage.hash().to_owned()),
            input: input.to_vec(),
            server_output: server_output.map(|output| serde_bytes::ByteBuf::from(output.to_vec())),
            room: request.receiver.clone(),
            sender_socket: caller.socket.as_ref().map(|socket| socket.id().to_owned()),
            sender_user: caller.peer.user_id().map(str::to_owned),
            ignore_self: request.ignore_self,
            language: caller.peer.language.clone(),
        };
        let published = wire
            .encode()
            .map_err(|error| error.to_string())
            .and_then(|bytes| bus.publish(bytes).map_err(|error| error.to_string()));
        if let Err(error) = published {
            tracing::warn!(route = %key, %error, "sync not handed to the other nodes");
            BusStats::count(&bus.stats().dropped);
        }
    }

    /// Delivers what the client stage decided for each recipient.
    fn deliver_outcomes(
        &self,
        key: &RouteKey,
        call: &SyncCall,
        recipients: &Recipients,
        outcomes: Result<Vec<RecipientOutcome>, StageError>,
        frames: &Frames<'_>,
    ) -> Delivered {
        let Recipients { sockets, peers } = recipients;
        let mut delivered = Delivered::default();
        let outcomes = match outcomes {
            Ok(outcomes) => outcomes,
            Err(error) => {
                tracing::warn!(route = %key, %error, "client stage failed for the whole room");
                let failure = Failure::stage(error);
                for (socket, peer) in sockets.iter().zip(peers) {
                    let frame = frames.error(&failure, language(peer.as_deref()));
                    let _ = socket.send_frames(frame, false);
                    delivered.errors += 1;
                }
                return delivered;
            }
        };
        // Each distinct frame is built once, in one allocation, from a template of the rest; its last
        // recipient gets it moved in, the others share it.
        let template = frames.success_template();
        let mut built = Built::default();
        let mut plain: Option<usize> = None;
        let mut by_output: HashMap<Bytes, usize> = HashMap::new();
        let plan: Vec<Planned> = outcomes
            .into_iter()
            .zip(peers)
            .map(|(outcome, peer)| {
                let language = language(peer.as_deref());
                let error = |failure: &Failure| Planned::Error(frames.error(failure, language));
                match outcome {
                    RecipientOutcome::Skip => Planned::Skip,
                    RecipientOutcome::DeliverPlain => Planned::Frame(match plain {
                        Some(index) => built.share(index),
                        None => *plain.insert(built.add(template.fill("null"))),
                    }),
                    RecipientOutcome::Deliver(output) => match by_output.get(&output) {
                        Some(&index) => Planned::Frame(built.share(index)),
                        None => match msgpack_to_json(&output) {
                            Ok(json)
                                if !call
                                    .fan_out_budget()
                                    .take_frame(json.len().saturating_sub(output.len())) =>
                            {
                                error(&Failure::plugin(&call.fan_out_budget().refuse()))
                            }
                            Ok(json) => {
                                let index = built.add(template.fill(&json));
                                by_output.insert(output, index);
                                Planned::Frame(index)
                            }
                            Err(problem) => {
                                tracing::warn!(route = %key, error = %problem, "client output is not representable as JSON");
                                error(&Failure::new(Code::InvalidClientResponse))
                            }
                        },
                    },
                    RecipientOutcome::Refused(refusal) => error(&Failure::refused(refusal)),
                    RecipientOutcome::Failed(failure) => {
                        tracing::warn!(route = %key, code = %failure.code, detail = %failure.detail, "client stage failed for one recipient");
                        error(&Failure::plugin(&failure))
                    }
                }
            })
            .collect();
        for (socket, planned) in sockets.iter().zip(plan) {
            match planned {
                Planned::Skip => delivered.skipped += 1,
                Planned::Error(frame) => send_error(socket, frame, &mut delivered),
                Planned::Frame(index) => count(&mut delivered, built.send(index, socket)),
            }
        }
        delivered
    }
}

/// The language a recipient's messages are written in (the default when unknown).
fn language(peer: Option<&Peer>) -> &str {
    peer.map_or("", |peer| peer.language.as_str())
}

fn count(delivered: &mut Delivered, queued: bool) {
    if queued {
        delivered.delivered += 1;
    }
}

fn send_error(socket: &Socket, frame: Vec<Message>, delivered: &mut Delivered) {
    let _ = socket.send_frames(frame, false);
    delivered.errors += 1;
}
