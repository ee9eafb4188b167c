//! The export macros (`server!`, `client!`, `join!`) and the logging macros. The export macros turn
//! one plain function into a component's `metadata` and `run` exports; on native targets they
//! only reference the function, so it can be unit-tested without any wasm machinery.
//!
//! Both always publish JSON Schemas of the handler's types, read from its signature: the input
//! and output types must derive `schemars::JsonSchema`, and a missing derive is a compile error
//! on native builds too, not a surprise in the wasm build.

/// Exports a server stage: `server!(auth = Auth::login(), handler = my_fn)`.
///
/// `my_fn` is `fn(ServerContext<In>) -> Result<Out, SyncError>` where `In: Deserialize` and
/// `Out: Serialize` (or [`Output`](crate::Output)), both `JsonSchema` (their schemas become the
/// route's TypeScript types). `auth` defaults to [`Auth::public`](crate::Auth::public).
#[macro_export]
macro_rules! server {
    (handler = $handler:expr $(,)?) => {
        $crate::server!(auth = $crate::Auth::public(), handler = $handler);
    };
    (auth = $auth:expr, handler = $handler:expr $(,)?) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            struct SynchostServerStage;

            impl $crate::__private::server::Guest for SynchostServerStage {
                fn metadata() -> $crate::__private::wit::StageMetadata {
                    $crate::__private::metadata(
                        $auth,
                        $crate::__private::server_schemas(&$handler),
                    )
                }

                fn run(
                    call: $crate::__private::wit::ServerCall,
                ) -> ::core::result::Result<
                    ::std::vec::Vec<u8>,
                    $crate::__private::wit::HandlerError,
                > {
                    $crate::__private::serve(call, $handler)
                }
            }

            $crate::__export_server_stage_impl!(
                SynchostServerStage with_types_in $crate::__private::server
            );
        };

        // Natively nothing is exported; this keeps the handler and the auth rule "used" and checks
        // that the handler's types have schemas.
        #[cfg(not(target_family = "wasm"))]
        #[allow(dead_code)]
        fn __synchost_server_stage() {
            let _ = $crate::__private::server_schemas(&$handler);
            let _ = $auth;
        }
    };
}

/// Exports a client stage: `client!(handler = my_fn)`, run once per recipient.
///
/// `my_fn` is `fn(ClientContext<'_, In, ServerOut>) -> Result<ClientOutcome<Out>, SyncError>`;
/// use `()` for `ServerOut` in a client-only sync, and `()` for `Out` when the stage only delivers
/// the plain server output. `In` and `Out` must be `JsonSchema` (use
/// [`Ignored`](crate::Ignored) for input the stage ignores). `auth` may be given as for [`server!`].
#[macro_export]
macro_rules! client {
    (handler = $handler:expr $(,)?) => {
        $crate::client!(auth = $crate::Auth::public(), handler = $handler);
    };
    (auth = $auth:expr, handler = $handler:expr $(,)?) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            struct SynchostClientStage;

            impl $crate::__private::client::Guest for SynchostClientStage {
                fn metadata() -> $crate::__private::wit::StageMetadata {
                    $crate::__private::metadata($auth, $crate::__private::client_schemas(&$handler))
                }

                fn run(
                    batch: $crate::__private::wit::ClientBatch,
                ) -> $crate::__private::wit::ClientResult {
                    $crate::__private::deliver(batch, $handler)
                }
            }

            $crate::__export_client_stage_impl!(
                SynchostClientStage with_types_in $crate::__private::client
            );
        };

        // Natively nothing is exported; this keeps the handler and the auth rule "used" and checks
        // that the handler's types have schemas.
        #[cfg(not(target_family = "wasm"))]
        #[allow(dead_code)]
        fn __synchost_client_stage() {
            let _ = $crate::__private::client_schemas(&$handler);
            let _ = $auth;
        }
    };
}

/// Exports a room's join handler: `join!(auth = Auth::login(), handler = my_fn)`.
///
/// `my_fn` is `fn(JoinContext) -> Result<(), SyncError>`: `Ok(())` lets the session into the room,
/// an error refuses the join with the handler's own code (its message comes from the page's
/// `.ftl` files, its status defaults to 403). `auth` is checked by the host before the handler
/// runs and defaults to [`Auth::public`](crate::Auth::public).
#[macro_export]
macro_rules! join {
    (handler = $handler:expr $(,)?) => {
        $crate::join!(auth = $crate::Auth::public(), handler = $handler);
    };
    (auth = $auth:expr, handler = $handler:expr $(,)?) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            struct SynchostJoinHandler;

            impl $crate::__private::join::Guest for SynchostJoinHandler {
                fn metadata() -> $crate::__private::wit::StageMetadata {
                    $crate::__private::join_metadata($auth)
                }

                fn decide(
                    call: $crate::__private::wit::JoinCall,
                ) -> ::core::result::Result<(), $crate::__private::wit::HandlerError> {
                    $crate::__private::decide(call, $handler)
                }
            }

            $crate::__export_join_handler_impl!(
                SynchostJoinHandler with_types_in $crate::__private::join
            );
        };

        // Natively nothing is exported; this keeps the handler and the auth rule "used".
        #[cfg(not(target_family = "wasm"))]
        #[allow(dead_code)]
        fn __synchost_join_handler() {
            let _: fn($crate::JoinContext) -> ::core::result::Result<(), $crate::SyncError> =
                $handler;
            let _ = $auth;
        }
    };
}

/// Logs at [`Level::Trace`](crate::host::Level::Trace) with `format!` arguments.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::host::log($crate::host::Level::Trace, &::std::format!($($arg)+)) };
}

/// Logs at [`Level::Debug`](crate::host::Level::Debug) with `format!` arguments.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::host::log($crate::host::Level::Debug, &::std::format!($($arg)+)) };
}

/// Logs at [`Level::Info`](crate::host::Level::Info) with `format!` arguments.
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::host::log($crate::host::Level::Info, &::std::format!($($arg)+)) };
}

/// Logs at [`Level::Warn`](crate::host::Level::Warn) with `format!` arguments.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::host::log($crate::host::Level::Warn, &::std::format!($($arg)+)) };
}

/// Logs at [`Level::Error`](crate::host::Level::Error) with `format!` arguments.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::host::log($crate::host::Level::Error, &::std::format!($($arg)+)) };
}
