#!/usr/bin/env bash
# Install what the browser test needs, where it is missing: Debian's chromium (the browser) and
# playwright-core from npm (the driver), the latter under target/browser-tools so nothing is global.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    echo "browser-test: installing Debian's chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d target/browser-tools/node_modules/playwright-core ]; then
    echo "browser-test: installing playwright-core (driver only; it downloads no browser)"
    mkdir -p target/browser-tools
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund \
        --prefix target/browser-tools playwright-core@1.65.1 >/dev/null
fi
