#pragma once
// SqliteStore: the embedded default KeyValueStore (store.h) — one SQLite file holding the
// table `kv(key TEXT PRIMARY KEY, value BLOB NOT NULL)`. Each StoreWrite is one transaction, so
// it is applied whole or not at all. The native runtime calls it on its store thread
// (store_thread.h) after the daemon loaded it on the main thread; not thread-safe: one thread
// at a time.
//
// Durability: the database runs in WAL mode. With Synchronous::Normal (the default) a commit
// that apply() reported is in the operating system's page cache when apply() returns, so it
// survives the process crashing or being killed (kill -9) at any moment; a power loss or kernel
// crash may lose the last commits (never corrupt the file). Synchronous::Full syncs the WAL on
// every commit and survives power loss too, at the cost of one fsync per write.
//
// Exclusive locking (the default): the first process to read the file keeps it locked until it
// closes it, so a second daemon pointed at the same data directory fails to open it instead of
// both serving stale copies of the bindings.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/native/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace resproxy::native {

class SqliteStore final : public KeyValueStore {
 public:
  enum class Synchronous { Normal, Full };
  struct Options {
    Synchronous synchronous = Synchronous::Normal;
    bool exclusive = true;
    int busy_timeout_ms = 2000;  // how long to wait for a lock held by another connection
    // The SQLite VFS by its registered name; empty: the default. Tests use it to put a disk
    // that stalls under the store (tests/integration/native/store_pressure_test.cpp).
    std::string vfs = {};
  };

  // Opens (creating if needed, mode 0600; an existing file is narrowed to 0600) the database
  // file at `path`; the directory must exist. SQLite gives its WAL and shared-memory files the
  // database file's mode. Returns
  // nullptr on failure, with the reason in *error if given (the daemon exits naming the path).
  static std::unique_ptr<SqliteStore> open(const std::string& path, Options options,
                                           std::string* error = nullptr);
  static std::unique_ptr<SqliteStore> open(const std::string& path) { return open(path, {}); }

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // KeyValueStore. An empty key is refused (the whole write fails). On failure apply() returns
  // false, leaves the table as it was and sets last_error().
  bool apply(const StoreWrite& write) override;
  // Every record in key order (byte-wise); empty on failure, see try_load_all().
  [[nodiscard]] std::vector<StoreRecord> load_all() override;
  // nullopt on failure, with last_error() set: start-up must not mistake a failure for "empty".
  [[nodiscard]] std::optional<std::vector<StoreRecord>> try_load_all();

  // The reason the last failed call failed; empty after a success.
  [[nodiscard]] const std::string& last_error() const { return last_error_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  SqliteStore(sqlite3* db, std::string path);
  bool prepare(std::string* error);
  bool fail(const std::string& what);

  sqlite3* db_ = nullptr;
  std::string path_;
  sqlite3_stmt* update_ = nullptr;  // most writes refresh a binding: UPDATE, then INSERT if new
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  sqlite3_stmt* select_all_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
  std::string last_error_;
};

}  // namespace resproxy::native
