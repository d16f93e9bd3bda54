#!/usr/bin/env bash
# The one rule (ARCHITECTURE.md), checked on what the compiler emitted rather than on the sources
# (scripts/check-core-no-io.sh greps those): the core's static libraries — proxy/ outside
# proxy/native/ — may only reference, outside the core itself, the symbols that
# scripts/core-symbols.allow allows. That catches what a grep cannot see: a libc call reached
# through an inline function of a header, a <cctype> macro, a std::chrono clock inside a
# template, a getenv in a third-party header.
#
# Allowlist first: every undefined symbol of every object file must either be defined by one of
# the core libraries checked (a call between layers; checked where it is defined) or match a
# line of the allowlist. Anything else fails, naming the library and object file it comes from;
# the deny patterns below only say why a well-known symbol is refused (stdio, sockets, clocks,
# threads, locale, environment, process exit, randomness).
#
#   scripts/check-core-symbols.sh BUILD_DIR           # the core libraries built in BUILD_DIR
#   scripts/check-core-symbols.sh --lib FILE [--lib FILE …]   # these archives / objects only
#   --allow FILE   another allowlist (default: scripts/core-symbols.allow, format described there)
#
# Exit 0: every symbol allowed. Exit 1: a symbol is not allowed, or a core library is missing.
# Exit 2: usage error, a tool (nm, c++filt, ar) missing, or an unreadable / invalid allowlist.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
allow_file=$here/core-symbols.allow
build_dir=
libs=()
usage() {
  sed -n 's/^#   //p' "$0" >&2  # the usage lines of the header
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --lib) [ $# -ge 2 ] || usage; libs+=("$2"); shift 2 ;;
    --allow) [ $# -ge 2 ] || usage; allow_file=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "check-core-symbols: unknown option $1" >&2; usage ;;
    *) [ -z "$build_dir" ] || usage; build_dir=$1; shift ;;
  esac
