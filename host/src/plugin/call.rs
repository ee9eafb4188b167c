//! One sync's use of a route: the server call and the batched client calls, on one pinned version.
//!
//! [`SyncCall`] holds the pinned `Arc<Route>` and, for plugins with `instance_policy = "per-request"`,
//! the sync's own instances, so the server call and every client call share one fresh instance.
//! Client recipients are sent in chunks of `client_batch_size`; when a chunk fails, its recipients
//! are retried one at a time on fresh instances so a bad recipient fails only itself. Every result
//! buffer kept is charged to the sync's [`FanOutBudget`]; once it is spent, delivered outcomes
//! become [`ErrorCode::FanOutTooLarge`] (skips and refusals stay what the handler said).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bytes::Bytes;

use super::bindings::{ClientResult, HandlerError, Session, Span, WitOutcome, WitServerCall};
use super::error::{ErrorCode, PluginError, StageError};
use super::fan_out_budget::FanOutBudget;
use super::instance::Instance;
use super::limits::{check_input, check_output};
use super::log::in_sync;
use super::metrics::{RouteSeries, StageSeries};
use super::pack::BatchBuffer;
use super::route::{LoadedStage, Route};
use super::worker::WorkerPool;
use crate::config::{InstancePolicy, StageLimits};

/// Input of a server-stage call.
#[derive(Debug, Clone)]
pub struct ServerCall {
    /// MessagePack of the client input.
    pub input: Bytes,
    /// The sender's session; `None` for anonymous callers.
    pub caller: Option<Session>,
    /// The target room.
    pub room: String,
}

/// Input of the client stage for a set of recipients.
#[derive(Debug, Clone)]
pub struct ClientBatchCall {
    /// MessagePack of the client input.
    pub input: Bytes,
    /// MessagePack of the server output; `None` for client-only syncs.
    pub server_output: Option<Bytes>,
    /// The target room.
    pub room: String,
    /// One entry per recipient; `None` for anonymous ones. Shared, so a fan-out hands over the
    /// sessions its connections already hold instead of copying each.
    pub recipients: Vec<Option<Arc<Session>>>,
}

/// What one recipient gets.
#[derive(Debug, Clone, PartialEq)]
pub enum RecipientOutcome {
    /// Deliver, with this client output (MessagePack).
    Deliver(Bytes),
    /// Deliver the server output only.
    DeliverPlain,
    /// Send nothing.
    Skip,
    /// The handler refused for this recipient (its own error).
    Refused(HandlerError),
    /// The plugin failed for this recipient.
    Failed(PluginError),
}

/// The client stage that ran right after the server stage (see [`SyncCall::server_then_clients`]).
#[derive(Debug)]
pub struct Followed<T> {
    /// What the caller handed over with the batch.
    pub companion: T,
    /// As [`SyncCall::clients`] returns them.
    pub outcomes: Result<Vec<RecipientOutcome>, StageError>,
}

/// The per-request instances of a sync (used only under `per-request`).
#[derive(Default)]
struct Slots {
    server: Option<Instance>,
    client: Option<Instance>,
}

/// One sync's calls on one pinned route version. Cheap to create; drop it when the sync ends.
pub struct SyncCall {
    /// This node's number for the sync, carried by its plugin log lines.
    id: u64,
    route: Arc<Route>,
    slots: Arc<Mutex<Slots>>,
    workers: WorkerPool,
    budget: Arc<FanOutBudget>,
    metrics: Arc<RouteSeries>,
}

