#pragma once
// RunData: what one simulated run of a scenario produced, before any judgement — the raw
// material of results.json (harness/results.h turns it into metrics and JSON).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace resproxy::harness {

struct CallData {
  std::string call_id;
  std::string from;   // caller's user part
  std::string to;     // callee's user part
  // internal | outbound | inbound | emergency | pstn_inbound (the office gateway → an office
  // number) | pstn_unassigned (the office gateway → a number nobody has)
  std::string kind;
  double placed_s = 0;
  std::string outcome;  // answered | busy | failed | abandoned
  std::optional<int> status;
  std::optional<double> pdd_ms;
  std::optional<double> setup_ms;
  std::string route;  // itsp | local | gateway | "" (resproxy never forwarded it)
  std::optional<double> ended_s;
  std::string failure;
  // With a pstn: block, an outside call the gateway carried to a subscriber who does not answer
  // by design: busy | no_answer | unallocated ("" otherwise). Not in results.json.
  std::string subscriber;
  bool relayed = false;  // resproxy's media relay anchored it (media.anchored). Not in results.json.
};

// With a nat: block: one home's NAT at the end of the run (model/nat_node.h's counters).
struct HomeNatData {
  std::string address;  // its outside address
  std::uint64_t translated_out = 0, translated_in = 0;
  std::uint64_t dropped_unsolicited = 0, dropped_filtered = 0, dropped_no_port = 0, dropped_other = 0;
  std::uint64_t mappings_created = 0, mappings_expired = 0, mappings = 0;
};

// With a pstn: block: one call the gateway core handled (its gw.call_started / gw.call_ended).
struct PstnCallData {
  std::string call_id;
  std::string direction;  // sip_to_pstn | pstn_to_sip
  double start_s = 0;
  std::optional<double> end_s;
  std::string span;    // "0": never had a channel
  std::string cause;   // Q.850, "" when none
  bool answered = false;
  bool emergency = false;
  std::string routes_tried;
};

// With an audio: block: one phone's side of one answered call (model/rtp_audio.h). Every UA
// says a tone and measures what it hears; the PSTN gateway's line echoes, so a phone in a PSTN
// call hears its own voice exactly when the audio went both ways.
struct AudioLegData {
  std::string call_id;
  std::string ua;      // phone-2001, pstn, caller-1
  bool negotiated = true;  // false: answered, but no usable SDP (no audio could flow)
  double start_s = 0;
  std::optional<double> stop_s;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t voice = 0;  // packets with sound in them
  std::uint64_t expected = 0;
  std::uint64_t lost = 0;
  double jitter_ms = 0;
  std::optional<double> first_voice_ms;  // after our first packet (a PSTN echo: the round trip)
  std::uint64_t loss_bursts = 0;          // runs of consecutive lost packets
  // The mean one-way delay of what we heard, packet sent to packet received (ms): phone to phone,
  // from the speaker's send times (one simulated clock); when what we heard is the PSTN gateway's
  // stream (its line echoes us), half the echo's round trip, first_voice_ms / 2. None when
  // nothing was heard (nor, from the gateway, any voice).
  std::optional<double> one_way_delay_ms;
};

// With an audio: block and a pstn: block: the gateway's media bridges (media::BridgeCounters).
struct GatewayMediaData {
  std::uint64_t opened = 0, refused = 0;
  std::uint64_t rtp_rx = 0, rtp_tx = 0, foreign = 0, rx_errors = 0, tx_errors = 0;
  std::uint64_t late = 0, lost = 0, concealed = 0, slips = 0;
};

// One named counter of a core node at the end of the run (its counter table: name, help, kind).
struct CounterData {
  std::string name;
  std::string help;
  std::string kind;  // counter | gauge
  std::uint64_t value = 0;
};

