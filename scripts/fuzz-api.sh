#!/usr/bin/env bash
# The contract fuzz: installs schemathesis from PyPI where missing (into target/fuzz-tools, so
# nothing is global), then runs it against a real hub on a real PostgreSQL, generating requests
# from docs/openapi.yaml and failing on any 5xx or any answer its schema does not allow
# (tests/contract_fuzz.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x target/fuzz-tools/bin/schemathesis ]; then
    echo "fuzz-api: installing schemathesis 4.32.5 into target/fuzz-tools"
    if ! python3 -m venv target/fuzz-tools 2>/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv target/fuzz-tools
    fi
    target/fuzz-tools/bin/pip install --quiet --disable-pip-version-check schemathesis==4.32.5
fi
cargo test --test contract_fuzz -- --ignored --nocapture
