#!/usr/bin/env bash
# A full disk under the registration store (#10 step 6): resproxy's data directory on a 2 MiB
# tmpfs mounted in a private mount namespace this script makes itself (unshare -m; nothing is
# mounted on the host). With the disk filled, a REGISTER gets 500 with Retry-After, the daemon
# stays up and answers OPTIONS, and a REGISTER after space is freed gets 200; at the end the
# daemon stops cleanly. Exits 77 (skipped) when it cannot make the namespace or mount a tmpfs
# (no unshare, not root).
set -uo pipefail

if [[ ${1:-} != inside ]]; then
  command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) not found"; exit 77; }
  if ! unshare -m --propagation private -- sh -c \
      'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d"; rc=$?; rmdir "$d"; exit $rc' \
      2>/dev/null; then
    echo "SKIP: cannot mount a tmpfs in a private mount namespace (unshare -m; needs root)"
    exit 77
  fi
  exec unshare -m --propagation private -- bash "$0" inside
fi

source "$(dirname "$0")/lib.sh"
REQ=$E2E_DIR/sip_request.py
DISK=$T/disk
mkdir -p "$DISK"
mount -t tmpfs -o size=2m,mode=0755 tmpfs "$DISK" || { fail "cannot mount tmpfs on $DISK"; exit 1; }
# lib.sh's cleanup removes $T: unmount first (lazily: the daemon may still hold its files).
trap 'rc=$?; for p in "${PIDS[@]}"; do stop_pid "$p" 2; done; umount -l "$DISK" 2>/dev/null; (exit $rc); cleanup' EXIT

# request METHOD USER: prints "<status> retry-after=<value>"
request() { python3 "$REQ" "$PROXY_PORT" "$1" "$2"; }

read -r PORT < <(free_ports 1)
start_proxy "$PORT" "$DISK/data" || finish

got=$(request REGISTER alice)
[[ $got == "200 "* ]] || fail "REGISTER alice on an empty disk: '$got' (expected 200)"

# Fill the disk: whatever the daemon writes next has no room.
dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null
log "disk filled: $(df -k "$DISK" | awk 'NR == 2 {print $4}') KiB free"

got=$(request REGISTER bob)
if [[ $got != "500 retry-after="[0-9]* ]]; then
  fail "REGISTER bob on a full disk: '$got' (expected 500 with Retry-After)"
fi
proxy_alive || fail "resproxy died on a full disk"
got=$(request OPTIONS carol)
[[ $got == "200 "* ]] || fail "OPTIONS on a full disk: '$got' (expected 200)"
got=$(request REGISTER dave)
[[ $got == "500 retry-after="[0-9]* ]] || fail "second REGISTER on a full disk: '$got' (expected 500 with Retry-After)"
grep -q 'reg.store_failed' "$T/resproxy-1.log" || fail "no reg.store_failed warning in the daemon's log"

# Space again: the next REGISTER is made durable and acknowledged.
rm -f "$DISK/filler"
got=$(request REGISTER bob)
[[ $got == "200 "* ]] || fail "REGISTER bob after space was freed: '$got' (expected 200)"

stop_proxy
# The acknowledged bindings (alice, bob) are on disk: a restart loads them.
start_proxy "$PORT" "$DISK/data" || finish
grep -q ' 2 bindings loaded' "$T/resproxy-2.log" || fail "restart did not load 2 bindings: $(grep -o '[0-9]* bindings loaded' "$T/resproxy-2.log")"
stop_proxy

finish
