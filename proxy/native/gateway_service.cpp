// GatewayService (gateway_service.h): [gateway] and [sim_hardware.*] mapped onto the gateway
// core and the emulators, and the runtime that hosts them.
#include "proxy/native/gateway_service.h"

#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "proxy/native/media_bridge.h"
#include "proxy/native/telephony_card_host.h"
#include "sim_hardware/host/telephony_host.h"

namespace resproxy::native {

namespace {

fxo::AnswerSupervision to_fxo(config::SimAnswerSupervision answer) {
  switch (answer) {
    case config::SimAnswerSupervision::AfterDialling:
      return fxo::AnswerSupervision::AfterDialling;
    case config::SimAnswerSupervision::AfterDelay:
      return fxo::AnswerSupervision::AfterDelay;
    case config::SimAnswerSupervision::PolarityReversal:
      break;
  }
  return fxo::AnswerSupervision::PolarityReversal;
}

exchange::SubscriberKind to_exchange(config::SimSubscriberKind kind) {
  switch (kind) {
    case config::SimSubscriberKind::Busy: return exchange::SubscriberKind::Busy;
    case config::SimSubscriberKind::NoAnswer: return exchange::SubscriberKind::NoAnswer;
    case config::SimSubscriberKind::Unallocated: return exchange::SubscriberKind::Unallocated;
    case config::SimSubscriberKind::Answers: break;
  }
  return exchange::SubscriberKind::Answers;
}

// [sim_hardware.numbers.N] in index order; none: the demo's plan stays.
exchange::NumberingPlan numbering_plan(const std::vector<config::SimNumberRange>& numbers) {
  if (numbers.empty()) return exchange::demo_numbering_plan();
  exchange::NumberingPlan plan;
  for (const auto& n : numbers) {
    exchange::SubscriberProfile profile{
        .kind = to_exchange(n.kind),
        .answer_after = {n.answer_after.min, n.answer_after.max},
        .hold_time = std::nullopt};
    if (n.hold_time) profile.hold_time = exchange::DurationRange{n.hold_time->min, n.hold_time->max};
    plan.add({.first = n.first, .last = n.last, .profile = profile, .emergency = n.emergency});
  }
  return plan;
}

// The emulated office of [sim_hardware.*]: the numbering plan of [sim_hardware.numbers.N] (or
// the demo's) behind the exchange.
telephony::TelephonyHostConfig host_config(const config::SimHardwareSettings& hw) {
  telephony::TelephonyHostConfig out;
  out.exchange.plan = numbering_plan(hw.numbers);
  out.exchange.trunk_capacity = hw.exchange.trunk_capacity;
  out.exchange.in_band_tones = hw.exchange.in_band_tones;
  out.exchange.no_answer_timeout = hw.exchange.no_answer_timeout;
  out.exchange.patience = hw.exchange.patience;
  for (const auto& e1 : hw.e1) {
    exchange::SpanPortConfig port;
    port.name = e1.name;
    port.ddi_first = e1.ddi_first;
    port.ddi_last = e1.ddi_last;
    port.ddi_digits = e1.ddi_digits;
    out.exchange.spans.push_back(std::move(port));
    telephony::E1CardSlot slot;
    slot.card.span = e1.span;
    slot.card.name = e1.name;
    slot.exchange_port = e1.name;
    out.e1.push_back(std::move(slot));
  }
  for (const auto& fxo : hw.fxo) {
    telephony::FxoCardSlot slot;
    slot.card.span = fxo.span;
    slot.card.name = fxo.name;
    slot.card.lines = static_cast<std::uint16_t>(fxo.directory_numbers.size());
    slot.card.profile.answer = to_fxo(fxo.answer);
    for (std::size_t i = 0; i < fxo.directory_numbers.size(); ++i) {
      exchange::LinePortConfig line;
      line.name = fxo.name + "-" + std::to_string(i + 1);
      line.directory_number = fxo.directory_numbers[i];
      slot.exchange_ports.push_back(line.name);
      out.exchange.lines.push_back(std::move(line));
    }
    out.fxo.push_back(std::move(slot));
  }
  return out;
}

gateway::GatewayConfig gateway_config(const config::DaemonConfig& config,
                                      const std::string& listen_ip,
                                      const std::string& advertised_ip, const Address& proxy) {
  const auto& settings = config.gateway;
  gateway::GatewayConfig out;
  out.sip.transport.local = Address{advertised_ip, settings.port};
  out.sip.timers = config.proxy.timers;
  out.proxy = settings.proxy.value_or(proxy);
  // The proxy in this daemon sends from its listening socket (symmetric signalling): from its
  // port, and from loopback when [sipproxy.pstn_gw] address is 127.0.0.1 / ::1, or from the
  // listen address. Those sources are the proxy's too (the gateway trusts its `proxy`'s IP).
  for (const std::string& ip : {std::string("127.0.0.1"), std::string("::1"), listen_ip}) {
    if (ip != "0.0.0.0" && ip != "::") out.trusted.push_back(Address{ip, proxy.port});
  }
  out.domain = settings.domain;
  out.dial_plan = settings.dial_plan;
  out.groups = settings.groups;
  out.incoming_destination = settings.incoming_destination;
  out.media_address = advertised_ip;
  out.rtp_port_first = settings.rtp_port_first;
  out.rtp_port_last = settings.rtp_port_last;
  out.max_call_duration = settings.max_call_duration;
  return out;
}

constexpr std::string_view kPstnUsage =
    "usage: pstn call FROM TO [hold SECONDS] [patience SECONDS] | pstn calls\n"
    "  FROM: a national number or withheld; TO: a DDI number or an analogue line's number\n";

// Digits only, at most what a Q.931 number carries here; what the exchange can route.
bool is_pstn_number(std::string_view s) {
  return !s.empty() && s.size() <= gateway::kMaxNumberLength && exchange::is_digits(s);
}

// Whole seconds, 1..86400: a hold or a patience an operator would type.
std::optional<Duration> parse_seconds(std::string_view s) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value < 1 || value > 86400) {
    return std::nullopt;
  }
  return std::chrono::seconds{value};
}

