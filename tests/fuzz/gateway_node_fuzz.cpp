// Fuzzes the PSTN gateway (proxy/gateway/gateway_node.h) wired to the emulated office — one E1
// (span 1, group "e1") and two FXO lines (span 2, group "fxo") on the emulated exchange
// (sim_hardware/host/telephony_host.h) — as tests/unit/gateway_node/ does, on a hand clock.
// The first byte sets the configuration (the RTP pool's size, the E1's emergency reserve, its
// hunting policy, a call duration limit), the next eight seed the Rng; then each step is one
// byte `op`, op % 12:
//   0, 1  an INVITE from resproxy / from an untrusted host: fuzz-chosen Call-ID (of 8), From
//         tag, branch, CSeq, number (the office's numbers, emergency numbers, digits of any
//         length, letters, %-escapes), SDP (PCMA/PCMU, G.729 only, port 0, none, raw bytes),
//         P-Asserted-Identity and Privacy;
//   2     an ACK, 3 a BYE (from resproxy or not): To tag from the gateway's 2xx or fuzz-chosen;
//   4     a CANCEL of an INVITE sent before;
//   5     a re-INVITE (To tag from the gateway's answers, or fuzz-chosen);
//   6     an answer to an INVITE the gateway sent (a PSTN call): 100..603, with or without SDP;
//   7     raw bytes from resproxy or from the untrusted host;
//   8     the clock moves 0..40 s (everything due runs at its own time);
//   9     a PSTN subscriber calls an office number (DDI, FXO line, unknown), with a patience and
//         a hold time;
//   10    the E1 goes into / out of alarm (LOS, AIS, RAI, none);
//   11    a BYE from resproxy in the dialog of a PSTN call the fuzzer answered.
// At most 400 steps per input. Invariants (FUZZ_CHECK): nothing crashes or trips a sanitizer;
// every request the gateway sends parses; it never holds more calls than it was offered; every
// PlaceCall names a channel of a configured group that the gateway seized for that very call,
// and a number of 0-9 * # + only. At the end every call is cleared (alarm off, CANCEL for every
// INVITE, BYE for every dialog with a 2xx, 487 for every INVITE of the gateway) and ten minutes
// run with no input: then no call, no busy channel, no RTP port and no transaction is left.
// GATEWAY_FUZZ_VERBOSE=1 prints every datagram and the call records (to read a finding).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/gateway/gateway_node.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/message.h"
#include "sim_hardware/host/telephony_host.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/unit/gateway_node/office_config.h"

