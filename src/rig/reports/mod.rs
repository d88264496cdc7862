//! What the rig writes up for people: the report on one incident (for the post-well review and
//! the company man) and the shift handover (for the incoming crew). Both are printable pages
//! built from what the rig already holds — the incident book, the advisory log, the trends — plus
//! the two records kept for them here: each incident's channels, and the last day by the minute.

pub mod handover;
pub mod incident;
pub mod shift;
pub mod trace;