std::string seconds_text(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f",
                std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0);
  return buf;
}

// "call 3", and how it ended when the exchange refused it at once (not an office number,
// congestion, a line busy): the operator sees it without listing the records.
std::string call_reply(const exchange::CallRecord& r) {
  std::string out = "call " + std::to_string(r.id) + "\n";
  if (r.end) {
    out += "ended at once: cause " + (r.cause ? std::to_string(*r.cause) : std::string("-")) +
           " " + std::string(exchange::to_string(r.outcome)) + "\n";
  }
  return out;
}

// The exchange keeps every record of a long demo run: a reply lists the latest this many, so
// that it stays a screenful for a script rather than megabytes.
constexpr std::size_t kMaxRecordsShown = 1000;

// One line per record; times in seconds, with one decimal: age_s since the call began (now),
// answer_s and end_s after its start ("-": not (yet)).
std::string records_reply(const std::vector<exchange::CallRecord>& records, TimePoint now) {
  std::string out =
      "id direction calling called port channel age_s answer_s end_s cause cleared_by outcome\n";
  const std::size_t skip =
      records.size() > kMaxRecordsShown ? records.size() - kMaxRecordsShown : 0;
  for (std::size_t i = skip; i < records.size(); ++i) {
    const auto& r = records[i];
    const auto after = [&r](const std::optional<TimePoint>& t) {
      return t ? seconds_text(*t - r.start) : std::string("-");
    };
    out += std::to_string(r.id) + " " + std::string(exchange::to_string(r.direction)) + " " +
           (r.calling.empty() ? std::string("-") : r.calling) + " " +
           (r.called.empty() ? std::string("-") : r.called) + " " +
           (r.port.empty() ? std::string("-") : r.port) + " " + std::to_string(r.channel) + " " +
           seconds_text(now - r.start) + " " + after(r.answer) + " " + after(r.end) + " " +
           (r.cause ? std::to_string(*r.cause) : std::string("-")) + " " +
           std::string(exchange::to_string(r.cleared_by)) + " " +
           std::string(exchange::to_string(r.outcome)) + "\n";
  }
  out += std::to_string(records.size()) + " calls";
  if (skip != 0) out += ", the latest " + std::to_string(kMaxRecordsShown) + " shown";
  out += "\n";
  return out;
}

}  // namespace

