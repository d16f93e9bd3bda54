#!/usr/bin/env bash
# The harness's own tests (ctest runs each case): harness_test.sh HARNESS DATA_DIR WORK_DIR CASE
#   determinism  same seed twice → byte-identical results.json; another seed → different
#   broken       a broken expectation fails the run (exit 1) naming file:line, text and actual
#   bad_key      an unknown key is refused (exit 2) with file:line:column
#   bad_ini      a bad resproxy INI value is refused (exit 2) with the YAML file's line
#   bad_password a phone password that cannot be written into the INI is refused (exit 2)
#   parallel     two seeds run as child processes; junit.xml, run.json, summary.md written
set -uo pipefail
harness=$1 data=$2 work=$3 case=$4
rm -rf "$work/$case"
mkdir -p "$work/$case"
out=$work/$case
fail() { echo "FAIL: $*"; exit 1; }
# A scenario file the harness must refuse (exit 2) with a message matching the grep pattern.
refused() {
  "$harness" run "$data/$1" --out "$out" > "$out/log" 2>&1
  local code=$?
  cat "$out/log"
  [ "$code" -eq 2 ] || fail "exit $code, want 2"
  grep -q "$2" "$out/log" || fail "message"
}

case $case in
  determinism)
    "$harness" run "$data/small.yaml" --seed 7 --out "$out/a" --quiet || fail "run a"
    "$harness" run "$data/small.yaml" --seed 7 --out "$out/b" --quiet || fail "run b"
    "$harness" run "$data/small.yaml" --seed 8 --out "$out/c" --quiet || fail "run c"
    cmp "$out/a/small/seed-7/results.json" "$out/b/small/seed-7/results.json" \
      || fail "same seed, different results.json"
    if cmp -s "$out/a/small/seed-7/results.json" "$out/c/small/seed-8/results.json"; then
      fail "seeds 7 and 8 gave identical results.json"
    fi
    grep -q '"schema": 1' "$out/a/small/seed-7/results.json" || fail "no schema"
    echo "determinism ok: $(md5sum < "$out/a/small/seed-7/results.json")"
    ;;
  broken)
    "$harness" run "$data/broken.yaml" --out "$out" --quiet > "$out/log" 2>&1
    code=$?
    cat "$out/log"
    [ "$code" -eq 1 ] || fail "exit $code, want 1"
    grep -Eq 'broken\.yaml:18: expectation failed: detection_time_s <= 0\.001 \(actual [0-9.]+\)' "$out/log" \
      || fail "message does not name file:line, expectation and actual value"
    grep -q 'gateway_loops' "$out/log" && fail "a passing expectation was reported as failed"
    grep -q '<failure message=' "$out/broken/seed-3/junit.xml" || fail "junit.xml has no failure"
    [ "$(grep -c '<testcase ' "$out/broken/seed-3/junit.xml")" -eq 2 ] || fail "want 2 testcases"
    ;;
  bad_key)
    refused bad_key.yaml "bad_key.yaml:5:3: unknown key 'phonez' in topology; allowed: phones,"
    ;;
  bad_ini)
    refused bad_ini.yaml 'bad_ini.yaml:11: resproxy: \[advanced.sipproxy\] record_route: "sometimes" is not allowed; allowed: always, call_setup'
    ;;
  bad_password)
    refused bad_password.yaml 'bad_password.yaml:8:13: phones.password: "pass word;x" is not allowed; allowed: letters, digits'
    ;;
  parallel)
    "$harness" run "$data/small.yaml" --seeds 1..2 -j 2 --out "$out" > "$out/log" 2>&1
    code=$?
    cat "$out/log"
    [ "$code" -eq 0 ] || fail "exit $code"
    grep -q '^\[2/2\] PASS small seed' "$out/log" || fail "no [2/2] line"
    for s in 1 2; do
      for f in results.json junit.xml summary.md run.json harness.log; do
        [ -s "$out/small/seed-$s/$f" ] || fail "missing seed-$s/$f"
      done
      grep -q '"sim_per_wall"' "$out/small/seed-$s/run.json" || fail "run.json"
    done
    ;;
  *) fail "unknown case $case" ;;
esac
echo "ok: $case"
