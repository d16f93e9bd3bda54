#pragma once
// Invariant checks (STYLE.md §7). For our own invariants only: input from outside never
// reaches these; it gets a SIP answer, a counter and a trace event instead.
//   RESPROXY_ASSERT: debug builds only; cheap facts we can prove.
//   RESPROXY_CHECK:  always; going on would corrupt state.
#include <cstdio>
#include <cstdlib>

namespace resproxy::detail {
[[noreturn]] inline void check_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "resproxy: invariant violated: %s at %s:%d\n", expr, file, line);
  std::abort();
}
}  // namespace resproxy::detail

#define RESPROXY_CHECK(expr) \
  ((expr) ? static_cast<void>(0) : ::resproxy::detail::check_failed(#expr, __FILE__, __LINE__))
#ifdef NDEBUG
#define RESPROXY_ASSERT(expr) static_cast<void>(0)
#else
#define RESPROXY_ASSERT(expr) RESPROXY_CHECK(expr)
#endif
