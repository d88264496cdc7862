//! SAIREN: drilling-rig monitoring at the edge, fleet learning at the hub.
//!
//! `drilling` and `fleet` are the vocabulary and wire contract both modes share; `hub` is the
//! fleet server; `admin` is the registry client. See `DESIGN.md` for the contract.

pub mod admin;
pub mod charts;
pub mod cli;
pub mod config_file;
pub mod demo;
pub mod drilling;
pub mod fleet;
pub mod hub;
pub mod logging;
pub mod report;
pub mod rig;
pub mod simulate;
pub mod web;
