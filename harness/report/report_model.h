#pragma once
// The results of one scenario run as the report reads them: docs/results-schema.md, schema 1.
// Fed by the harness's results.json files; read by the HTML and Markdown renderers. Every string
// here comes from a file: untrusted, rendered only through html_escape().

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace resproxy::report {

// The one results.json version this report reads.
inline constexpr int kSchemaVersion = 1;

// A results file that cannot be read: the message names the file (and the key, if any).
// The caller reports it and exits non-zero; nothing is written.
class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Phase {
  std::string name;  // before | during | after (others kept, after these)
  double start_s = 0;
  double end_s = 0;
};

struct Fault {
  std::string kind;
  std::string target;
  double start_s = 0;
  double end_s = 0;
  std::string detail;
};

struct ItspState {
  double t_s = 0;
  std::string itsp;
  std::string state;  // Active | Probing | Inactive | AdminDisabled
};

struct Sample {
  double t_s = 0;
  double registered = 0;
  double calls_in_progress = 0;
  double failure_operation = 0;
  std::optional<double> pstn_channels_in_use;  // runs with a pstn: block only
};

struct Call {
  std::int64_t id = 0;
  std::string call_id;
  std::string from;
  std::string to;
  std::string kind;  // internal | outbound | inbound | emergency
  double placed_s = 0;
  std::string phase;
  std::string outcome;  // answered | busy | failed | abandoned
  std::optional<int> status;
  std::optional<double> pdd_ms;
  std::optional<double> setup_ms;
  std::string route;  // itsp | local | gateway
  std::optional<double> ended_s;
  std::string failure;  // not in the schema document: the harness's reason for a failed call
  // Why not answering was the right outcome (results.h expected_outcome), "" when it was not.
  std::string expected;
  // The column of the outcome charts: "expected" for expected outcomes, else the outcome.
  [[nodiscard]] const std::string& shown_outcome() const {
    static const std::string kExpected = "expected";
    return expected.empty() ? outcome : kExpected;
  }
};

// One named counter of a core node at the end of the run (results.json "counters").
struct Counter {
  std::string name;
  std::string kind;
  double value = 0;
  std::string help;
};

struct Registration {
  std::string phone;
  double t_s = 0;
  std::optional<int> status;
  std::optional<double> latency_ms;
  std::string phase;
};

struct Expectation {
  std::string text;
  std::string metric;
  std::string op;
  std::optional<double> value;
  std::optional<double> actual;  // null: the metric was never measured
  bool passed = false;
  std::optional<int> line;
};

struct LadderMessage {
  double t_s = 0;
  std::string from;
  std::string to;
  std::string label;
};

struct Ladder {
  std::string call_id;
  std::vector<std::string> nodes;
  std::vector<LadderMessage> messages;
};

// Runs with an audio: block (results.json "audio"): one call's audio as its UA sides heard it.
struct AudioSide {
  std::string ua;
  bool negotiated = true;
  double start_s = 0;
  std::optional<double> stop_s;
  double sent = 0, received = 0, voice = 0, lost = 0, expected = 0, jitter_ms = 0;
  std::optional<double> first_voice_ms;
  std::optional<double> one_way_delay_ms;
  std::optional<double> mos;  // the E-model's estimate of what this side heard
};
struct AudioCall {
  std::string call_id;
  double start_s = 0;
  std::string phase;
  std::string verdict;  // two_way | one_way | none | too_short
  std::optional<double> mos;  // a two-way call's: its worse side's
  std::vector<AudioSide> sides;
};
struct Audio {
  double talk_s = 0;
  std::optional<double> poor_mos;  // a call's MOS below it is poor quality
  std::vector<AudioCall> calls;
  std::vector<std::pair<std::string, double>> gateway;  // the gateway's bridge counters, as written
};

enum class Verdict { Pass, Fail, NoExpectations };

struct Results {
  std::string origin;  // the file it came from, as given (for messages)
  int schema = 0;
  std::string scenario;
  std::string title;
  std::int64_t seed = 0;
  double duration_s = 0;
  std::vector<Phase> phases;  // before, during, after, then any others by name
  std::vector<Fault> faults;
  std::vector<ItspState> itsp_states;
  std::vector<Sample> series;
  std::vector<Call> calls;
  std::vector<Registration> registrations;
  std::map<std::string, double> metrics;  // null metrics are left out
  std::vector<Expectation> expectations;
  std::optional<Ladder> ladder;
  std::vector<std::pair<std::string, std::vector<Counter>>> counters;  // by node, as written
  std::optional<Audio> audio;

  [[nodiscard]] Verdict verdict() const;
  [[nodiscard]] std::optional<double> metric(const std::string& name) const;
  [[nodiscard]] const Phase* phase(std::string_view name) const;
};

// Parses one results.json text. Throws ReportError naming `origin` on bad JSON, a schema other
// than kSchemaVersion, or a key of the wrong type; missing optional sections read as empty.
[[nodiscard]] Results parse_results(std::string_view text, const std::string& origin);

// Reads and parses one file (ReportError if it cannot be read).
[[nodiscard]] Results load_results(const std::filesystem::path& file);

// Every results.json under `dir` (recursively), ordered by scenario, seed, then path, so the
// report does not depend on directory order. ReportError if `dir` holds none.
[[nodiscard]] std::vector<Results> load_results_tree(const std::filesystem::path& dir);

// The runs of one scenario, seeds ascending.
struct ScenarioRuns {
  std::string scenario;
  std::vector<Results> runs;  // never empty

  [[nodiscard]] Verdict verdict() const;
};

// Groups sorted results (load_results_tree order) by scenario.
[[nodiscard]] std::vector<ScenarioRuns> group_by_scenario(std::vector<Results> results);

[[nodiscard]] Verdict combine(Verdict a, Verdict b);
[[nodiscard]] std::string_view to_string(Verdict verdict);

}  // namespace resproxy::report
