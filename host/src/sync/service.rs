//! [`SyncService`]: the pipeline every sync goes through, whichever transport carried it.
//!
//! `prepare` runs the checks in a fixed order and the server stage; its result is what the sender is
//! acknowledged with. `fan_out` (in `fanout.rs`) then delivers to the room. The order matters and is
//! the same for sockets and HTTP: route lookup (one version pinned) → auth predicates → receiver
//! policy → rate limit → input conversion (depth; size is checked by the runtime against the
//! plugin's own limit) → server stage. Unauthenticated probes are refused before they cost a budget.
//! In a room that fits one client batch, the server stage's worker job goes on with the client stage
//! (`follow_up`), and the fan-out only sends what it decided.

use std::sync::Arc;

use bytes::Bytes;

use super::convert::{ConvertError, json_to_msgpack, msgpack_to_json};
use super::drain::Drain;
use super::envelope::Envelopes;
use super::failure::{Code, Failure};
use super::fanout::{Audience, Recipients};
use super::peer::Caller;
use super::request::SyncRequest;
use super::room_policy::admit;
use super::seams::Seams;
use super::stats::SyncStats;
use crate::config::Config;
use crate::plugin::{ClientBatchCall, Followed, PluginRuntime, Route, ServerCall, SyncCall};
use crate::protocol::NamespaceRooms;
use crate::session::{TokenVerifier, authorize};

/// A sync that passed every check and whose server stage (if any) succeeded.
pub struct Prepared {
    /// The calls on the pinned route version.
    pub call: SyncCall,
    /// The client input as MessagePack.
    pub input: Bytes,
    /// The server output as MessagePack; `None` for client-only syncs.
    pub server_output: Option<Bytes>,
    /// The same output as JSON, for the ack and the recipients.
    pub server_json: Option<String>,
    /// The client stage, when it ran in the server stage's worker job (a small room).
    pub(super) early: Option<Followed<Recipients>>,
}

/// What a [`SyncService`] is built on.
pub struct Parts {
    /// The plugin runtime running the stages.
    pub runtime: Arc<PluginRuntime>,
    /// Verifies session tokens.
    pub verifier: TokenVerifier,
    /// Writes (and translates) every answer.
    pub envelopes: Envelopes,
    /// The rooms of the namespace syncs are delivered in.
    pub namespace: NamespaceRooms,
    /// What is shared with other nodes.
    pub seams: Seams,
}

/// The sync pipeline and the state it keeps (rate windows, remembered rooms).
pub struct SyncService {
    pub(super) runtime: Arc<PluginRuntime>,
    pub(super) namespace: NamespaceRooms,
    pub(super) verifier: TokenVerifier,
    pub(super) envelopes: Envelopes,
    pub(super) seams: Seams,
    pub(super) stats: SyncStats,
    /// The room policies members were last checked against (see `enforce_room_policies`).
    pub(super) enforced: std::sync::Mutex<crate::config::RoomsSection>,
    pub(super) drain: Arc<Drain>,
}

impl SyncService {
    /// A pipeline on `parts`, delivering into its namespace's rooms from the first sync on.
    pub fn new(parts: Parts) -> Self {
        let Parts {
            runtime,
            verifier,
            envelopes,
            namespace,
            seams,
        } = parts;
        let enforced = std::sync::Mutex::new(runtime.config().rooms.clone());
        Self {
            enforced,
            runtime,
            namespace,
            verifier,
            envelopes,
            seams,
            stats: SyncStats::default(),
            drain: Arc::default(),
        }
    }

    /// The configuration in force (it changes when the config file does).
    pub fn config(&self) -> Arc<Config> {
        self.runtime.config()
    }

    /// The envelope builder.
    pub fn envelopes(&self) -> &Envelopes {
        &self.envelopes
    }

    /// The token verifier.
    pub fn verifier(&self) -> &TokenVerifier {
        &self.verifier
    }

    /// The cluster bus's totals, for `/metrics`.
    pub fn bus_stats(&self) -> &crate::sync::BusStats {
        self.seams.bus.stats()
    }

    /// Rate checks answered by this node's own windows while the shared ones were unreachable.
    pub fn rate_fallbacks(&self) -> u64 {
        self.seams.rates.fallbacks()
    }

    /// Plugins' room queries that failed because the cluster's members could not be read.
    pub fn presence_failures(&self) -> u64 {
        self.seams.presence.failures()
    }

    /// Accepted requests not finished yet, and whether new ones are accepted (graceful shutdown).
    pub fn drain(&self) -> &Arc<Drain> {
        &self.drain
    }

    /// Counters for `/metrics`.
    pub fn stats(&self) -> &SyncStats {
        &self.stats
    }

    /// Runs every check and the server stage.
    ///
    /// # Errors
    /// The [`Failure`] of the first step that refused.
    pub async fn prepare(
        &self,
        caller: &Caller,
        request: &SyncRequest,
    ) -> Result<Prepared, Failure> {
        let result = self.prepare_inner(caller, request).await;
        self.stats.record_prepare(result.is_ok());
        result
    }

