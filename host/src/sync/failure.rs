//! Why a sync, an HTTP trigger or a room request was refused: a stable code, its params and an HTTP
//! status. This is data, never a sentence; the envelope translates it.
//!
//! [`Code`] lists every code the pipeline itself emits. Codes of the other layers (plugin failures,
//! token and predicate checks, handler refusals) are carried through [`Failure`] unchanged.

use crate::plugin::{ErrorParam, HandlerError, PluginError, Scalar, StageError};
use crate::session::{AuthFailure, TokenError};

/// Codes the pipeline emits on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The frame or a field has the wrong shape (param `field`).
    InvalidRequest,
    /// The sync name or version does not parse (param `name`).
    InvalidName,
    /// No receiver room was given.
    MissingReceiver,
    /// No handler is published under this name and version (param `name`).
    NotFound,
    /// The version is published but a stage it was published with is missing, so it is refused
    /// rather than served without it (params `name`, `stage`).
    RouteUnavailable,
    /// `receiver: "all"` is not allowed by the operator.
    ReceiverNotAllowed,
    /// The sender is not a member of the target room (param `room`).
    NotRoomMember,
    /// Too many syncs on this route (param `seconds` until the next is accepted).
    RateLimitExceeded,
    /// The connection already has as many syncs in progress as allowed (param `max`).
    TooManyInFlight,
    /// `data` nests deeper than allowed (param `maxDepth`).
    InputTooDeep,
    /// A handler's output could not be turned into JSON.
    InvalidServerResponse,
    /// A client stage's output could not be turned into JSON.
    InvalidClientResponse,
    /// HTTP: the body is not a JSON object of the expected shape.
    InvalidBody,
    /// HTTP: the body is larger than allowed (param `limitKb`).
    PayloadTooLarge,
    /// HTTP: the body is not `application/json`.
    UnsupportedMediaType,
    /// HTTP: the trigger accepts only POST.
    MethodNotAllowed,
    /// A room name is empty, too long or has control characters (param `maxLength`).
    RoomInvalidName,
    /// The session is already in as many rooms as allowed (param `max`).
    RoomLimitReached,
    /// The room's policy refuses this session (params `room`, `key`).
    RoomForbidden,
    /// Too many joins in this minute (param `seconds` until the next is accepted).
    JoinRateExceeded,
    /// The member was taken out of a room whose policy no longer admits it (param `room`).
    RoomRemoved,
    /// Another connection of the same user left the room, so this one left it too (param `room`).
    RoomLeftElsewhere,
    /// The room's policy lets in only holders of a room token (param `room`).
    RoomTokenRequired,
    /// A room token that verifies but does not grant this room to this user (param `room`).
    RoomTokenRefused,
    /// The room's policy names a join handler that is not loaded, so no join is decided (param
    /// `room`).
    JoinHandlerUnavailable,
    /// Shared state (remembered rooms, rate windows) could not be read or written.
    StateUnavailable,
    /// HTTP: as many trigger requests as allowed are in progress on this host (param `max`).
    ServerBusy,
    /// HTTP: the body did not arrive within the allowed time (param `seconds`).
    BodyTimeout,
    /// A session cookie came with a request from another site the operator did not allow (param
    /// `origin`).
    OriginNotAllowed,
    /// The socket's token expired and was not renewed: its session ended (`sessionExpired` event).
    SessionExpired,
    /// A `renew` carried a token for another user than the connection signed in as.
    RenewOtherUser,
    /// The server is shutting down and accepts no new request; the client should reconnect (to
    /// another node).
    ShuttingDown,
}

impl Code {
    /// Every code, for the test that checks each has a message in every shipped language.
    pub const ALL: [Self; 32] = [
        Self::InvalidRequest,
        Self::InvalidName,
        Self::MissingReceiver,
        Self::NotFound,
        Self::RouteUnavailable,
        Self::ReceiverNotAllowed,
        Self::NotRoomMember,
        Self::RateLimitExceeded,
        Self::TooManyInFlight,
        Self::InputTooDeep,
        Self::InvalidServerResponse,
        Self::InvalidClientResponse,
        Self::InvalidBody,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::MethodNotAllowed,
        Self::RoomInvalidName,
        Self::RoomLimitReached,
        Self::RoomForbidden,
        Self::JoinRateExceeded,
        Self::RoomRemoved,
        Self::RoomLeftElsewhere,
        Self::RoomTokenRequired,
        Self::RoomTokenRefused,
        Self::JoinHandlerUnavailable,
        Self::StateUnavailable,
        Self::ServerBusy,
        Self::BodyTimeout,
        Self::OriginNotAllowed,
        Self::SessionExpired,
        Self::RenewOtherUser,
        Self::ShuttingDown,
    ];