impl SyncCall {
    pub(super) fn new(route: Arc<Route>, workers: WorkerPool, metrics: Arc<RouteSeries>) -> Self {
        let limit = route
            .client
            .as_deref()
            .map_or(0, |stage| stage.limits().max_fan_out_bytes());
        let budget = Arc::new(FanOutBudget::new(route.key().to_string(), limit));
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            route,
            slots: Arc::default(),
            workers,
            budget,
            metrics,
        }
    }

    /// This node's number for the sync (the `sync` field of its plugin log lines).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The pinned route.
    pub fn route(&self) -> &Arc<Route> {
        &self.route
    }

    /// The bytes this sync's fan-out may still take (`max_fan_out_mb` of the client stage); the
    /// fan-out charges each distinct frame it encodes.
    pub fn fan_out_budget(&self) -> &FanOutBudget {
        &self.budget
    }

    /// Runs the server stage on a worker thread.
    ///
    /// # Errors
    /// [`StageError::Refused`] with the handler's error, or [`StageError::Failed`].
    pub async fn server(&self, call: ServerCall) -> Result<Bytes, StageError> {
        let (id, route, slots) = (self.id, self.route.clone(), self.slots.clone());
        let series = self.metrics.server.clone();
        self.workers
            .run(move || in_sync(id, || server_blocking(&route, &slots, &series, call)))
            .await?
    }

    /// Runs the server stage and then, in the same worker job, the client stage for the batch `then`
    /// builds from the server output. A small room's sync so crosses to the workers once instead of
    /// twice; `then` runs on the worker, after the server stage, so it sees the room as it is then.
    /// Its companion value (the recipients it chose) comes back with their outcomes.
    ///
    /// # Errors
    /// As [`SyncCall::server`]; a failure of the client stage is in the [`Followed`] part.
    pub async fn server_then_clients<T: Send + 'static>(
        &self,
        call: ServerCall,
        then: impl FnOnce(&Bytes) -> (ClientBatchCall, T) + Send + 'static,
    ) -> Result<(Bytes, Followed<T>), StageError> {
        let (id, route, slots) = (self.id, self.route.clone(), self.slots.clone());
        let (budget, metrics) = (self.budget.clone(), self.metrics.clone());
        self.workers
            .run(move || {
                in_sync(id, || {
                    let output = server_blocking(&route, &slots, &metrics.server, call)?;
                    let (batch, companion) = then(&output);
                    let outcomes =
                        clients_blocking(&route, &slots, &budget, &metrics.client, batch);
                    Ok((
                        output,
                        Followed {
                            companion,
                            outcomes,
                        },
                    ))
                })
            })
            .await?
    }

    /// Runs the client stage for every recipient, in batches, on a worker thread. Returns one outcome
    /// per recipient, in order.
    ///
    /// # Errors
    /// Only failures that concern every recipient: [`ErrorCode::StageMissing`],
    /// [`ErrorCode::InputTooLarge`], [`ErrorCode::Unavailable`].
    pub async fn clients(
        &self,
        call: ClientBatchCall,
    ) -> Result<Vec<RecipientOutcome>, StageError> {
        let (id, route, slots) = (self.id, self.route.clone(), self.slots.clone());
        let (budget, series) = (self.budget.clone(), self.metrics.client.clone());
        self.workers
            .run(move || {
                in_sync(id, || {
                    clients_blocking(&route, &slots, &budget, &series, call)
                })
            })
            .await?
    }

    /// [`SyncCall::server`] on the calling thread (for benchmarks and tools; never on an async task).
    ///
    /// # Errors
    /// As [`SyncCall::server`].
    pub fn server_blocking(&self, call: ServerCall) -> Result<Bytes, StageError> {
        in_sync(self.id, || {
            server_blocking(&self.route, &self.slots, &self.metrics.server, call)
        })
    }

    /// [`SyncCall::clients`] on the calling thread (for benchmarks and tools; never on an async task).
    ///
    /// # Errors
    /// As [`SyncCall::clients`].
    pub fn clients_blocking(
        &self,
        call: ClientBatchCall,
    ) -> Result<Vec<RecipientOutcome>, StageError> {
        in_sync(self.id, || {
            clients_blocking(
                &self.route,
                &self.slots,
                &self.budget,
                &self.metrics.client,
                call,
            )
        })
    }
}

fn missing(stage: &str) -> PluginError {
    PluginError::new(
        ErrorCode::StageMissing,
        format!("the route has no {stage} stage"),
    )
}

/// Takes the instance to call: the sync's own under per-request, else a warm one.
fn acquire(
    stage: &LoadedStage,
    limits: &StageLimits,
    slot: &mut Option<Instance>,
) -> Result<Instance, PluginError> {
    match limits.instance_policy {
        InstancePolicy::PerRequest => slot.take().map_or_else(|| stage.fresh(), Ok),
        InstancePolicy::Reuse => stage.checkout(),
    }
}

/// Gives a healthy instance back to where it came from.
fn release(
    stage: &LoadedStage,
    limits: &StageLimits,
    slot: &mut Option<Instance>,
    instance: Instance,
) {
    match limits.instance_policy {
        InstancePolicy::PerRequest => *slot = Some(instance),
        InstancePolicy::Reuse => stage.checkin(instance),
    }
}

