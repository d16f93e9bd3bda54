#include "harness/scenario_pstn.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "proxy/gateway/cause_map.h"

namespace resproxy::harness::runner {

namespace {

constexpr std::uint64_t kOutsideFirst = 100000000;        // outside numbers: "0" + 9 digits
constexpr std::uint64_t kOutsideCount = 900000000;

std::string four_digits(std::uint64_t n) {
  std::string text = std::to_string(n);
  return std::string(text.size() < 4 ? 4 - text.size() : 0, '0') + text;
}

gateway::DialPlanRule pstn_rule(std::string name, std::optional<gateway::CallSource> source,
                                const std::string& called, gateway::RouteTarget target,
                                const std::string& called_out, bool emergency) {
  gateway::DialPlanRule r;
  r.name = std::move(name);
  r.source = std::move(source);
  auto pattern = gateway::NumberPattern::parse(called);
  auto rewrite = gateway::Rewrite::parse(called_out);
  if (!pattern || !rewrite) throw std::logic_error("pstn: bad built-in dial plan rule " + r.name);
  r.called = std::move(pattern).value();
  r.called_out = std::move(rewrite).value();
  r.target = std::move(target);
  r.emergency = emergency;
  return r;
}

}  // namespace

std::vector<std::string> pstn_emergency_numbers(const Scenario& s) {
  std::vector<std::string> out = s.resproxy.proxy.emergency_numbers;
  for (const char* n : {"999", "112"}) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.emplace_back(n);
  }
  return out;
}

std::vector<SubscriberBand> subscriber_bands(const PstnSpec& p) {
  const std::vector<std::tuple<double, exchange::SubscriberKind, std::string>> shares = {
      {p.answer_share, exchange::SubscriberKind::Answers, ""},
      {p.busy_share, exchange::SubscriberKind::Busy, "busy"},
      {p.no_answer_share, exchange::SubscriberKind::NoAnswer, "no_answer"},
      {p.unallocated_share, exchange::SubscriberKind::Unallocated, "unallocated"}};
  std::vector<SubscriberBand> out;
  double cumulative = 0;
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const auto& [share, kind, name] = shares[i];
    cumulative += share;
    const std::uint64_t end = i + 1 == shares.size()
                                  ? kOutsideCount
                                  : std::min<std::uint64_t>(kOutsideCount, static_cast<std::uint64_t>(std::llround(cumulative * kOutsideCount)));
    if (end > next) out.push_back({kOutsideFirst + next, kOutsideFirst + end - 1, kind, name});
    next = std::max(next, end);
  }
  return out;
}
std::string subscriber_of(const std::vector<SubscriberBand>& bands, const std::string& number) {
  if (number.size() != 10 || number[0] != '0') return {};
  const std::uint64_t tail = std::strtoull(number.c_str() + 1, nullptr, 10);
  for (const auto& b : bands) {
    if (tail >= b.first && tail <= b.last) return b.name;
  }
  return {};
}

telephony::TelephonyHostConfig pstn_hardware(const Scenario& s) {
  const PstnSpec& p = s.pstn;
  telephony::TelephonyHostConfig c;
  const exchange::DurationRange answer{
      std::chrono::milliseconds(std::llround(p.answer_delay_min_s * 1000)),
      std::chrono::milliseconds(std::llround(p.answer_delay_max_s * 1000))};
  c.exchange.plan = exchange::NumberingPlan();
  for (const auto& b : subscriber_bands(p)) {
    c.exchange.plan.add({.first = "0" + std::to_string(b.first), .last = "0" + std::to_string(b.last),
                         .profile = {.kind = b.kind, .answer_after = answer, .hold_time = std::nullopt},
                         .emergency = false});
  }
  c.exchange.number_lengths.clear();
  for (const auto& n : pstn_emergency_numbers(s)) {
    c.exchange.plan.add({.first = n, .last = n,
                         .profile = {.kind = exchange::SubscriberKind::Answers,
                                     .answer_after = exchange::DurationRange::fixed(std::chrono::seconds(1)),
                                     .hold_time = std::nullopt},
                         .emergency = true});
    c.exchange.number_lengths.push_back({.prefix = n, .length = n.size()});
  }
  c.exchange.number_lengths.push_back({.prefix = "0", .length = 10});
  c.exchange.trunk_capacity = p.trunk_capacity;
  for (std::size_t k = 1; k <= p.e1_spans; ++k) {
    exchange::SpanPortConfig port;
    port.name = "e1-" + std::to_string(k);
    if (k == 1) {  // the office's DDI block arrives on the first E1
      port.ddi_first = std::string(kDdiPrefix) + "0000";
      port.ddi_last = std::string(kDdiPrefix) + "9999";
    }
    c.exchange.spans.push_back(port);
    telephony::E1CardSlot slot;
    slot.card.span = static_cast<gateway::SpanId>(k);
    slot.card.name = port.name;
    slot.exchange_port = port.name;
    c.e1.push_back(slot);
  }
  if (p.fxo_lines > 0) {
    telephony::FxoCardSlot slot;
    slot.card.span = static_cast<gateway::SpanId>(p.e1_spans + 1);
    slot.card.name = "fxo-1";
    slot.card.lines = static_cast<std::uint16_t>(p.fxo_lines);
    for (std::size_t k = 1; k <= p.fxo_lines; ++k) {
      exchange::LinePortConfig line;
      line.name = "fxo-" + std::to_string(k);
      line.directory_number = std::string(kFxoNumberPrefix) + four_digits(k);
      c.exchange.lines.push_back(line);
      slot.exchange_ports.push_back(line.name);
    }
    c.fxo.push_back(std::move(slot));
  }
  return c;
}


