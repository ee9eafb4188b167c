//! The plugin runtime.
pub mod bindings;