    async fn prepare_inner(
        &self,
        caller: &Caller,
        request: &SyncRequest,
    ) -> Result<Prepared, Failure> {
        let config = self.config();
        let key = &request.name.key;
        let route = self.runtime.route(key).ok_or_else(|| {
            let name = request.name.full_name();
            match self.runtime.unavailable(key) {
                Some(refused) => Failure::new(Code::RouteUnavailable)
                    .text("name", name)
                    .text("stage", refused.stage.as_str()),
                None => Failure::new(Code::NotFound).text("name", name),
            }
        })?;
        // The server stage governs auth and rate when there is one; client-only syncs use the
        // client stage's.
        let Some(governing) = route.server().or_else(|| route.client()) else {
            return Err(Failure::new(Code::NotFound).text("name", request.name.full_name()));
        };
        authorize(&governing.metadata().auth, caller.peer.session.as_deref())
            .map_err(|failure| Failure::auth(&failure))?;
        self.check_receiver(caller, &request.receiver, &config)?;
        self.seams
            .rates
            .check(
                &request.name.full_name(),
                caller.peer.identity(),
                governing.limits().rate_limit_per_minute,
            )
            .map_err(|seconds| {
                Failure::new(Code::RateLimitExceeded)
                    .number("seconds", i64::try_from(seconds).unwrap_or(i64::MAX))
            })?;
        let input =
            json_to_msgpack(request.data.get(), config.sync.max_input_depth).map_err(|error| {
                match error {
                    ConvertError::TooDeep(depth) => Failure::new(Code::InputTooDeep)
                        .number("maxDepth", i64::try_from(depth).unwrap_or(i64::MAX)),
                    ConvertError::Invalid(_) => {
                        Failure::new(Code::InvalidRequest).text("field", "data")
                    }
                }
            })?;
        let call = self.runtime.begin(route.clone());
        let mut early = None;
        let (server_output, server_json) = if route.server().is_some() {
            let server_call = ServerCall {
                input: input.clone(),
                caller: caller.peer.session.as_deref().cloned(),
                room: request.receiver.clone(),
            };
            let output = match self.follow_up(&route, caller, request, &input) {
                Some(then) => call
                    .server_then_clients(server_call, then)
                    .await
                    .map(|(output, followed)| {
                        early = Some(followed);
                        output
                    }),
                None => call.server(server_call).await,
            }
            .map_err(|error| {
                    if let crate::plugin::StageError::Failed(failure) = &error {
                        tracing::warn!(route = %key, code = %failure.code, detail = %failure.detail, "server stage failed");
                    }
                    Failure::stage(error)
                })?;
            let json = msgpack_to_json(&output).map_err(|error| {
                tracing::warn!(route = %key, %error, "server output is not representable as JSON");
                Failure::new(Code::InvalidServerResponse)
            })?;
            (Some(output), Some(json))
        } else {
            (None, None)
        };
        Ok(Prepared {
            call,
            input,
            server_output,
            server_json,
            early,
        })
    }

    /// For a room that fits one client batch, what the server stage's worker job does next: read
    /// the recipients (then, not before the server stage) and hand over their batch, so the sync
    /// crosses to the workers once. `None` for bigger rooms, `all` and routes without a client
    /// stage: there the sender is answered before the client stage runs.
    fn follow_up(
        &self,
        route: &Route,
        caller: &Caller,
        request: &SyncRequest,
        input: &Bytes,
    ) -> Option<impl FnOnce(&Bytes) -> (ClientBatchCall, Recipients) + Send + 'static> {
        let batch_size = route.client()?.limits().client_batch_size;
        let room = &request.receiver;
        let small = usize::try_from(batch_size)
            .is_ok_and(|batch_size| self.namespace.room_size(room) <= batch_size);
        if room == "all" || !small {
            return None;
        }
        let (namespace, audience) = (self.namespace.clone(), Audience::of(caller, request));
        let input = input.clone();
        Some(move |output: &Bytes| {
            let recipients = audience.recipients(&namespace);
            let batch = recipients.batch(input, Some(output.clone()), audience.room);
            (batch, recipients)
        })
    }

    /// The receiver policy: `all` only when allowed; otherwise the sender must be in the room (its
    /// socket for socket syncs, its remembered rooms for HTTP), unless the operator turned that off.
    fn check_receiver(&self, caller: &Caller, room: &str, config: &Config) -> Result<(), Failure> {
        if room == "all" {
            return if config.sync.allow_receiver_all {
                Ok(())
            } else {
                Err(Failure::new(Code::ReceiverNotAllowed))
            };
        }
        if !config.sync.require_membership {
            return Ok(());
        }
        let member = match &caller.socket {
            Some(socket) => socket.in_room(room),
            None => match caller.peer.user_id() {
                // A remembered room whose policy no longer admits the user is not a membership.
                Some(_) if admit(&config.rooms, room, caller.peer.session.as_deref()).is_err() => {
                    false
                }
                Some(user) => self.seams.memory.contains(user, room).map_err(|error| {
                    tracing::warn!(%error, "remembered rooms unavailable");
                    Failure::new(Code::StateUnavailable)
                })?,
                None => false,
            },
        };
        if member {
            Ok(())
        } else {
            Err(Failure::new(Code::NotRoomMember).text("room", room))
        }
    }
}
