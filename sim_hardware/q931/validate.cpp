#include "sim_hardware/q931/validate.h"

#include <algorithm>

namespace resproxy::q931 {
namespace {

using Id = InformationElementId;

[[nodiscard]] bool has_typed(const Message& m, Id id) {
  switch (id) {
    case Id::BearerCapability: return m.bearer_capability.has_value();
    case Id::Cause: return m.cause.has_value();
    case Id::CallState: return m.call_state.has_value();
    case Id::ChannelIdentification: return m.channel_identification.has_value();
    case Id::ProgressIndicator: return !m.progress_indicators.empty();
    case Id::Display: return m.display.has_value();
    case Id::CallingPartyNumber: return m.calling_party_number.has_value();
    case Id::CalledPartyNumber: return m.called_party_number.has_value();
    case Id::RestartIndicator: return m.restart_indicator.has_value();
    case Id::SendingComplete: return m.sending_complete;
    default: return false;
  }
}

[[nodiscard]] bool has_raw(const Message& m, Id id, RawReason reason) {
  return std::any_of(m.other_elements.begin(), m.other_elements.end(),
                     [&](const RawInformationElement& ie) {
                       return ie.codeset == 0 && ie.identifier == static_cast<std::uint8_t>(id) &&
                              ie.reason == reason;
                     });
}

[[nodiscard]] bool uses_global_call_reference(MessageType type) {
  return type == MessageType::Restart || type == MessageType::RestartAcknowledge;
}

}  // namespace

std::vector<InformationElementId> mandatory_elements(MessageType type,
                                                     const ValidationContext& context) {
  const bool from_network = context.direction == Direction::NetworkToUser;
  std::vector<Id> ids;
  switch (type) {
    case MessageType::Alerting:        // §3.1.1
    case MessageType::CallProceeding:  // §3.1.2
    case MessageType::Connect:         // §3.1.3
      if (from_network && context.first_response_to_setup) ids.push_back(Id::ChannelIdentification);
      break;
    case MessageType::Progress:  // §3.1.8
      ids.push_back(Id::ProgressIndicator);
      break;
    case MessageType::SetupAcknowledge:  // §3.1.15
      if (from_network) ids.push_back(Id::ChannelIdentification);
      break;
    case MessageType::Disconnect:  // §3.1.5
      ids.push_back(Id::Cause);
      break;
    case MessageType::Release:          // §3.1.9
    case MessageType::ReleaseComplete:  // §3.1.10
      if (context.first_clearing_message) ids.push_back(Id::Cause);
      break;
    case MessageType::Setup:  // §3.1.14: the network always names the channel it offers
      ids.push_back(Id::BearerCapability);
      if (from_network) ids.push_back(Id::ChannelIdentification);
      break;
    case MessageType::Status:  // §3.1.16
      ids.push_back(Id::Cause);
      ids.push_back(Id::CallState);
      break;
    case MessageType::Restart:             // §3.4.1
    case MessageType::RestartAcknowledge:  // §3.4.2
      ids.push_back(Id::RestartIndicator);
      break;
    case MessageType::ConnectAcknowledge:  // §3.1.4
    case MessageType::Information:         // §3.1.6
    case MessageType::StatusEnquiry:       // §3.1.17
      break;
  }
  return ids;
}

std::optional<ValidationError> validate(const Message& m, const ValidationContext& context) {
  // §5.8.3.2 f): only RESTART, RESTART ACKNOWLEDGE and STATUS use the global call reference;
  // §5.5.1: RESTART (and so its acknowledgement) always does.
  if (m.call_reference.is_global() != uses_global_call_reference(m.type) &&
      !(m.type == MessageType::Status && m.call_reference.is_global())) {
    return ValidationError{.cause = CauseValue::InvalidCallReferenceValue,
                           .information_element = 0,
                           .action = ValidationAction::RejectMessage};
  }

  std::vector<Id> mandatory = mandatory_elements(m.type, context);
  // §5.5.1: restarting "indicated channels" needs the Channel identification naming them.
  if (m.restart_indicator &&
      m.restart_indicator->restart_class == RestartClass::IndicatedChannels) {
    mandatory.insert(mandatory.begin(), Id::ChannelIdentification);
  }
  for (Id id : mandatory) {
    if (has_typed(m, id)) continue;
    const bool invalid = has_raw(m, id, RawReason::InvalidContents);
    return ValidationError{.cause = invalid ? CauseValue::InvalidInformationElementContents
                                            : CauseValue::MandatoryInformationElementMissing,
                           .information_element = static_cast<std::uint8_t>(id),
                           .action = ValidationAction::RejectMessage};
  }
  // §4.5.1 (Table 4-3 note): an IE identifier of codeset 0 with bits 8-5 = 0000 means
  // "comprehension required"; unrecognized, it is treated as a missing mandatory IE (§5.8.7.1).
  for (const auto& ie : m.other_elements) {
    if (ie.codeset == 0 && ie.reason == RawReason::Unrecognized && ie.identifier < 0x10) {
      return ValidationError{.cause = CauseValue::MandatoryInformationElementMissing,
                             .information_element = ie.identifier,
                             .action = ValidationAction::RejectMessage};
    }
  }
  for (const auto& ie : m.other_elements) {
    if (ie.codeset == 0 && ie.reason == RawReason::InvalidContents) {
      return ValidationError{.cause = CauseValue::InvalidInformationElementContents,
                             .information_element = ie.identifier,
                             .action = ValidationAction::ProceedAndReport};
    }
  }
  for (const auto& ie : m.other_elements) {
    if (ie.codeset == 0 && ie.reason == RawReason::Unrecognized) {
      return ValidationError{.cause = CauseValue::InformationElementNonExistent,
                             .information_element = ie.identifier,
                             .action = ValidationAction::ProceedAndReport};
    }
  }
  return std::nullopt;
}

}  // namespace resproxy::q931
