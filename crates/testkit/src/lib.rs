//! Test and benchmark support, never shipped: the deterministic sample generator and the
//! test-only demo keys.
pub mod sample;