namespace {

using namespace resproxy;
using namespace resproxy::gateway;
using namespace std::chrono_literals;
using fuzz::FuzzInput;

using office_test::kE1;
using office_test::kFxo;
using office_test::kGw;
using office_test::kProxy;
using office_test::office;  // the unit tests' office: its hardware and numbering plan

const Address kUntrusted{"203.0.113.66", 5060};
constexpr std::uint16_t kRtpFirst = 16384;

DialPlanRule rule(std::string name, std::optional<CallSource> source, std::string_view called,
                  RouteTarget target, std::string_view called_out = "<0>") {
  DialPlanRule r;
  r.name = std::move(name);
  r.source = std::move(source);
  r.called = NumberPattern::parse(called).value();
  r.called_out = Rewrite::parse(called_out).value();
  r.target = std::move(target);
  return r;
}

GatewayConfig gateway_config(std::uint8_t mode) {
  const RouteTarget to_e1{.kind = RouteTarget::Kind::Group, .group = "e1"};
  const RouteTarget to_fxo{.kind = RouteTarget::Kind::Group, .group = "fxo"};
  const RouteTarget to_sip{.kind = RouteTarget::Kind::Sip, .group = ""};
  GatewayConfig g;
  g.sip.transport.local = kGw;
  g.proxy = kProxy;
  g.domain = "office.test";
  g.dial_plan.outside_line_prefix = "9";
  g.dial_plan.rules = {
      rule("emergency", std::nullopt, "9<999>", to_e1, "<1>"),
      rule("emergency-fxo", std::nullopt, "9<999>", to_fxo, "<1>"),
      rule("emergency-plain", std::nullopt, "999", to_e1),
      rule("national", CallSource{}, "90<.>", to_e1, "0<1>"),
      rule("national-fxo", CallSource{}, "90<.>", to_fxo, "0<1>"),
      rule("nowhere", CallSource{}, "8<.>", RouteTarget{.kind = RouteTarget::Kind::Group,
                                                        .group = "no-such-group"}),
      rule("ddi", CallSource{.kind = CallSource::Kind::Group, .group = "e1"}, "016329610<XX>",
           to_sip, "20<1>"),
      rule("lines", CallSource{.kind = CallSource::Kind::Group, .group = "fxo"}, "2000", to_sip),
  };
  g.dial_plan.rules[0].emergency = true;
  g.dial_plan.rules[1].emergency = true;
  const HuntPolicy hunt = (mode >> 4) % 3 == 0   ? HuntPolicy::LowestFree
                          : (mode >> 4) % 3 == 1 ? HuntPolicy::HighestFree
                                                 : HuntPolicy::RoundRobin;
  g.groups = {{.name = "e1", .spans = {kE1}, .hunt = hunt,
               .emergency_reserve = static_cast<std::size_t>((mode >> 2) % 4),
               .reserve_applies_to_incoming = (mode & 0x40) != 0},
              {.name = "fxo", .spans = {kFxo}, .hunt = HuntPolicy::LowestFree,
               .emergency_reserve = 0, .reserve_applies_to_incoming = true}};
  g.incoming_destination["fxo"] = "2000";
  // 0..3: a pool of 1, 8, 40 ports, or none at all (last < first + 1).
  static constexpr std::uint16_t kPoolLast[] = {kRtpFirst + 1, kRtpFirst + 15, kRtpFirst + 79,
                                                kRtpFirst};
  g.rtp_port_first = kRtpFirst;
  g.rtp_port_last = kPoolLast[mode % 4];
  if ((mode & 0x80) != 0) g.max_call_duration = 2min;
  return g;
}

std::size_t pool_size(const GatewayConfig& g) {
  std::size_t n = 0;
  for (std::uint32_t p = g.rtp_port_first; p + 1 <= g.rtp_port_last; p += 2) ++n;
  return n;
}

class Harness {
 public:
  Harness(std::uint8_t mode, std::uint64_t seed) : rng_(seed) {
    auto created = telephony::TelephonyHost::create(office(), rng_, hardware_trace_);
    FUZZ_CHECK(created.has_value());
    host = std::move(created).value();
    host->start(now);
    GatewayConfig config = gateway_config(mode);
    pool = pool_size(config);
    gw = std::make_unique<GatewayNode>(std::move(config), host->spans(), rng_,
                                       verbose_ ? static_cast<TraceSink&>(recorded_) : trace_);
    pump();
  }

  // Effects to their destinations and card events back, until nothing moves.
  void pump() {
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      while (auto effect = gw->next_effect()) {
        moved = true;
        if (const auto* d = std::get_if<SendDatagram>(&*effect)) {
          if (verbose_) std::fprintf(stderr, "--- %lld ms gateway -> %s\n%s\n", ms(), d->remote.to_string().c_str(), d->bytes.c_str());
          auto parsed = sip::Message::parse(d->bytes);
          // A request of the gateway's own making always parses; a response may echo the
          // unreadable fields of the request it answers (400 to a bad Via).
          if (!parsed && !d->bytes.starts_with("SIP/2.0 ")) {
            std::fprintf(stderr, "unreadable request:\n%s\n", d->bytes.c_str());
          }
          FUZZ_CHECK(parsed.has_value() || d->bytes.starts_with("SIP/2.0 "));
          if (parsed) keep_sent(std::move(parsed).value());
        } else if (const auto* c = std::get_if<ToCard>(&*effect)) {
          if (const auto* place = std::get_if<PlaceCall>(&c->command)) check_place(c->span, *place);
          host->on_command(now, *c);
        }
      }
      for (auto& event : host->take_events()) {
        moved = true;
        gw->on_completion(now, event);
      }
      if (!moved) return;
    }
    FUZZ_CHECK(!"the gateway and its cards never went quiet");
  }

