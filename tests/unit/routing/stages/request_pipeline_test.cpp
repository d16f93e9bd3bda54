// The table of stages (stages/request_pipeline.h): its order, and that a request several stages
// would refuse gets the first one's answer. The stages run as the node walks them, from fakes.
#include "proxy/routing/stages/request_pipeline.h"

#include "proxy/base/rng.h"
#include "tests/unit/routing/stages/stage_fixture.h"

namespace resproxy::routing::stages::testing {
namespace {

struct NoCancels final : CancelPort {
  bool cancel_invite(TimePoint, transaction::ServerTransactionId, const sip::Message&) override {
    return false;
  }
};

struct TablesOnly final : Router {
  int tabled = 0;
  Decision route_by_request(RequestContext&) override { return Decision::go_on(); }
  void route_by_table(const RequestContext&) override { ++tabled; }
};

struct PipelineFixture {
  ProxyConfig config;
  ProxyCounters counters;
  Overload overload;
  SeededRng rng{3};
  RecordingTraceSink trace;
  security::SourceAdmission sources{{}, rng, trace, counters};
  std::unique_ptr<ItspMonitor> itsp;
  SourceClassifier classifier{config.pstn_gateway, itsp, sources};
  std::optional<security::DigestAdmission> digest;
  RequestState state;
  OurVias us{config.local, config.tls_port, config.itsp.nat_outside_address};
  NoCancels cancels;
  TablesOnly router;
  RequestStages stages{
      .capacity = {config.max_transactions, overload, config.emergency_numbers, counters},
      .reject = {config.rejected, config.pstn_gateway, counters},
      .mode_off = {config.mode},
      .validate = {counters},
      .cancel = {cancels},
      .loop = {us, counters},
      .route = {router},
      .admission = {classifier, digest, sources, config.emergency_numbers, state, trace},
      .table = {router},
  };

  PipelineFixture() { config.local = kProxy; }

  // The name of the stage that ended the request's way, and its decision (as the node walks them).
  std::pair<std::string_view, Decision> run(RequestContext& c) {
    std::pair<std::string_view, Decision> ended{"", Decision::go_on()};
    visit_request_stages(stages, [&](std::string_view name, const auto& stage) {
      auto decision = stage.run(c);
      if (decision.next == Next::Continue) return false;
      ended = {name, std::move(decision)};
      return true;
    });
    return ended;
  }
};

TEST(RequestPipeline, TheStagesInOrder) {
  PipelineFixture f;
  std::vector<std::string_view> names;
  visit_request_stages(f.stages, [&](std::string_view name, const auto&) {
    names.push_back(name);
    return false;
  });
  EXPECT_EQ(names, (std::vector<std::string_view>{"capacity", "reject", "mode_off", "validate", "cancel",
                                                  "loop", "route", "admission", "table"}));
}

TEST(RequestPipeline, ARequestNobodyRefusesEndsAtTheTables) {
  PipelineFixture f;
  auto in = input("INVITE", "sip:2002@office.example");
  auto [name, decision] = f.run(in.context);
  EXPECT_EQ(name, "table");
  EXPECT_EQ(decision.next, Next::HandedOn);
  EXPECT_EQ(f.router.tabled, 1);
  EXPECT_EQ(in.context.source, SourceClass::Endpoint);  // admission ran before the tables
}

TEST(RequestPipeline, TheFirstStageThatRefusesAnswers) {
  PipelineFixture f;
  f.config.rejected.push_back(*security::IpRange::parse("192.168.1.0/24"));
  f.config.mode = ProxyMode::Off;
  auto in = input("CANCEL", "sip:2002@office.example", kPhone, {{"Max-Forwards", "0"}});
  in.context.server_transactions = f.config.max_transactions + 1;  // a CANCEL is never "new work"
  EXPECT_EQ(f.run(in.context).first, "reject");                    // before mode off
  f.config.rejected.clear();
  EXPECT_EQ(f.run(in.context).first, "mode_off");  // before the §16.3 checks
  f.config.mode = ProxyMode::Standalone;
  auto [name, decision] = f.run(in.context);
  EXPECT_EQ(name, "validate");  // before CANCEL matching
  EXPECT_EQ(decision.status, 483);
  auto cancel = input("CANCEL", "sip:2002@office.example");
  EXPECT_EQ(f.run(cancel.context).second.status, 481);
  EXPECT_EQ(f.router.tabled, 0);
}

}  // namespace
}  // namespace resproxy::routing::stages::testing
