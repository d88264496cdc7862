//! The fleet hub: takes events from registered rigs, curates them into a precedent library,
//! and serves it back. Shares only `drilling` and `fleet` with the rig.

pub mod analytics;
pub mod api;
pub mod auth;
pub mod config;
pub mod curator;
pub mod db;
pub mod embedded;
pub mod intake;
pub mod metrics;
pub mod notify;
pub mod server;
pub mod state;
pub mod storm;
pub mod sync_log;
pub mod wake;
pub mod watch;