  // Runs everything due by now + d, each at its own time.
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

  void datagram(const Address& source, std::string_view bytes) {
    if (verbose_) {
      std::fprintf(stderr, "+++ %lld ms %s -> gateway\n%.*s\n", ms(), source.to_string().c_str(),
                   static_cast<int>(bytes.size()), bytes.data());
    }
    gw->on_datagram(now, Path{.transport = Transport::Udp, .local = kGw, .remote = source,
                              .stream = StreamId{}},
                    bytes);
    pump();
  }

  void check_invariants() const { FUZZ_CHECK(gw->active_calls() <= offered); }

  // Verbose: the gateway's call records, to see which call is left.
  void print_calls() const {
    if (!verbose_) return;
    for (const auto& e : recorded_.events) {
      if (e.name != "gw.call_started" && e.name != "gw.call_ended") continue;
      std::fprintf(stderr, "%s %s\n", std::string(e.name).c_str(), std::string(e.field("call_id")).c_str());
    }
  }

  TimePoint now{std::chrono::seconds(1)};
  std::unique_ptr<telephony::TelephonyHost> host;
  std::unique_ptr<GatewayNode> gw;
  std::size_t pool = 0;
  std::size_t offered = 0;  // new calls offered: INVITEs without To tag, PSTN calls
  // What CANCELs, answers and BYEs are built from (at most one entry per step: bounded).
  std::vector<sip::Message> our_invites;      // INVITEs we sent
  std::vector<sip::Message> gateway_invites;  // INVITEs the gateway sent (PSTN -> SIP), once each
  std::vector<sip::Message> gateway_answers;  // its first 1xx/2xx of each dialog (To tag)
  std::vector<sip::Message> our_answers;      // our 2xx to the gateway's INVITEs

 private:
  void keep_sent(sip::Message message) {
    if (message.is_request()) {
      if (message.method() == sip::Method::Invite &&
          std::none_of(gateway_invites.begin(), gateway_invites.end(), [&](const sip::Message& m) {
            return m.call_id() == message.call_id();
          })) {
        gateway_invites.push_back(std::move(message));
      }
      return;
    }
    if (message.method() != sip::Method::Invite || message.to_tag().empty() ||
        message.status_code() <= 100 || message.status_code() >= 300) {
      return;
    }
    // Its 2xx replaces its 18x: the cleanup ends every dialog with a 2xx by BYE.
    for (auto& kept : gateway_answers) {
      if (kept.call_id() == message.call_id() && kept.to_tag() == message.to_tag()) {
        if (kept.status_code() < 200 && message.status_code() >= 200) kept = std::move(message);
        return;
      }
    }
    gateway_answers.push_back(std::move(message));
  }

  void check_place(SpanId span, const PlaceCall& place) const {
    FUZZ_CHECK(place.channel.span == span);
    bool found = false;
    for (const auto& view : gw->groups().channels()) {
      if (view.channel != place.channel) continue;
      found = true;
      FUZZ_CHECK(view.group == "e1" || view.group == "fxo");  // a configured group
      FUZZ_CHECK(view.call == place.call);                    // seized for this very call
    }
    FUZZ_CHECK(found);
    for (char c : place.called.digits) FUZZ_CHECK((c >= '0' && c <= '9') || c == '*' || c == '#' || c == '+');
  }

  long long ms() const {
    return static_cast<long long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  }

  // GATEWAY_FUZZ_VERBOSE=1: every datagram both ways on stderr (to read a finding).
  bool verbose_ = std::getenv("GATEWAY_FUZZ_VERBOSE") != nullptr;
  SeededRng rng_;
  NullTraceSink trace_;
  RecordingTraceSink recorded_;
  NullTraceSink hardware_trace_;
};

