#pragma once
// The small office of the gateway's unit tests (gateway_node_test.cpp, gateway_attack_test.cpp):
// the PSTN gateway (proxy/gateway/gateway_node.h) against the real emulated hardware — one E1
// (span 1, group "e1") and two FXO lines (span 2, group "fxo") plugged into the emulated exchange
// (sim_hardware/host/telephony_host.h) — on a hand clock. A test plays resproxy: it sends the
// gateway SIP datagrams and reads what the gateway sends back. The hardware and the addresses
// are in office_config.h (shared with the gateway's fuzz target).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/check.h"
#include "proxy/gateway/gateway_node.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"
#include "sim_hardware/host/telephony_host.h"
#include "tests/unit/gateway_node/office_config.h"

namespace resproxy::gateway::office_test {

using namespace std::chrono_literals;

inline DialPlanRule rule(std::string name, std::optional<CallSource> source, std::string called,
                  RouteTarget target, std::string called_out = "<0>") {
  DialPlanRule r;
  r.name = std::move(name);
  r.source = std::move(source);
  r.called = NumberPattern::parse(called).value();
  r.called_out = Rewrite::parse(called_out).value();
  r.target = std::move(target);
  return r;
}

const RouteTarget kToE1{.kind = RouteTarget::Kind::Group, .group = "e1"};
const RouteTarget kToFxo{.kind = RouteTarget::Kind::Group, .group = "fxo"};
const RouteTarget kToSip{.kind = RouteTarget::Kind::Sip, .group = ""};

// The office's gateway: outside calls (0…) over the E1, re-presented to the FXO lines; 999 and
// 112 (and 9999, 9112) over the E1 then FXO; PSTN calls to the DDI range to extension 2NNN.
inline GatewayConfig gateway_config(std::size_t reserve = 0) {
  GatewayConfig g;
  g.sip.transport.local = kGw;
  g.proxy = kProxy;
  g.domain = "office.test";
  g.dial_plan.outside_line_prefix = "9";
  g.dial_plan.rules = {
      rule("emergency", std::nullopt, "9<999>", kToE1, "<1>"),
      rule("emergency-fxo", std::nullopt, "9<999>", kToFxo, "<1>"),
      rule("emergency-plain", std::nullopt, "999", kToE1),
      rule("national", CallSource{}, "90<.>", kToE1, "0<1>"),
      rule("national-fxo", CallSource{}, "90<.>", kToFxo, "0<1>"),
      rule("ddi", CallSource{.kind = CallSource::Kind::Group, .group = "e1"}, "016329610<XX>",
           kToSip, "20<1>"),
      rule("lines", CallSource{.kind = CallSource::Kind::Group, .group = "fxo"}, "2000", kToSip),
  };
  g.dial_plan.rules[0].emergency = true;
  g.dial_plan.rules[1].emergency = true;
  g.groups = {{.name = "e1", .spans = {kE1}, .hunt = HuntPolicy::LowestFree,
               .emergency_reserve = reserve, .reserve_applies_to_incoming = true},
              {.name = "fxo", .spans = {kFxo}, .hunt = HuntPolicy::LowestFree,
               .emergency_reserve = 0, .reserve_applies_to_incoming = true}};
  g.incoming_destination["fxo"] = "2000";
  return g;
}

struct Sent {
  TimePoint t;
  sip::Message message;
};

class Office {
 public:
  explicit Office(GatewayConfig config = gateway_config(),
                  telephony::TelephonyHostConfig hardware = office())
      : rng_(7) {
    auto created = telephony::TelephonyHost::create(std::move(hardware), rng_, hardware_trace_);
    RESPROXY_CHECK(created.has_value());
    host = std::move(created).value();
    host->start(now);
    gw = std::make_unique<GatewayNode>(std::move(config), host->spans(), rng_, trace);
    pump();
  }

