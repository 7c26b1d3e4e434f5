#!/usr/bin/env bash
# The Debian packages the data-plane benchmark (bench/dataplane.ts) needs: iperf3 (the load),
# openvpn and wireguard-go + wireguard-tools (the reference userspace tunnels), iputils-ping
# (added latency) and openssl (OpenVPN's self-signed certificates). Idempotent.
set -euo pipefail
exec bash "$(dirname "$0")/install-deps.sh" iperf3 openvpn wireguard-go wireguard-tools iputils-ping iproute2 openssl
