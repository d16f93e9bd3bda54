#pragma once
// GatewayNode: the PSTN gateway, a back-to-back user agent between SIP dialogs and calls on the
// office's telephony cards (E1 / ISDN PRI spans, analogue FXO lines), on a SIP port of its own
// (the seed: the Vega's gateway and its resilience proxy listen on different ports).
//
// SIP -> PSTN: an INVITE from a trusted source (resproxy) is routed by the dial plan
// (dial_plan.h: ordered rules, number rewriting, emergency numbers); each route's card group
// hunts a channel (channel_groups.h: lowest free / round robin, channels held back for emergency
// calls) and the call is placed on it (PlaceCall). Card events become SIP answers: ALERTING 180,
// in-band progress 183 with SDP (early media), CONNECT 200 with SDP; a release before answer
// gives the RFC 3398 answer with the Q.850 cause in a Reason header (RFC 3326), unless its cause
// is one to re-present on (dial_plan.h: 34, 38, 41, 42, 44, 47 by default) and another route
// is left: then the call is presented to the next route. CANCEL clears the line call with 16 (or
// the Reason's cause); BYE in either direction clears the other side (a BYE in the early dialog
// of our 18x also answers the pending INVITE 487, RFC 3261 §15.1.2). A re-INVITE before our final
// answer gets 500 with Retry-After (§14.2); a copy of a pending INVITE on another branch, 482
// (§8.2.2.2); a CANCEL matching an INVITE already answered, 200 and nothing more (§9.2).
//
// PSTN -> SIP: a call a card presents (IncomingCall) is routed by the dial plan with its group as
// source (an FXO line has no DDI: the group's configured destination is the called number); it is
// accepted (CALL PROCEEDING) and offered to resproxy as an INVITE; 180 -> ALERTING, 183 with SDP
// -> PROGRESS (in-band), 2xx -> CONNECT, a final failure -> the line call cleared with the
// RFC 3398 cause (or the Reason header's). A PSTN caller who gives up first: CANCEL, and the call
// is kept until the INVITE's final answer (64*T1 at most), so that a 2xx crossing the CANCEL is
// acknowledged and ended with BYE (§9.1, §15). Calling-number presentation: a restricted number goes
// out as From "Anonymous" with Privacy: id and the number in P-Asserted-Identity (RFC 3325).
// P-Asserted-Identity and Privacy in an INVITE are believed only from trusted sources.
//
// Media: the gateway answers SDP with its own RTP endpoint (a port of its pool, PCMA or PCMU as
// the offer prefers, telephone-event when offered) and bridges it to the channel with a
// MediaBridge card command; the runtime moves the 20 ms frames (ARCHITECTURE: media never passes
// the effect queue). DTMF between RFC 4733 and the line is the data path's, too.
//
// One call record per call: the trace event gw.call_ended with numbers, direction, span and
// channel, start/answer/end, cause and SIP status, and the routes tried.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proxy/gateway/card.h"
#include "proxy/gateway/channel_groups.h"
#include "proxy/gateway/dial_plan.h"
#include "proxy/sip/dialog.h"
#include "proxy/transaction/sip_node.h"