std::string number(FuzzInput& in) {
  static constexpr std::string_view kNumbers[] = {
      "901632960000", "901632960001", "901632960100", "901632960300", "901632960500",
      "9999",         "999",          "9112",         "112",          "901632960650",
      "12345",        "801632960000", "9%30%31",      "%39%39%39",    "9alice",
      ""};
  const std::uint8_t pick = in.byte();
  if (pick < 16 * 12) return std::string(kNumbers[pick % 16]);
  // Fuzz-chosen characters, any length up to 255: digits mostly, and what numbers may not hold.
  static constexpr std::string_view kChars = "0123456789*#+0123456789-.()a%";
  const std::size_t length = in.byte();
  std::string out;
  for (std::size_t i = 0; i < length && !in.empty(); ++i) out.push_back(kChars[in.byte() % kChars.size()]);
  return out;
}

std::string sdp(FuzzInput& in, std::vector<sip::ExtraHeader>& headers) {
  const std::string head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n";
  std::string body;
  switch (in.byte() % 7) {
    case 0: body = head + "m=audio 40000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"; break;
    case 1: body = head + "m=audio 40002 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                          "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"; break;
    case 2: body = head + "m=audio 40004 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"; break;
    case 3: body = head + "m=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"; break;
    case 4: return {};  // a late offer
    case 5: body = std::string(in.bytes(512)); break;
    default: body = head + "m=audio 40006 RTP/AVP 8\r\nc=IN IP4 " + std::string(in.bytes(40)) + "\r\n"; break;
  }
  headers.push_back({"Content-Type", "application/sdp"});
  return body;
}

std::string call_id(std::uint8_t b) { return "fz-" + std::to_string(b % 8) + "@127.0.0.1"; }

// An INVITE from `source` (op 0/1) or, with a To tag, a re-INVITE (op 5).
void invite(Harness& h, FuzzInput& in, const Address& source, bool reinvite) {
  const std::string id = call_id(in.byte());
  const std::uint8_t flags = in.byte();
  const std::string called = number(in);
  std::vector<sip::ExtraHeader> headers = {
      {"Via", "SIP/2.0/UDP " + source.to_string() + ";branch=z9hG4bK-" +
                  id.substr(0, id.find('@')) + "-" + std::to_string(in.byte() % 4)},
      {"Max-Forwards", "69"},
      {"From", "<sip:2001@office.test>;tag=ft-" + std::to_string(flags % 3)},
      {"Call-ID", id},
      {"CSeq", std::to_string(1 + in.byte() % 4) + " INVITE"},
      {"Contact", "<sip:2001@" + source.to_string() + ">"}};
  std::string to = "<sip:" + called + "@office.test>";
  if (reinvite) {
    std::string tag = "gw-" + std::to_string(in.byte());
    for (const auto& answer : h.gateway_answers) {
      if (answer.call_id() == id) tag = std::string(answer.to_tag());
    }
    to += ";tag=" + tag;
  }
  headers.push_back({"To", to});
  if ((flags & 0x08) != 0) headers.push_back({"P-Asserted-Identity", "<sip:" + number(in) + "@office.test>"});
  if ((flags & 0x10) != 0) headers.push_back({"Privacy", "id"});
  const std::string body = sdp(in, headers);
  auto bytes = sip::make_request("INVITE", "sip:" + called + "@127.0.0.1:5080", headers, body);
  if (auto parsed = sip::Message::parse(bytes); parsed && !reinvite) {
    h.our_invites.push_back(std::move(parsed).value());
  }
  if (!reinvite && source == kProxy) ++h.offered;
  h.datagram(source, bytes);
}

