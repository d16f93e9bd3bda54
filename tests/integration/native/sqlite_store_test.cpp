// SqliteStore on real files in a temporary directory: round trips, deletes, atomicity,
// reopening, exclusive use, and a child process killed right after apply() returned.
#include "proxy/native/sqlite_store.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace resproxy::native {
namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/resproxy-store-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

StoreRecord put(std::string key, std::string value) { return {std::move(key), std::move(value)}; }
StoreRecord erase(std::string key) { return {std::move(key), std::nullopt}; }

std::unique_ptr<SqliteStore> open_or_fail(const std::string& path,
                                          SqliteStore::Options options = {}) {
  std::string error;
  auto store = SqliteStore::open(path, options, &error);
  EXPECT_NE(store, nullptr) << error;
  return store;
}

TEST(SqliteStore, RoundTripsRecordsInKeyOrder) {
  TempDir dir;
  auto store = open_or_fail(dir.file("kv.db"));
  ASSERT_NE(store, nullptr);
  const std::string binary("a\0b\xff\n", 5);
  ASSERT_TRUE(store->apply({.id = 1,
                            .records = {put("reg/bob", "contact-b"), put("reg/alice", binary),
                                        put("reg/empty", "")}}))
      << store->last_error();
  const std::vector<StoreRecord> want = {put("reg/alice", binary), put("reg/bob", "contact-b"),
                                         put("reg/empty", "")};
  EXPECT_EQ(store->load_all(), want);
}

TEST(SqliteStore, OverwritesAndDeletes) {
  TempDir dir;
  auto store = open_or_fail(dir.file("kv.db"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->apply({.id = 1, .records = {put("a", "1"), put("b", "2"), put("c", "3")}}));
  ASSERT_TRUE(store->apply({.id = 2, .records = {put("a", "10"), erase("b"), erase("missing")}}));
  EXPECT_EQ(store->load_all(), (std::vector<StoreRecord>{put("a", "10"), put("c", "3")}));
  // Within one write, later records win.
  ASSERT_TRUE(store->apply({.id = 3, .records = {put("d", "x"), erase("d"), put("c", "y")}}));
  EXPECT_EQ(store->load_all(), (std::vector<StoreRecord>{put("a", "10"), put("c", "y")}));
}

TEST(SqliteStore, EmptyWriteSucceeds) {
  TempDir dir;
  auto store = open_or_fail(dir.file("kv.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->apply({.id = 1, .records = {}}));
  EXPECT_TRUE(store->load_all().empty());
}

TEST(SqliteStore, FailingWriteLeavesNothing) {
  TempDir dir;
  auto store = open_or_fail(dir.file("kv.db"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->apply({.id = 1, .records = {put("keep", "old")}}));
  // The empty key fails after two records were already written inside the transaction.
  EXPECT_FALSE(store->apply(
      {.id = 2, .records = {put("new", "1"), put("keep", "changed"), put("", "bad")}}));
  EXPECT_NE(store->last_error().find("CHECK"), std::string::npos) << store->last_error();
  EXPECT_EQ(store->load_all(), (std::vector<StoreRecord>{put("keep", "old")}));
  // The store is still usable, and a success clears the error.
  EXPECT_TRUE(store->apply({.id = 3, .records = {put("new", "2")}}));
  EXPECT_TRUE(store->last_error().empty());
  EXPECT_EQ(store->load_all(), (std::vector<StoreRecord>{put("keep", "old"), put("new", "2")}));
}

TEST(SqliteStore, ReopenSeesCommittedData) {
  TempDir dir;
  {
    auto store = open_or_fail(dir.file("kv.db"), {.synchronous = SqliteStore::Synchronous::Full});
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->apply({.id = 1, .records = {put("a", "1"), put("b", "2")}}));
    ASSERT_TRUE(store->apply({.id = 2, .records = {erase("a")}}));
  }
  auto store = open_or_fail(dir.file("kv.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->load_all(), (std::vector<StoreRecord>{put("b", "2")}));
}

TEST(SqliteStore, OpenFailsWithAReasonWhenTheDirectoryIsMissing) {
  TempDir dir;
  std::string error;
  EXPECT_EQ(SqliteStore::open(dir.file("no/such/dir/kv.db"), {}, &error), nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(SqliteStore, OpenFailsOnAFileThatIsNotADatabase) {
  TempDir dir;
  {
    std::FILE* f = std::fopen(dir.file("junk.db").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is certainly not an SQLite database, it is just a text file\n", f);
    std::fclose(f);
  }
  std::string error;
  EXPECT_EQ(SqliteStore::open(dir.file("junk.db"), {}, &error), nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(SqliteStore, SecondOpenOfAnExclusiveStoreFails) {
  TempDir dir;
  auto first = open_or_fail(dir.file("kv.db"));
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->apply({.id = 1, .records = {put("a", "1")}}));
  std::string error;
  auto second = SqliteStore::open(dir.file("kv.db"), {.busy_timeout_ms = 50}, &error);
  EXPECT_EQ(second, nullptr);
  EXPECT_NE(error.find("another resproxy"), std::string::npos) << error;
  first.reset();
  EXPECT_NE(open_or_fail(dir.file("kv.db")), nullptr);  // free again once closed
}

// The durability promise of the daemon: a write that apply() acknowledged survives the process
// being killed at once (kill -9), with the default Synchronous::Normal.
TEST(SqliteStore, AcknowledgedWritesSurviveSigkill) {
  for (const bool use_exit : {false, true}) {
    SCOPED_TRACE(use_exit ? "_exit" : "SIGKILL");
    TempDir dir;
    const std::string path = dir.file("kv.db");
    constexpr int kWrites = 200;
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Child: no gtest macros (they would report into the parent's copy of the state).
      std::string error;
      auto store = SqliteStore::open(path, {}, &error);
      if (!store) _exit(3);
      for (int i = 0; i < kWrites; ++i) {
        const std::string n = std::to_string(i);
        StoreWrite write{.id = static_cast<std::uint64_t>(i),
                         .records = {put("reg/" + n, "binding-" + n)}};
        if (i > 0 && i % 10 == 0) write.records.push_back(erase("reg/" + std::to_string(i - 5)));
        if (!store->apply(write)) _exit(4);
      }
      // Straight after the last acknowledged write: no destructor, no close, no checkpoint.
      if (use_exit) _exit(0);
      raise(SIGKILL);
      _exit(5);  // not reached
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    if (use_exit) {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    } else {
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    }
    auto store = open_or_fail(path);
    ASSERT_NE(store, nullptr);
    const auto records = store->try_load_all();
    ASSERT_TRUE(records.has_value()) << store->last_error();
    std::map<std::string, std::string> got;
    for (const auto& r : *records) got[r.key] = r.value.value_or("<deleted?>");
    std::map<std::string, std::string> want;
    for (int i = 0; i < kWrites; ++i) {
      want["reg/" + std::to_string(i)] = "binding-" + std::to_string(i);
      if (i > 0 && i % 10 == 0) want.erase("reg/" + std::to_string(i - 5));
    }
    EXPECT_EQ(got, want);
  }
}

}  // namespace
}  // namespace resproxy::native