done
if [ -z "$build_dir" ] && [ ${#libs[@]} -eq 0 ]; then usage; fi

for tool in nm c++filt ar grep awk; do
  command -v "$tool" >/dev/null || { echo "check-core-symbols: $tool not found" >&2; exit 2; }
done
[ -r "$allow_file" ] || { echo "check-core-symbols: cannot read allowlist $allow_file" >&2; exit 2; }

# The core layers (proxy/CMakeLists.txt). resproxy_config joins them when it is built as a static
# library; a layer whose code is all in headers has no archive and nothing to check.
required=(base sip transport transaction security registrar routing media gateway)
optional=(config)
if [ -n "$build_dir" ]; then
  [ -d "$build_dir" ] || { echo "check-core-symbols: no build directory $build_dir" >&2; exit 1; }
  find_lib() {  # the archive of one layer: BUILD_DIR/proxy/ first, else anywhere but native/
    local name=libresproxy_$1.a
    if [ -f "$build_dir/proxy/$name" ]; then echo "$build_dir/proxy/$name"; return; fi
    find "$build_dir" -name "$name" -not -path '*/native/*' -print 2>/dev/null | head -n 1
  }
  missing=()
  for layer in "${required[@]}"; do
    lib=$(find_lib "$layer")
    if [ -n "$lib" ]; then libs+=("$lib"); else missing+=("libresproxy_$layer.a"); fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    for name in "${missing[@]}"; do
      echo "check-core-symbols: missing core library $name under $build_dir (build it first)" >&2
    done
    exit 1
  fi
  for layer in "${optional[@]}"; do
    lib=$(find_lib "$layer")
    if [ -n "$lib" ]; then libs+=("$lib"); fi
  done
fi
for lib in "${libs[@]}"; do
  [ -f "$lib" ] || { echo "check-core-symbols: missing library $lib" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Why a well-known symbol is refused: "reason<TAB>ERE on the demangled name". Not anchored at the
# start: a function template's demangled name begins with its return type.
cat >"$tmp/deny" <<'EOF'
stdio / iostreams: the core does no I/O; it returns effects and proxy/native writes	^(printf|fprintf|vprintf|vfprintf|dprintf|vdprintf|sprintf|snprintf|vsprintf|vsnprintf|asprintf|vasprintf|puts|fputs|putchar|fputc|putc|fwrite|fread|fopen|fopen64|fdopen|freopen|fclose|fflush|fgets|fgetc|getc|getchar|ungetc|getline|getdelim|scanf|fscanf|sscanf|vsscanf|perror|setvbuf|setbuf|tmpfile|tmpnam|remove|rename|fseek|ftell|rewind|fileno|stdin|stdout|stderr)$
stdio / iostreams: the core does no I/O; it returns effects and proxy/native writes	^(_IO_[a-z_]+|__isoc99_[a-z]*scanf|__isoc23_[a-z]*scanf|__[a-z]*printf_chk|__fread_chk|__fgets_chk)$
stdio / iostreams: the core does no I/O; it returns effects and proxy/native writes	std::(cout|cerr|clog|cin|wcout|wcerr|ios_base|basic_ostream|basic_istream|basic_iostream|basic_ios<|__ostream_insert|endl<|flush<|__cxx11::basic_(o|i)?stringstream|__cxx11::basic_stringbuf|basic_streambuf)
files / sockets / syscalls: the core does no I/O (ARCHITECTURE.md)	^(open|open64|openat|creat|close|read|write|pread|pread64|pwrite|pwrite64|readv|writev|lseek|lseek64|stat|stat64|fstat|fstat64|lstat|fstatat|access|mmap|mmap64|munmap|ioctl|fcntl|poll|ppoll|select|pselect|eventfd|socket|socketpair|bind|listen|accept|accept4|connect|send|sendto|sendmsg|sendmmsg|recv|recvfrom|recvmsg|recvmmsg|shutdown|getsockopt|setsockopt|getpeername|getsockname|getaddrinfo|freeaddrinfo|getnameinfo|gai_strerror|gethostbyname|gethostbyname_r|gethostbyaddr|inet_pton|inet_ntop|inet_addr|inet_aton|inet_ntoa|if_nametoindex|getifaddrs|freeifaddrs|unlink|rmdir|mkdir|opendir|readdir|closedir|chdir|getcwd|realpath|pipe|pipe2|dup|dup2|dup3|fork|vfork|execv|execve|execvp|execl|execlp|system|popen|pclose|syscall|sendfile|fsync|fdatasync|ftruncate|truncate|__errno_location|strerror|strerror_r)$
files / sockets / syscalls: the core does no I/O (ARCHITECTURE.md)	^(epoll_[a-z_]+|timerfd_[a-z]+|inotify_[a-z_]+|io_uring_[a-z_]+|__[a-z0-9_]*_chk_warn)$
files / sockets / syscalls: the core does no I/O (ARCHITECTURE.md)	(std::filesystem::|std::__cxx11::basic_(i|o)?fstream|std::basic_(i|o)?fstream|std::basic_filebuf|std::__basic_file|boost::asio::|ns3::)
clock / time of day / sleep: time comes in as an argument (CoreClock) and leaves as a deadline	^(time|clock|clock_gettime|clock_getres|gettimeofday|timespec_get|localtime|localtime_r|gmtime|gmtime_r|mktime|timegm|strftime|strptime|ctime|ctime_r|asctime|asctime_r|difftime|tzset|nanosleep|clock_nanosleep|sleep|usleep|alarm|setitimer|getitimer|times|getrusage|__vdso_[a-z_]+)$
clock / time of day / sleep: time comes in as an argument (CoreClock) and leaves as a deadline	(std::chrono::.*::now\(|std::chrono::(_V2::)?(system_clock|steady_clock|high_resolution_clock)|std::chrono::(tzdb|time_zone|get_tzdb|current_zone|locate_zone|utc_clock|tai_clock|gps_clock|file_clock)|std::this_thread::)
threads / locks: the core is single-threaded, driven by one runtime	^(pthread_[a-z_]+|__pthread_[a-z_]+|sem_[a-z_]+|thrd_[a-z_]+|mtx_[a-z_]+|cnd_[a-z_]+|sched_yield|__tls_get_addr|__cxa_thread_atexit|__cxa_thread_atexit_impl)$
threads / locks: the core is single-threaded, driven by one runtime	std::(thread|jthread|mutex|recursive_mutex|timed_mutex|recursive_timed_mutex|shared_mutex|shared_timed_mutex|condition_variable|_V2::condition_variable|condition_variable_any|__future_base|future_category|__once_call|__once_callable|__once_functor|__once_proxy|stop_token|stop_source|counting_semaphore|latch|barrier|__atomic_futex_unsigned_base)
locale / <cctype>: the process locale changes parsing (tr_TR: tolower('I') != 'i'); use sip/text.h, std::from_chars	^(setlocale|localeconv|newlocale|uselocale|freelocale|duplocale|nl_langinfo|__ctype_b_loc|__ctype_tolower_loc|__ctype_toupper_loc|__ctype_get_mb_cur_max|tolower|toupper|isalpha|isalnum|isdigit|isxdigit|isspace|isupper|islower|isprint|ispunct|iscntrl|isgraph|isblank|towlower|towupper|strcoll|strxfrm|strcasecmp|strncasecmp|mbstowcs|wcstombs|mbrtowc|wcrtomb|mblen|atoi|atol|atoll|atof)$
locale / <cctype>: the process locale changes parsing (tr_TR: tolower('I') != 'i'); use sip/text.h, std::from_chars	^(isw[a-z]+|strto[a-z]+|__strto[a-z_]+_internal|__isoc23_strto[a-z]+|wcsto[a-z]+)$
locale / <cctype>: the process locale changes parsing (tr_TR: tolower('I') != 'i'); use sip/text.h, std::from_chars	std::(locale|ctype<|ctype_base|__cxx11::(collate|numpunct|moneypunct|messages|time_get)|use_facet|has_facet|numpunct|codecvt|__cxx11::stoi|__cxx11::stol|__cxx11::stod)
environment / process identity: configuration comes in through the node's config	^(getenv|secure_getenv|__secure_getenv|setenv|unsetenv|putenv|clearenv|environ|__environ|sysconf|confstr|gethostname|uname|getpid|getppid|getuid|geteuid|getgid|getegid)$
process exit / signals: the core never ends the process; it returns errors (invariants abort via check.h)	^(exit|_exit|_Exit|quick_exit|atexit|at_quick_exit|on_exit|signal|sigaction|raise|kill|sigprocmask|setjmp|_setjmp|longjmp|__longjmp_chk)$
process exit / signals: the core never ends the process; it returns errors (invariants abort via check.h)	std::(exit|quick_exit|_Exit)\(
randomness from outside: the core draws from resproxy::Rng, seeded by the runtime	^(rand|srand|rand_r|random|srandom|drand48|erand48|lrand48|nrand48|mrand48|jrand48|srand48|getrandom|getentropy|arc4random|arc4random_buf|arc4random_uniform)$
randomness from outside: the core draws from resproxy::Rng, seeded by the runtime	(^RAND_[A-Za-z0-9_]+$|^EVP_RAND|std::random_device)
dynamic loading: the core links what it uses	^(dlopen|dlsym|dlvsym|dlclose|dlerror|dladdr)$
EOF

# The allowlist: "idx<TAB>lib<TAB>object<TAB>has-idx<TAB>regex" per entry, the literals of
# [object-has=…] one per line in $tmp/literals.
: >"$tmp/allow"
: >"$tmp/literals"
n=0
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  line=${line#"${line%%[![:space:]]*}"}
  line=${line%"${line##*[![:space:]]}"}
  case $line in ''|'#'*) continue ;; esac
  q_lib=- q_obj=- q_has=-
  while [[ $line =~ ^\[([a-z-]+)=([^]]*)\][[:space:]]+(.*)$ ]]; do
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]} line=${BASH_REMATCH[3]}
    case $key in
      lib) q_lib=$value ;;
      object) q_obj=$value ;;
      object-has)
        q_has=$(grep -c '' "$tmp/literals" || true)
        printf '%s\n' "$value" >>"$tmp/literals" ;;
      *) echo "check-core-symbols: $allow_file:$lineno: unknown qualifier [$key=…]" >&2; exit 2 ;;
    esac
  done
  # grep -E exits 2 on an invalid regex (1 when it merely finds nothing).
  status=0
  grep -Eq -e "$line" </dev/null || status=$?
  if [ "$status" -ge 2 ]; then
    echo "check-core-symbols: $allow_file:$lineno: invalid regex: $line" >&2
    exit 2
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$q_lib" "$q_obj" "$q_has" "$line" >>"$tmp/allow"
  n=$((n + 1))