namespace resproxy::gateway {

inline constexpr std::uint16_t kDefaultGatewayPort = 5080;
// The RTP payload type our offers give telephone-event (RFC 4733), the usual dynamic number.
inline constexpr std::uint8_t kOfferedTelephoneEvent = 101;

struct GatewayConfig {
  transaction::SipNodeConfig sip;      // sip.transport.local: the gateway's own address and port
  Address proxy;                       // resproxy: where calls from the PSTN are sent
  std::string domain = "pstn.invalid";  // the host of the URIs of calls toward resproxy
  // Sources whose INVITEs are served (and whose P-Asserted-Identity is believed); the proxy
  // always is one. Others are answered 403.
  std::vector<Address> trusted;
  DialPlanConfig dial_plan;
  std::vector<ChannelGroupConfig> groups;
  // The called number of calls presented on a group without DDI (FXO lines): group name, number.
  std::map<std::string, std::string> incoming_destination;
  // RTP: the address in our SDP and the pool of even ports (first..last) for the calls.
  std::string media_address;
  std::uint16_t rtp_port_first = 16384;
  std::uint16_t rtp_port_last = 17383;
  // A call is cleared (16) after this long connected; zero: no limit. Guards analogue lines
  // without answer or disconnect supervision from staying up for ever.
  Duration max_call_duration{};
};

enum class CallDirection : std::uint8_t { SipToPstn, PstnToSip };

// What `show channels` prints for one channel or line.
struct ChannelStatus {
  ChannelId channel;
  std::string group;
  ChannelState state = ChannelState::Idle;
  std::string called;
  std::string calling;
  std::optional<TimePoint> since;
  bool answered = false;
};

struct GatewayCounters {
  std::uint64_t calls_sip_to_pstn = 0;
  std::uint64_t calls_pstn_to_sip = 0;
  std::uint64_t answered = 0;
  std::uint64_t blocked_no_channel = 0;  // every route tried found no free channel (34)
  std::uint64_t represented = 0;         // presented to a next route
  std::uint64_t emergency_calls = 0;
  std::uint64_t refused_untrusted = 0;
  std::uint64_t no_route = 0;
};

class GatewayNode : public transaction::SipNode {
 public:
  GatewayNode(GatewayConfig config, std::vector<SpanInfo> spans, Rng& rng, TraceSink& trace);

  [[nodiscard]] std::vector<ChannelStatus> channel_status() const;
  [[nodiscard]] const GatewayCounters& counters() const { return counters_; }
  [[nodiscard]] std::size_t active_calls() const { return calls_.size(); }
  [[nodiscard]] const ChannelGroups& groups() const { return groups_; }
  // RTP ports of the pool not held by a call (status pages, leak checks in tests).
  [[nodiscard]] std::size_t free_rtp_ports() const { return free_rtp_ports_.size(); }

  // TransactionUser.
  void on_request(TimePoint now, transaction::ServerTransactionId id, const sip::Message& request,
                  const Path& path) override;
  void on_ack(TimePoint now, const sip::Message& ack, const Path& path) override;
  void on_response(TimePoint now, transaction::ClientTransactionId id,
                   const sip::Message& response) override;
  void on_client_error(TimePoint now, transaction::ClientTransactionId id,
                       transaction::TransactionError error) override;

 protected:
  void handle_completion(TimePoint now, const Completion& completion) override;
  // admin::ShowChannels: channel_status() as rows; other commands: Unsupported.
  void handle_command(TimePoint now, const AdminCommand& command) override;

 private:
  enum class Phase : std::uint8_t { Routing, Placing, Early, Answered, Ended };
  struct Call {
    std::uint64_t id = 0;
    CallDirection direction = CallDirection::SipToPstn;
    Phase phase = Phase::Routing;
    bool emergency = false;
    bool restricted = false;  // calling-number presentation restricted (Privacy: id; Q.931)
    // The SIP side.
    std::string call_id;
    std::string local_tag;
    transaction::ServerTransactionId invite_in{};    // SIP -> PSTN: the INVITE we answer
    transaction::ClientTransactionId invite_out{};   // PSTN -> SIP: the INVITE we sent
    std::optional<sip::Dialog> dialog;
    std::string ok_response;  // our 2xx, retransmitted until the ACK (§13.3.1.4)
    Duration ok_interval{};
    TimerId ok_timer{};  // PSTN -> SIP: the wait for the final answer to our CANCELled INVITE
    TimerId duration_timer{};
    bool sip_done = false;     // the SIP side is over (final answer sent/received, BYE)
    std::string sdp_answer;    // ours, once made
    // The line side.
    SpanId span = 0;
    LineCallId line_call = 0;
    bool line_active = false;  // a line call exists (placed or presented, not yet released)
    bool disconnected = false;  // the card reported the far end's clear; its release follows
    std::vector<Route> routes;
    std::size_t next_route = 0;
    std::uint8_t last_cause = cause::kNoCircuitAvailable;
    std::uint8_t clear_cause = cause::kNormalClearing;
    // Media.
    std::uint16_t rtp_port = 0;
    std::string remote_ip;
    std::uint16_t remote_port = 0;
    std::uint8_t payload_type = 8;
    std::optional<std::uint8_t> telephone_event;  // the peer's RFC 4733 payload type, if any
    std::optional<std::uint8_t> telephone_event_rx;  // ours, when the peer's answer used another
    bool media_bridged = false;  // a MediaBridge went out for the line call; unbridged at release
    // The record.
    std::string called;
    std::string calling;
    TimePoint start{};
    std::optional<TimePoint> answered_at;
    std::optional<std::uint8_t> cause;
    int sip_status = 0;
    std::string tried;  // the groups tried, in order: "e1,fxo"
  };

