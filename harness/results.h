#pragma once
// Results of one run (docs/results-schema.md): the metrics computed from RunData, the verdict on
// each expectation, and the artifacts — results.json (byte-identical for the same seed),
// junit.xml (one testcase per expectation) and summary.md.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/run_data.h"
#include "harness/scenario.h"

namespace resproxy::harness {

struct Phases {
  double before_end = 0;   // before: [0, before_end)
  double during_end = 0;   // during: [before_end, during_end); after: [during_end, duration]
};
Phases phases_of(const Scenario& scenario);

struct Verdict {
  Expectation expectation;
  std::optional<double> actual;  // none: the metric has no value in this run
  bool passed = false;
  // "scenarios/x.yaml:42: expectation failed: detection_time_s <= 5 (actual 7.2)"
  std::string message;
};

using Metrics = std::map<std::string, double>;

// Why a call that did not succeed had the outcome it should have had, or "" when it should have
// succeeded. Such calls are shown apart from failures and left out of the success ratios:
//   "unassigned_number" — a PSTN call to a number nobody has, answered 404 (the right answer);
//   "inbound_path_cut"  — a call from beyond the ITSP that failed while its only way in was cut:
//                         placed inside a fault (outage, flap, random_outages, process_dead,
//                         process_503) on the access link, the ITSP link, the remote link or the
//                         ITSP process. No proxy can carry it; the report must not call it a
//                         failure of the office.
//   "subscriber_busy", "subscriber_no_answer", "subscriber_unallocated" — pstn: an outside call
//                         the gateway carried to a PSTN number that is busy, rings out or does
//                         not exist (the scenario's subscribers: shares);
//   "pstn_path_cut"     — pstn: a PSTN call to the office that failed while its way in (the first
//                         E1, which has the DDI block, or the exchange) was faulted.
// Calls placed before a fault and hurt by it are not excused: their phase shows them.
[[nodiscard]] std::string expected_outcome(const CallData& call, const RunData& run);

Metrics compute_metrics(const Scenario& scenario, const RunData& run);

// With a pstn: block: the outside calls offered to the gateway in the fault phase less its first
// minute, and the Erlang B comparison. Offered traffic A = the channel holding time of the calls
// offered in that window (a blocked call counts the carried calls' mean) / the window's length;
// N = the usable channels (PstnSpec::usable_channels). valid: there were offered and carried calls.
struct PstnLoad {
  double from_s = 0, to_s = 0;
  std::size_t channels = 0;
  std::size_t offered = 0, blocked = 0;
  std::size_t sources = 0;  // the office's phones: Engset's finite population of callers
  double erlangs = 0, erlang_b = 0, engset = 0, measured = 0;
  bool valid = false;
};
[[nodiscard]] PstnLoad pstn_load(const Scenario& scenario, const RunData& run);
// pstn_* metrics (docs/results-schema.md) into `metrics`.
void add_pstn_metrics(const Scenario& scenario, const RunData& run, Metrics& metrics);
std::vector<Verdict> judge(const Scenario& scenario, const Metrics& metrics);

// With an audio: block (results_audio.cc). A call's audio is judged from every UA side of it
// that lasted at least kMinAudioLeg (shorter ones had no time to hear back; with none left the
// call is audio_calls_too_short): two-way when every side heard voice, none when no side
// received a single packet, one-way otherwise (some side heard nothing, or only silence — at a
// PSTN call's echoing line that means the gateway never heard the phone).
inline constexpr double kMinAudioLeg = 1.0;  // seconds
enum class AudioVerdict : std::uint8_t { TwoWay, OneWay, None, TooShort };
struct AudioCall {
  std::string call_id;
  double start_s = 0;  // its first side's start
  AudioVerdict verdict = AudioVerdict::TwoWay;
  std::vector<const AudioLegData*> legs;
  // A two-way call's MOS: the lowest of its judged sides' (audio_leg_mos); none for a call that
  // was not two-way (it is counted as one-way or no audio) or has a side without a MOS.
  std::optional<double> mos;
};
// The ITU-T G.107 E-model's MOS estimate for what one side heard (rounded to 3 decimals), none
// when it heard nothing countable (RFC 3550 expected 0) or its delay is unknown. G.711 with
// packet-loss concealment (G.113 App. I: Ie 0, Bpl 25.1), Ppl = lost / expected, BurstR from its
// loss bursts, and the mouth-to-ear delay Ta = one_way_delay_ms + kAudioPacketMs (packetisation)
// + a playout buffer of max(kAudioPlayoutMinMs, 2 × jitter_ms); T = Ta, Tr = 2 T; the rest at
// G.107's defaults.
inline constexpr double kAudioPacketMs = 20.0;
inline constexpr double kAudioPlayoutMinMs = 20.0;
[[nodiscard]] std::optional<double> audio_leg_mos(const AudioLegData& leg);
// Calls with a MOS below this are of poor quality (calls_poor_audio): G.107 Table B.1's "many
// users dissatisfied", below R 70 (MOS 3.597).
[[nodiscard]] double audio_poor_mos();
[[nodiscard]] std::vector<AudioCall> audio_calls(const RunData& run);
[[nodiscard]] std::string_view to_string(AudioVerdict verdict);
void add_audio_metrics(const Scenario& scenario, const RunData& run, Metrics& metrics);

std::string results_json(const Scenario& scenario, const RunData& run, const Metrics& metrics,
                         const std::vector<Verdict>& verdicts);
std::string junit_xml(const Scenario& scenario, const RunData& run, const std::vector<Verdict>& verdicts,
                      double wall_s);
std::string summary_md(const Scenario& scenario, const RunData& run, const Metrics& metrics,
                       const std::vector<Verdict>& verdicts);

}  // namespace resproxy::harness
