//! Test and benchmark support, never shipped: the deterministic sample generator and the
//! test-only demo keys, and a real S3 server ([`s3`]) for the publishing tests.
pub mod s3;
pub mod sample;
