#!/usr/bin/env bash
# The one rule (ARCHITECTURE.md): nothing under proxy/ outside proxy/native/ includes Boost.Asio
# or ns-3, reads a clock, opens a socket or file, sleeps, spawns a thread, takes a lock or uses
# global randomness; nor reads the process locale (<cctype>, <locale>, tolower, isalpha, …:
# under tr_TR, tolower('I') is not 'i'; sip/text.h has the ASCII helpers); nor includes OpenSSL
# (hashes come through base/crypto.h: libcrypto reads openssl.cnf). Exit 1 and list the
# offending lines if anything does. A second argument checks another sans-I/O folder by the same
# rule (sim_hardware: the emulated cards run on `now` like the core).
#   scripts/check-core-no-io.sh [root] [folder=proxy]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
dir=${2:-proxy}
cd "$root"
pattern='#include *[<"](openssl/|boost/asio|boost/beast|ns3/|thread>|mutex>|condition_variable>|future>|fstream>|filesystem>|random>|sys/socket\.h|netinet/|arpa/|netdb\.h|unistd\.h|fcntl\.h|pthread\.h|ctime>|time\.h>|sys/time\.h)|std::random_device|\b(system_clock|steady_clock|high_resolution_clock|utc_clock|file_clock)\b|::now\(|std::this_thread|\bsleep\(|\busleep\(|\bfopen\(|\bgetenv\(|\brand\(\)|\bsrand\(|\btime\(nullptr\)|\bsocket\(|std::thread\b|std::jthread\b|std::async\b|#include *<(cctype|ctype\.h|locale|clocale)>|\b(std::)?(tolower|toupper|isalpha|isalnum|isdigit|isxdigit|isspace|isupper|islower|isprint|ispunct|setlocale)\('
hits=$(grep -rnE --include='*.h' --include='*.hpp' --include='*.cc' --include='*.cpp' "$pattern" "$dir" \
        | grep -v '^proxy/native/' || true)
if [ -n "$hits" ]; then
  echo "core does I/O ($dir/ outside proxy/native/):"
  echo "$hits"
  exit 1
fi
count=$(find "$dir" -path proxy/native -prune -o \( -name '*.h' -o -name '*.cpp' \) -print | wc -l)
echo "no I/O in $dir/: $count files checked, none does I/O"
