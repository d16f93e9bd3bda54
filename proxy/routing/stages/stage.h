#pragma once
// The request pipeline's vocabulary (issue #11). Every new request (not an ACK) passes the
// stages of request_pipeline.h in order; each stage lives in its own file here and is a plain
// struct of references to just what it reads — configuration values, small components, a narrow
// port where it must hand the request on — so a test builds one stage alone and looks at its
// Decision. STYLE.md §2: extension points return Continue, Respond or hand the request on, and
// are listed in one explicit table; the media relay and the PSTN gateway add stages, not
// branches.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/time.h"
#include "proxy/routing/routing_table.h"
#include "proxy/security/digest_admission.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/message.h"
#include "proxy/transaction/transaction_layer.h"

namespace resproxy::routing::stages {

enum class Next : std::uint8_t {
  Continue,  // the next stage has it
  Respond,   // answer it with the Decision's response; the pipeline ends
  HandedOn,  // taken by what lies beyond the pipeline (forwarding, the registration flow, the
             // CANCEL's INVITE), which answers it; the pipeline ends
};

// What a stage decided about a request.
struct Decision {
  Next next = Next::Continue;
  int status = 0;
  std::string_view reason{};  // static text
  std::vector<sip::ExtraHeader> headers{};
  // Answered with one datagram and no transaction state (no Timer G, no Server header, within
  // the amplification budget), not counted as a rejection: overload refusals.
  bool statelessly = false;

  [[nodiscard]] static Decision go_on() { return {}; }
  [[nodiscard]] static Decision handed_on() { return {.next = Next::HandedOn}; }
  [[nodiscard]] static Decision respond(int status, std::string_view reason,
                                        std::vector<sip::ExtraHeader> headers = {}) {
    return {.next = Next::Respond, .status = status, .reason = reason, .headers = std::move(headers)};
  }
  [[nodiscard]] static Decision respond_statelessly(int status, std::string_view reason,
                                                    std::vector<sip::ExtraHeader> headers) {
    return {.next = Next::Respond,
            .status = status,
            .reason = reason,
            .headers = std::move(headers),
            .statelessly = true};
  }
};

// One new request on its way through the stages.
struct RequestContext {
  TimePoint now;
  transaction::ServerTransactionId id;
  const sip::Message& request;
  const Path& path;
  // Open server transactions, this request's included: the load the capacity stage weighs.
  std::size_t server_transactions = 0;
  // Nobody had verified its source when it arrived: refusals to it go out statelessly.
  bool unverified = false;
  // Filled on the way, for the stages after: our own Route values on top of its Route set (the
  // route stage), who sent it for the routing tables (the admission stage).
  std::size_t pop = 0;
  SourceClass source = SourceClass::Untrusted;
};

// What the node remembers while it handles one request (respond() and the exit rule read it).
struct RequestState {
  // Its source is unverified: refusals and challenges are answered statelessly, within the
  // amplification budget. Cleared when its credentials check out.
  bool unverified = false;
  Path source;
  // The user its credentials proved (empty: none checked, or not good).
  std::string authenticated_user;

  // A verdict on its credentials: good ones verify the source and name the user.
  void note(const security::AuthResult& verdict) {
    if (!verdict.is_ok()) return;
    unverified = false;  // its answers may be stateful again
    authenticated_user = verdict.username;
  }
};

}  // namespace resproxy::routing::stages
