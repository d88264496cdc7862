#!/usr/bin/env bash
# The browser test: installs Chromium and playwright-core where missing, then seeds a hub and a
# rig and loads every dashboard page and the driller's screen headless (tests/browser.rs).
# Screenshots go to target/screenshots/ (SAIREN_SCREENSHOTS_DIR=docs/screenshots to refresh the
# README's pictures).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-browser.sh
cargo test --test browser -- --ignored --nocapture
