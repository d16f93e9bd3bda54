// A stalled disk under the registration store: the real core (ProxyNode) on NativeRuntime with
// an SQLite store whose file system is a test VFS wrapping the default one, whose writes and
// syncs wait while the test holds its gate closed (the disk stalls). While a commit is stuck
// on the store thread, signalling goes on: OPTIONS is answered, a REGISTER that fits the
// store queue waits, and one beyond the queue bound gets 500 with Retry-After at once. When
// the gate opens, the waiting REGISTERs get their 200s in order and everything is on disk.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "proxy/native/openssl_crypto.h"
#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/native/config.h"
#include "proxy/native/runtime.h"
#include "proxy/native/sqlite_store.h"
#include "proxy/registrar/binding.h"
#include "proxy/routing/proxy_node.h"
#include "process_support.h"
#include "tests/integration/native/test_node.h"

namespace resproxy::native {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using ErrorCode = boost::system::error_code;
using test_support::TempDir;
using testing::run_until;
using namespace std::chrono_literals;

// --- A disk that stalls: an SQLite VFS whose xWrite and xSync wait while the gate is closed.

class Gate {
 public:
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      closed_ = false;
    }
    cv_.notify_all();
  }
  // Called on the store thread: returns at once while open, else when the test opens it.
  void pass() {
    std::unique_lock lock(mutex_);
    if (!closed_) return;
    ++waiting_;
    cv_.wait(lock, [this] { return !closed_; });
    --waiting_;
  }
  int waiting() {
    std::lock_guard lock(mutex_);
    return waiting_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool closed_ = false;
  int waiting_ = 0;
};

Gate& disk_gate() {
  static Gate gate;
  return gate;
}

constexpr const char* kStallVfs = "resproxy-test-stall";

// The wrapped file: our sqlite3_file, then the default VFS's file in the same allocation.
struct StallFile {
  sqlite3_file base;
  sqlite3_io_methods methods;
  sqlite3_file* real;
};

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<StallFile*>(f)->real; }
const sqlite3_io_methods& real_methods(sqlite3_file* f) { return *real_of(f)->pMethods; }
sqlite3_vfs* base_vfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int stall_close(sqlite3_file* f) { return real_methods(f).xClose(real_of(f)); }
int stall_read(sqlite3_file* f, void* buffer, int n, sqlite3_int64 offset) {
  return real_methods(f).xRead(real_of(f), buffer, n, offset);
}
int stall_write(sqlite3_file* f, const void* buffer, int n, sqlite3_int64 offset) {
  disk_gate().pass();
  return real_methods(f).xWrite(real_of(f), buffer, n, offset);
}
int stall_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_methods(f).xTruncate(real_of(f), size);
}
int stall_sync(sqlite3_file* f, int flags) {
  disk_gate().pass();
  return real_methods(f).xSync(real_of(f), flags);
}
int stall_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_methods(f).xFileSize(real_of(f), size);
}
int stall_lock(sqlite3_file* f, int level) { return real_methods(f).xLock(real_of(f), level); }
int stall_unlock(sqlite3_file* f, int level) { return real_methods(f).xUnlock(real_of(f), level); }
int stall_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_methods(f).xCheckReservedLock(real_of(f), out);
}
int stall_file_control(sqlite3_file* f, int op, void* arg) {
  return real_methods(f).xFileControl(real_of(f), op, arg);
}
int stall_sector_size(sqlite3_file* f) { return real_methods(f).xSectorSize(real_of(f)); }
int stall_device_characteristics(sqlite3_file* f) {
  return real_methods(f).xDeviceCharacteristics(real_of(f));
}
int stall_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real_methods(f).xShmMap(real_of(f), page, size, extend, out);
}
int stall_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_methods(f).xShmLock(real_of(f), offset, n, flags);
}
void stall_shm_barrier(sqlite3_file* f) { real_methods(f).xShmBarrier(real_of(f)); }
int stall_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real_methods(f).xShmUnmap(real_of(f), delete_flag);
}
int stall_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return real_methods(f).xFetch(real_of(f), offset, amount, out);
}
int stall_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return real_methods(f).xUnfetch(real_of(f), offset, p);
}

