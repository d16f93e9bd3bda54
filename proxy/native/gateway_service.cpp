// GatewayService (gateway_service.h): [gateway] and [sim_hardware.*] mapped onto the gateway
// core and the emulators, and the runtime that hosts them.
#include "proxy/native/gateway_service.h"

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

// The emulated office of [sim_hardware.*]: the demo's numbering plan behind the exchange.
telephony::TelephonyHostConfig host_config(const config::SimHardwareSettings& hw) {
  telephony::TelephonyHostConfig out;
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

}  // namespace

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
