// Trust by interface (security/interfaces.h): roles by name or by address, and who each
// interface vouches for — a LAN source arriving on the WAN interface is nobody.
#include "proxy/security/interfaces.h"

#include <gtest/gtest.h>

namespace resproxy::security {
namespace {

std::vector<NetInterface> branch_box() {
  return {
      {1, "lo", true, {"127.0.0.1/8", "::1/128"}},
      {2, "eth0", false, {"198.51.100.7/24"}},                  // WAN: a public address
      {3, "eth1", false, {"192.168.1.10/24", "fd00:1::1/64"}},  // the office LAN
      {4, "eth2", false, {"10.20.0.1/16"}},                     // another private network
  };
}

Path arriving(std::uint32_t interface, const std::string& source, const std::string& local = "0.0.0.0") {
  return Path{Transport::Udp, Address{local, 5060}, Address{source, 5060}, StreamId{}, interface};
}

TEST(Interfaces, RolesByAddressUnlessNamed) {
  auto auto_roles = classify_interfaces(branch_box(), {});
  ASSERT_EQ(auto_roles.size(), 4u);
  EXPECT_EQ(auto_roles[0].role, InterfaceRole::Loopback);
  EXPECT_EQ(auto_roles[1].role, InterfaceRole::Wan);
  EXPECT_EQ(auto_roles[2].role, InterfaceRole::Lan);
  EXPECT_EQ(auto_roles[3].role, InterfaceRole::Lan);
  // Named LAN interfaces: the others are not LAN, whatever their addresses.
  auto named = classify_interfaces(branch_box(), {.lan_names = {"eth1"}, .wan_names = {}});
  EXPECT_EQ(named[2].role, InterfaceRole::Lan);
  EXPECT_EQ(named[3].role, InterfaceRole::Wan);
  // A WAN name wins over the addresses (a private WAN behind the ISP's router).
  auto wan = classify_interfaces(branch_box(), {.lan_names = {}, .wan_names = {"eth2"}});
  EXPECT_EQ(wan[3].role, InterfaceRole::Wan);
  EXPECT_EQ(wan[2].role, InterfaceRole::Lan);
  // An interface with no address at all is not LAN.
  auto bare = classify_interfaces({{9, "tun0", false, {}}}, {});
  EXPECT_EQ(bare[0].role, InterfaceRole::Wan);
}

TEST(Interfaces, ALanInterfaceVouchesOnlyForItsOwnSubnets) {
  InterfaceTable t;
  EXPECT_FALSE(t.known());
  t.set(classify_interfaces(branch_box(), {}));
  EXPECT_TRUE(t.known());
  EXPECT_TRUE(t.vouches_for(arriving(3, "192.168.1.21")));
  EXPECT_TRUE(t.vouches_for(arriving(3, "fd00:1::99")));
  EXPECT_FALSE(t.vouches_for(arriving(3, "10.20.0.5")));  // eth2's subnet, arriving on eth1
  EXPECT_TRUE(t.vouches_for(arriving(4, "10.20.0.5")));
  EXPECT_TRUE(t.on_lan(arriving(3, "172.31.0.9")));        // a routed office subnet: LAN
  EXPECT_FALSE(t.vouches_for(arriving(3, "172.31.0.9")));  // but not trusted by default
}

TEST(Interfaces, ASpoofedLanSourceOnTheWanInterfaceIsNobody) {
  InterfaceTable t;
  t.set(classify_interfaces(branch_box(), {}));
  EXPECT_FALSE(t.vouches_for(arriving(2, "192.168.1.21")));
  EXPECT_FALSE(t.vouches_for(arriving(2, "127.0.0.1")));
  EXPECT_FALSE(t.on_lan(arriving(2, "192.168.1.21")));
}

TEST(Interfaces, LoopbackVouchesForWhateverArrivesOnIt) {
  InterfaceTable t;
  t.set(classify_interfaces(branch_box(), {}));
  EXPECT_TRUE(t.vouches_for(arriving(1, "127.0.0.1")));
  EXPECT_TRUE(t.vouches_for(arriving(1, "192.168.1.10")));  // this host to itself
  EXPECT_TRUE(t.on_lan(arriving(1, "127.0.0.1")));
}

TEST(Interfaces, WithoutAnIndexTheLocalAddressNamesTheInterface) {
  InterfaceTable t;
  t.set(classify_interfaces(branch_box(), {}));
  // TCP: no IP_PKTINFO, but the accepted connection's local address.
  EXPECT_TRUE(t.vouches_for(arriving(0, "192.168.1.21", "192.168.1.10")));
  EXPECT_FALSE(t.vouches_for(arriving(0, "192.168.1.21", "198.51.100.7")));
  EXPECT_FALSE(t.vouches_for(arriving(0, "192.168.1.21", "0.0.0.0")));
  // An index that is not in the table (an interface that appeared since): nobody vouches.
  EXPECT_FALSE(t.vouches_for(arriving(42, "192.168.1.21")));
}

}  // namespace
}  // namespace resproxy::security