  // SIP -> PSTN (gateway_node.cpp).
  void on_invite(TimePoint now, transaction::ServerTransactionId id, const sip::Message& invite,
                 const Path& path);
  void on_reinvite(TimePoint now, transaction::ServerTransactionId id, const sip::Message& request);
  void on_cancel(TimePoint now, transaction::ServerTransactionId id, const sip::Message& cancel);
  void on_bye(TimePoint now, transaction::ServerTransactionId id, const sip::Message& bye);
  void try_next_route(TimePoint now, Call& call);
  void answer_sip(TimePoint now, Call& call, int status, std::uint8_t cause_value);
  void send_provisional(TimePoint now, Call& call, int status, bool with_sdp);
  void send_ok(TimePoint now, Call& call);
  void retransmit_ok(TimePoint now, std::uint64_t id);
  // PSTN -> SIP (gateway_node_card.cpp).
  void on_incoming(TimePoint now, SpanId span, const IncomingCall& incoming);
  void on_invite_response(TimePoint now, Call& call, const sip::Message& response);
  void send_in_dialog(TimePoint now, Call& call, std::string_view method, std::uint8_t cause);
  // Card events (gateway_node_card.cpp).
  void on_card_event(TimePoint now, SpanId span, const CardEvent& event);
  void on_line_progress(TimePoint now, Call& call, int status, bool inband);
  void on_line_answered(TimePoint now, Call& call);
  void on_line_disconnected(TimePoint now, Call& call, Cause cause);
  void on_line_released(TimePoint now, Call& call, Cause cause);
  void clear_line(TimePoint now, Call& call, std::uint8_t cause);
  // Media (gateway_node_media.cpp).
  [[nodiscard]] std::uint16_t take_rtp_port();
  void release_rtp_port(std::uint16_t port);
  [[nodiscard]] std::string make_sdp(const Call& call, bool offer) const;
  // `answer`: the body answers our offer (our telephone-event number is what we receive).
  [[nodiscard]] bool take_remote_sdp(Call& call, std::string_view body, bool answer);
  void bridge_media(Call& call);
  // MediaBridge with rtp_port 0 for a bridged line call (at its CallReleased).
  void unbridge_media(Call& call);
  // Both (gateway_node.cpp).
  [[nodiscard]] bool is_trusted(const Address& source) const;
  [[nodiscard]] Call* find_line(SpanId span, LineCallId line);
  [[nodiscard]] Call* find_dialog(const sip::Message& message);
  [[nodiscard]] std::vector<sip::ExtraHeader> contact_headers() const;
  [[nodiscard]] Address next_hop_of(const sip::DialogTarget& target) const;
  // contact_headers() and the request's Record-Route fields (dialog-creating responses).
  [[nodiscard]] std::vector<sip::ExtraHeader> dialog_headers(const sip::Message& invite) const;
  void card(SpanId span, CardCommand command) { emit_effect(ToCard{span, std::move(command)}); }
  void start_duration_limit(TimePoint now, Call& call);
  // The call is over on both sides: its record, its port, its indexes.
  void finish_if_done(TimePoint now, Call& call);

  GatewayConfig config_;
  DialPlan dial_plan_;
  ChannelGroups groups_;
  GatewayCounters counters_;
  std::map<std::uint64_t, Call> calls_;
  std::map<std::pair<SpanId, LineCallId>, std::uint64_t> by_line_;
  std::map<std::string, std::uint64_t, std::less<>> by_call_id_;
  std::map<transaction::ClientTransactionId, std::uint64_t> by_client_;
  std::vector<std::uint16_t> free_rtp_ports_;
  std::uint64_t next_call_ = 1;
  LineCallId next_line_call_ = 1;  // card.h: the gateway numbers its calls with odd ids
};

}  // namespace resproxy::gateway
