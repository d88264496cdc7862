#!/usr/bin/env bash
# Install the system tools the tests use, where they are missing, from Debian's packages:
#   promtool  (package prometheus)      checks both servers' /metrics exposition;
#   wg        (package wireguard-tools)  checks the WireGuard configs `sairen admin wireguard` writes;
#   faketime  (package faketime)        runs rigs whose clocks are wrong against a real hub;
#   boringtun-cli (crates.io)            a userspace WireGuard, for a live tunnel between network
#                                        namespaces where the kernel has no WireGuard module.
set -euo pipefail
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v wg >/dev/null 2>&1 || missing+=(wireguard-tools)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-tools: installing ${missing[*]} from Debian"
    apt-get update -qq
    # Installing the prometheus package must not leave its server running here: policy-rc.d
    # forbids service starts for the duration of the install.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v boringtun-cli >/dev/null 2>&1; then
    echo "install-tools: installing boringtun-cli 0.7.1 with cargo (about 40 s, once)"
    cargo install --quiet --locked boringtun-cli --version 0.7.1
fi
