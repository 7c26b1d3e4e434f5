#!/usr/bin/env bash
# Installs Debian packages idempotently: by default the ones the system tests need; with
# arguments, those packages instead (scripts/install-bench-deps.sh passes the benchmark's).
# --no-install-recommends matters: wireguard-tools would otherwise recommend a kernel image.
# Services are kept from auto-starting (a policy-rc.d that exits 101): only tests start them.
set -euo pipefail
if [ $# -gt 0 ]; then
  PKGS=("$@")
else
  PKGS=(xl2tpd softether-vpnserver softether-vpncmd tshark iperf3 iproute2 iputils-ping freeradius freeradius-utils nftables)
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "install-deps: all packages present"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; fi
echo "install-deps: installing ${missing[*]}"
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1; fi
trap '[ $created_policy = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
# Questions some packages ask: no setuid dumpcap, no iperf3 system daemon.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections
# Refresh the package lists only when a candidate is unknown (first run on a fresh machine), and
# once more if the install fails on stale lists.
if ! apt-cache policy "${missing[@]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then apt-get update -qq; fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: done"