fn server_blocking(
    route: &Route,
    slots: &Mutex<Slots>,
    series: &StageSeries,
    call: ServerCall,
) -> Result<Bytes, StageError> {
    let result = server_call(route, slots, series, call);
    match &result {
        Err(StageError::Failed(error)) => series.record_error(error.code),
        Err(StageError::Refused(_)) => series.record_refusal(),
        Ok(_) => {}
    }
    result
}

fn server_call(
    route: &Route,
    slots: &Mutex<Slots>,
    series: &StageSeries,
    call: ServerCall,
) -> Result<Bytes, StageError> {
    let stage = route.server.as_deref().ok_or_else(|| missing("server"))?;
    let limits = stage.limits();
    check_input(&call.input, &limits)?;
    let mut slots = slots.lock().unwrap_or_else(PoisonError::into_inner);
    let mut instance = acquire(stage, &limits, &mut slots.server)?;
    let wit = WitServerCall {
        input: Vec::from(call.input),
        caller: call.caller,
        room: call.room,
    };
    let started = Instant::now();
    let result = instance.run_server(&limits, &wit);
    series.record_call(
        started.elapsed(),
        instance.fuel_spent(),
        instance.memory_bytes(),
    );
    match &result {
        Err(error) if error.code.kills_instance() => drop(instance),
        _ => release(stage, &limits, &mut slots.server, instance),
    }
    let output = result?.map_err(StageError::Refused)?;
    check_output(&output, &limits)?;
    Ok(Bytes::from(output))
}

fn clients_blocking(
    route: &Route,
    slots: &Mutex<Slots>,
    budget: &FanOutBudget,
    series: &StageSeries,
    call: ClientBatchCall,
) -> Result<Vec<RecipientOutcome>, StageError> {
    let result = client_calls(route, slots, budget, series, call);
    match &result {
        Err(StageError::Failed(error)) => series.record_error(error.code),
        Err(StageError::Refused(_)) => series.record_refusal(),
        Ok(outcomes) => {
            for outcome in outcomes {
                match outcome {
                    RecipientOutcome::Failed(error) => series.record_error(error.code),
                    RecipientOutcome::Refused(_) => series.record_refusal(),
                    _ => {}
                }
            }
        }
    }
    result
}

fn client_calls(
    route: &Route,
    slots: &Mutex<Slots>,
    budget: &FanOutBudget,
    series: &StageSeries,
    call: ClientBatchCall,
) -> Result<Vec<RecipientOutcome>, StageError> {
    let stage = route.client.as_deref().ok_or_else(|| missing("client"))?;
    let limits = stage.limits();
    check_input(&call.input, &limits)?;
    let mut slots = slots.lock().unwrap_or_else(PoisonError::into_inner);
    let mut outcomes = Vec::with_capacity(call.recipients.len());
    let chunk_size = limits.client_batch_size.max(1) as usize;
    // One buffer is refilled for every chunk: the payloads are copied into it once per call, and
    // it is allocated once.
    let mut buffer = BatchBuffer::new(&call.input, call.server_output.as_deref(), &call.room);
    for chunk in call.recipients.chunks(chunk_size) {
        let instance = acquire(stage, &limits, &mut slots.client)?;
        let mut run = Chunk {
            stage,
            series,
            limits: &limits,
            slot: &mut slots.client,
            buffer: &mut buffer,
            budget,
            outcomes: &mut outcomes,
        };
        run.run(instance, chunk)?;
    }
    Ok(outcomes)
}

/// What running the chunks of one call shares.
struct Chunk<'a> {
    stage: &'a LoadedStage,
    series: &'a StageSeries,
    limits: &'a Arc<StageLimits>,
    slot: &'a mut Option<Instance>,
    buffer: &'a mut BatchBuffer,
    budget: &'a FanOutBudget,
    outcomes: &'a mut Vec<RecipientOutcome>,
}

