#pragma once
// MemoryStore: the durable key-value table of a simulated node (the ns-3 counterpart of the
// native SQLite store). It survives the node's application being restarted within one
// simulation, which is how scenarios model "the proxy crashed and came back", and it can be told
// to fail, which is how they model a broken disk.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proxy/base/node.h"

namespace resproxy::model {

class MemoryStore {
 public:
  // Applies every record or, while failing, none.
  bool apply(const resproxy::StoreWrite& write) {
    if (failing_) return false;
    for (const auto& r : write.records) {
      if (r.value) {
        table_[r.key] = *r.value;
      } else {
        table_.erase(r.key);
      }
    }
    ++writes_;
    return true;
  }
  [[nodiscard]] std::vector<resproxy::StoreRecord> load_all() const {
    std::vector<resproxy::StoreRecord> out;
    out.reserve(table_.size());
    for (const auto& [k, v] : table_) out.push_back({k, v});
    return out;
  }
  void set_failing(bool failing) { failing_ = failing; }
  [[nodiscard]] std::size_t size() const { return table_.size(); }
  [[nodiscard]] std::uint64_t writes() const { return writes_; }

 private:
  std::map<std::string, std::string> table_;
  bool failing_ = false;
  std::uint64_t writes_ = 0;
};

}  // namespace resproxy::model