  void pump() {
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      while (auto effect = gw->next_effect()) {
        moved = true;
        if (auto* d = std::get_if<SendDatagram>(&*effect)) {
          auto parsed = sip::Message::parse(d->bytes);
          RESPROXY_CHECK(parsed.has_value());
          sent.push_back({now, std::move(parsed).value()});
        } else if (auto* c = std::get_if<ToCard>(&*effect)) {
          commands.push_back(*c);
          host->on_command(now, *c);
        }
      }
      for (auto& event : host->take_events()) {
        moved = true;
        gw->on_completion(now, event);
      }
      if (!moved) return;
    }
    FAIL() << "the gateway and its cards never went quiet";
  }

  void advance(Duration d) {
    const TimePoint until = now + d;
    for (;;) {
      std::optional<TimePoint> next = gw->next_deadline();
      if (auto h = host->next_deadline(); h && (!next || *h < *next)) next = h;
      if (!next || *next > until) break;
      now = std::max(now, *next);
      if (auto g = gw->next_deadline(); g && *g <= now) gw->on_deadline(now);
      if (auto h = host->next_deadline(); h && *h <= now) host->on_deadline(now);
      pump();
    }
    now = until;
  }

  void from(const Address& source, const std::string& bytes) {
    gw->on_datagram(now, Path{.transport = Transport::Udp, .local = kGw, .remote = source}, bytes);
    pump();
  }

  // An offer of PCMA and PCMU, what resproxy's phones send.
  static constexpr std::string_view kG711Offer =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 40000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n";

  // An INVITE from resproxy for `number` (default offer: PCMA and PCMU), branch z9hG4bK-<call_id>
  // plus `branch_suffix`.
  std::string invite(const std::string& call_id, const std::string& number,
                     const std::vector<sip::ExtraHeader>& extra = {},
                     std::string_view sdp = kG711Offer, std::string_view branch_suffix = {}) {
    std::vector<sip::ExtraHeader> h = {
        {"Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-" + call_id + std::string(branch_suffix)},
        {"Max-Forwards", "69"},
        {"From", "<sip:2001@office.test>;tag=ft-" + call_id},
        {"To", "<sip:" + number + "@office.test>"},
        {"Call-ID", call_id},
        {"CSeq", "1 INVITE"},
        {"Contact", "<sip:2001@127.0.0.1:5062>"},
        {"Content-Type", "application/sdp"}};
    for (const auto& e : extra) h.push_back(e);
    return sip::make_request("INVITE", "sip:" + number + "@127.0.0.1:5080", h, sdp);
  }
  void call(const std::string& call_id, const std::string& number,
            const std::vector<sip::ExtraHeader>& extra = {}) {
    from(kProxy, invite(call_id, number, extra));
  }
  // `count` calls "fill0", "fill1"… from resproxy to 01632 9606NN, numbers that all answer: the
  // busy hour that fills the channels.
  void fill(int count) {
    for (int i = 0; i < count; ++i) {
      call("fill" + std::to_string(i), "9016329606" + std::string(i < 10 ? "0" : "") + std::to_string(i));
    }
  }
  // The PSTN subscriber 01632 960777 calls `called` (a DDI number or an FXO line's), its number
  // withheld if `restricted`, giving up unanswered after `patience` (nullopt: the exchange's).
  void pstn_call(const std::string& called, bool restricted = false,
                 std::optional<Duration> patience = std::nullopt) {
    host->originate(now, exchange::PstnCall{
                             .calling = {.digits = "01632960777", .type = NumberType::National,
                                         .restricted = restricted, .available = true},
                             .called = called, .patience = patience, .hold_time = std::nullopt});
    pump();
  }
  // A request in the dialog of the INVITE `call_id` (ACK, BYE), To tag from the gateway's answer.
  void in_dialog(const std::string& method, const std::string& call_id, int cseq,
                 const std::vector<sip::ExtraHeader>& extra = {}) {
    const sip::Message* answer = last_response(call_id, 200);
    RESPROXY_CHECK(answer != nullptr);
    std::vector<sip::ExtraHeader> h = {
        {"Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-" + method + call_id},
        {"Max-Forwards", "69"},
        {"From", "<sip:2001@office.test>;tag=ft-" + call_id},
        {"To", "<sip:x@office.test>;tag=" + std::string(answer->to_tag())},
        {"Call-ID", call_id},
        {"CSeq", std::to_string(cseq) + " " + method}};
    for (const auto& e : extra) h.push_back(e);
    from(kProxy, sip::make_request(method, "sip:gw@127.0.0.1:5080", h));
  }
  void cancel(const std::string& call_id, const std::vector<sip::ExtraHeader>& extra = {}) {
    std::vector<sip::ExtraHeader> h = {
        {"Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-" + call_id},
        {"Max-Forwards", "69"},
        {"From", "<sip:2001@office.test>;tag=ft-" + call_id},
        {"To", "<sip:x@office.test>"},
        {"Call-ID", call_id},
        {"CSeq", "1 CANCEL"}};
    for (const auto& e : extra) h.push_back(e);
    from(kProxy, sip::make_request("CANCEL", "sip:x@127.0.0.1:5080", h));
  }