    /// The wire code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "sync.invalidRequest",
            Self::InvalidName => "sync.invalidName",
            Self::MissingReceiver => "sync.missingReceiver",
            Self::NotFound => "sync.notFound",
            Self::RouteUnavailable => "sync.routeUnavailable",
            Self::ReceiverNotAllowed => "sync.receiverNotAllowed",
            Self::NotRoomMember => "sync.notRoomMember",
            Self::RateLimitExceeded => "sync.rateLimitExceeded",
            Self::TooManyInFlight => "sync.tooManyInFlight",
            Self::InputTooDeep => "sync.inputTooDeep",
            Self::InvalidServerResponse => "sync.invalidServerResponse",
            Self::InvalidClientResponse => "sync.invalidClientResponse",
            Self::InvalidBody => "sync.invalidBody",
            Self::PayloadTooLarge => "sync.payloadTooLarge",
            Self::UnsupportedMediaType => "sync.unsupportedMediaType",
            Self::MethodNotAllowed => "sync.methodNotAllowed",
            Self::RoomInvalidName => "room.invalidName",
            Self::RoomLimitReached => "room.limitReached",
            Self::RoomForbidden => "room.forbidden",
            Self::JoinRateExceeded => "room.joinRateExceeded",
            Self::RoomRemoved => "room.removed",
            Self::RoomLeftElsewhere => "room.leftElsewhere",
            Self::RoomTokenRequired => "room.tokenRequired",
            Self::RoomTokenRefused => "room.tokenRefused",
            Self::JoinHandlerUnavailable => "room.joinUnavailable",
            Self::StateUnavailable => "sync.stateUnavailable",
            Self::ServerBusy => "sync.serverBusy",
            Self::BodyTimeout => "sync.bodyTimeout",
            Self::OriginNotAllowed => "auth.originNotAllowed",
            Self::SessionExpired => "auth.sessionExpired",
            Self::RenewOtherUser => "auth.renewOtherUser",
            Self::ShuttingDown => "sync.shuttingDown",
        }
    }

    /// The HTTP status of an envelope carrying this code.
    pub fn http_status(self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::ReceiverNotAllowed | Self::NotRoomMember | Self::RoomForbidden => 403,
            Self::RoomRemoved | Self::OriginNotAllowed | Self::RenewOtherUser => 403,
            Self::RoomTokenRequired | Self::RoomTokenRefused => 403,
            Self::SessionExpired => 401,
            Self::RoomLeftElsewhere => 409,
            Self::RateLimitExceeded | Self::TooManyInFlight | Self::JoinRateExceeded => 429,
            Self::InvalidServerResponse | Self::InvalidClientResponse => 500,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::MethodNotAllowed => 405,
            Self::StateUnavailable | Self::RouteUnavailable => 503,
            Self::ServerBusy | Self::JoinHandlerUnavailable | Self::ShuttingDown => 503,
            Self::BodyTimeout => 408,
            _ => 400,
        }
    }
}

/// A refusal: code, params and HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The stable code (also the message id).
    pub code: String,
    /// Named values for the message.
    pub params: Vec<ErrorParam>,
    /// The HTTP status.
    pub status: u16,
}

impl Failure {
    /// A pipeline failure without params.
    pub fn new(code: Code) -> Self {
        Self {
            code: code.as_str().to_owned(),
            params: Vec::new(),
            status: code.http_status(),
        }
    }

    /// Adds a text param.
    pub fn text(mut self, key: &str, value: impl Into<String>) -> Self {
        self.params.push(ErrorParam {
            key: key.to_owned(),
            value: Scalar::Text(value.into()),
        });
        self
    }

    /// Adds an integer param.
    pub fn number(mut self, key: &str, value: i64) -> Self {
        self.params.push(ErrorParam {
            key: key.to_owned(),
            value: Scalar::Integer(value),
        });
        self
    }

    /// A handler's own refusal; its status wins when it is an error status (400–599), 400 when it
    /// gave none. Any other status (a success, a redirect, nonsense) becomes 500, keeping the
    /// handler's code: a refusal must never reach the HTTP response as something else.
    pub fn refused(error: HandlerError) -> Self {
        Self {
            status: match error.http_status {
                None => 400,
                Some(status @ 400..=599) => status,
                Some(_) => 500,
            },
            code: error.code,
            params: error.params,
        }
    }

