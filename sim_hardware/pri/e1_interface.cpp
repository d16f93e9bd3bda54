#include "sim_hardware/pri/e1_interface.h"

#include <algorithm>

namespace resproxy::pri {
namespace {

q931::TypeOfNumber to_type_of_number(gateway::NumberType type) {
  switch (type) {
    case gateway::NumberType::International: return q931::TypeOfNumber::International;
    case gateway::NumberType::National: return q931::TypeOfNumber::National;
    case gateway::NumberType::Subscriber: return q931::TypeOfNumber::Subscriber;
    case gateway::NumberType::Unknown: break;
  }
  return q931::TypeOfNumber::Unknown;
}

gateway::NumberType to_number_type(q931::TypeOfNumber type) {
  switch (type) {
    case q931::TypeOfNumber::International: return gateway::NumberType::International;
    case q931::TypeOfNumber::National: return gateway::NumberType::National;
    case q931::TypeOfNumber::Subscriber: return gateway::NumberType::Subscriber;
    default: return gateway::NumberType::Unknown;
  }
}

}  // namespace

q931::CallReference inverted(q931::CallReference reference) {
  reference.flag = reference.flag == q931::CallReferenceFlag::FromOriginatingSide
                       ? q931::CallReferenceFlag::ToOriginatingSide
                       : q931::CallReferenceFlag::FromOriginatingSide;
  return reference;
}

q931::CallReference global_call_reference() {
  return {.length = 2, .value = 0, .flag = q931::CallReferenceFlag::FromOriginatingSide};
}

bool has_in_band_information(const q931::Message& message) {
  return std::any_of(message.progress_indicators.begin(), message.progress_indicators.end(),
                     [](const q931::ProgressIndicator& p) {
                       return p.description == q931::ProgressDescription::InBandInformation;
                     });
}

q931::Message restart_message(q931::MessageType type, const std::vector<std::uint16_t>& channels) {
  q931::Message m;
  m.call_reference = global_call_reference();
  m.type = type;
  if (channels.empty()) {
    m.restart_indicator = q931::RestartIndicator{q931::RestartClass::AllInterfaces};
  } else {
    m.restart_indicator = q931::RestartIndicator{q931::RestartClass::IndicatedChannels};
    q931::ChannelIdentification c = q931::ChannelIdentification::exclusive_b_channel(0);
    c.channels.clear();
    for (std::uint16_t ch : channels) c.channels.push_back(static_cast<std::uint8_t>(ch));
    m.channel_identification = std::move(c);
  }
  return m;
}

std::optional<std::vector<std::uint16_t>> restarted_channels(const q931::Message& message) {
  if (!message.restart_indicator) return std::nullopt;
  if (message.restart_indicator->restart_class != q931::RestartClass::IndicatedChannels) {
    return std::vector<std::uint16_t>{};
  }
  if (!message.channel_identification) return std::nullopt;
  const auto& c = *message.channel_identification;
  if (c.selection != q931::ChannelSelection::AsIndicated || c.slot_map ||
      c.channel_type != q931::ChannelType::BChannel || c.channels.empty()) {
    return std::nullopt;
  }
  std::vector<std::uint16_t> out;
  for (std::uint8_t ch : c.channels) {
    if (!is_e1_b_channel(ch)) return std::nullopt;
    out.push_back(ch);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

gateway::Cause to_gateway(const q931::Cause& cause) {
  return {.value = static_cast<std::uint8_t>(cause.value),
          .location = static_cast<gateway::CauseLocation>(cause.location)};
}

q931::Cause to_q931(const gateway::Cause& cause) {
  q931::Cause c;
  c.location = static_cast<q931::Location>(cause.location);
  c.value = static_cast<q931::CauseValue>(cause.value & 0x7F);
  return c;
}

gateway::PartyNumber to_party_number(const std::optional<q931::CallingPartyNumber>& number) {
  gateway::PartyNumber p;
  if (!number) {
    p.available = false;
    return p;
  }
  p.digits = number->digits;
  p.type = to_number_type(number->type);
  if (number->presentation) {
    p.restricted = number->presentation->indicator == q931::PresentationIndicator::Restricted;
    p.available = number->presentation->indicator != q931::PresentationIndicator::NotAvailable;
  }
  return p;
}

gateway::PartyNumber to_party_number(const std::optional<q931::CalledPartyNumber>& number) {
  gateway::PartyNumber p;
  if (!number) {
    p.available = false;
    return p;
  }
  p.digits = number->digits;
  p.type = to_number_type(number->type);
  return p;
}

std::optional<q931::CallingPartyNumber> to_calling_party_number(
    const gateway::PartyNumber& number, q931::ScreeningIndicator screening) {
  if (!number.available) return std::nullopt;
  q931::CallingPartyNumber c;
  c.type = to_type_of_number(number.type);
  c.plan = q931::NumberingPlan::Isdn;
  c.presentation = q931::Presentation{.indicator = number.restricted
                                                       ? q931::PresentationIndicator::Restricted
                                                       : q931::PresentationIndicator::Allowed,
                                      .screening = screening};
  c.digits = number.digits;
  return c;
}

q931::CalledPartyNumber to_called_party_number(const gateway::PartyNumber& number) {
  return {.type = to_type_of_number(number.type),
          .plan = q931::NumberingPlan::Isdn,
          .digits = number.digits};
}

}  // namespace resproxy::pri