int stall_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* wrapped = reinterpret_cast<StallFile*>(file);
  wrapped->real = reinterpret_cast<sqlite3_file*>(wrapped + 1);
  wrapped->real->pMethods = nullptr;
  sqlite3_vfs* base = base_vfs(vfs);
  const int rc = base->xOpen(base, name, wrapped->real, flags, out_flags);
  if (wrapped->real->pMethods == nullptr) {
    file->pMethods = nullptr;  // nothing to close
    return rc;
  }
  sqlite3_io_methods& m = wrapped->methods;
  m = sqlite3_io_methods{};
  m.iVersion = wrapped->real->pMethods->iVersion;
  m.xClose = stall_close;
  m.xRead = stall_read;
  m.xWrite = stall_write;
  m.xTruncate = stall_truncate;
  m.xSync = stall_sync;
  m.xFileSize = stall_file_size;
  m.xLock = stall_lock;
  m.xUnlock = stall_unlock;
  m.xCheckReservedLock = stall_check_reserved_lock;
  m.xFileControl = stall_file_control;
  m.xSectorSize = stall_sector_size;
  m.xDeviceCharacteristics = stall_device_characteristics;
  m.xShmMap = stall_shm_map;
  m.xShmLock = stall_shm_lock;
  m.xShmBarrier = stall_shm_barrier;
  m.xShmUnmap = stall_shm_unmap;
  m.xFetch = stall_fetch;
  m.xUnfetch = stall_unfetch;
  file->pMethods = &m;
  return rc;
}

int stall_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return base_vfs(vfs)->xDelete(base_vfs(vfs), name, sync_dir);
}
int stall_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return base_vfs(vfs)->xAccess(base_vfs(vfs), name, flags, out);
}
int stall_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return base_vfs(vfs)->xFullPathname(base_vfs(vfs), name, size, out);
}
void* stall_dl_open(sqlite3_vfs* vfs, const char* name) {
  return base_vfs(vfs)->xDlOpen(base_vfs(vfs), name);
}
void stall_dl_error(sqlite3_vfs* vfs, int size, char* out) {
  base_vfs(vfs)->xDlError(base_vfs(vfs), size, out);
}
void (*stall_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return base_vfs(vfs)->xDlSym(base_vfs(vfs), handle, symbol);
}
void stall_dl_close(sqlite3_vfs* vfs, void* handle) {
  base_vfs(vfs)->xDlClose(base_vfs(vfs), handle);
}
int stall_randomness(sqlite3_vfs* vfs, int size, char* out) {
  return base_vfs(vfs)->xRandomness(base_vfs(vfs), size, out);
}
int stall_sleep(sqlite3_vfs* vfs, int micros) { return base_vfs(vfs)->xSleep(base_vfs(vfs), micros); }
int stall_current_time(sqlite3_vfs* vfs, double* out) {
  return base_vfs(vfs)->xCurrentTime(base_vfs(vfs), out);
}
int stall_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
  return base_vfs(vfs)->xGetLastError(base_vfs(vfs), size, out);
}
int stall_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return base_vfs(vfs)->xCurrentTimeInt64(base_vfs(vfs), out);
}

// Registers the stalling VFS once (not as the default); its name is kStallVfs.
void register_stall_vfs() {
  static const bool registered = [] {
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    static sqlite3_vfs vfs{};
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(sizeof(StallFile)) + base->szOsFile;
    vfs.mxPathname = base->mxPathname;
    vfs.zName = kStallVfs;
    vfs.pAppData = base;
    vfs.xOpen = stall_open;
    vfs.xDelete = stall_delete;
    vfs.xAccess = stall_access;
    vfs.xFullPathname = stall_full_pathname;
    vfs.xDlOpen = stall_dl_open;
    vfs.xDlError = stall_dl_error;
    vfs.xDlSym = stall_dl_sym;
    vfs.xDlClose = stall_dl_close;
    vfs.xRandomness = stall_randomness;
    vfs.xSleep = stall_sleep;
    vfs.xCurrentTime = stall_current_time;
    vfs.xGetLastError = stall_get_last_error;
    vfs.xCurrentTimeInt64 = stall_current_time_int64;
    return sqlite3_vfs_register(&vfs, /*makeDflt=*/0) == SQLITE_OK;
  }();
  ASSERT_TRUE(registered);
}

