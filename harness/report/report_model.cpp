#include "harness/report/report_model.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <utility>

namespace resproxy::report {
namespace {

using nlohmann::json;

// Reads keys of one results file; every error names the file and the key path.
class Reader {
 public:
  explicit Reader(const std::string& origin) : origin_(origin) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw ReportError(origin_ + ": " + (where.empty() ? "" : "\"" + where + "\": ") + what);
  }

  // nullptr when the key is absent or null.
  static const json* find(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::optional<double> opt_number(const json& object, const char* key,
                                   const std::string& where) const {
    const json* value = find(object, key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number()) fail(where + key, "expected a number, got " + type_of(*value));
    double number = value->get<double>();
    if (!std::isfinite(number)) fail(where + key, "not a finite number");
    return number;
  }

  double number(const json& object, const char* key, const std::string& where,
                double fallback = 0) const {
    return opt_number(object, key, where).value_or(fallback);
  }

  std::optional<std::int64_t> opt_integer(const json& object, const char* key,
                                          const std::string& where) const {
    auto number = opt_number(object, key, where);
    if (!number) return std::nullopt;
    if (*number != std::floor(*number) || std::fabs(*number) > 9.0e15) {
      fail(where + key, "expected an integer");
    }
    return static_cast<std::int64_t>(*number);
  }

  std::optional<int> opt_int(const json& object, const char* key, const std::string& where) const {
    auto number = opt_integer(object, key, where);
    if (!number) return std::nullopt;
    if (*number < -2147483647 || *number > 2147483647) fail(where + key, "out of range");
    return static_cast<int>(*number);
  }

  // Strings; a number in a string field (e.g. an extension written as 2001) reads as its text.
  std::string string(const json& object, const char* key, const std::string& where) const {
    const json* value = find(object, key);
    if (value == nullptr) return {};
    if (value->is_string()) return value->get<std::string>();
    if (value->is_number_integer() || value->is_number_unsigned()) return value->dump();
    fail(where + key, "expected a string, got " + type_of(*value));
  }

  bool boolean(const json& object, const char* key, const std::string& where) const {
    const json* value = find(object, key);
    if (value == nullptr) fail(where + key, "missing (expected true or false)");
    if (!value->is_boolean()) fail(where + key, "expected true or false, got " + type_of(*value));
    return value->get<bool>();
  }

  // The array under `key` (empty when absent); each element must be an object.
  std::vector<const json*> objects(const json& object, const char* key) const {
    std::vector<const json*> out;
    const json* value = find(object, key);
    if (value == nullptr) return out;
    if (!value->is_array()) fail(key, "expected an array, got " + type_of(*value));
    for (std::size_t i = 0; i < value->size(); ++i) {
      const json& element = (*value)[i];
      if (!element.is_object()) {
        fail(std::string(key) + "[" + std::to_string(i) + "]",
             "expected an object, got " + type_of(element));
      }
      out.push_back(&element);
    }
    return out;
  }

  static std::string type_of(const json& value) { return value.type_name(); }

 private:
  const std::string& origin_;
};

std::string at(const char* array, std::size_t index) {
  return std::string(array) + "[" + std::to_string(index) + "].";
}

void read_phases(const Reader& r, const json& root, Results& out) {
  const json* phases = Reader::find(root, "phases");
  if (phases == nullptr) return;
  if (!phases->is_object()) r.fail("phases", "expected an object, got " + Reader::type_of(*phases));
  for (const auto& [name, range] : phases->items()) {
    if (range.is_null()) continue;
    if (!range.is_array() || range.size() != 2 || !range[0].is_number() || !range[1].is_number()) {
      r.fail("phases." + name, "expected [start_s, end_s]");
    }
    Phase phase;
    phase.name = name;
    phase.start_s = range[0].get<double>();
    phase.end_s = range[1].get<double>();
    out.phases.push_back(std::move(phase));
  }
  auto rank = [](const std::string& name) {
    if (name == "before") return 0;
    if (name == "during") return 1;
    if (name == "after") return 2;
    return 3;
  };
  std::stable_sort(out.phases.begin(), out.phases.end(), [&](const Phase& a, const Phase& b) {
    if (rank(a.name) != rank(b.name)) return rank(a.name) < rank(b.name);
    return a.name < b.name;
  });
}

void read_audio(const Reader& r, const json& root, Results& out) {
  const json* audio = Reader::find(root, "audio");
  if (audio == nullptr) return;
  if (!audio->is_object()) r.fail("audio", "expected an object, got " + Reader::type_of(*audio));
  Audio result;
  result.talk_s = r.number(*audio, "talk_s", "audio.");
  result.poor_mos = r.opt_number(*audio, "poor_mos", "audio.");
  if (const json* calls = Reader::find(*audio, "calls")) {
    if (!calls->is_array()) r.fail("audio.calls", "expected an array");
    for (std::size_t i = 0; i < calls->size(); ++i) {
      const json& c = (*calls)[i];
      const std::string where = "audio.calls[" + std::to_string(i) + "].";
      if (!c.is_object()) r.fail(where, "expected an object");
      AudioCall call;
      call.call_id = r.string(c, "call_id", where);
      call.start_s = r.number(c, "start_s", where);
      call.phase = r.string(c, "phase", where);
      call.verdict = r.string(c, "verdict", where);
      call.mos = r.opt_number(c, "mos", where);
      if (const json* sides = Reader::find(c, "sides")) {
        if (!sides->is_array()) r.fail(where + "sides", "expected an array");
        for (std::size_t k = 0; k < sides->size(); ++k) {
          const json& x = (*sides)[k];
          const std::string side_where = where + "sides[" + std::to_string(k) + "].";
          if (!x.is_object()) r.fail(side_where, "expected an object");
          AudioSide side;
          side.ua = r.string(x, "ua", side_where);
          side.negotiated = r.boolean(x, "negotiated", side_where);
          side.start_s = r.number(x, "start_s", side_where);
          side.stop_s = r.opt_number(x, "stop_s", side_where);
          side.sent = r.number(x, "sent", side_where);
          side.received = r.number(x, "received", side_where);
          side.voice = r.number(x, "voice", side_where);
          side.lost = r.number(x, "lost", side_where);
          side.expected = r.number(x, "expected", side_where);
          side.jitter_ms = r.number(x, "jitter_ms", side_where);
          side.first_voice_ms = r.opt_number(x, "first_voice_ms", side_where);
          side.one_way_delay_ms = r.opt_number(x, "one_way_delay_ms", side_where);
          side.mos = r.opt_number(x, "mos", side_where);
          call.sides.push_back(std::move(side));
        }
      }
      result.calls.push_back(std::move(call));
    }
  }
  if (const json* gateway = Reader::find(*audio, "gateway")) {
    if (!gateway->is_object()) r.fail("audio.gateway", "expected an object of counter → number");
    for (const auto& [name, value] : gateway->items()) {
      if (!value.is_number()) r.fail("audio.gateway." + name, "expected a number");
      result.gateway.emplace_back(name, value.get<double>());
    }
  }
  out.audio = std::move(result);
}

void read_ladder(const Reader& r, const json& root, Results& out) {
  const json* ladder = Reader::find(root, "ladder");
  if (ladder == nullptr) return;
  if (!ladder->is_object()) r.fail("ladder", "expected an object, got " + Reader::type_of(*ladder));
  Ladder result;
  result.call_id = r.string(*ladder, "call_id", "ladder.");
  if (const json* nodes = Reader::find(*ladder, "nodes")) {
    if (!nodes->is_array()) r.fail("ladder.nodes", "expected an array of names");
    for (const auto& node : *nodes) {
      if (!node.is_string()) r.fail("ladder.nodes", "expected an array of names");
      result.nodes.push_back(node.get<std::string>());
    }
  }
  if (const json* messages = Reader::find(*ladder, "messages")) {
    if (!messages->is_array()) r.fail("ladder.messages", "expected an array");
    for (std::size_t i = 0; i < messages->size(); ++i) {
      const json& m = (*messages)[i];
      std::string where = "ladder." + at("messages", i);
      if (!m.is_object()) r.fail(where, "expected an object");
      LadderMessage message;
      message.t_s = r.number(m, "t_s", where);
      message.from = r.string(m, "from", where);
      message.to = r.string(m, "to", where);
      message.label = r.string(m, "label", where);
      result.messages.push_back(std::move(message));
    }
  }
  out.ladder = std::move(result);
}

}  // namespace

Results parse_results(std::string_view text, const std::string& origin) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw ReportError(origin + ": not valid JSON: " + e.what());
  }
  Reader r(origin);
  if (!root.is_object()) r.fail("", "expected a JSON object at the top level");

  Results out;
  out.origin = origin;
  const json* schema = Reader::find(root, "schema");
  if (schema == nullptr) {
    r.fail("", "no \"schema\" key: not a resproxy results file (this report reads schema " +
                   std::to_string(kSchemaVersion) + ")");
  }
  if (!schema->is_number_integer() && !schema->is_number_unsigned()) {
    r.fail("schema", "expected an integer version, got " + schema->dump());
  }
  if (schema->get<std::int64_t>() != kSchemaVersion) {
    r.fail("", "results schema version " + schema->dump() +
                   " is not supported (this report reads " + "schema " +
                   std::to_string(kSchemaVersion) +
                   "); render it with the resproxy-harness that wrote it");
  }
  out.schema = kSchemaVersion;

  out.scenario = r.string(root, "scenario", "");
  if (out.scenario.empty()) r.fail("scenario", "missing or empty");
  out.title = r.string(root, "title", "");
  auto seed = r.opt_integer(root, "seed", "");
  if (!seed) r.fail("seed", "missing");
  out.seed = *seed;
  out.duration_s = r.number(root, "duration_s", "");
  read_phases(r, root, out);

  // Every object of the array `key`, with its position for error messages ("calls[3].").
  const auto each = [&](const char* key, auto&& read) {
    const auto items = r.objects(root, key);
    for (std::size_t i = 0; i < items.size(); ++i) read(*items[i], at(key, i), i);
  };
  each("faults", [&](const json& f, const std::string& where, std::size_t) {
    Fault fault;
    fault.kind = r.string(f, "kind", where);
    fault.target = r.string(f, "target", where);
    fault.start_s = r.number(f, "start_s", where);
    fault.end_s = r.number(f, "end_s", where, fault.start_s);
    fault.detail = r.string(f, "detail", where);
    out.faults.push_back(std::move(fault));
  });

  each("itsp_states", [&](const json& s, const std::string& where, std::size_t) {
    ItspState state;
    state.t_s = r.number(s, "t_s", where);
    state.itsp = r.string(s, "itsp", where);
    state.state = r.string(s, "state", where);
    out.itsp_states.push_back(std::move(state));
  });

  each("series", [&](const json& s, const std::string& where, std::size_t) {
    Sample sample;
    sample.t_s = r.number(s, "t_s", where);
    sample.registered = r.number(s, "registered", where);
    sample.calls_in_progress = r.number(s, "calls_in_progress", where);
    sample.failure_operation = r.number(s, "failure_operation", where);
    sample.pstn_channels_in_use = r.opt_number(s, "pstn_channels_in_use", where);
    out.series.push_back(sample);
  });

  each("calls", [&](const json& c, const std::string& where, std::size_t i) {
    Call call;
    call.id = r.opt_integer(c, "id", where).value_or(static_cast<std::int64_t>(i));
    call.call_id = r.string(c, "call_id", where);
    call.from = r.string(c, "from", where);
    call.to = r.string(c, "to", where);
    call.kind = r.string(c, "kind", where);
    call.placed_s = r.number(c, "placed_s", where);
    call.phase = r.string(c, "phase", where);
    call.outcome = r.string(c, "outcome", where);
    call.status = r.opt_int(c, "status", where);
    call.pdd_ms = r.opt_number(c, "pdd_ms", where);
    call.setup_ms = r.opt_number(c, "setup_ms", where);
    call.route = r.string(c, "route", where);
    call.ended_s = r.opt_number(c, "ended_s", where);
    // An extra the harness writes; read when it is text, ignored otherwise.
    if (const json* failure = Reader::find(c, "failure"); failure && failure->is_string()) {
      call.failure = failure->get<std::string>();
    }
    if (const json* expected = Reader::find(c, "expected"); expected && expected->is_string()) {
      call.expected = expected->get<std::string>();
    }
    out.calls.push_back(std::move(call));
  });

  each("registrations", [&](const json& g, const std::string& where, std::size_t) {
    Registration registration;
    registration.phone = r.string(g, "phone", where);
    registration.t_s = r.number(g, "t_s", where);
    registration.status = r.opt_int(g, "status", where);
    registration.latency_ms = r.opt_number(g, "latency_ms", where);
    registration.phase = r.string(g, "phase", where);
    out.registrations.push_back(std::move(registration));
  });

  if (const json* metrics = Reader::find(root, "metrics")) {
    if (!metrics->is_object()) r.fail("metrics", "expected an object of name → number");
    for (const auto& [name, value] : metrics->items()) {
      if (value.is_null()) continue;
      if (!value.is_number()) r.fail("metrics." + name, "expected a number, got " + value.dump());
      out.metrics[name] = value.get<double>();
    }
  }

  each("expectations", [&](const json& e, const std::string& where, std::size_t) {
    Expectation expectation;
    expectation.text = r.string(e, "text", where);
    expectation.metric = r.string(e, "metric", where);
    expectation.op = r.string(e, "op", where);
    expectation.value = r.opt_number(e, "value", where);
    expectation.actual = r.opt_number(e, "actual", where);
    expectation.passed = r.boolean(e, "passed", where);
    expectation.line = r.opt_int(e, "line", where);
    out.expectations.push_back(std::move(expectation));
  });

  read_ladder(r, root, out);
  read_audio(r, root, out);
  if (const json* counters = Reader::find(root, "counters")) {
    if (!counters->is_object()) r.fail("counters", "expected an object of node → counters");
    for (const auto& [node, rows] : counters->items()) {
      const std::string where = "counters." + node;
      if (!rows.is_array()) r.fail(where, "expected an array of counters");
      std::vector<Counter> table;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string row_where = where + "[" + std::to_string(i) + "].";
        if (!rows[i].is_object()) r.fail(where + "[" + std::to_string(i) + "]", "expected an object");
        Counter c;
        c.name = r.string(rows[i], "name", row_where);
        c.kind = r.string(rows[i], "kind", row_where);
        c.value = r.number(rows[i], "value", row_where);
        c.help = r.string(rows[i], "help", row_where);
        table.push_back(std::move(c));
      }
      out.counters.emplace_back(node, std::move(table));
    }
  }
  return out;
}