impl Chunk<'_> {
    /// Runs one chunk; on failure, retries its recipients one by one.
    fn run(
        &mut self,
        mut instance: Instance,
        chunk: &[Option<Arc<Session>>],
    ) -> Result<(), StageError> {
        let count = chunk.len();
        match self.call(&mut instance, chunk) {
            Ok(result) if result.outcomes.len() == count => {
                release(self.stage, self.limits, self.slot, instance);
                self.convert_all(result);
            }
            Ok(result) => {
                release(self.stage, self.limits, self.slot, instance);
                let error = PluginError::new(
                    ErrorCode::MalformedOutput,
                    format!(
                        "the client stage returned {} outcomes for {count} recipients",
                        result.outcomes.len()
                    ),
                );
                self.outcomes
                    .extend(std::iter::repeat_n(RecipientOutcome::Failed(error), count));
            }
            Err(error) if count == 1 => self.outcomes.push(RecipientOutcome::Failed(error)),
            Err(error) => {
                tracing::debug!(plugin = %self.stage.key(), "client batch of {count} failed ({error}); retrying one by one");
                drop(instance);
                self.retry_one_by_one(chunk)?;
            }
        }
        Ok(())
    }

    /// One call into the client stage's wasm, counted.
    fn call(
        &mut self,
        instance: &mut Instance,
        recipients: &[Option<Arc<Session>>],
    ) -> Result<ClientResult, PluginError> {
        let started = Instant::now();
        let result = instance.run_client(self.limits, self.buffer.fill(recipients));
        self.series.record_call(
            started.elapsed(),
            instance.fuel_spent(),
            instance.memory_bytes(),
        );
        result
    }

    /// Runs each recipient of `chunk` alone, on fresh instances.
    fn retry_one_by_one(&mut self, chunk: &[Option<Arc<Session>>]) -> Result<(), StageError> {
        let mut spare: Option<Instance> = None;
        for recipient in chunk.chunks(1) {
            let mut instance = match spare.take() {
                Some(instance) => instance,
                None => self.stage.fresh()?,
            };
            match self.call(&mut instance, recipient) {
                Ok(result) if result.outcomes.len() == 1 => {
                    spare = Some(instance);
                    self.convert_all(result);
                }
                Ok(result) => {
                    spare = Some(instance);
                    let detail = format!(
                        "the client stage returned {} outcomes for 1 recipient",
                        result.outcomes.len()
                    );
                    self.outcomes
                        .push(RecipientOutcome::Failed(PluginError::new(
                            ErrorCode::MalformedOutput,
                            detail,
                        )));
                }
                Err(error) => self.outcomes.push(RecipientOutcome::Failed(error)),
            }
        }
        if let Some(instance) = spare {
            release(self.stage, self.limits, self.slot, instance);
        }
        Ok(())
    }

    /// Turns a chunk's result into outcomes; delivered outputs become slices of its one `data`
    /// buffer (no copy per recipient). The buffer is kept only if it fits the fan-out budget, twice
    /// (itself and the frames to be encoded from it); otherwise it is dropped here and its
    /// delivered outcomes are refused.
    fn convert_all(&mut self, result: ClientResult) {
        let delivers = result
            .outcomes
            .iter()
            .any(|outcome| matches!(outcome, WitOutcome::Deliver(_)));
        let kept = !delivers || self.budget.take_output(result.data.len().saturating_mul(2));
        let data = if kept {
            Bytes::from(result.data)
        } else {
            Bytes::new()
        };
        for outcome in result.outcomes {
            let outcome = match outcome {
                WitOutcome::Deliver(_) if !kept => RecipientOutcome::Failed(self.budget.refuse()),
                outcome => convert(outcome, &data, self.limits),
            };
            self.outcomes.push(outcome);
        }
    }
}

fn convert(outcome: WitOutcome, data: &Bytes, limits: &StageLimits) -> RecipientOutcome {
    match outcome {
        WitOutcome::Deliver(span) => match output_at(data, span) {
            Some(output) => match check_output(&output, limits) {
                Ok(()) => RecipientOutcome::Deliver(output),
                Err(error) => RecipientOutcome::Failed(error),
            },
            None => RecipientOutcome::Failed(PluginError::new(
                ErrorCode::MalformedOutput,
                format!(
                    "a delivered output ({}+{}) lies outside the {}-byte result buffer",
                    span.start,
                    span.len,
                    data.len()
                ),
            )),
        },
        WitOutcome::DeliverPlain => RecipientOutcome::DeliverPlain,
        WitOutcome::Skip => RecipientOutcome::Skip,
        WitOutcome::Error(error) => RecipientOutcome::Refused(error),
    }
}

/// The bytes of `span` in `data`, if it lies inside.
fn output_at(data: &Bytes, span: Span) -> Option<Bytes> {
    let start = span.start as usize;
    let end = start.checked_add(span.len as usize)?;
    (end <= data.len()).then(|| data.slice(start..end))
}
