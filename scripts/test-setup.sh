#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: Debian's Chromium, used
# headless by tests/review_html.rs to render the HTML review, and Python 3, with which
# tests/evidence_by_hand.rs runs the by-hand check script of docs/EVIDENCE.md, and Go with
# Debian's golang.org/x/mod sources, with which tests/go_interop.rs builds the Go program of
# docs/EVIDENCE.md §6.3 (Go's sumdb note and tlog packages). Without them those tests show as
# ignored in `cargo test` (build.rs); under CI they fail. Safe to run repeatedly.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
UPDATED=""
apt_install() {   # apt_install PACKAGE: the package lists are updated once
    if [ -z "$UPDATED" ]; then $SUDO apt-get update -qq; UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$1" >/dev/null
}
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    echo "test-setup: chromium already installed"
else
    apt_install chromium
    echo "test-setup: installed $(chromium --version)"
fi
if command -v python3 >/dev/null 2>&1; then
    echo "test-setup: python3 already installed"
else
    apt_install python3
    echo "test-setup: installed $(python3 --version)"
fi
if command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/note ]; then
    echo "test-setup: go and golang.org/x/mod already installed"
else
    apt_install golang-go
    apt_install golang-golang-x-mod-dev
    echo "test-setup: installed $(go version) and Debian's golang.org/x/mod sources"
fi
