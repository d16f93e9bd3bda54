// RFC 3398's two tables, row by row, and RFC 3326 Reason headers both ways.
#include "proxy/gateway/cause_map.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace resproxy::gateway {
namespace {

Cause network(std::uint8_t value) { return Cause{value, CauseLocation::PublicRemote}; }

// RFC 3398 §7.2.4.1 (ISUP cause value → SIP response), every row.
TEST(CauseMap, EveryRowOfRfc3398Section7_2_4_1) {
  const std::vector<std::pair<int, int>> rows = {
      {1, 404},  {2, 404},  {3, 404},  {17, 486}, {18, 408}, {19, 480}, {20, 480},
      {21, 403}, {22, 410}, {23, 410}, {26, 404}, {27, 502}, {28, 484}, {29, 501},
      {31, 480}, {34, 503}, {38, 503}, {41, 503}, {42, 503}, {47, 503}, {55, 403},
      {57, 403}, {58, 503}, {65, 488}, {70, 488}, {79, 501}, {87, 403}, {88, 503},
      {102, 504}, {111, 500}, {127, 500}};
  for (const auto& [cause, status] : rows) {
    EXPECT_EQ(sip_status_for(network(static_cast<std::uint8_t>(cause))), status) << "cause " << cause;
  }
  // 16 normal call clearing: a BYE or CANCEL, not a response.
  EXPECT_EQ(sip_status_for(network(16)), std::nullopt);
}

// The deliberate choices: no-circuit and congestion causes stay 503 (the next route gets tried),
// whoever's location they carry.
TEST(CauseMap, CapacityCausesGive503SoTheNextRouteIsTried) {
  for (std::uint8_t cause : {34, 38, 41, 42, 47}) {
    for (auto where : {CauseLocation::PublicLocal, CauseLocation::Transit, CauseLocation::PrivateLocal}) {
      EXPECT_EQ(sip_status_for(Cause{cause, where}), 503) << int(cause);
    }
  }
}

// RFC 3398 §7.2.4.1 note (+): the called user's own refusal is global (6xx).
TEST(CauseMap, ARefusalByTheUserItselfIsGlobal) {
  EXPECT_EQ(sip_status_for(Cause{21, CauseLocation::User}), 603);
  EXPECT_EQ(sip_status_for(Cause{17, CauseLocation::User}), 600);
  EXPECT_EQ(sip_status_for(Cause{21, CauseLocation::PublicLocal}), 403);
  EXPECT_EQ(sip_status_for(Cause{17, CauseLocation::PublicRemote}), 486);
  EXPECT_EQ(sip_status_for(Cause{1, CauseLocation::User}), 404);  // nothing global for 404
}

TEST(CauseMap, UnlistedCausesFollowTheirQ850Class) {
  EXPECT_EQ(sip_status_for(network(6)), 480);    // normal event class
  EXPECT_EQ(sip_status_for(network(44)), 503);   // resource unavailable
  EXPECT_EQ(sip_status_for(network(63)), 503);   // service or option not available
  EXPECT_EQ(sip_status_for(network(66)), 501);   // not implemented
  EXPECT_EQ(sip_status_for(network(81)), 500);   // invalid message
  EXPECT_EQ(sip_status_for(network(100)), 500);  // protocol error
}

// RFC 3398 §8.2.6.1 (SIP response → ISUP cause value), every row.
TEST(CauseMap, EveryRowOfRfc3398Section8_2_6_1) {
  const std::vector<std::pair<int, int>> rows = {
      {400, 41},  {401, 21},  {402, 21},  {403, 21},  {404, 1},   {405, 63},  {406, 79},
      {407, 21},  {408, 102}, {410, 22},  {413, 127}, {414, 127}, {415, 79},  {416, 127},
      {420, 127}, {421, 127}, {423, 127}, {480, 18},  {481, 41},  {482, 25},  {483, 25},
      {484, 28},  {485, 1},   {486, 17},  {500, 41},  {501, 79},  {502, 38},  {503, 41},
      {504, 102}, {505, 127}, {513, 127}, {600, 17},  {603, 21},  {604, 1}};
  for (const auto& [status, cause] : rows) {
    EXPECT_EQ(q850_for_status(status), cause) << "status " << status;
  }
  EXPECT_EQ(q850_for_status(487), std::nullopt);  // the caller's own CANCEL
  // "by Warning header" in the RFC: no codec in common, 65.
  EXPECT_EQ(q850_for_status(488), 65);
  EXPECT_EQ(q850_for_status(606), 65);
}

TEST(CauseMap, UnknownStatusesMapAsTheirClassX00) {
  EXPECT_EQ(q850_for_status(499), 41);   // as 400
  EXPECT_EQ(q850_for_status(599), 41);   // as 500
  EXPECT_EQ(q850_for_status(699), 17);   // as 600
  EXPECT_EQ(q850_for_status(302), 31);   // a redirection not followed
  EXPECT_EQ(q850_for_status(200), std::nullopt);
  EXPECT_EQ(q850_for_status(700), std::nullopt);
}

TEST(CauseMap, ReasonHeaderCarriesTheCauseAndItsQ850Name) {
  EXPECT_EQ(reason_header(34), "Q.850;cause=34;text=\"No circuit/channel available\"");
  EXPECT_EQ(reason_header(16), "Q.850;cause=16;text=\"Normal call clearing\"");
  EXPECT_EQ(reason_header(120), "Q.850;cause=120;text=\"Cause 120\"");
  for (int v = 1; v <= 127; ++v) {
    EXPECT_EQ(q850_of_reason(reason_header(static_cast<std::uint8_t>(v))), v);
  }
}

TEST(CauseMap, ReadsTheQ850ReasonAmongOthersAndRefusesWhatIsNotOne) {
  EXPECT_EQ(q850_of_reason("SIP;cause=200;text=\"Call completed elsewhere\", Q.850 ; cause = 17"), 17);
  EXPECT_EQ(q850_of_reason("q.850;text=\"a, b\";cause=41"), 41);
  EXPECT_EQ(q850_of_reason("SIP;cause=487"), std::nullopt);
  EXPECT_EQ(q850_of_reason("Q.850;cause=0"), std::nullopt);
  EXPECT_EQ(q850_of_reason("Q.850;cause=128"), std::nullopt);
  EXPECT_EQ(q850_of_reason("Q.850;cause=12a"), std::nullopt);
  EXPECT_EQ(q850_of_reason("Q.850;cause=00000000017"), std::nullopt);
  EXPECT_EQ(q850_of_reason("Q.850"), std::nullopt);
  EXPECT_EQ(q850_of_reason(""), std::nullopt);
  EXPECT_EQ(q850_of_reason("Q.850;text=\"cause=17\""), std::nullopt);
}

}  // namespace
}  // namespace resproxy::gateway
