//! The guest SDK for synchost handlers.