// ACK or BYE in the dialog of a gateway's answer (or with a made-up To tag).
void in_dialog(Harness& h, FuzzInput& in, std::string_view method, const Address& source,
               std::uint32_t cseq) {
  const std::uint8_t pick = in.byte();
  std::string from = "<sip:2001@office.test>;tag=ft-" + std::to_string(pick % 3);
  std::string to = "<sip:x@office.test>;tag=gw-" + std::to_string(pick);
  std::string id = call_id(in.byte());
  if (!h.gateway_answers.empty() && (pick & 0x80) == 0) {
    const sip::Message& answer = h.gateway_answers[pick % h.gateway_answers.size()];
    from = std::string(answer.first(sip::HeaderId::From)->value);
    to = std::string(answer.first(sip::HeaderId::To)->value);
    id = std::string(answer.call_id());
  }
  std::vector<sip::ExtraHeader> headers = {
      {"Via", "SIP/2.0/UDP " + source.to_string() + ";branch=z9hG4bK-" + std::string(method) +
                  std::to_string(cseq) + "-" + std::to_string(in.byte())},
      {"Max-Forwards", "69"}, {"From", from}, {"To", to}, {"Call-ID", id},
      {"CSeq", std::to_string(cseq) + " " + std::string(method)}};
  if ((pick & 0x40) != 0) headers.push_back({"Reason", "Q.850;cause=" + std::to_string(in.byte())});
  h.datagram(source, sip::make_request(method, "sip:gw@127.0.0.1:5080", headers));
}

void cancel(Harness& h, std::size_t which) {
  if (h.our_invites.empty()) return;
  const sip::Message& invite = h.our_invites[which % h.our_invites.size()];
  h.datagram(invite.top_via().host == kUntrusted.ip ? kUntrusted : kProxy, sip::make_cancel(invite));
}

// resproxy answers an INVITE the gateway sent (a PSTN call).
void answer(Harness& h, FuzzInput& in) {
  if (h.gateway_invites.empty()) return;
  const sip::Message& invite = h.gateway_invites[in.byte() % h.gateway_invites.size()];
  static constexpr int kStatus[] = {100, 180, 183, 200, 200, 404, 486, 487, 503, 603, 302, 408};
  const std::uint8_t pick = in.byte();
  const int status = kStatus[pick % 12];
  std::vector<sip::ExtraHeader> extra = {{"Contact", "<sip:2000@127.0.0.1:5062>"}};
  std::string body;
  if ((pick & 0x10) != 0) body = sdp(in, extra);
  if ((pick & 0x20) != 0) extra.push_back({"Reason", "Q.850;cause=" + std::to_string(in.byte())});
  const std::string tag = "ph-" + std::to_string((pick >> 6) % 2);
  const auto bytes = sip::make_response(invite, status, sip::default_reason(status), tag, extra, body);
  if (status == 200) {
    if (auto parsed = sip::Message::parse(bytes)) h.our_answers.push_back(std::move(parsed).value());
  }
  h.datagram(kProxy, bytes);
}

// A BYE from resproxy in the dialog of a 2xx it sent to the gateway.
void bye_as_callee(Harness& h, const sip::Message& ok, std::uint32_t cseq) {
  std::vector<sip::ExtraHeader> headers = {
      {"Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-calleebye" + std::to_string(cseq)},
      {"Max-Forwards", "69"},
      {"From", std::string(ok.first(sip::HeaderId::To)->value)},
      {"To", std::string(ok.first(sip::HeaderId::From)->value)},
      {"Call-ID", std::string(ok.call_id())},
      {"CSeq", std::to_string(cseq) + " BYE"}};
  h.datagram(kProxy, sip::make_request("BYE", "sip:gw@127.0.0.1:5080", headers));
}

