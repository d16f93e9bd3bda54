// Issue #11 bug 1: stored registration expiries are wall-clock time, so a restart after a reboot
// (another steady-clock epoch) keeps each binding's remaining lifetime; a wall-clock step
// rewrites what is stored; records of the old steady-clock format are believed only where they
// can be right.
#include <gtest/gtest.h>

#include <map>

#include "proxy/registrar/binding.h"
#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

// 2026-12-05 as seen by the box: the wall clock minus the core clock of the first run.
constexpr Duration kWallEpoch = std::chrono::seconds(1'796'486'400);

// The store as the runtime would hold it after these writes (last value per key wins).
std::vector<StoreRecord> stored(const ProxyFixture& f) {
  std::map<std::string, std::optional<std::string>> table;
  for (const auto* list : {&f.startup_writes, &f.writes}) {
    for (const auto& w : *list) {
      for (const auto& r : w.records) table[r.key] = r.value;
    }
  }
  std::vector<StoreRecord> out;
  for (auto& [key, value] : table) {
    if (value) out.push_back({key, value});
  }
  return out;
}

// "user Ns" per binding, as `show reg` would print the user and the time left.
std::string show_reg(ProxyFixture& f) {
  std::string out;
  for (const auto& row : f.show_reg().rows) {
    out += " " + row.user + " " + std::to_string(row.expires_in_s) + "s \n";
  }
  return out;
}

TEST(WallClock, ARestartOnAnotherSteadyEpochKeepsTheRemainingLifetime) {
  ProxyConfig c = ProxyFixture::default_config();
  c.wall_clock_offset = kWallEpoch;
  ProxyFixture before(c);
  before.register_phone(alice());  // 3600 s
  ASSERT_NE(show_reg(before).find(" 3600s "), std::string::npos) << show_reg(before);
  const Duration wall_at_register = before.now.time_since_epoch() + kWallEpoch;

  // The box reboots: its steady clock starts again (2 minutes of uptime when the daemon
  // starts), and the wall clock says 10 minutes have passed.
  const TimePoint boot_now{std::chrono::minutes(2)};
  ProxyConfig after_config = c;
  after_config.start = boot_now;
  after_config.wall_clock_offset = wall_at_register + std::chrono::minutes(10) - boot_now.time_since_epoch();
  ProxyFixture after(after_config, stored(before));
  after.now = boot_now;
  EXPECT_NE(show_reg(after).find(" 3000s "), std::string::npos) << show_reg(after);
  // Live deadlines stay on the steady clock: the binding is gone 3000 s later, not before.
  after.advance(std::chrono::seconds(2999));
  EXPECT_EQ(after.node.binding_count(), 1u);
  after.advance(std::chrono::seconds(2));
  EXPECT_EQ(after.node.binding_count(), 0u);
}

TEST(WallClock, AStepOfTheWallClockRewritesWhatIsStored) {
  // A branch box without a real-time clock boots in 1970; NTP then sets the date.
  ProxyConfig c = ProxyFixture::default_config();
  c.wall_clock_offset = Duration::zero();
  ProxyFixture before(c);
  before.register_phone(alice());
  before.writes.clear();
  before.now += std::chrono::seconds(100);
  before.node.on_wall_clock(before.now, before.now.time_since_epoch() + kWallEpoch);
  before.drain();
  ASSERT_EQ(before.writes.size(), 1u);  // every binding written again in the new wall time
  EXPECT_TRUE(before.trace.contains("clock.wall_clock_stepped"));
  const Duration wall_now = before.now.time_since_epoch() + kWallEpoch;

  // A reboot later (same wall clock minute), the binding has its 3500 s left.
  const TimePoint boot_now{std::chrono::minutes(1)};
  ProxyConfig after_config = c;
  after_config.start = boot_now;
  after_config.wall_clock_offset = wall_now - boot_now.time_since_epoch();
  ProxyFixture after(after_config, stored(before));
  after.now = boot_now;
  EXPECT_NE(show_reg(after).find(" 3500s "), std::string::npos) << show_reg(after);

  // A reading within a second of the last is jitter, not a step: nothing is rewritten.
  after.writes.clear();
  after.node.on_wall_clock(after.now, after.now.time_since_epoch() + after_config.wall_clock_offset +
                                          std::chrono::milliseconds(300));
  after.drain();
  EXPECT_TRUE(after.writes.empty());
}

// A record of the old format: times in the steady clock of the run that wrote it.
StoreRecord legacy_record(TimePoint registered, Duration lifetime) {
  registrar::Binding b;
  b.user = "2001";
  b.domain = "office.example";
  b.contact = "sip:2001@192.168.1.21:5060";
  b.call_id = "reg-2001";
  b.cseq = 1;
  b.registered_at = registered;
  b.expires_at = registered + lifetime;
  b.sequence = 1;
  b.source = Path{Transport::Udp, kProxy, {"192.168.1.21", 5060}};
  std::string value = registrar::encode_binding(b, Duration::zero());
  EXPECT_TRUE(value.starts_with("2:b3"));
  // 0.1's records: format b1, no revision field (b.revision is 0: the last field is "1:0").
  EXPECT_TRUE(value.ends_with("1:0"));
  value.resize(value.size() - 3);
  value.replace(0, 4, "2:b1");
  return {registrar::binding_key(b.user, b.contact), value};
}

TEST(WallClock, OldRecordsAreBelievedWithoutARebootAndDroppedAfterOne) {
  // Upgrade without a reboot: the steady clock went on (registered 20 min before our start).
  ProxyConfig c = ProxyFixture::default_config();
  c.wall_clock_offset = kWallEpoch;
  c.start = TimePoint{std::chrono::hours(5)};
  ProxyFixture kept(c, {legacy_record(c.start - std::chrono::minutes(20), std::chrono::hours(1))});
  kept.now = c.start;
  EXPECT_NE(show_reg(kept).find(" 2400s "), std::string::npos) << show_reg(kept);
  ASSERT_NE(kept.trace.find("registrar.legacy_records"), nullptr);
  EXPECT_EQ(kept.trace.find("registrar.legacy_records")->field("kept"), "1");
  // Written again in the new format, in wall-clock time.
  bool rewritten = false;
  for (const auto& w : kept.startup_writes) {
    for (const auto& r : w.records) rewritten |= r.value && r.value->starts_with("2:b3");
  }
  EXPECT_TRUE(rewritten);

  // After a reboot the steady clock started again: a binding "registered" after our start
  // comes from another boot, and its expiry means nothing here.
  c.start = TimePoint{std::chrono::minutes(3)};
  ProxyFixture dropped(c, {legacy_record(TimePoint{std::chrono::hours(30)}, std::chrono::hours(1))});
  dropped.now = c.start;
  EXPECT_EQ(dropped.node.binding_count(), 0u);
  EXPECT_EQ(dropped.trace.find("registrar.legacy_records")->field("dropped"), "1");
}

}  // namespace
}  // namespace resproxy::routing::testing