// One blind transfer an office phone started (as the transferor, RFC 5589 §6).
struct TransferData {
  std::string call_id;  // the original call
  std::string from;     // the transferor's user part
  std::string target;   // the Refer-To user part
  double call_s = 0;   // the original call reached the transferor (its phase is the transfer's)
  double refer_s = 0;
  std::string outcome;  // ok | failed | busy (the target was busy) | pending (no outcome yet)
  int status = 0;       // final status of the new call (the last NOTIFY), or the REFER's
  std::optional<double> done_s;
  std::string failure;
};

struct RegistrationData {
  std::string phone;
  double t_s = 0;
  int status = 0;
  std::optional<double> latency_ms;
};

struct ItspStateChange {
  double t_s = 0;
  std::string itsp;
  std::string state;  // Active | Probing | Inactive | AdminDisabled
};

struct Sample {
  double t_s = 0;
  std::uint64_t registered = 0;
  std::uint64_t calls_in_progress = 0;
  int failure_operation = 0;
  std::optional<std::uint64_t> pstn_channels_in_use;  // with a pstn: block: e1 + fxo in use
};

struct AppliedFault {
  std::string kind;
  std::string target;
  double start_s = 0;
  double end_s = 0;
  std::string detail;
  bool disruptive = true;
  double restored_s = 0;  // when the target was last made healthy again (the fault's real end)
};

struct LadderMessage {
  double t_s = 0;
  std::string from;
  std::string to;
  std::string label;
};

struct RunData {
  std::string scenario;
  std::string title;
  std::uint32_t seed = 1;
  double duration_s = 0;
  std::size_t phones = 0;
  std::vector<AppliedFault> faults;
  std::vector<ItspStateChange> itsp_states;
  std::vector<Sample> series;
  std::vector<CallData> calls;  // time order
  // time order; REGISTERs answered by a retry with credentials (401 challenged) are left out
  std::vector<RegistrationData> registrations;
  std::vector<TransferData> transfers;  // REFER time order
  std::string ladder_call_id;
  std::vector<std::string> ladder_nodes;
  std::vector<LadderMessage> ladder;
  std::uint64_t gateway_loops = 0;
  std::uint64_t failovers = 0;
  std::uint64_t late_answers_hung_up = 0;
  std::uint64_t calls_skipped_busy = 0;
  std::uint64_t registered_at_end = 0;
  std::uint64_t gateway_route_decisions = 0;  // resproxy routed a request from the gateway
  std::uint64_t auth_challenges = 0;          // 401/407 the office phones answered
  std::uint64_t auth_failures = 0;            // challenges they could not answer
  std::uint64_t registrations_challenged = 0;
  std::uint64_t registrations_with_auth = 0;  // 2xx to a REGISTER that carried credentials
  std::uint64_t calls_unacknowledged = 0;     // answered, the ACK never arrived (callee gave up)
  // Each core node's counter table at the end of the run, by node ("resproxy", "itsp"): what
  // `resproxyctl show counters` would print then.
  std::vector<std::pair<std::string, std::vector<CounterData>>> counters;
  // With a DNS node (scenario `dns:`): queries it received; resproxy's look-ups that failed
  // (itsp.name_lookup_failed); ITSP addresses it left for new ones (itsp.readdressed,
  // itsp.proxy_removed).
  std::uint64_t dns_queries = 0;
  std::uint64_t dns_lookups_failed = 0;
  std::uint64_t itsp_address_changes = 0;
  // With a pstn: block: the gateway core's calls (start order) and counters.
  std::vector<PstnCallData> pstn_calls;
  std::uint64_t pstn_represented = 0;
  std::uint64_t pstn_blocked_no_channel = 0;
  // With an audio: block.
  std::vector<AudioLegData> audio_legs;  // start order
  std::optional<GatewayMediaData> gateway_media;
  std::vector<HomeNatData> homes;  // with a nat: block, in home order
  std::vector<std::string> trace;  // every trace line, only when asked for
};

}  // namespace resproxy::harness