done <"$allow_file"
[ "$n" -gt 0 ] || { echo "check-core-symbols: $allow_file has no entries" >&2; exit 2; }

# Symbols: defined anywhere in the checked libraries (mangled), and every undefined reference
# as "lib<TAB>object<TAB>mangled" (nm -A prints "archive:member: U sym" or "file.o: U sym").
nm -A -p --defined-only "${libs[@]}" 2>/dev/null | awk '{ print $NF }' | sort -u >"$tmp/defined"
: >"$tmp/refs"
for lib in "${libs[@]}"; do
  base=$(basename "$lib")
  nm -A -p -u "$lib" | awk -v lib="$lib" -v base="$base" '
    NF >= 3 {
      where = $1; sub(/:$/, "", where)
      obj = base
      if (index(where, lib ":") == 1) obj = substr(where, length(lib) + 2)
      print base "\t" obj "\t" $NF "\t" lib
    }' >>"$tmp/refs"
done
# External references only: drop what another object of the core defines.
awk -F '\t' 'NR == FNR { defined[$1] = 1; next } !($3 in defined)' "$tmp/defined" "$tmp/refs" \
  | sort -u >"$tmp/external"
cut -f3 "$tmp/external" | c++filt >"$tmp/demangled"
paste "$tmp/external" "$tmp/demangled" >"$tmp/records"  # lib obj mangled path demangled

