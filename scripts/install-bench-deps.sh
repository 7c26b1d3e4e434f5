#!/usr/bin/env bash
# Installs the Debian packages the data-plane benchmark (bench/dataplane.ts) needs, idempotently:
# iperf3 (the load), openvpn and wireguard-go + wireguard-tools (the reference userspace tunnels),
# iputils-ping (added latency) and openssl (OpenVPN's self-signed certificates).
# --no-install-recommends matters: wireguard-tools otherwise recommends a kernel image.
# Services are kept from auto-starting (a policy-rc.d that exits 101): only the benchmark starts
# them, inside namespaces it created.
set -euo pipefail
PKGS=(iperf3 openvpn wireguard-go wireguard-tools iputils-ping iproute2 openssl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "install-bench-deps: all packages present"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "install-bench-deps: need root to install: ${missing[*]}" >&2; exit 1; fi
echo "install-bench-deps: installing ${missing[*]}"
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1; fi
trap '[ $created_policy = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
# iperf3 asks whether to start a system daemon; answer no.
echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections
# Refresh the package lists only when the candidates are unknown (first run on a fresh machine).
if ! apt-cache policy "${missing[@]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then apt-get update -qq; fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-bench-deps: done"