// --- Phones: one UDP socket on the test's io_context, collecting every response.

struct Response {
  int status = 0;
  std::string call_id;
  std::string text;
};

std::string header(const std::string& message, const std::string& name) {
  const auto at = message.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const auto start = at + 4 + name.size();
  return message.substr(start, message.find("\r\n", start) - start);
}

class Phones {
 public:
  explicit Phones(asio::io_context& io)
      : io_(io), socket_(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    receive();
  }
  ~Phones() {
    ErrorCode ignored;
    socket_.close(ignored);
  }

  // Sends a request with Call-ID "<user>-call"; a REGISTER binds <user> for an hour.
  void send(std::uint16_t proxy_port, const std::string& method, const std::string& user) {
    ++cseq_;
    const std::string port = std::to_string(socket_.local_endpoint().port());
    const std::string uri = method == "REGISTER" ? "sip:resproxy.local"
                                                  : "sip:127.0.0.1:" + std::to_string(proxy_port);
    std::string msg = method + " " + uri + " SIP/2.0\r\n" +
                      "Via: SIP/2.0/UDP 127.0.0.1:" + port + ";branch=z9hG4bKstall" +
                      std::to_string(cseq_) + ";rport\r\n" +
                      "Max-Forwards: 70\r\n"
                      "From: <sip:" + user + "@resproxy.local>;tag=f" + std::to_string(cseq_) +
                      "\r\nTo: <sip:" + user + "@resproxy.local>\r\n" +
                      "Call-ID: " + user + "-call\r\n" +
                      "CSeq: " + std::to_string(cseq_) + " " + method + "\r\n";
    if (method == "REGISTER") {
      msg += "Contact: <sip:" + user + "@127.0.0.1:" + port + ">\r\nExpires: 3600\r\n";
    }
    msg += "Content-Length: 0\r\n\r\n";
    socket_.send_to(asio::buffer(msg),
                    udp::endpoint(asio::ip::make_address("127.0.0.1"), proxy_port));
  }

  // The final responses for `user`'s Call-ID so far, in arrival order.
  std::vector<Response> finals(const std::string& user) const {
    std::vector<Response> out;
    for (const auto& r : responses_) {
      if (r.call_id == user + "-call" && r.status >= 200) out.push_back(r);
    }
    return out;
  }
  // Waits (bounded) for the next final response to `user`; nullopt if none came.
  std::optional<Response> wait_final(const std::string& user, std::size_t count = 1) {
    if (!run_until(io_, [&] { return finals(user).size() >= count; })) return std::nullopt;
    return finals(user)[count - 1];
  }
  // Index of the first final response to `user` among all responses, or -1.
  int position(const std::string& user) const {
    for (std::size_t i = 0; i < responses_.size(); ++i) {
      if (responses_[i].call_id == user + "-call" && responses_[i].status >= 200) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }

 private:
  void receive() {
    socket_.async_receive_from(asio::buffer(buffer_), from_, [this](const ErrorCode& ec,
                                                                    std::size_t n) {
      if (ec) return;
      Response r;
      r.text.assign(buffer_.data(), n);
      if (r.text.starts_with("SIP/2.0 ")) r.status = std::atoi(r.text.c_str() + 8);
      r.call_id = header(r.text, "Call-ID");
      responses_.push_back(std::move(r));
      receive();
    });
  }

  asio::io_context& io_;
  udp::socket socket_;
  udp::endpoint from_;
  std::array<char, 65536> buffer_{};
  std::vector<Response> responses_;
  int cseq_ = 0;
};

// The daemon's set-up in miniature, with the stalling disk and a store queue of 2 writes.
class StorePressureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_stall_vfs();
    SqliteStore::Options options;
    options.vfs = kStallVfs;
    store_ = SqliteStore::open((dir_.path / "registrations.db").string(), options);
    ASSERT_TRUE(store_);
    auto records = store_->try_load_all();
    ASSERT_TRUE(records);
    routing::ProxyConfig config = DaemonConfig{}.proxy;
    config.local = Address{"127.0.0.1", 0};
    node_ = std::make_unique<routing::ProxyNode>(config, std::move(*records), rng_,
                                                 openssl_crypto(), trace_);
    ListenConfig listen;
    listen.ip = "127.0.0.1";
    listen.store_commit_interval = 0us;
    listen.store_queue_max = 2;
    runtime_ = std::make_unique<NativeRuntime>(io_, *node_, listen);
    runtime_->set_store(store_.get());
    runtime_->start();
    node_->set_local_address(runtime_->local_address());
    phones_ = std::make_unique<Phones>(io_);
  }
  void TearDown() override {
    disk_gate().open();  // whatever happened: the store thread must be able to finish
    phones_.reset();
    if (runtime_) runtime_->stop();
    runtime_.reset();
    node_.reset();
  }
  std::uint16_t port() const { return runtime_->local_address().port; }

  TempDir dir_{"rp-stall"};
  std::unique_ptr<SqliteStore> store_;
  SeededRng rng_{7};
  NullTraceSink trace_;
  asio::io_context io_;
  std::unique_ptr<routing::ProxyNode> node_;
  std::unique_ptr<NativeRuntime> runtime_;
  std::unique_ptr<Phones> phones_;
};

