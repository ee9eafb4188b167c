//! Bindings generated from `wit/`, one module per world. Authors never name anything in
//! here: the public modules wrap it, and the `server!`/`client!` macros reach it through
//! `__private`. The client and join modules reuse the server module's interface types (`with`), so a
//! `Session` or `DeniedOrFailed` is the same Rust type in both worlds.
//!
//! Both generators run with `pub_export_macro`, which makes the SDK's own object file describe
//! only the imports; the full world (with its exports) is emitted by the export macro inside the
//! handler crate, so a server handler never claims to export the client world or vice versa.
#![allow(missing_docs, unreachable_pub, clippy::all)]

/// The `server-stage` world.
pub mod server {
    wit_bindgen::generate!({
        world: "server-stage",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "export_server",
    });
}

/// The `client-stage` world, sharing every interface with [`server`].
pub mod client {
    wit_bindgen::generate!({
        world: "client-stage",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "export_client",
        with: {
            "synchost:plugin/types@1.0.0": crate::bindings::server::synchost::plugin::types,
            "synchost:plugin/host@1.0.0": crate::bindings::server::synchost::plugin::host,
            "synchost:plugin/capability@1.0.0": crate::bindings::server::synchost::plugin::capability,
            "synchost:plugin/config@1.0.0": crate::bindings::server::synchost::plugin::config,
            "synchost:plugin/kv@1.0.0": crate::bindings::server::synchost::plugin::kv,
            "synchost:plugin/rooms@1.0.0": crate::bindings::server::synchost::plugin::rooms,
        },
    });
}

/// The `join-handler` world, sharing every interface with [`server`].
pub mod join {
    wit_bindgen::generate!({
        world: "join-handler",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "export_join",
        with: {
            "synchost:plugin/types@1.0.0": crate::bindings::server::synchost::plugin::types,
            "synchost:plugin/host@1.0.0": crate::bindings::server::synchost::plugin::host,
            "synchost:plugin/capability@1.0.0": crate::bindings::server::synchost::plugin::capability,
            "synchost:plugin/config@1.0.0": crate::bindings::server::synchost::plugin::config,
            "synchost:plugin/kv@1.0.0": crate::bindings::server::synchost::plugin::kv,
            "synchost:plugin/rooms@1.0.0": crate::bindings::server::synchost::plugin::rooms,
        },
    });
}
