// The PSTN gateway's signalling cost per call: GatewayNode (proxy/gateway/) with the emulated E1
// and exchange (sim_hardware/host/) on a hand clock, a SIP caller played by the benchmark.
// One iteration = one whole call SIP -> PSTN: INVITE, 100, CALL PROCEEDING / ALERTING / CONNECT on
// the E1 (Q.931 encoded and decoded both ways), 180, 200, ACK, BYE, DISCONNECT / RELEASE /
// RELEASE COMPLETE, 200 — the gateway's, the card's and the exchange's work together (the
// exchange's share is the emulation's, not the product's). Audio is not part of it: the data
// path moves frames (bench_media).
//   build-release/tests/bench/bench_gateway
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "proxy/base/check.h"
#include "proxy/gateway/gateway_node.h"
#include "proxy/sip/builder.h"
#include "sim_hardware/host/telephony_host.h"

namespace {

using namespace resproxy;
using namespace std::chrono_literals;

const Address kGw{"127.0.0.1", 5080};
const Address kProxy{"127.0.0.1", 5060};

telephony::TelephonyHostConfig hardware() {
  telephony::TelephonyHostConfig c;
  c.exchange.plan = exchange::NumberingPlan(
      {{.first = "01632960000", .last = "01632960999",
        .profile = {.kind = exchange::SubscriberKind::Answers,
                    .answer_after = exchange::DurationRange::fixed(1s), .hold_time = std::nullopt},
        .emergency = false}});
  c.exchange.spans.push_back({.name = "e1-1", .ddi_first = "01632961000",
                              .ddi_last = "01632961099", .ddi_digits = 0, .span = {}});
  telephony::E1CardSlot e1;
  e1.card.span = 1;
  e1.card.name = "e1-1";
  e1.exchange_port = "e1-1";
  c.e1.push_back(e1);
  return c;
}

gateway::GatewayConfig gateway_config() {
  gateway::GatewayConfig g;
  g.sip.transport.local = kGw;
  g.proxy = kProxy;
  g.domain = "office.test";
  gateway::DialPlanRule r;
  r.name = "national";
  r.called = gateway::NumberPattern::parse("90<.>").value();
  r.called_out = gateway::Rewrite::parse("0<1>").value();
  r.target = {.kind = gateway::RouteTarget::Kind::Group, .group = "e1"};
  g.dial_plan.rules.push_back(r);
  g.groups = {{.name = "e1", .spans = {1}, .hunt = gateway::HuntPolicy::LowestFree,
               .emergency_reserve = 0, .reserve_applies_to_incoming = true}};
  return g;
}

class Office {
 public:
  Office() : rng_(3) {
    auto created = telephony::TelephonyHost::create(hardware(), rng_, trace_);
    RESPROXY_CHECK(created.has_value());
    host_ = std::move(created).value();
    host_->start(now_);
    gw_ = std::make_unique<gateway::GatewayNode>(gateway_config(), host_->spans(), rng_, trace_);
    pump();
  }

  // One call: returns false if it did not go as planned.
  bool call(std::uint64_t n) {
    const std::string id = "bench-" + std::to_string(n);
    last_to_tag_.clear();
    send(invite(id));
    advance(2s);
    if (last_to_tag_.empty()) return false;
    send(in_dialog("ACK", id, 1));
    send(in_dialog("BYE", id, 2));
    advance(1s);
    return gw_->active_calls() == 0;
  }

 private:
  void pump() {
    for (;;) {
      bool moved = false;
      while (auto effect = gw_->next_effect()) {
        moved = true;
        if (auto* d = std::get_if<SendDatagram>(&*effect)) {
          // The 200 to our INVITE carries the gateway's To tag: cheap to find without parsing.
          if (d->bytes.starts_with("SIP/2.0 200") && d->bytes.find("INVITE") != std::string::npos) {
            const auto to = d->bytes.find("\r\nTo:");
            const auto tag = d->bytes.find(";tag=", to);
            const auto end = d->bytes.find("\r\n", tag);
            if (to != std::string::npos && tag != std::string::npos && end != std::string::npos) {
              last_to_tag_ = d->bytes.substr(tag + 5, end - tag - 5);
            }
          }
        } else if (auto* c = std::get_if<gateway::ToCard>(&*effect)) {
          host_->on_command(now_, *c);
        }
      }
      for (auto& event : host_->take_events()) {
        moved = true;
        gw_->on_completion(now_, event);
      }
      if (!moved) return;
    }
  }
  void advance(Duration d) {
    const TimePoint until = now_ + d;
    for (;;) {
      std::optional<TimePoint> next = gw_->next_deadline();
      if (auto h = host_->next_deadline(); h && (!next || *h < *next)) next = h;
      if (!next || *next > until) break;
      now_ = std::max(now_, *next);
      if (auto g = gw_->next_deadline(); g && *g <= now_) gw_->on_deadline(now_);
      if (auto h = host_->next_deadline(); h && *h <= now_) host_->on_deadline(now_);
      pump();
    }
    now_ = until;
  }
  void send(const std::string& bytes) {
    gw_->on_datagram(now_, Path{.transport = Transport::Udp, .local = kGw, .remote = kProxy}, bytes);
    pump();
  }
  std::string invite(const std::string& id) const {
    return sip::make_request(
        "INVITE", "sip:901632960123@127.0.0.1:5080",
        {{"Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-" + id},
         {"Max-Forwards", "69"},
         {"From", "<sip:2001@office.test>;tag=f-" + id},
         {"To", "<sip:901632960123@office.test>"},
         {"Call-ID", id},
         {"CSeq", "1 INVITE"},
         {"Contact", "<sip:2001@127.0.0.1:5062>"},
         {"Content-Type", "application/sdp"}},
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n");
  }
  std::string in_dialog(const std::string& method, const std::string& id, int cseq) const {
    return sip::make_request(method, "sip:gw@127.0.0.1:5080",
                             {{"Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-" + method + id},
                              {"Max-Forwards", "69"},
                              {"From", "<sip:2001@office.test>;tag=f-" + id},
                              {"To", "<sip:901632960123@office.test>;tag=" + last_to_tag_},
                              {"Call-ID", id},
                              {"CSeq", std::to_string(cseq) + " " + method}});
  }

  SeededRng rng_;
  NullTraceSink trace_;
  TimePoint now_{};
  std::unique_ptr<telephony::TelephonyHost> host_;
  std::unique_ptr<gateway::GatewayNode> gw_;
  std::string last_to_tag_;
};

void BM_GatewayCallSipToPstnOverE1(benchmark::State& state) {
  Office office;
  std::uint64_t n = 0;
  std::uint64_t failed = 0;
  for (auto _ : state) {
    if (!office.call(n++)) ++failed;
  }
  state.counters["failed_calls"] = static_cast<double>(failed);
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_GatewayCallSipToPstnOverE1)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
