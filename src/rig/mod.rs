//! The rig's edge box: reads the WITS stream, computes the drilling physics, recognises trouble
//! and advises the driller. Shares only `drilling` and `fleet` with the hub.

pub mod acquisition;
pub mod advisories;
pub mod api;
pub mod config;
pub mod durable;
pub mod physics;
pub mod pipeline;
pub mod recall;
pub mod runner;
pub mod start;
pub mod uplink;
