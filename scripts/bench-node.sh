#!/usr/bin/env bash
# The node's figures of docs/PERFORMANCE.md (issue 17): submission latency and throughput,
# mirroring against verify, and serving (with `oha` if installed: cargo install oha --locked).
#   scripts/bench-node.sh                       10^6 entries (about 5 minutes, 2 GB of disk)
#   scripts/bench-node.sh --entries 3000 --seconds 1 --submissions 20    smoke run
# The harness is `dledger-dev bench-node` (crates/testkit): it runs the `dledger` built next to it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin dledger --bin dledger-dev
target/release/dledger-dev bench-node --keys fixtures/keys "$@"
