//! Getting packets in: WITS Level 0 framing and record-01 items (DESIGN §3.1), unit conversion.

pub mod csv;
pub mod source;
pub mod units;
pub mod wits;
pub mod witsml;