TEST_F(StorePressureTest, SignallingGoesOnWhileTheDiskStallsAndTheQueueIsBounded) {
  // The disk works: a REGISTER is answered 200 after its commit.
  phones_->send(port(), "REGISTER", "alice");
  auto alice = phones_->wait_final("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->status, 200) << alice->text;

  // The disk stalls under bob's commit: the store thread waits inside SQLite.
  disk_gate().close();
  phones_->send(port(), "REGISTER", "bob");
  ASSERT_TRUE(run_until(io_, [] { return disk_gate().waiting() > 0; }));
  // carol's write waits in the queue behind it: two writes, the bound.
  phones_->send(port(), "REGISTER", "carol");
  ASSERT_TRUE(run_until(io_, [&] { return runtime_->stats().store_queue_depth == 2; }));

  // dave's write is beyond the bound: 500 with Retry-After at once, the disk still stalled.
  phones_->send(port(), "REGISTER", "dave");
  auto dave = phones_->wait_final("dave");
  ASSERT_TRUE(dave);
  EXPECT_EQ(dave->status, 500) << dave->text;
  EXPECT_FALSE(header(dave->text, "Retry-After").empty()) << dave->text;
  // Signalling that needs no store is answered as usual.
  phones_->send(port(), "OPTIONS", "erin");
  auto erin = phones_->wait_final("erin");
  ASSERT_TRUE(erin);
  EXPECT_EQ(erin->status, 200) << erin->text;
  // Still stalled: bob and carol have no answer yet.
  EXPECT_GT(disk_gate().waiting(), 0);
  EXPECT_TRUE(phones_->finals("bob").empty());
  EXPECT_TRUE(phones_->finals("carol").empty());
  auto stats = runtime_->stats();
  EXPECT_EQ(stats.store_queue_depth, 2u);
  EXPECT_EQ(stats.store_queue_full, 1u);
  EXPECT_EQ(stats.store_failures, 1u);
  EXPECT_EQ(node_->counters().store_failures, 1u);

  // The stall ends: the waiting writes complete, in order, with 200.
  disk_gate().open();
  auto bob = phones_->wait_final("bob");
  auto carol = phones_->wait_final("carol");
  ASSERT_TRUE(bob);
  ASSERT_TRUE(carol);
  EXPECT_EQ(bob->status, 200) << bob->text;
  EXPECT_EQ(carol->status, 200) << carol->text;
  EXPECT_LT(phones_->position("bob"), phones_->position("carol"));
  ASSERT_TRUE(run_until(io_, [&] { return runtime_->stats().store_queue_depth == 0; }));

  // dave tries again (as told by Retry-After) and is registered.
  phones_->send(port(), "REGISTER", "dave");
  dave = phones_->wait_final("dave", 2);
  ASSERT_TRUE(dave);
  EXPECT_EQ(dave->status, 200) << dave->text;
  EXPECT_EQ(runtime_->stats().store_failures, 1u);

  // Everything acknowledged is on disk (read once the store thread has finished).
  runtime_->stop();
  std::size_t bindings = 0;
  for (const auto& record : store_->load_all()) {
    if (record.key.starts_with(registrar::kBindingKeyPrefix)) ++bindings;
  }
  EXPECT_EQ(bindings, 4u);
}

}  // namespace
}  // namespace resproxy::native
