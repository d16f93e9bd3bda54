#!/usr/bin/env bash
# The one rule (ARCHITECTURE.md): nothing under proxy/ outside proxy/native/ includes Boost.Asio
# or ns-3, reads a clock, opens a socket or file, sleeps, spawns a thread, takes a lock or uses
# global randomness; nor reads the process locale (<cctype>, <locale>, tolower, isalpha, …:
# under tr_TR, tolower('I') is not 'i'; sip/text.h has the ASCII helpers); nor includes OpenSSL
# (hashes come through base/crypto.h: libcrypto reads openssl.cnf). Exit 1 and list the
# offending lines if anything does.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
pattern='#include *[<"](openssl/|boost/asio|boost/beast|ns3/|thread>|mutex>|condition_variable>|future>|fstream>|filesystem>|random>|sys/socket\.h|netinet/|arpa/|netdb\.h|unistd\.h|fcntl\.h|pthread\.h|ctime>|time\.h>|sys/time\.h)|std::random_device|\b(system_clock|steady_clock|high_resolution_clock|utc_clock|file_clock)\b|::now\(|std::this_thread|\bsleep\(|\busleep\(|\bfopen\(|\bgetenv\(|\brand\(\)|\bsrand\(|\btime\(nullptr\)|\bsocket\(|std::thread\b|std::jthread\b|std::async\b|#include *<(cctype|ctype\.h|locale|clocale)>|\b(std::)?(tolower|toupper|isalpha|isalnum|isdigit|isxdigit|isspace|isupper|islower|isprint|ispunct|setlocale)\('
hits=$(grep -rnE --include='*.h' --include='*.hpp' --include='*.cc' --include='*.cpp' "$pattern" proxy \
        | grep -v '^proxy/native/' || true)
if [ -n "$hits" ]; then
  echo "core does I/O (proxy/ outside proxy/native/):"
  echo "$hits"
  exit 1
fi
count=$(find proxy -path proxy/native -prune -o \( -name '*.h' -o -name '*.cpp' \) -print | wc -l)
echo "core_has_no_io: $count core files checked, none does I/O"
