//! The rig's edge box: reads the WITS stream, computes the drilling physics, recognises trouble
//! and advises the driller. Shares only `drilling` and `fleet` with the hub.

pub mod acquisition;
pub mod advisories;
pub mod api;
pub mod audit;
pub mod config;
pub mod core;
pub mod durable;
pub mod explainer;
pub mod healer;
pub mod health;
pub mod heartbeat;
pub mod incidents;
pub mod insights;
pub mod learned;
pub mod metrics;
pub mod notices;
pub mod packet_loop;
pub mod physics;
pub mod pipeline;
pub mod recall;
pub mod reports;
pub mod settings;
pub mod start;
pub mod trends;
pub mod uplink;
