//! The client side of two regulators on two machines: talking to a node ([`client`]),
//! keeping a verified replica of its log ([`mirror`]) from a node, a web server, a bucket or a
//! directory ([`source`]), and recording entries into a ledger another party operates, signed
//! here ([`submit`]).

pub mod client;
pub mod mirror;
pub mod source;
pub mod submit;

pub use client::{Remote, RemoteError};
pub use mirror::{MirrorError, Synced, sync};
pub use source::{TileSource, open_source};