# [object-has=…]: which objects contain which literal ("lib<TAB>object<TAB>has-idx").
: >"$tmp/has"
if [ -s "$tmp/literals" ]; then
  cut -f1,2,4 "$tmp/records" | sort -u | while IFS=$'\t' read -r base obj path; do
    if [ "$base" = "$obj" ]; then cat "$path"; else ar p "$path" "$obj"; fi >"$tmp/object"
    i=0
    while IFS= read -r literal; do
      if grep -aFq -e "$literal" "$tmp/object"; then printf '%s\t%s\t%s\n' "$base" "$obj" "$i"; fi
      i=$((i + 1))
    done <"$tmp/literals" >>"$tmp/has"
  done
fi

echo "check-core-symbols: checking against $allow_file:"
for lib in "${libs[@]}"; do echo "  $lib"; done
status=0
awk -F '\t' -v allow_file="$allow_file" '
  FILENAME == ARGV[1] { n++; a_lib[n] = $2; a_obj[n] = $3; a_has[n] = $4; a_re[n] = $5; next }
  FILENAME == ARGV[2] { d++; d_why[d] = $1; d_re[d] = $2; next }
  FILENAME == ARGV[3] { has[$1 "\t" $2 "\t" $3] = 1; next }
  {
    base = $1; obj = $2; sym = $5
    total++; if (!(sym in distinct)) { distinct[sym] = 1; kinds++ }
    ok = 0
    for (i = 1; i <= n && !ok; i++) {
      if (a_lib[i] != "-" && a_lib[i] != base) continue
      if (a_obj[i] != "-" && a_obj[i] != base ":" obj) continue
      if (a_has[i] != "-" && !((base "\t" obj "\t" a_has[i]) in has)) continue
      if (sym ~ a_re[i]) ok = 1
    }
    if (ok) next
    why = "not in the allowlist (add an anchored regex with its reason to " allow_file " if it is legitimate)"
    for (i = 1; i <= d; i++) if (sym ~ d_re[i]) { why = "denied: " d_why[i]; break }
    where = (base == obj) ? base : base "(" obj ")"
    printf "%s: %s\n    %s\n", where, sym, why
    bad++
  }
  END {
    if (bad) { printf "check-core-symbols: %d reference(s) to symbols the core may not use\n", bad; exit 1 }
    printf "check-core-symbols: %d external references (%d distinct symbols), all allowed\n", total, kinds
  }' "$tmp/allow" "$tmp/deny" "$tmp/has" "$tmp/records" || status=$?
exit "$status"
