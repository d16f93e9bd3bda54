// SourceAdmission (security/source_admission.h): the trust lists, the office LAN and the bans,
// as the proxy asks them — including that a remembered answer is forgotten when the interfaces
// change.
#include "proxy/security/source_admission.h"

#include <gtest/gtest.h>

namespace resproxy::security {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow{std::chrono::hours(1)};

Path arriving(std::uint32_t interface, const std::string& source) {
  return Path{Transport::Udp, Address{"0.0.0.0", 5060}, Address{source, 5060}, StreamId{}, interface};
}

std::vector<NetInterface> branch_box() {
  return {{1, "lo", true, {"127.0.0.1/8"}},
          {2, "eth0", false, {"198.51.100.7/24"}},   // WAN
          {3, "eth1", false, {"192.168.1.10/24"}}};  // LAN
}

struct SourceFixture {
  explicit SourceFixture(SourceAdmissionConfig config = {})
      : admission(std::move(config), rng, trace, counters) {}
  SeededRng rng{1};
  RecordingTraceSink trace;
  AdmissionCounters counters;
  SourceAdmission admission;
};

TEST(SourceAdmission, BeforeAnyInterfaceTableThePrivateRangesAreTrusted) {
  SourceFixture f;
  EXPECT_TRUE(f.admission.is_trusted(arriving(0, "192.168.1.21")));
  EXPECT_TRUE(f.admission.is_trusted(arriving(0, "10.0.0.5")));
  EXPECT_FALSE(f.admission.is_trusted(arriving(0, "203.0.113.9")));
  EXPECT_TRUE(f.admission.from_lan(arriving(0, "192.168.1.21")));
}

TEST(SourceAdmission, ANewInterfaceTableOverridesWhatWasRememberedForTheSameSource) {
  SourceFixture f;
  const Path spoofed = arriving(2, "192.168.1.21");  // a LAN address arriving on the WAN side
  EXPECT_TRUE(f.admission.is_trusted(spoofed));      // no table yet: the private-range default
  f.admission.set_interfaces(branch_box());
  EXPECT_FALSE(f.admission.is_trusted(spoofed));  // the remembered answer was forgotten
  EXPECT_FALSE(f.admission.from_lan(spoofed));
  EXPECT_TRUE(f.admission.is_trusted(arriving(3, "192.168.1.21")));
  EXPECT_TRUE(f.admission.interfaces().known());
}

TEST(SourceAdmission, ConfiguredRangesAreTrustedWhereverTheyArriveAndWithoutDefaultsOnlyThey) {
  SourceAdmissionConfig config;
  config.trusted.push_back(*IpRange::parse("203.0.113.0/24"));
  config.trust_defaults = false;
  SourceFixture f(std::move(config));
  f.admission.set_interfaces(branch_box());
  EXPECT_TRUE(f.admission.is_trusted(arriving(2, "203.0.113.9")));
  EXPECT_FALSE(f.admission.is_trusted(arriving(3, "192.168.1.21")));  // the LAN vouches for nobody now
  EXPECT_TRUE(f.admission.from_lan(arriving(3, "192.168.1.21")));     // but it is still the LAN
}

TEST(SourceAdmission, ConfiguredLanRangesDecideTheLanWhateverTheInterface) {
  SourceAdmissionConfig config;
  config.lan.push_back(*IpRange::parse("172.16.5.0/24"));
  SourceFixture f(std::move(config));
  f.admission.set_interfaces(branch_box());
  EXPECT_TRUE(f.admission.from_lan(arriving(2, "172.16.5.9")));
  EXPECT_FALSE(f.admission.from_lan(arriving(3, "192.168.1.21")));
}

TEST(SourceAdmission, AFloodingSourceIsBannedCountedAndTracedOnce) {
  SourceAdmissionConfig config;
  config.flood.untrusted_rate = 1;
  config.flood.untrusted_burst = 2;
  config.flood.ban_time = 90s;
  SourceFixture f(std::move(config));
  const Path outsider = arriving(0, "203.0.113.9");
  int admitted = 0;
  for (int i = 0; i < 50; ++i) admitted += f.admission.admit(kNow, outsider, /*office=*/false, 200);
  EXPECT_EQ(admitted, 2);  // the burst
  EXPECT_EQ(f.counters.flood_dropped, 48u);
  EXPECT_EQ(f.counters.sources_banned, 1u);
  const auto* banned = f.trace.find("security.source_banned");
  ASSERT_NE(banned, nullptr);
  EXPECT_EQ(banned->field("source"), "203.0.113.9");
  EXPECT_EQ(banned->field("ban_s"), "90");
  ASSERT_EQ(f.admission.flood().bans(kNow).size(), 1u);
  // The office has its own budget.
  EXPECT_TRUE(f.admission.admit(kNow, arriving(0, "192.168.1.21"), /*office=*/true, 200));
}

}  // namespace
}  // namespace resproxy::security