gateway::GatewayConfig pstn_gateway(const Scenario& s, const Address& local, const Address& proxy) {
  const PstnSpec& p = s.pstn;
  using gateway::RouteTarget;
  const RouteTarget e1{.kind = RouteTarget::Kind::Group, .group = "e1"};
  const RouteTarget fxo{.kind = RouteTarget::Kind::Group, .group = "fxo"};
  const RouteTarget sip{.kind = RouteTarget::Kind::Sip, .group = ""};
  std::vector<RouteTarget> outside;
  if (p.e1_spans > 0) outside.push_back(e1);
  if (p.fxo_lines > 0 && (p.represent_to_fxo || p.e1_spans == 0)) outside.push_back(fxo);
  gateway::GatewayConfig g;
  g.sip.transport.local = local;
  g.proxy = proxy;
  g.domain = s.domain;
  g.media_address = local.ip;
  g.dial_plan.emergency_numbers = pstn_emergency_numbers(s);
  for (const auto& n : g.dial_plan.emergency_numbers) {
    for (const auto& t : outside) {
      g.dial_plan.rules.push_back(pstn_rule("emergency-" + n + "-" + t.group, std::nullopt, n, t, "<0>", true));
    }
  }
  for (const auto& t : outside) {
    g.dial_plan.rules.push_back(pstn_rule("national-" + t.group, gateway::CallSource{}, "0<.>", t, "<0>", false));
  }
  if (p.e1_spans > 0) {
    g.dial_plan.rules.push_back(pstn_rule(
        "ddi", gateway::CallSource{.kind = gateway::CallSource::Kind::Group, .group = "e1"},
        std::string(kDdiPrefix) + "<XXXX>", sip, "<1>", false));
    gateway::ChannelGroupConfig group{.name = "e1", .spans = {}, .hunt = gateway::HuntPolicy::LowestFree,
                                      .emergency_reserve = p.emergency_reserve,
                                      .reserve_applies_to_incoming = true};
    for (std::size_t k = 1; k <= p.e1_spans; ++k) group.spans.push_back(static_cast<gateway::SpanId>(k));
    group.hunt = p.hunt == "highest"       ? gateway::HuntPolicy::HighestFree
                 : p.hunt == "round_robin" ? gateway::HuntPolicy::RoundRobin
                                           : gateway::HuntPolicy::LowestFree;
    g.groups.push_back(std::move(group));
  }
  if (p.fxo_lines > 0) {
    const std::string first_phone = std::to_string(s.first_number);
    g.dial_plan.rules.push_back(pstn_rule(
        "lines", gateway::CallSource{.kind = gateway::CallSource::Kind::Group, .group = "fxo"},
        first_phone, sip, "<0>", false));
    g.groups.push_back({.name = "fxo", .spans = {static_cast<gateway::SpanId>(p.e1_spans + 1)},
                        .hunt = gateway::HuntPolicy::LowestFree,
                        .emergency_reserve = p.fxo_emergency_reserve,
                        .reserve_applies_to_incoming = true});
    g.incoming_destination["fxo"] = first_phone;
  }
  return g;
}

std::optional<int> status_of(const exchange::CallRecord& r) {
  if (r.answer) return 200;
  // The caller gave up: the gateway CANCELled its INVITE, which ended 487 (RFC 3261 §9.2).
  if (r.outcome == exchange::CallOutcome::Abandoned) return 487;
  if (!r.cause) return std::nullopt;
  return gateway::sip_status_for(gateway::Cause{.value = *r.cause, .location = gateway::CauseLocation::PublicRemote});
}

}  // namespace resproxy::harness::runner