void originate(Harness& h, FuzzInput& in) {
  static constexpr std::string_view kCalled[] = {"01632961005", "01632961099", "01632961200",
                                                 "01632961201", "01632961000", "01632969999"};
  const std::uint8_t pick = in.byte();
  const std::uint8_t timing = in.byte();
  ++h.offered;
  h.host->originate(
      h.now, exchange::PstnCall{
                 .calling = {.digits = (pick & 0x08) != 0 ? "01632960777" : "",
                             .type = NumberType::National, .restricted = (pick & 0x10) != 0,
                             .available = (pick & 0x20) != 0},
                 .called = std::string(kCalled[pick % 6]),
                 .patience = std::chrono::seconds(1 + timing % 60),
                 .hold_time = exchange::DurationRange::fixed(std::chrono::seconds(1 + timing / 2))});
  h.pump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const std::uint8_t mode = in.byte();
  Harness h(mode, in.u64());
  std::uint32_t cseq = 10;
  int steps = 0;
  while (!in.empty() && ++steps <= 400) {
    const std::uint8_t op = in.byte();
    switch (op % 12) {
      case 0: invite(h, in, kProxy, false); break;
      case 1: invite(h, in, kUntrusted, false); break;
      case 2: in_dialog(h, in, "ACK", kProxy, 1); break;
      case 3: in_dialog(h, in, "BYE", (op & 0x80) != 0 ? kUntrusted : kProxy, ++cseq); break;
      case 4: cancel(h, in.byte()); break;
      case 5: invite(h, in, kProxy, true); break;
      case 6: answer(h, in); break;
      case 7: h.datagram((op & 0x80) != 0 ? kUntrusted : kProxy, in.bytes(4096)); break;
      case 8: h.advance(std::chrono::milliseconds((in.byte() << 8 | in.byte()) % 40000)); break;
      case 9: originate(h, in); break;
      case 10: {
        static constexpr Alarm kAlarms[] = {Alarm::None, Alarm::Los, Alarm::Ais, Alarm::Rai};
        (void)h.host->set_span_alarm(h.now, kE1, kAlarms[in.byte() % 4]);
        h.pump();
        break;
      }
      default:
        if (!h.our_answers.empty()) bye_as_callee(h, h.our_answers[in.byte() % h.our_answers.size()], ++cseq);
        break;
    }
    h.check_invariants();
  }
  // Everything cleared: the span back, every INVITE cancelled, every dialog ended from our side;
  // then ten minutes with no input (answers the gateway still waits for never come).
  (void)h.host->set_span_alarm(h.now, kE1, Alarm::None);
  h.pump();
  for (std::size_t i = 0; i < h.our_invites.size(); ++i) cancel(h, i);
  const auto answers = h.gateway_answers;
  for (const auto& answer : answers) {
    if (answer.status_code() < 200) continue;
    std::vector<sip::ExtraHeader> headers = {
        {"Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-endbye" + std::to_string(++cseq)},
        {"Max-Forwards", "69"},
        {"From", std::string(answer.first(sip::HeaderId::From)->value)},
        {"To", std::string(answer.first(sip::HeaderId::To)->value)},
        {"Call-ID", std::string(answer.call_id())},
        {"CSeq", std::to_string(cseq) + " BYE"}};
    h.datagram(kProxy, sip::make_request("BYE", "sip:gw@127.0.0.1:5080", headers));
  }
  const auto ours = h.our_answers;
  for (const auto& ok : ours) bye_as_callee(h, ok, ++cseq);
  // resproxy answers what the gateway asked (a CANCEL's INVITE gets its 487; an INVITE that has
  // its final answer already takes the stray 487 as nothing).
  const auto invites = h.gateway_invites;
  for (const auto& invite : invites) {
    h.datagram(kProxy, sip::make_response(invite, 487, "Request Terminated", "ph-end"));
  }
  h.check_invariants();
  h.advance(10min);
  h.print_calls();
  FUZZ_CHECK(h.gw->active_calls() == 0);
  FUZZ_CHECK(h.gw->groups().in_use("e1") == 0);
  FUZZ_CHECK(h.gw->groups().in_use("fxo") == 0);
  FUZZ_CHECK(h.gw->free_rtp_ports() == h.pool);
  FUZZ_CHECK(h.gw->transactions().server_count() == 0);  // every request got its final answer
  FUZZ_CHECK(h.gw->transactions().client_count() == 0);
  return 0;
}
