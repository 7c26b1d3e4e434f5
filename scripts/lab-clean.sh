#!/usr/bin/env bash
# Removes what crashed lab runs left behind: network namespaces named by test/system/lab/netns.ts
# (<prefix>-p<pid>-<6 hex>) whose creating process is gone (processes inside them are SIGKILLed
# first: they were started by that run), and a SoftEther lock whose owner is gone.
# Namespaces of live runs are never touched. Safe to run any time; prints what it removes.
set -euo pipefail
for ns in $(ip netns list | awk '{print $1}'); do
  if [[ "$ns" =~ ^[a-z][a-z0-9]{0,11}-p([0-9]+)-[0-9a-f]{6}$ ]]; then
    owner="${BASH_REMATCH[1]}"
    if ! kill -0 "$owner" 2>/dev/null; then
      for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns" && echo "lab-clean: removed stale namespace $ns (owner pid $owner gone)"
    fi
  fi
done
lock=/run/lock/l2tp-lab-softether.lock
if [ -f "$lock" ]; then
  owner=$(cat "$lock" 2>/dev/null || true)
  if [ -z "$owner" ] || ! kill -0 "$owner" 2>/dev/null; then
    rm -f "$lock" && echo "lab-clean: removed stale SoftEther lock (owner pid ${owner:-?} gone)"
    for b in /var/lib/softether.lab-backup-"$owner" /var/log/softether.lab-backup-"$owner"; do
      [ -d "$b" ] && echo "lab-clean: note: $b holds state saved by that run; restore it by hand if needed"
    done
  fi
fi
exit 0