  // The last response with `status` (0: any final) of the INVITE of `call_id`.
  const sip::Message* last_response(const std::string& call_id, int status = 0) const {
    for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
      const auto& m = it->message;
      if (!m.is_response() || m.call_id() != call_id || m.cseq().method != sip::Method::Invite) continue;
      if (status == 0 ? m.status_code() >= 200 : m.status_code() == status) return &m;
    }
    return nullptr;
  }
  int final_status(const std::string& call_id) const {
    const auto* m = last_response(call_id);
    return m == nullptr ? 0 : m->status_code();
  }
  std::string header(const sip::Message& m, std::string_view name) const {
    for (const auto& f : m.headers()) {
      if (sip::text::iequals(sip::text::trim(f.name), name)) return std::string(f.value);
    }
    return {};
  }
  // The gateway's requests of `method` (toward resproxy), each once (UDP retransmissions of the
  // same bytes left out).
  std::vector<const sip::Message*> requests(sip::Method method) const {
    std::vector<const sip::Message*> out;
    for (const auto& s : sent) {
      if (!s.message.is_request() || s.message.method() != method) continue;
      if (std::any_of(out.begin(), out.end(),
                      [&](const sip::Message* m) { return m->bytes() == s.message.bytes(); })) {
        continue;
      }
      out.push_back(&s.message);
    }
    return out;
  }
  std::vector<const TraceEvent*> events(std::string_view name) const {
    std::vector<const TraceEvent*> out;
    for (const auto& e : trace.events) {
      if (e.name == name) out.push_back(&e);
    }
    return out;
  }
  // Answers the gateway's INVITE `invite` with `status` (a To tag, SDP on 183/200: PCMA, and
  // telephone-event with `telephone_event`'s number when given).
  void answer(const sip::Message& invite, int status, std::optional<int> telephone_event = std::nullopt) {
    std::vector<sip::ExtraHeader> extra = {{"Contact", "<sip:2000@127.0.0.1:5062>"}};
    std::string body;
    if (status == 200 || status == 183) {
      extra.push_back({"Content-Type", "application/sdp"});
      const std::string te = telephone_event ? std::to_string(*telephone_event) : std::string();
      body = "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=audio 41000 RTP/AVP 8" + (te.empty() ? "" : " " + te) + "\r\na=rtpmap:8 PCMA/8000\r\n" +
             (te.empty() ? "" : "a=rtpmap:" + te + " telephone-event/8000\r\n");
    }
    from(kProxy, sip::make_response(invite, status, sip::default_reason(status), "phone-tag", extra, body));
  }

  TimePoint now{};
  RecordingTraceSink trace;
  std::unique_ptr<telephony::TelephonyHost> host;
  std::unique_ptr<GatewayNode> gw;
  std::vector<Sent> sent;
  std::vector<ToCard> commands;  // every card command, in order
  // The MediaBridge commands among them.
  std::vector<MediaBridge> bridges() const {
    std::vector<MediaBridge> out;
    for (const auto& c : commands) {
      if (const auto* b = std::get_if<MediaBridge>(&c.command)) out.push_back(*b);
    }
    return out;
  }

 private:
  SeededRng rng_;
  NullTraceSink hardware_trace_;
};

}  // namespace resproxy::gateway::office_test
