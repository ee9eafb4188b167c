//! The plugin runtime's errors: what a stage call can end with, and why the runtime cannot start.
//!
//! Every failure of a plugin is classified once (see `limits.rs`) into an [`ErrorCode`] with a stable
//! wire string. A handler's own refusal is not a failure of the runtime: it travels as data
//! ([`HandlerError`]) inside [`StageError::Refused`].

use std::fmt;

use super::bindings::HandlerError;

/// Why a plugin call failed, as a stable code (also the i18n key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The call used up its instruction budget (`fuel`).
    OutOfFuel,
    /// The call ran past its wall-clock budget (`timeout_ms`).
    Timeout,
    /// The plugin tried to grow its memory past `memory_mb`.
    MemoryLimit,
    /// The plugin recursed past the native stack limit.
    StackOverflow,
    /// The plugin trapped: a panic, `unreachable`, a bad memory access, or a host-call failure.
    Trap,
    /// The output is not exactly one MessagePack value, or the client stage returned the wrong number
    /// of outcomes.
    MalformedOutput,
    /// The output exceeds `max_output_kb`.
    OutputTooLarge,
    /// The output nests arrays and maps deeper than `max_output_depth`.
    OutputTooDeep,
    /// The client outputs of one sync exceed `max_fan_out_mb`; this recipient was not served.
    FanOutTooLarge,
    /// The input exceeds `max_input_kb`.
    InputTooLarge,
    /// The route has no file for the requested stage.
    StageMissing,
    /// No instance could be created (engine pool exhausted, runtime shutting down).
    Unavailable,
}

impl ErrorCode {
    /// Every code, for the test that checks each has a message in every shipped language.
    pub const ALL: [Self; 12] = [
        Self::OutOfFuel,
        Self::Timeout,
        Self::MemoryLimit,
        Self::StackOverflow,
        Self::Trap,
        Self::MalformedOutput,
        Self::OutputTooLarge,
        Self::OutputTooDeep,
        Self::FanOutTooLarge,
        Self::InputTooLarge,
        Self::StageMissing,
        Self::Unavailable,
    ];

    /// The wire code, in LuckyStack's dotted camelCase.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OutOfFuel => "plugin.outOfFuel",
            Self::Timeout => "plugin.timeout",
            Self::MemoryLimit => "plugin.memoryLimit",
            Self::StackOverflow => "plugin.stackOverflow",
            Self::Trap => "plugin.trap",
            Self::MalformedOutput => "plugin.malformedOutput",
            Self::OutputTooLarge => "plugin.outputTooLarge",
            Self::OutputTooDeep => "plugin.outputTooDeep",
            Self::FanOutTooLarge => "plugin.fanOutTooLarge",
            Self::InputTooLarge => "plugin.inputTooLarge",
            Self::StageMissing => "plugin.stageMissing",
            Self::Unavailable => "plugin.unavailable",
        }
    }

    /// The HTTP status an envelope for this code should carry.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InputTooLarge => 413,
            Self::StageMissing => 404,
            Self::Timeout => 504,
            Self::Unavailable => 503,
            _ => 500,
        }
    }

    /// Whether the instance that produced this error is dead and must be dropped.
    pub fn kills_instance(self) -> bool {
        matches!(
            self,
            Self::OutOfFuel | Self::Timeout | Self::MemoryLimit | Self::StackOverflow | Self::Trap
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classified plugin failure. `detail` is for the operator's log, never for the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct PluginError {
    /// The stable code.
    pub code: ErrorCode,
    /// What happened, for logs.
    pub detail: String,
}

impl PluginError {
    /// A failure with a code and a detail line.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

/// How a stage call can end without output.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StageError {
    /// The handler refused (its own error code, params and status), passed through as data.
    #[error("handler refused with {}", .0.code)]
    Refused(HandlerError),
    /// The plugin failed.
    #[error(transparent)]
    Failed(#[from] PluginError),
}

impl StageError {
    /// The wire code: the handler's own, or the runtime's classification.
    pub fn code(&self) -> &str {
        match self {
            Self::Refused(error) => &error.code,
            Self::Failed(error) => error.code.as_str(),
        }
    }
}

/// Why the runtime could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The wasmtime engine rejected its configuration.
    #[error("cannot build the wasm engine: {0}")]
    Engine(String),
    /// The key-value store could not be opened.
    #[error("cannot open the kv store")]
    Store(#[source] crate::store::KvError),
    /// A folder (plugins root or cache) is unusable.
    #[error("cannot use {path}")]
    Io {
        /// The folder.
        path: std::path::PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The file watcher could not start.
    #[error("cannot watch the plugins folder: {0}")]
    Watch(String),
    /// The compile cache folder is unusable or unsafe.
    #[error(transparent)]
    Cache(#[from] super::loader::cache::CacheError),
}