Results load_results(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ReportError(file.string() + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ReportError(file.string() + ": read error");
  return parse_results(text.str(), file.string());
}

std::vector<Results> load_results_tree(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw ReportError(dir.string() + ": not a directory");
  }
  std::vector<std::filesystem::path> files;
  try {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (entry.path().filename() == "results.json" && entry.is_regular_file()) {
        files.push_back(entry.path());
      }
    }
  } catch (const std::filesystem::filesystem_error& e) {
    throw ReportError(dir.string() + ": cannot list: " + e.what());
  }
  if (files.empty()) throw ReportError(dir.string() + ": no results.json found under it");
  std::sort(files.begin(), files.end());

  std::vector<Results> results;
  results.reserve(files.size());
  for (const auto& file : files) results.push_back(load_results(file));
  std::stable_sort(results.begin(), results.end(), [](const Results& a, const Results& b) {
    if (a.scenario != b.scenario) return a.scenario < b.scenario;
    return a.seed < b.seed;
  });
  return results;
}

std::vector<ScenarioRuns> group_by_scenario(std::vector<Results> results) {
  std::vector<ScenarioRuns> groups;
  for (auto& result : results) {
    if (groups.empty() || groups.back().scenario != result.scenario) {
      ScenarioRuns group;
      group.scenario = result.scenario;
      groups.push_back(std::move(group));
    }
    groups.back().runs.push_back(std::move(result));
  }
  return groups;
}

Verdict Results::verdict() const {
  if (expectations.empty()) return Verdict::NoExpectations;
  for (const auto& e : expectations) {
    if (!e.passed) return Verdict::Fail;
  }
  return Verdict::Pass;
}

std::optional<double> Results::metric(const std::string& name) const {
  auto it = metrics.find(name);
  if (it == metrics.end()) return std::nullopt;
  return it->second;
}

const Phase* Results::phase(std::string_view name) const {
  for (const auto& p : phases) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Verdict ScenarioRuns::verdict() const {
  Verdict verdict = Verdict::NoExpectations;
  for (const auto& run : runs) verdict = combine(verdict, run.verdict());
  return verdict;
}

Verdict combine(Verdict a, Verdict b) {
  if (a == Verdict::Fail || b == Verdict::Fail) return Verdict::Fail;
  if (a == Verdict::Pass || b == Verdict::Pass) return Verdict::Pass;
  return Verdict::NoExpectations;
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Pass: return "PASS";
    case Verdict::Fail: return "FAIL";
    case Verdict::NoExpectations: return "NO EXPECTATIONS";
  }
  return "?";
}

}  // namespace resproxy::report
