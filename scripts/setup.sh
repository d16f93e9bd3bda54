#!/usr/bin/env bash
# Installs every Debian 12 package resproxy needs to build, test, fuzz and benchmark.
# Safe to run again: apt-get skips what is already there. Runs as root (or via sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libboost-dev                      # Boost.Asio (header-only) for the native runtime
  libns3-dev                        # ns-3 3.37: the simulated runtime
  libgtest-dev libgmock-dev         # unit and integration tests
  libbenchmark-dev                  # Google Benchmark
  libsqlite3-dev                    # registration store (later issues)
  libssl-dev                        # libcrypto: MD5/SHA-256/HMAC for SIP digest auth
  libyaml-cpp-dev                   # scenario files (resproxy-harness)
  iptables                          # e2e_outage_loss: 5 % loss on the ITSP link in a netns
  libc-ares-dev                     # c-ares: DNS (A/AAAA/SRV) of ITSP proxy names at start-up
  clang-14 libclang-rt-14-dev       # libFuzzer and sanitizer runtimes
  sip-tester                        # SIPp, the phones' and load side
  kamailio                          # reference proxy for scripts/bench-proxy.sh
  nlohmann-json3-dev                # results.json reader of the resilience report
  openssl                           # e2e_tls: test CA and certificates, s_server as a wrong ITSP
  sipsak                            # e2e_tls: REGISTER/OPTIONS over TLS (Debian's SIPp has no TLS)
  stunnel4                          # e2e_tls: SIPp over TCP into TLS, TLS in front of Kamailio
  chromium fonts-dejavu-core        # headless screenshot test of the report page
  tshark                            # the Q.931 oracle: Wireshark's dissector reads our test vectors
  tcpdump                           # e2e_media_nat: the RTP each phone behind NAT receives
  rtpengine-daemon                  # rtpengine 10.5, the ng peer: e2e_ng_peers, bench/media
  liburing-dev                      # bench/media: the minimal relay's io_uring mode (-m uring)
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
