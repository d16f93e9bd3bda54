#pragma once
// KeyValueStore: the durable table behind the core's StoreWrite effects (proxy/base/node.h).
// The native runtime applies the StoreWrites on its store thread (store_thread.h) and answers
// StoreDone completions on its io thread; the daemon loads every record at start-up, before serving,
// and hands them to the core. Implementations: SQLite
// (the embedded default, durable across kill -9), later a shared database.
#include <vector>

#include "proxy/base/node.h"

namespace resproxy::native {

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;
  // Applies every record of `write` or none. Returns false on failure (the core answers 500).
  virtual bool apply(const StoreWrite& write) = 0;
  // Every record, in key order.
  [[nodiscard]] virtual std::vector<StoreRecord> load_all() = 0;
};

}  // namespace resproxy::native
