#include "proxy/native/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace resproxy::native {

namespace {

// Runs one or more statements that return no rows we need; the error text on failure.
bool exec(sqlite3* db, const char* sql, std::string* error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
  if (error) *error = std::string(sql) + ": " + (message ? message : sqlite3_errmsg(db));
  sqlite3_free(message);
  return false;
}

// A pragma that answers with one text row (journal_mode).
std::string query_text(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    if (const auto* text = sqlite3_column_text(statement, 0)) {
      out = reinterpret_cast<const char*>(text);
    }
  }
  sqlite3_finalize(statement);
  return out;
}

}  // namespace

std::unique_ptr<SqliteStore> SqliteStore::open(const std::string& path, Options options,
                                               std::string* error) {
  // The file holds every phone's contact address: private. Created here with mode 0600 (SQLite
  // would create it 0644), and narrowed if it exists wider; the WAL and -shm files follow it.
  if (path != ":memory:" && !path.empty()) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (error) *error = std::strerror(errno);
      return nullptr;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) (void)::fchmod(fd, st.st_mode & 0700);
    ::close(fd);
  }
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags,
                      options.vfs.empty() ? nullptr : options.vfs.c_str()) != SQLITE_OK) {
    if (error) *error = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return nullptr;
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);

  // Order matters: the locking mode must be set before the first read takes a lock.
  if (options.exclusive && !exec(db, "PRAGMA locking_mode=EXCLUSIVE", error)) return nullptr;
  const std::string journal = query_text(db, "PRAGMA journal_mode=WAL");
  if (journal != "wal") {
    if (error) {
      *error = journal.empty()
                   ? std::string(sqlite3_errmsg(db))
                   : "cannot switch to WAL mode (journal_mode is " + journal +
                         "); is the file on a network file system?";
      if (sqlite3_errcode(db) == SQLITE_BUSY || journal.empty()) {
        *error += " (is another resproxy using this data directory?)";
      }
    }
    return nullptr;
  }
  const char* synchronous = options.synchronous == Synchronous::Full
                                ? "PRAGMA synchronous=FULL"
                                : "PRAGMA synchronous=NORMAL";
  if (!exec(db, synchronous, error)) return nullptr;
  // An empty key is a core bug; refusing it inside the transaction keeps the write atomic.
  if (!exec(db,
            "CREATE TABLE IF NOT EXISTS kv ("
            " key TEXT PRIMARY KEY NOT NULL CHECK (length(key) > 0),"
            " value BLOB NOT NULL) WITHOUT ROWID",
            error)) {
    return nullptr;
  }
  // Take the write lock now, so that a second process fails here and not on its first write.
  if (options.exclusive && !exec(db, "BEGIN IMMEDIATE; COMMIT", error)) {
    if (error) *error += " (is another resproxy using this data directory?)";
    return nullptr;
  }
  if (!store->prepare(error)) return nullptr;
  return store;
}

SqliteStore::SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

SqliteStore::~SqliteStore() {
  for (sqlite3_stmt* statement : {update_, insert_, erase_, select_all_, begin_, commit_, rollback_}) {
    sqlite3_finalize(statement);
  }
  sqlite3_close(db_);
}

bool SqliteStore::prepare(std::string* error) {
  const std::pair<sqlite3_stmt**, const char*> statements[] = {
      // Not one upsert (INSERT … ON CONFLICT DO UPDATE): it seeks the key twice when it is
      // there, and most writes are refreshes of an existing key; UPDATE first costs a third less.
      {&update_, "UPDATE kv SET value = ?2 WHERE key = ?1"},
      {&insert_, "INSERT INTO kv (key, value) VALUES (?1, ?2)"},
      {&erase_, "DELETE FROM kv WHERE key = ?1"},
      {&select_all_, "SELECT key, value FROM kv ORDER BY key"},
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
  };
  for (const auto& [statement, sql] : statements) {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, statement, nullptr) !=
        SQLITE_OK) {
      if (error) *error = std::string(sql) + ": " + sqlite3_errmsg(db_);
      return false;
    }
  }
  return true;
}

bool SqliteStore::fail(const std::string& what) {
  last_error_ = what + ": " + sqlite3_errmsg(db_);
  return false;
}

bool SqliteStore::apply(const StoreWrite& write) {
  last_error_.clear();
  if (write.records.empty()) return true;

  sqlite3_reset(begin_);
  if (sqlite3_step(begin_) != SQLITE_DONE) return fail("begin transaction");

  // Binds the record to `statement` and runs it; SQLITE_DONE on success.
  const auto run = [](sqlite3_stmt* statement, const StoreRecord& record) {
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    // SQLITE_STATIC: the strings outlive the step below.
    int rc = sqlite3_bind_text(statement, 1, record.key.data(),
                               static_cast<int>(record.key.size()), SQLITE_STATIC);
    if (rc == SQLITE_OK && record.value) {
      // data() is never null, so an empty value binds an empty blob, not NULL.
      rc = sqlite3_bind_blob(statement, 2, record.value->data(),
                             static_cast<int>(record.value->size()), SQLITE_STATIC);
    }
    return rc == SQLITE_OK ? sqlite3_step(statement) : rc;
  };
  for (const auto& record : write.records) {
    sqlite3_stmt* statement = record.value ? update_ : erase_;
    int rc = run(statement, record);
    if (rc == SQLITE_DONE && record.value && sqlite3_changes(db_) == 0) {
      sqlite3_reset(statement);
      statement = insert_;  // a new key
      rc = run(statement, record);
    }
    if (rc != SQLITE_DONE) {
      fail("write of key '" + record.key + "'");
      sqlite3_reset(statement);
      sqlite3_reset(rollback_);
      sqlite3_step(rollback_);
      return false;
    }
    sqlite3_reset(statement);
  }

  sqlite3_reset(commit_);
  if (sqlite3_step(commit_) != SQLITE_DONE) {
    fail("commit");
    sqlite3_reset(rollback_);
    sqlite3_step(rollback_);
    return false;
  }
  return true;
}

std::optional<std::vector<StoreRecord>> SqliteStore::try_load_all() {
  last_error_.clear();
  std::vector<StoreRecord> out;
  sqlite3_reset(select_all_);
  int rc;
  while ((rc = sqlite3_step(select_all_)) == SQLITE_ROW) {
    const auto* key = static_cast<const char*>(sqlite3_column_blob(select_all_, 0));
    const auto key_size = static_cast<std::size_t>(sqlite3_column_bytes(select_all_, 0));
    const auto* value = static_cast<const char*>(sqlite3_column_blob(select_all_, 1));
    const auto value_size = static_cast<std::size_t>(sqlite3_column_bytes(select_all_, 1));
    out.push_back(StoreRecord{
        .key = key ? std::string(key, key_size) : std::string(),
        .value = value ? std::string(value, value_size) : std::string(),
    });
  }
  if (rc != SQLITE_DONE) {
    fail("load");
    sqlite3_reset(select_all_);
    return std::nullopt;
  }
  sqlite3_reset(select_all_);
  return out;
}

std::vector<StoreRecord> SqliteStore::load_all() {
  auto records = try_load_all();
  return records ? std::move(*records) : std::vector<StoreRecord>{};
}

}  // namespace resproxy::native
