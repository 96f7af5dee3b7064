#!/usr/bin/env bash
# The publishing figures of docs/PERFORMANCE.md (issue 18): publishing to a local S3 server
# (s3s-fs, started in-process on 127.0.0.1), an incremental publication of 1,000 new entries,
# the objects written, and mirroring the bucket back against verify.
#   scripts/bench-publish.sh                          10^6 entries (about 3 minutes, 2 GB of disk)
#   scripts/bench-publish.sh --entries 3000 --new-entries 100      smoke run
# The harness is `dledger-dev bench-publish` (crates/testkit): it runs the `dledger` built next to it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin dledger --bin dledger-dev
target/release/dledger-dev bench-publish --keys fixtures/keys "$@"