ControlReply GatewayService::pstn_command(std::span<const std::string_view> words) {
  if (!host_) {
    return {false,
            "error: no emulated PSTN in this daemon (no enabled [sim_hardware.e1.N] or "
            "[sim_hardware.fxo.N])\n"};
  }
  if (words.size() == 2 && words[1] == "calls") {
    return {true, records_reply(host_->records(), runtime_->now())};
  }
  if (words.size() < 4 || words[1] != "call" || words.size() % 2 != 0) {
    return {false, "error: " + std::string(kPstnUsage)};
  }
  exchange::PstnCall call;
  if (words[2] == "withheld") {
    // CLIR with no digits given: the office sees a restricted, absent number (Anonymous).
    call.calling = gateway::PartyNumber{.digits = {}, .restricted = true, .available = false};
  } else if (is_pstn_number(words[2])) {
    call.calling.digits = std::string(words[2]);
  } else {
    return {false, "error: FROM '" + std::string(words[2]) +
                       "' is not a number (digits 0-9) or withheld\n" + std::string(kPstnUsage)};
  }
  if (!is_pstn_number(words[3])) {
    return {false, "error: TO '" + std::string(words[3]) + "' is not a number (digits 0-9)\n" +
                       std::string(kPstnUsage)};
  }
  call.called = std::string(words[3]);
  for (std::size_t i = 4; i + 1 < words.size(); i += 2) {
    const auto value = parse_seconds(words[i + 1]);
    if (!value || (words[i] != "hold" && words[i] != "patience")) {
      return {false, "error: '" + std::string(words[i]) + " " + std::string(words[i + 1]) +
                         "': expected hold SECONDS or patience SECONDS (1..86400)\n"};
    }
    if (words[i] == "hold") {
      call.hold_time = exchange::DurationRange::fixed(*value);
    } else {
      call.patience = *value;
    }
  }
  exchange::CallId id = 0;
  // Through the runtime: the cards' events the call causes (an IncomingCall) reach the gateway
  // now, not at the host's next timer.
  if (!runtime_->card_host_input([&](TimePoint now) { id = host_->originate(now, call); })) {
    return {false, "error: the gateway is stopped\n"};
  }
  const auto* record = host_->exchange().record(id);
  if (record == nullptr) return {true, "call " + std::to_string(id) + "\n"};
  return {true, call_reply(*record)};
}

GatewayService::GatewayService(boost::asio::io_context& io, const config::DaemonConfig& config,
                               const std::string& listen_ip, const std::string& advertised_ip,
                               const Address& proxy, Rng& rng, TraceSink& trace) {
  std::vector<gateway::SpanInfo> spans;
  if (config.sim_hardware.has_cards()) {
    auto host = telephony::TelephonyHost::create(host_config(config.sim_hardware), rng, trace);
    if (!host) {
      throw std::runtime_error("resproxy: [sim_hardware]: " + telephony::to_string(host.error()));
    }
    host_ = std::move(host).value();
    cards_ = std::make_unique<TelephonyCardHost>(*host_);
    spans = host_->spans();
  }
  node_ = std::make_unique<gateway::GatewayNode>(
      gateway_config(config, listen_ip, advertised_ip, proxy), std::move(spans), rng, trace);
  runtime_ = std::make_unique<NativeRuntime>(
      io, *node_,
      ListenConfig{.ip = listen_ip, .port = config.gateway.port, .udp = true, .tcp = true});
  if (cards_) runtime_->set_card_host(cards_.get());
  media_ = std::make_unique<MediaBridges>(io, MediaBridgeConfig{.bind_ip = listen_ip});
  runtime_->set_media_bridges(media_.get());
}

GatewayService::~GatewayService() = default;

void GatewayService::start() { runtime_->start(); }
void GatewayService::stop() {
  runtime_->stop();
  media_->close_all();
}

}  // namespace resproxy::native
