#pragma once
// Which IEs a decoded Q.931 message must carry (ITU-T Q.931 §3, the tables of §3.1 and §3.4 for
// both directions, the messages the PRI card and the exchange use) and what the receiver answers
// when one is missing or unusable (§5.8.3.2, §5.8.5-§5.8.7). Pure functions; the call state
// machines call validate() on every message decode() gave them.
#include <cstdint>
#include <optional>
#include <vector>

#include "sim_hardware/q931/message.h"

namespace resproxy::q931 {

enum class Direction : std::uint8_t { NetworkToUser, UserToNetwork };

// What the tables' notes make depend on the call, which only the receiver's state knows.
struct ValidationContext {
  Direction direction = Direction::NetworkToUser;
  // The message is the first answer to a SETUP (ALERTING, CALL PROCEEDING, CONNECT): from the
  // network it must then identify the B-channel (§3.1.1-§3.1.3, the note on Channel
  // identification). SETUP ACKNOWLEDGE always is one (§3.1.15).
  bool first_response_to_setup = false;
  // The message is the first call clearing message (RELEASE, RELEASE COMPLETE): it must then
  // carry a Cause (§3.1.9, §3.1.10, note 1).
  bool first_clearing_message = false;
};

enum class ValidationAction : std::uint8_t {
  // §5.8.6.1, §5.8.6.2, §5.8.3.2 f): no action on the message. Answer with the cause: RELEASE
  // COMPLETE to a SETUP, RELEASE to a DISCONNECT, RELEASE COMPLETE to a RELEASE, STATUS to the
  // others (§5.8.6.1 a-e).
  RejectMessage,
  // §5.8.7: act on the message as if the IE were absent; STATUS with the cause, except for
  // DISCONNECT, RELEASE and RELEASE COMPLETE, whose clearing goes on.
  ProceedAndReport,
};

struct ValidationError {
  CauseValue cause = CauseValue::MandatoryInformationElementMissing;
  // The diagnostic of the cause (Q.850 §2.2.8: the IE identifier); 0 for cause 81.
  std::uint8_t information_element = 0;
  ValidationAction action = ValidationAction::RejectMessage;

  friend bool operator==(const ValidationError&, const ValidationError&) = default;
};

// The mandatory IEs of `type` in `context` beyond the header, ascending by identifier.
[[nodiscard]] std::vector<InformationElementId> mandatory_elements(
    MessageType type, const ValidationContext& context);

// The first reason not to take `message` as it is, in this order: a global call reference on a
// message other than RESTART, RESTART ACKNOWLEDGE, STATUS or a RESTART (ACKNOWLEDGE) without
// one (cause 81, §5.8.3.2 f, §5.5); a mandatory IE missing (96) or with invalid contents (100);
// an unrecognized IE encoded "comprehension required" (96, §5.8.7.1); then the ones to proceed
// with: an optional IE with invalid contents (100, §5.8.7.2), an unrecognized IE of codeset 0
// (99, §5.8.7.1). Repetitions are ignored (§5.8.5.2), as are IEs of other codesets.
// nullopt: the message is fine.
[[nodiscard]] std::optional<ValidationError> validate(const Message& message,
                                                      const ValidationContext& context);

}  // namespace resproxy::q931
