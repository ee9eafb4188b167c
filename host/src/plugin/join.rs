//! One call of a room's join handler: "may this session join this room?", answered by the
//! `join-handler` component a room policy names.
//!
//! It runs on a worker thread like a sync stage, under the handler's own `[plugins]` limits
//! (`.join` tables; built-in 5 M fuel, 100 ms) and instance policy, and ends the same ways: a
//! refusal of the handler's own (its code, params and status) or a classified plugin failure. The
//! caller treats both as "no": a join is let in only on an explicit yes.

use std::time::Instant;

use super::bindings::{JoinCall, Session};
use super::error::StageError;
use super::metrics::StageSeries;
use super::route::LoadedStage;
use crate::config::InstancePolicy;

/// Asks `stage` whether `session` (`None`: anonymous) may join `room`, on the calling thread.
///
/// # Errors
/// [`StageError::Refused`] with the handler's refusal, [`StageError::Failed`] when it fails.
pub fn decide_blocking(
    stage: &LoadedStage,
    series: &StageSeries,
    room: String,
    session: Option<Session>,
) -> Result<(), StageError> {
    let result = decide(stage, series, room, session);
    match &result {
        Err(StageError::Failed(error)) => series.record_error(error.code),
        Err(StageError::Refused(_)) => series.record_refusal(),
        Ok(()) => {}
    }
    result
}

fn decide(
    stage: &LoadedStage,
    series: &StageSeries,
    room: String,
    session: Option<Session>,
) -> Result<(), StageError> {
    let limits = stage.limits();
    let mut instance = match limits.instance_policy {
        InstancePolicy::PerRequest => stage.fresh()?,
        InstancePolicy::Reuse => stage.checkout()?,
    };
    let started = Instant::now();
    let result = instance.decide_join(&limits, &JoinCall { room, session });
    series.record_call(
        started.elapsed(),
        instance.fuel_spent(),
        instance.memory_bytes(),
    );
    match &result {
        Err(error) if error.code.kills_instance() => drop(instance),
        _ if limits.instance_policy == InstancePolicy::PerRequest => drop(instance),
        _ => stage.checkin(instance),
    }
    result?.map_err(StageError::Refused)
}
