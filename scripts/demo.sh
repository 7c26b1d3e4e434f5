#!/usr/bin/env bash
# The main job: an L2TP server and an L2TP client, each an `l2tp` daemon in its own network
# namespace made on the spot, configured with RouterOS commands. The client logs in, `monitor`
# and `/ppp active` show the session, ping and a short TCP transfer cross the tunnel, and both
# daemons are left running for you to explore with the console. Needs root.
#
#   bash scripts/demo.sh          # set up and leave running
#   bash scripts/demo.sh stop     # stop the daemons and delete the namespaces
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
L2TP="node $ROOT/dist/src/cli/main.js"
STATE=/tmp/l2tp-demo
NS_S=l2tp-demo-office
NS_C=l2tp-demo-home

stop() {
  for side in office home; do
    if [ -f "$STATE/$side.pid" ]; then
      pid=$(cat "$STATE/$side.pid")
      if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$STATE/$side.pid"
    fi
  done
  ip netns del "$NS_S" 2>/dev/null || true
  ip netns del "$NS_C" 2>/dev/null || true
}

if [ "${1:-}" = stop ]; then stop; echo "demo stopped"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "demo: needs root (network namespaces and TUN devices)" >&2; exit 1; fi
[ -f dist/src/cli/main.js ] || { echo "demo: run 'npm ci' first (it builds dist/)" >&2; exit 1; }

stop
# A fresh configuration each run: the demo types its setup again below.
rm -rf "$STATE/office" "$STATE/home"
mkdir -p "$STATE/office" "$STATE/home"
ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add wan0 netns "$NS_S" type veth peer name wan0 netns "$NS_C"
ip -n "$NS_S" addr add 192.168.80.1/24 dev wan0
ip -n "$NS_C" addr add 192.168.80.50/24 dev wan0
for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; ip -n "$ns" link set wan0 up; done

start_daemon() { # side ns
  ip netns exec "$2" $L2TP start --data-dir "$STATE/$1" > "$STATE/$1.log" 2>&1 &
  echo $! > "$STATE/$1.pid"
  for _ in $(seq 1 100); do [ -S "$STATE/$1/control.sock" ] && return 0; sleep 0.1; done
  echo "demo: the $1 daemon did not start; its log:" >&2; cat "$STATE/$1.log" >&2; exit 1
}
office() { ip netns exec "$NS_S" $L2TP exec --data-dir "$STATE/office" "$1"; }
home() { ip netns exec "$NS_C" $L2TP exec --data-dir "$STATE/home" "$1"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

start_daemon office "$NS_S"
start_daemon home "$NS_C"

say "office (server): the seed manual's road-warrior setup"
for cmd in \
  '/system identity set name=office' \
  '/ip pool add name=vpn-pool ranges=192.168.99.2-192.168.99.100' \
  '/ppp profile set default local-address=192.168.99.1 remote-address=vpn-pool' \
  '/ppp secret add name=Laptop service=l2tp password=123 local-address=10.1.101.1 remote-address=10.1.101.100' \
  '/interface l2tp-server server set enabled=yes default-profile=default'; do
  echo "[admin@office] > $cmd"; office "$cmd"
done
office '/interface l2tp-server server print'

say "home (client)"
for cmd in \
  '/system identity set name=home' \
  '/interface l2tp-client add name=l2tp-out1 connect-to=192.168.80.1 user=Laptop password=123 disabled=no' \
  '/ip route add dst-address=10.1.101.0/24 gateway=l2tp-out1'; do
  echo "[admin@home] > $cmd"; home "$cmd"
done

for _ in $(seq 1 100); do home '/interface l2tp-client monitor 0 once' | grep -q 'status: connected' && break; sleep 0.2; done
say "home: /interface l2tp-client monitor 0 once"
home '/interface l2tp-client monitor 0 once'
say "office: /ppp active print"
office '/ppp active print'
say "office: /interface l2tp-server print"
office '/interface l2tp-server print'
say "home: ping through the tunnel"
ip netns exec "$NS_C" ping -c 3 -i 0.3 10.1.101.1
if command -v iperf3 >/dev/null; then
  say "home -> office: 3 s TCP through the tunnel (iperf3)"
  ip netns exec "$NS_S" iperf3 -s -1 -B 10.1.101.1 > /dev/null 2>&1 &
  sleep 0.5
  ip netns exec "$NS_C" iperf3 -c 10.1.101.1 -t 3 | tail -4
fi
say "office: /log print (last lines)"
office '/log print' | tail -8

cat <<EOF

The daemons keep running. Explore them with the console:
  ip netns exec $NS_S $L2TP console --data-dir $STATE/office
  ip netns exec $NS_C $L2TP console --data-dir $STATE/home
Logs: $STATE/office.log, $STATE/home.log.   Stop everything: bash scripts/demo.sh stop
EOF
