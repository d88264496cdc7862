//! Drilling physics per packet (DESIGN §3.3). Pure functions of their inputs, in oilfield units;
//! each returns `None` where its formula is undefined, so no NaN or infinity ever leaves here.

pub mod dexp;

/// `Some(v)` only for a finite `v`: the one gate every formula's result passes.
pub(crate) fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}