    /// A plugin failure (the detail goes to the log, never to the wire).
    pub fn plugin(error: &PluginError) -> Self {
        Self {
            code: error.code.as_str().to_owned(),
            params: Vec::new(),
            status: error.code.http_status(),
        }
    }

    /// Either outcome of a stage call that produced no output.
    pub fn stage(error: StageError) -> Self {
        match error {
            StageError::Refused(error) => Self::refused(error),
            StageError::Failed(error) => Self::plugin(&error),
        }
    }

    /// A token that does not verify.
    pub fn token(error: &TokenError) -> Self {
        Self {
            code: error.code().to_owned(),
            params: Vec::new(),
            status: 401,
        }
    }

    /// A failed auth predicate or missing login.
    pub fn auth(failure: &AuthFailure) -> Self {
        let base = Self {
            code: failure.code().to_owned(),
            params: Vec::new(),
            status: failure.http_status(),
        };
        match failure {
            AuthFailure::LoginRequired => base,
            AuthFailure::Forbidden { key } | AuthFailure::InvalidCondition { key } => {
                base.text("key", key.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::i18n::{BUILTIN_CODES, Messages};
    use crate::plugin::ErrorCode;

    /// Every code the host can put in an envelope: the pipeline's own, the plugin runtime's, the
    /// session layer's, and the ones the guest SDK produces on the handler's behalf.
    fn host_codes() -> Vec<String> {
        let mut codes: Vec<String> = Code::ALL
            .iter()
            .map(|code| code.as_str().to_owned())
            .collect();
        codes.extend(ErrorCode::ALL.iter().map(|code| code.as_str().to_owned()));
        let auth = [
            AuthFailure::LoginRequired,
            AuthFailure::Forbidden { key: "k".into() },
            AuthFailure::InvalidCondition { key: "k".into() },
        ];
        codes.extend(auth.iter().map(|failure| failure.code().to_owned()));
        let tokens = [TokenError::Expired, TokenError::Invalid(String::new())];
        codes.extend(tokens.iter().map(|error| error.code().to_owned()));
        codes.extend(
            [
                "plugin.hostCallFailed",
                "sync.invalidInputType",
                "sync.invalidServerResponse",
                "sync.invalidClientResponse",
            ]
            .map(str::to_owned),
        );
        codes
    }

    #[test]
    fn every_code_the_host_emits_has_a_message_in_every_shipped_language() {
        let messages = Messages::builtin("en").unwrap();
        let languages = messages.languages();
        assert!(languages.len() >= 2, "{languages:?}");
        for code in host_codes() {
            assert!(
                BUILTIN_CODES.contains(&code.as_str()),
                "{code} is not a built-in code"
            );
            for language in &languages {
                let message = messages.message(language, &code, &[]);
                assert_ne!(message, code, "{code} has no message in {language}");
            }
        }
    }

    #[test]
    fn statuses_follow_the_http_contract() {
        assert_eq!(Failure::new(Code::NotFound).status, 404);
        assert_eq!(Failure::new(Code::RateLimitExceeded).status, 429);
        assert_eq!(Failure::auth(&AuthFailure::LoginRequired).status, 401);
        let forbidden = Failure::auth(&AuthFailure::Forbidden {
            key: "admin".into(),
        });
        assert_eq!((forbidden.status, forbidden.params.len()), (403, 1));
        assert_eq!(Failure::token(&TokenError::Expired).status, 401);
        let timeout = crate::plugin::PluginError::new(ErrorCode::Timeout, "slow");
        assert_eq!(Failure::plugin(&timeout).status, 504);
        let refused = Failure::refused(crate::plugin::HandlerError {
            code: "chess.illegalMove".into(),
            params: Vec::new(),
            http_status: Some(422),
        });
        assert_eq!(refused.status, 422);
        for (given, sent) in [
            (200, 500),
            (302, 500),
            (399, 500),
            (400, 400),
            (599, 599),
            (600, 500),
        ] {
            let failure = Failure::refused(crate::plugin::HandlerError {
                code: "x.y".into(),
                params: Vec::new(),
                http_status: Some(given),
            });
            assert_eq!(
                (failure.status, failure.code.as_str()),
                (sent, "x.y"),
                "{given}"
            );
        }
    }
}
