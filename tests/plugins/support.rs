//! Small assertions shared by the plugin tests.

use synchost::plugin::{HandlerError, RecipientOutcome, Scalar, StageError};

/// The handler error inside a refusal, or a failure message.
pub fn refused(result: Result<bytes::Bytes, StageError>) -> HandlerError {
    match result {
        Err(StageError::Refused(error)) => error,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The value of a named error param.
pub fn param<'a>(error: &'a HandlerError, key: &str) -> Option<&'a Scalar> {
    error
        .params
        .iter()
        .find(|param| param.key == key)
        .map(|param| &param.value)
}

/// The code of a plugin failure, panicking on anything else.
pub fn failure_code(result: &Result<bytes::Bytes, StageError>) -> &'static str {
    match result {
        Err(StageError::Failed(error)) => error.code.as_str(),
        other => panic!("expected a plugin failure, got {other:?}"),
    }
}

/// The code of a failed recipient, if it failed.
pub fn outcome_code(outcome: &RecipientOutcome) -> Option<&'static str> {
    match outcome {
        RecipientOutcome::Failed(error) => Some(error.code.as_str()),
        _ => None,
    }
}
