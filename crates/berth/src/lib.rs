//! The Berth server as a library: configuration, start-up (data directory, master key, metadata,
//! blob store, root credentials) and the HTTP(S) listener. `main.rs` is the CLI around it;
//! integration tests start it in-process on an ephemeral port.

pub mod admin;
pub mod config;
mod duration;
mod listener;
mod migrate;
mod replication;
mod scans;
pub mod server;
mod setup;
mod socket;

pub use config::{Config, LogFormat};
pub use server::{start, Server};
