// The exit rule (security/exit_rule.h), row by row: every sender, exit and service.
#include "proxy/security/exit_rule.h"

#include <gtest/gtest.h>

namespace resproxy::security {
namespace {

using enum Service;
// Sender and Exit share names (Gateway, Itsp): senders are spelled s…, exits to….
constexpr Sender sTrusted = Sender::Trusted, sAuthenticated = Sender::Authenticated,
                 sGateway = Sender::Gateway, sItsp = Sender::Itsp, sUntrusted = Sender::Untrusted;
constexpr Exit toItsp = Exit::Itsp, toPhone = Exit::Phone, toGateway = Exit::Gateway,
               toElsewhere = Exit::Elsewhere;

struct Row {
  Sender sender;
  Exit exit;
  Service service;
  bool allowed;
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << to_string(r.sender) << " → " << to_string(r.exit) << " in " << to_string(r.service);
}

class ExitTable : public ::testing::TestWithParam<Row> {};

TEST_P(ExitTable, Cell) {
  const Row& r = GetParam();
  ExitQuery q;
  q.sender = r.sender;
  q.exit = r.exit;
  q.service = r.service;
  EXPECT_EQ(allowed(check_exit(q)), r.allowed) << to_string(check_exit(q));
}

// Trusted and authenticated senders: anywhere (the proxy still answers 503 in mode off).
// The others: what the seed's tables name in that service.
INSTANTIATE_TEST_SUITE_P(
    Rule, ExitTable,
    ::testing::Values(
        Row{sTrusted, toGateway, Local, true}, Row{sTrusted, toElsewhere, ViaItsp, true},
        Row{sAuthenticated, toGateway, Local, true}, Row{sAuthenticated, toElsewhere, Trunk, true},
        // untrusted
        Row{sUntrusted, toPhone, Local, true}, Row{sUntrusted, toGateway, Local, false},
        Row{sUntrusted, toItsp, Local, false}, Row{sUntrusted, toElsewhere, Local, false},
        Row{sUntrusted, toItsp, ViaItsp, true}, Row{sUntrusted, toPhone, ViaItsp, false},
        Row{sUntrusted, toGateway, ViaItsp, false}, Row{sUntrusted, toElsewhere, ViaItsp, false},
        Row{sUntrusted, toItsp, Trunk, true}, Row{sUntrusted, toPhone, Trunk, true},
        Row{sUntrusted, toGateway, Trunk, false}, Row{sUntrusted, toElsewhere, Trunk, false},
        Row{sUntrusted, toPhone, Off, false}, Row{sUntrusted, toItsp, Off, false},
        // the PSTN gateway: never back to itself, never elsewhere
        Row{sGateway, toPhone, Local, true}, Row{sGateway, toGateway, Local, false},
        Row{sGateway, toElsewhere, Local, false}, Row{sGateway, toItsp, Local, false},
        Row{sGateway, toItsp, ViaItsp, true}, Row{sGateway, toPhone, ViaItsp, true},
        Row{sGateway, toGateway, ViaItsp, false}, Row{sGateway, toItsp, Trunk, true},
        Row{sGateway, toGateway, Trunk, false}, Row{sGateway, toElsewhere, Trunk, false},
        // the ITSP: the phones registered here, nothing else
        Row{sItsp, toPhone, Local, true}, Row{sItsp, toPhone, ViaItsp, true}, Row{sItsp, toPhone, Trunk, true},
        Row{sItsp, toItsp, ViaItsp, false}, Row{sItsp, toGateway, ViaItsp, false},
        Row{sItsp, toGateway, Local, false}, Row{sItsp, toElsewhere, Trunk, false}));

TEST(ExitRule, OurDialogReachesAnyNextHopItsMacNames) {
  for (Exit exit : {toItsp, toPhone, toGateway, toElsewhere}) {
    ExitQuery q;
    q.sender = sUntrusted;
    q.exit = exit;
    q.service = Local;
    q.our_dialog = true;
    EXPECT_EQ(check_exit(q), ExitVerdict::OurDialog) << to_string(exit);
  }
}

TEST(ExitRule, EmergencyCallsReachTheGatewayFromTheLanOnly) {
  ExitQuery q;
  q.sender = sUntrusted;
  q.exit = toGateway;
  q.service = ViaItsp;
  q.emergency = true;
  q.from_lan = true;
  EXPECT_EQ(check_exit(q), ExitVerdict::Emergency);
  q.from_lan = false;  // an anonymous source on the internet
  EXPECT_EQ(check_exit(q), ExitVerdict::Refused);
  q.from_lan = true;
  q.exit = toElsewhere;  // "emergency" is no pass to anywhere but the gateway
  EXPECT_EQ(check_exit(q), ExitVerdict::Refused);
  q.exit = toGateway;
  q.sender = sItsp;  // the ITSP never reaches the gateway
  EXPECT_EQ(check_exit(q), ExitVerdict::Refused);
}

TEST(ExitRule, ItspRequiresTrustKeepsUntrustedSourcesFromTheItsp) {
  ExitQuery q;
  q.sender = sUntrusted;
  q.exit = toItsp;
  q.service = ViaItsp;
  q.itsp_requires_trust = true;
  EXPECT_EQ(check_exit(q), ExitVerdict::Refused);
  q.service = Trunk;
  EXPECT_EQ(check_exit(q), ExitVerdict::Refused);
  q.sender = sGateway;  // the office's own gateway still reaches the ITSP
  EXPECT_EQ(check_exit(q), ExitVerdict::SeedTable);
  q.sender = sAuthenticated;
  EXPECT_EQ(check_exit(q), ExitVerdict::AuthenticatedSender);
}

TEST(ExitRule, ModeOffLetsNothingOutButFromTrustedOrAuthenticatedSenders) {
  ExitQuery q;
  q.service = Off;
  q.exit = toPhone;
  for (Sender s : {sGateway, sItsp, sUntrusted}) {
    q.sender = s;
    EXPECT_EQ(check_exit(q), ExitVerdict::Refused) << to_string(s);
  }
}

}  // namespace
}  // namespace resproxy::security
