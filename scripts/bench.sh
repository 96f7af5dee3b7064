#!/usr/bin/env bash
# Builds ledgers of 10^4, 10^5 and 10^6 entries (proofs up to 10^7) and prints the table of
# docs/PERFORMANCE.md for this machine. Takes a few minutes and about 2 GB of disk.
#   scripts/bench.sh            full run
#   scripts/bench.sh --quick    smoke run (seconds)
# The harness is `dledger-dev bench` (crates/testkit): it measures the `dledger` built next to it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin dledger --bin dledger-dev
target/release/dledger-dev bench "$@"
