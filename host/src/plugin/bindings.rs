//! The generated host side of the WIT contract in `wit/`: one `bindgen!` per world.
//!
//! The server world generates every shared interface; the client and join worlds reuse those
//! modules through `with`, so every world sees the very same Rust types (a `Session` built once
//! can be handed to any of them). Nothing else in the crate invokes `bindgen!`.

/// Bindings of the `server-stage` world, and the home of every shared interface type.
#[allow(missing_docs)]
pub mod server {
    wasmtime::component::bindgen!({
        world: "server-stage",
        path: "../wit",
        additional_derives: [PartialEq],
    });
}

/// Bindings of the `client-stage` world; its interfaces are the server world's modules.
#[allow(missing_docs)]
pub mod client {
    wasmtime::component::bindgen!({
        world: "client-stage",
        path: "../wit",
        with: {
            "synchost:plugin/types": super::server::synchost::plugin::types,
            "synchost:plugin/host": super::server::synchost::plugin::host,
            "synchost:plugin/capability": super::server::synchost::plugin::capability,
            "synchost:plugin/config": super::server::synchost::plugin::config,
            "synchost:plugin/kv": super::server::synchost::plugin::kv,
            "synchost:plugin/rooms": super::server::synchost::plugin::rooms,
        },
    });
}

/// Bindings of the `join-handler` world; its interfaces are the server world's modules.
#[allow(missing_docs)]
pub mod join {
    wasmtime::component::bindgen!({
        world: "join-handler",
        path: "../wit",
        with: {
            "synchost:plugin/types": super::server::synchost::plugin::types,
            "synchost:plugin/host": super::server::synchost::plugin::host,
            "synchost:plugin/capability": super::server::synchost::plugin::capability,
            "synchost:plugin/config": super::server::synchost::plugin::config,
            "synchost:plugin/kv": super::server::synchost::plugin::kv,
            "synchost:plugin/rooms": super::server::synchost::plugin::rooms,
        },
    });
}

pub use server::synchost::plugin::capability::DeniedOrFailed;
pub use server::synchost::plugin::host::Level;
pub use server::synchost::plugin::types::{
    AuthCondition, AuthSpec, ClientBatch, ClientResult, ErrorParam, HandlerError, JoinCall,
    PackedSession, RecipientOutcome as WitOutcome, Scalar, ServerCall as WitServerCall, Session,
    Span, StageMetadata, ValueType,
};
