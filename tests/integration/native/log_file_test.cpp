// LogFile (log_file.h) on real files: created 0600 whatever the umask, an existing wider file
// narrowed, rotation at the cap with whole entries and `keep` files, truncation with keep 0,
// reopen after logrotate's move, write errors on a full device counted, and the streambuf the
// trace log writes through.
#include "proxy/native/log_file.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>

#include "proxy/base/trace.h"
#include "proxy/native/sip_message_log.h"
#include "proxy/native/trace_sink.h"
#include "process_support.h"

namespace resproxy::native {
namespace {

namespace fs = std::filesystem;
using test_support::slurp;
using test_support::TempDir;

int mode_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

// An entry of exactly `size` bytes: `tag`, dots, newline.
std::string entry(const std::string& tag, std::size_t size) {
  std::string out = tag;
  out.resize(size - 1, '.');
  out += '\n';
  return out;
}

// Sets the umask for one scope.
struct Umask {
  explicit Umask(mode_t mask) : old(::umask(mask)) {}
  ~Umask() { ::umask(old); }
  mode_t old;
};

TEST(LogFile, IsCreatedPrivateWhateverTheUmask) {
  TempDir dir("rp-log");
  Umask umask(0);  // nothing masked: the mode asked for is the mode we get
  LogFile file((dir.path / "a.log").string(), {});
  file.write("x\n");
  EXPECT_EQ(mode_of(dir.path / "a.log"), 0600);
}

TEST(LogFile, NarrowsAnExistingFileAndAppendsToIt) {
  TempDir dir("rp-log");
  const fs::path path = dir.path / "a.log";
  std::ofstream(path) << "before\n";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  LogFile file(path.string(), {});
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_EQ(file.size(), 7u);
  file.write("after\n");
  EXPECT_EQ(slurp(path), "before\nafter\n");
}

TEST(LogFile, OpenFailureNamesThePath) {
  TempDir dir("rp-log");
  const std::string path = (dir.path / "no" / "such" / "a.log").string();
  try {
    LogFile file(path, {});
    FAIL() << "opened " << path;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(LogFile, RotatesBeforeAnEntryWouldPassTheCapAndKeepsKeepFiles) {
  TempDir dir("rp-log");
  const fs::path path = dir.path / "a.log";
  LogFile file(path.string(), {.max_bytes = 100, .keep = 2});
  // 40-byte entries: two fit in 100 bytes, the third starts a new file.
  for (int i = 1; i <= 7; ++i) file.write(entry("e" + std::to_string(i), 40));
  EXPECT_EQ(file.rotations(), 3u);
  EXPECT_EQ(slurp(path), entry("e7", 40));
  EXPECT_EQ(slurp(dir.path / "a.log.1"), entry("e5", 40) + entry("e6", 40));
  EXPECT_EQ(slurp(dir.path / "a.log.2"), entry("e3", 40) + entry("e4", 40));
  EXPECT_FALSE(fs::exists(dir.path / "a.log.3"));  // e1, e2: beyond keep, gone
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_EQ(mode_of(dir.path / "a.log.1"), 0600);
}

TEST(LogFile, AnEntryLargerThanTheCapGetsAFileOfItsOwn) {
  TempDir dir("rp-log");
  const fs::path path = dir.path / "a.log";
  LogFile file(path.string(), {.max_bytes = 100, .keep = 1});
  file.write(entry("small", 10));
  file.write(entry("big", 250));  // never split
  file.write(entry("next", 10));
  EXPECT_EQ(slurp(dir.path / "a.log.1"), entry("big", 250));
  EXPECT_EQ(slurp(path), entry("next", 10));
}

TEST(LogFile, KeepZeroTruncatesInsteadOfRotating) {
  TempDir dir("rp-log");
  const fs::path path = dir.path / "a.log";
  LogFile file(path.string(), {.max_bytes = 100, .keep = 0});
  for (int i = 1; i <= 3; ++i) file.write(entry("e" + std::to_string(i), 40));
  EXPECT_EQ(slurp(path), entry("e3", 40));
  EXPECT_FALSE(fs::exists(dir.path / "a.log.1"));
}

TEST(LogFile, ZeroMaxBytesNeverRotates) {
  TempDir dir("rp-log");
  LogFile file((dir.path / "a.log").string(), {.max_bytes = 0, .keep = 2});
  for (int i = 0; i < 100; ++i) file.write(entry("e", 100));
  EXPECT_EQ(file.size(), 10000u);
  EXPECT_EQ(file.rotations(), 0u);
}

TEST(LogFile, ReopenAfterLogrotateMovedTheFileStartsANewOne) {
  TempDir dir("rp-log");
  const fs::path path = dir.path / "a.log";
  LogFile file(path.string(), {});
  file.write("one\n");
  fs::rename(path, dir.path / "a.log.old");
  file.write("two\n");  // still the moved file: logrotate's copy window
  ASSERT_TRUE(file.reopen());
  file.write("three\n");
  EXPECT_EQ(slurp(dir.path / "a.log.old"), "one\ntwo\n");
  EXPECT_EQ(slurp(path), "three\n");
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_EQ(file.size(), 6u);
}

TEST(LogFile, ReopenThatFailsKeepsWritingToTheOldFile) {
  TempDir dir("rp-log");
  const fs::path sub = dir.path / "sub";
  fs::create_directory(sub);
  LogFile file((sub / "a.log").string(), {});
  fs::rename(sub, dir.path / "moved");  // the path's directory is gone
  std::string error;
  EXPECT_FALSE(file.reopen(&error));
  EXPECT_FALSE(error.empty());
  file.write("still\n");
  EXPECT_EQ(slurp(dir.path / "moved" / "a.log"), "still\n");
}

TEST(LogFile, WritesToAFullDeviceAreCountedNotFatal) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full";
  LogFile file("/dev/full", {.max_bytes = 10, .keep = 1});
  file.write("lost\n");
  file.write("lost too\n");
  EXPECT_EQ(file.write_errors(), 2u);
  EXPECT_EQ(file.size(), 0u);
}

TEST(LogFile, TheTraceLogWritesWholeLinesThroughTheStreambuf) {
  TempDir dir("rp-log");
  const fs::path path = dir.path / "trace.log";
  LogFile file(path.string(), {.max_bytes = 300, .keep = 3});
  LogFileStreambuf buffer(file);
  std::ostream out(&buffer);
  JsonLinesTraceSink sink(out, "node", /*flush_each_line=*/true);
  for (int i = 0; i < 20; ++i) {
    TraceEvent event;
    event.t = TimePoint{} + std::chrono::seconds(i);
    event.name = "test.event_emitted";
    event.with("n", std::to_string(i));
    sink.emit(event);
  }
  EXPECT_GT(file.rotations(), 0u);
  for (const auto* name : {"trace.log", "trace.log.1"}) {
    const std::string text = slurp(dir.path / name);
    ASSERT_FALSE(text.empty()) << name;
    EXPECT_TRUE(text.starts_with("{\"t_ns\":")) << name << ": " << text;
    EXPECT_TRUE(text.ends_with("}\n")) << name << ": " << text;
    EXPECT_LE(text.size(), 300u);
  }
  EXPECT_NE(slurp(path).find("\"n\":\"19\""), std::string::npos);
}

TEST(SipMessageLog, WritesThroughARotatingPrivateFile) {
  TempDir dir("rp-log");
  const fs::path path = dir.path / "sip.log";
  Umask umask(0);
  SipMessageLog log(path.string(), {.max_bytes = 200, .keep = 1});
  const Path p{.transport = Transport::Udp,
               .local = Address{"127.0.0.1", 5060},
               .remote = Address{"127.0.0.1", 5999}};
  log.write(false, p, "OPTIONS sip:a SIP/2.0\r\n\r\n");
  log.write(true, p, std::string(150, 'x'));
  EXPECT_EQ(log.entries(), 2u);
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_NE(slurp(dir.path / "sip.log.1").find("UDP in 127.0.0.1:5999 -> 127.0.0.1:5060"),
            std::string::npos);
  EXPECT_NE(slurp(path).find("UDP out 127.0.0.1:5060 -> 127.0.0.1:5999 (150 bytes)"),
            std::string::npos);
}

}  // namespace
}  // namespace resproxy::native
