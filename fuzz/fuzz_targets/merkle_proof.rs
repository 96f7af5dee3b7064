//! RFC 9162 inclusion and consistency proof verification with any proof, index and sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlog::{verify_consistency, verify_inclusion};

fuzz_target!(|data: &[u8]| {
    if data.len() < 24 + 64 {
        return;
    }
    let u = |i: usize| u64::from_le_bytes(data[i..i + 8].try_into().unwrap());
    let (a, b, c) = (u(0), u(8), u(16));
    let leaf: [u8; 32] = data[24..56].try_into().unwrap();
    let root: [u8; 32] = data[56..88].try_into().unwrap();
    let proof: Vec<[u8; 32]> = data[88..]
        .chunks_exact(32)
        .map(|h| h.try_into().unwrap())
        .collect();
    let _ = verify_inclusion(&proof, a, b, &leaf, &root);
    let _ = verify_consistency(&proof, b, c, &leaf, &root);
});
