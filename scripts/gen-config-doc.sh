#!/usr/bin/env bash
# Rewrites the generated regions of docs/configuration.md — the parameter tables, each between
# `<!-- BEGIN generated: resproxy --print-config-reference KEY -->` and `<!-- END generated -->`
# — from the configuration schema (proxy/config/schema_*.cpp), as `resproxy
# --print-config-reference` prints them. Everything outside the regions is left as it is. The
# ctest ConfigReference.DocumentTablesAreTheSchemas (unit_config) fails until this has been run
# after a schema change.
#
#   scripts/gen-config-doc.sh                  # builds resproxy in $BUILD_DIR (build-release)
#   scripts/gen-config-doc.sh path/to/resproxy # uses that binary as it is
#
# Exit 1 if the document has a region the schema does not, or lacks one it has (add the two
# marker lines where the table belongs, then run this again).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
doc=$root/docs/configuration.md

if [ $# -ge 1 ]; then
  bin=$1
else
  build=${BUILD_DIR:-$root/build-release}
  [ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target resproxy -j "${JOBS:-2}" >/dev/null
  bin=$build/proxy/native/resproxy
fi
[ -x "$bin" ] || { echo "gen-config-doc: no resproxy binary at $bin" >&2; exit 1; }

generated=$(mktemp)
updated=$(mktemp)
trap 'rm -f "$generated" "$updated"' EXIT
"$bin" --print-config-reference >"$generated"

awk -v generated="$generated" '
  BEGIN {
    while ((getline line < generated) > 0) {
      if (line ~ /^<!-- BEGIN generated: /) { key = line; body = ""; inside = 1; continue }
      if (line == "<!-- END generated -->") { region[key] = body; order[++n] = key; inside = 0; continue }
      if (inside) body = body line "\n"
    }
  }
  /^<!-- BEGIN generated: / {
    if (!($0 in region)) { printf "gen-config-doc: %s:%d: %s is not in the schema\n", FILENAME, FNR, $0 > "/dev/stderr"; bad = 1 }
    print; printf "%s", region[$0]; used[$0] = 1; skipping = 1; next
  }
  $0 == "<!-- END generated -->" { skipping = 0; print; next }
  !skipping { print }
  END {
    if (skipping) { print "gen-config-doc: a region has no END marker" > "/dev/stderr"; bad = 1 }
    for (i = 1; i <= n; i++) {
      if (!(order[i] in used)) { printf "gen-config-doc: no region %s in the document\n", order[i] > "/dev/stderr"; bad = 1 }
    }
    exit bad
  }
' "$doc" >"$updated"

if cmp -s "$doc" "$updated"; then
  echo "gen-config-doc: docs/configuration.md is up to date"
else
  cp "$updated" "$doc"
  echo "gen-config-doc: docs/configuration.md rewritten"
fi
