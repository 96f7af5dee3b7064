//! The client side of two regulators on two machines: talking to a node ([`client`]),
//! keeping a verified replica of its log ([`mirror`]), and recording entries into a ledger
//! another party operates, signed here ([`submit`]).

pub mod client;
pub mod mirror;
pub mod submit;

pub use client::{Remote, RemoteError};
pub use mirror::{MirrorError, Synced, sync};
