//! The rig's fleet link (DESIGN §6): the durable upload queue; the uploader, library sync and
//! outcome forwarding build on it.

pub mod clock;
pub mod link;
pub mod queue;
pub mod sink;
