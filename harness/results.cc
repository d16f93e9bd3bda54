#include "harness/results.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/results_audio.h"
#include "harness/results_detail.h"
#include "harness/results_nat.h"
#include "harness/report/report_svg.h"  // html_escape: also right for XML attributes

namespace resproxy::harness {

namespace {

using Json = nlohmann::ordered_json;

using detail::dotted;
using detail::percentile;
using detail::phase_of;
using detail::round3;
using detail::round6;

std::string number_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}


Json optional_number(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

// A gateway call the E1 (and FXO) groups could not carry: every route tried found no free
// channel (cause 34, no channel ever seized).
bool is_blocked(const PstnCallData& c) { return c.cause == "34" && !c.answered && (c.span.empty() || c.span == "0"); }

}  // namespace

PstnLoad pstn_load(const Scenario& s, const RunData& run) {
  PstnLoad load;
  const Phases phases = phases_of(s);
  // The fault phase without its first minute (detection, calls still leaving by the ITSP).
  load.from_s = std::min(phases.before_end + 60.0, phases.during_end);
  load.to_s = phases.during_end;
  load.channels = s.pstn.usable_channels();
  double carried_s = 0;
  std::size_t carried = 0;
  for (const auto& c : run.pstn_calls) {
    if (c.direction != "sip_to_pstn" || c.emergency) continue;
    if (c.start_s < load.from_s || c.start_s >= load.to_s) continue;
    ++load.offered;
    if (is_blocked(c)) {
      ++load.blocked;
      continue;
    }
    carried_s += c.end_s.value_or(run.duration_s) - c.start_s;
    ++carried;
  }
  const double length = load.to_s - load.from_s;
  if (load.offered == 0 || carried == 0 || length <= 0) return load;
  // A blocked call would have held a channel as long as the carried ones did, on average.
  const double mean_hold = carried_s / static_cast<double>(carried);
  load.erlangs = (carried_s + mean_hold * static_cast<double>(load.blocked)) / length;
  load.erlang_b = erlang_b(load.erlangs, load.channels);
  load.sources = s.phones;
  load.engset = engset(load.erlangs, load.channels, load.sources);
  load.measured = static_cast<double>(load.blocked) / static_cast<double>(load.offered);
  load.valid = true;
  return load;
}

void add_pstn_metrics(const Scenario& s, const RunData& run, Metrics& m) {
  const Phases phases = phases_of(s);
  std::map<std::string, std::pair<double, double>> offered;  // suffix → (offered, blocked)
  for (const std::string suffix : {"", ".before", ".during", ".after"}) offered[suffix] = {0, 0};
  double carried = 0;
  std::set<std::string> blocked_calls;
  for (const auto& c : run.pstn_calls) {
    if (c.direction != "sip_to_pstn") continue;
    const bool blocked = is_blocked(c);
    if (blocked) blocked_calls.insert(c.call_id);
    carried += blocked ? 0 : 1;
    for (const std::string& suffix : {std::string(""), dotted(phase_of(phases, c.start_s))}) {
      offered[suffix].first += 1;
      offered[suffix].second += blocked ? 1 : 0;
    }
  }
  for (const auto& [suffix, counts] : offered) {
    m["pstn_calls_offered" + suffix] = counts.first;
    m["pstn_calls_blocked" + suffix] = counts.second;
  }
  m["pstn_calls_carried"] = carried;
  m["pstn_represented"] = static_cast<double>(run.pstn_represented);
  m["pstn_channels"] = static_cast<double>(s.pstn.usable_channels());
  // Calls through the gateway (resproxy sent them there, or the PSTN called in) that failed and
  // were neither blocked for want of a channel nor expected (subscribers that are busy, do not
  // answer, do not exist).
  double failed_other = 0;
  for (const auto& c : run.calls) {
    const bool pstn = c.route == "gateway" || c.kind == "pstn_inbound" || c.kind == "pstn_unassigned";
    if (!pstn || c.outcome != "failed" || !expected_outcome(c, run).empty()) continue;
    if (!blocked_calls.contains(c.call_id)) failed_other += 1;
  }
  m["pstn_calls_failed_other"] = failed_other;
  std::uint64_t most = 0;
  for (const auto& x : run.series) most = std::max(most, x.pstn_channels_in_use.value_or(0));
  m["pstn_channels_in_use.max"] = static_cast<double>(most);
  // Erlang B needs a fixed number of channels: not with faults on the cards or the exchange.
  const bool fixed_channels = std::none_of(s.faults.begin(), s.faults.end(), [](const FaultSpec& f) {
    return model::is_telephony(f.fault.kind);
  });
  const PstnLoad load = pstn_load(s, run);
  if (load.valid && fixed_channels) {
    m["pstn_offered_erlang"] = round3(load.erlangs);
    m["pstn_erlang_b_blocking"] = round6(load.erlang_b);
    if (!std::isnan(load.engset)) {
      m["pstn_sources"] = static_cast<double>(load.sources);
      m["pstn_engset_blocking"] = round6(load.engset);
    }
    m["pstn_measured_blocking"] = round6(load.measured);
    m["pstn_erlang_b_gap"] = round6(std::abs(load.measured - load.erlang_b));
  }
}

std::string expected_outcome(const CallData& c, const RunData& run) {
  if (!c.subscriber.empty() && c.outcome != "answered") return "subscriber_" + c.subscriber;
  // pstn: a PSTN caller whose only way in (the DDI block on the first E1, the exchange) was
  // faulted: the exchange refused the call before the office could see it.
  if ((c.kind == "pstn_inbound" || c.kind == "pstn_unassigned") && c.outcome == "failed") {
    for (const auto& f : run.faults) {
      const bool cuts = f.kind == "exchange_congestion" ||
                        ((f.kind == "e1_los" || f.kind == "e1_ais") && f.target == "e1-1");
      if (cuts && c.placed_s >= f.start_s && c.placed_s < f.end_s) return "pstn_path_cut";
    }
  }
  if (c.kind == "pstn_unassigned") return c.status && *c.status == 404 ? "unassigned_number" : "";
  if (c.kind != "inbound" || c.outcome != "failed") return "";
  static constexpr std::string_view kCutting[] = {"outage", "flap", "random_outages", "process_dead",
                                                  "process_503"};
  static constexpr std::string_view kInboundPath[] = {"access", "itsp", "remote"};
  for (const auto& f : run.faults) {
    const bool cutting = std::find(std::begin(kCutting), std::end(kCutting), f.kind) != std::end(kCutting);
    const bool on_path =
        std::find(std::begin(kInboundPath), std::end(kInboundPath), f.target) != std::end(kInboundPath);
    if (cutting && on_path && c.placed_s >= f.start_s && c.placed_s < f.end_s) return "inbound_path_cut";
  }
  return "";
}

Phases phases_of(const Scenario& s) {
  if (s.faults.empty()) return Phases{s.duration_s, s.duration_s};
  double start = s.duration_s, end = 0;
  for (const auto& f : s.faults) {
    start = std::min(start, f.start_s);
    end = std::max(end, f.end_s);
  }
  return Phases{start, end};
}

Metrics compute_metrics(const Scenario& s, const RunData& run) {
  Metrics m;
  const Phases phases = phases_of(s);
  const std::vector<std::string> phase_names = {"", ".before", ".during", ".after"};

  // Calls: counts and success ratios, overall and per phase and kind.
  struct Tally {
    double placed = 0, answered = 0, busy = 0, failed = 0, abandoned = 0, expected = 0;
    [[nodiscard]] std::optional<double> ratio() const {
      const double base = placed - busy - abandoned - expected;
      if (base <= 0) return std::nullopt;
      return answered / base;
    }
  };
  std::map<std::string, Tally> tallies;  // key: kind-or-all + phase suffix
  std::vector<double> pdd, setup;
  for (const auto& c : run.calls) {
    const std::string ph = dotted(phase_of(phases, c.placed_s));
    const bool expected = !expected_outcome(c, run).empty();
    for (const std::string& kind : {std::string("all"), c.kind}) {
      for (const std::string& suffix : {std::string(""), ph}) {
        Tally& t = tallies[kind + suffix];
        t.placed += 1;
        if (expected) {
          t.expected += 1;
          continue;
        }
        if (c.outcome == "answered") t.answered += 1;
        if (c.outcome == "busy") t.busy += 1;
        if (c.outcome == "failed") t.failed += 1;
        if (c.outcome == "abandoned") t.abandoned += 1;
      }
    }
    if (c.pdd_ms) pdd.push_back(*c.pdd_ms);
    if (c.setup_ms) setup.push_back(*c.setup_ms);
  }
  for (const auto& suffix : phase_names) {
    const Tally& all = tallies["all" + suffix];
    m["calls_total" + suffix] = all.placed;
    m["calls_answered" + suffix] = all.answered;
    m["calls_busy" + suffix] = all.busy;
    m["calls_failed" + suffix] = all.failed;
    m["calls_expected" + suffix] = all.expected;
    if (auto r = all.ratio()) m["call_success_ratio" + suffix] = round6(*r);
    const std::vector<std::pair<std::string, std::string>> kinds = {
        {"internal", "local_call_success_ratio"},
        {"outbound", "outbound_call_success_ratio"},
        {"inbound", "inbound_call_success_ratio"},
        {"emergency", "emergency_call_success_ratio"},
        {"pstn_inbound", "pstn_inbound_success_ratio"}};
    for (const auto& [kind, name] : kinds) {
      const auto it = tallies.find(kind + suffix);
      if (it == tallies.end()) continue;
      if (auto r = it->second.ratio()) m[name + suffix] = round6(*r);
    }
  }
  m["calls_abandoned"] = tallies["all"].abandoned;
  m["calls_unacknowledged"] = static_cast<double>(run.calls_unacknowledged);

  // Inbound PSTN calls from the office gateway: to office numbers (a success ratio above), and to
  // numbers nobody has, which must be answered 404 — never answered, never looped.
  const bool gateway_calls =
      s.pstn_inbound_per_hour > 0 ||
      std::any_of(s.scripted.begin(), s.scripted.end(), [](const ScriptedCall& c) { return c.from == "gateway"; });
  if (gateway_calls) {
    std::map<std::string, std::pair<double, double>> unassigned;  // suffix → (placed, 404)
    double inbound = 0, unassigned_answered = 0;
    for (const auto& c : run.calls) {
      if (c.kind == "pstn_inbound") inbound += 1;
      if (c.kind != "pstn_unassigned") continue;
      unassigned_answered += c.outcome == "answered" ? 1 : 0;
      for (const std::string& suffix : {std::string(""), dotted(phase_of(phases, c.placed_s))}) {
        unassigned[suffix].first += 1;
        unassigned[suffix].second += c.status && *c.status == 404 ? 1 : 0;
      }
    }
    m["pstn_inbound_total"] = inbound;
    m["pstn_unassigned_total"] = unassigned[""].first;
    m["pstn_unassigned_answered"] = unassigned_answered;
    for (const auto& suffix : phase_names) {
      const auto it = unassigned.find(suffix);
      if (it != unassigned.end() && it->second.first > 0) {
        m["pstn_unassigned_404_ratio" + suffix] = round6(it->second.second / it->second.first);
      }
    }
  }
  m["gateway_route_decisions"] = static_cast<double>(run.gateway_route_decisions);

  // Blind transfers (REFER): ok / (started − target busy − still pending at the end), phased by
  // when the original call was set up: a call that went through the ITSP before the outage keeps
  // its signalling path through it, and its transfer fails with it — that is the "before" phase's.
  if (s.transfer_share > 0 || !run.transfers.empty()) {
    std::map<std::string, Tally> transfer;  // suffix → tally
    for (const auto& t : run.transfers) {
      for (const std::string& suffix : {std::string(""), dotted(phase_of(phases, t.call_s))}) {
        Tally& x = transfer[suffix];
        x.placed += 1;
        x.answered += t.outcome == "ok" ? 1 : 0;
        x.failed += t.outcome == "failed" ? 1 : 0;
        x.busy += t.outcome == "busy" ? 1 : 0;
        x.abandoned += t.outcome == "pending" ? 1 : 0;
      }
    }
    m["transfers_total"] = transfer[""].placed;
    m["transfers_ok"] = transfer[""].answered;
    m["transfers_failed"] = transfer[""].failed;
    for (const auto& suffix : phase_names) {
      const auto it = transfer.find(suffix);
      if (it == transfer.end()) continue;
      if (auto r = it->second.ratio()) m["transfer_success_ratio" + suffix] = round6(*r);
    }
  }

  // Digest authentication as the office phones saw it.
  if (!s.password.empty() || run.auth_challenges > 0) {
    m["auth_challenges"] = static_cast<double>(run.auth_challenges);
    m["auth_failures"] = static_cast<double>(run.auth_failures);
    m["registrations_challenged"] = static_cast<double>(run.registrations_challenged);
    m["registrations_with_auth"] = static_cast<double>(run.registrations_with_auth);
  }
  m["calls_skipped_busy"] = static_cast<double>(run.calls_skipped_busy);
  std::sort(pdd.begin(), pdd.end());
  std::sort(setup.begin(), setup.end());
  if (!pdd.empty()) {
    m["pdd_ms.p50"] = percentile(pdd, 0.5);
    m["pdd_ms.p95"] = percentile(pdd, 0.95);
    m["pdd_ms.max"] = pdd.back();
  }
  if (!setup.empty()) {
    m["setup_ms.p50"] = percentile(setup, 0.5);
    m["setup_ms.p95"] = percentile(setup, 0.95);
    m["setup_ms.max"] = setup.back();
  }
  double via_gateway = 0, via_itsp = 0, via_local = 0;
  for (const auto& c : run.calls) {
    via_gateway += c.route == "gateway" ? 1 : 0;
    via_itsp += c.route == "itsp" ? 1 : 0;
    via_local += c.route == "local" ? 1 : 0;
  }
  m["calls_via_gateway"] = via_gateway;
  m["calls_via_itsp"] = via_itsp;
  m["calls_via_local"] = via_local;

  // Registrations.
  std::map<std::string, std::pair<double, double>> regs;  // suffix → (total, failed)
  for (const auto& r : run.registrations) {
    const bool failed = r.status < 200 || r.status >= 300;
    for (const std::string& suffix : {std::string(""), dotted(phase_of(phases, r.t_s))}) {
      regs[suffix].first += 1;
      regs[suffix].second += failed ? 1 : 0;
    }
  }
  for (const auto& suffix : phase_names) {
    const auto [total, failed] = regs[suffix];
    m["registrations_total" + suffix] = total;
    m["registrations_failed" + suffix] = failed;
    if (total > 0) m["registration_success_ratio" + suffix] = round6((total - failed) / total);
  }
  m["registered_at_end"] = static_cast<double>(run.registered_at_end);
  m["phones"] = static_cast<double>(run.phones);

  // ITSP health as resproxy saw it.
  std::vector<const AppliedFault*> disruptive;
  for (const auto& f : run.faults) {
    if (f.disruptive) disruptive.push_back(&f);
  }
  constexpr double kGrace = 10.0;  // an Inactive this soon after a fault still belongs to it
  double false_failovers = 0, inactive_transitions = 0, inactive_s = 0;
  std::optional<double> inactive_since;
  for (const auto& st : run.itsp_states) {
    if (st.state == "Inactive") {
      ++inactive_transitions;
      bool explained = false;
      for (const auto* f : disruptive) explained |= st.t_s >= f->start_s && st.t_s <= f->end_s + kGrace;
      if (!explained) ++false_failovers;
      if (!inactive_since) inactive_since = st.t_s;
    } else if (inactive_since && st.state == "Active") {
      inactive_s += st.t_s - *inactive_since;
      inactive_since.reset();
    }
  }
  if (inactive_since) inactive_s += run.duration_s - *inactive_since;
  m["false_failovers"] = false_failovers;
  m["itsp_inactive_transitions"] = inactive_transitions;
  m["itsp_inactive_s"] = round3(inactive_s);
  if (!disruptive.empty()) {
    const AppliedFault* first = disruptive.front();
    const AppliedFault* last = disruptive.front();
    for (const auto* f : disruptive) {
      if (f->start_s < first->start_s) first = f;
      if (f->restored_s > last->restored_s) last = f;
    }
    for (const auto& st : run.itsp_states) {
      if (st.state == "Inactive" && st.t_s >= first->start_s) {
        m["detection_time_s"] = round3(st.t_s - first->start_s);
        break;
      }
    }
    bool was_inactive = false;
    for (const auto& st : run.itsp_states) {
      if (st.state == "Inactive") was_inactive = true;
      if (was_inactive && st.state == "Active" && st.t_s >= last->restored_s) {
        m["failback_time_s"] = round3(st.t_s - last->restored_s);
        break;
      }
    }
  }
  if (s.dns.enabled) {
    m["dns_queries"] = static_cast<double>(run.dns_queries);
    m["dns_lookups_failed"] = static_cast<double>(run.dns_lookups_failed);
    m["itsp_address_changes"] = static_cast<double>(run.itsp_address_changes);
  }
  m["gateway_loops"] = static_cast<double>(run.gateway_loops);
  m["failovers"] = static_cast<double>(run.failovers);
  m["late_answers_hung_up"] = static_cast<double>(run.late_answers_hung_up);

  // The most calls up at once (placed and not yet ended).
  std::vector<std::pair<double, int>> edges;
  for (const auto& c : run.calls) {
    edges.emplace_back(c.placed_s, 1);
    edges.emplace_back(c.ended_s.value_or(run.duration_s + 1), -1);
  }
  std::sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second;  // ends first
  });
  int now = 0, most = 0;
  for (const auto& [t, d] : edges) most = std::max(most, now += d);
  m["max_calls_in_progress"] = most;
  if (s.pstn.enabled) add_pstn_metrics(s, run, m);
  if (s.audio_talk_s) add_audio_metrics(s, run, m);
  if (!s.homes.empty()) add_nat_metrics(s, run, m);
  return m;
}

std::vector<Verdict> judge(const Scenario& s, const Metrics& metrics) {
  std::vector<Verdict> out;
  for (const auto& e : s.expectations) {
    Verdict v;
    v.expectation = e;
    const auto it = metrics.find(e.metric);
    if (it != metrics.end()) v.actual = it->second;
    if (v.actual) {
      const double a = *v.actual;
      const double b = e.value;
      if (e.op == ">=") v.passed = a >= b;
      else if (e.op == "<=") v.passed = a <= b;
      else if (e.op == ">") v.passed = a > b;
      else if (e.op == "<") v.passed = a < b;
      else if (e.op == "==") v.passed = a == b;
      else if (e.op == "!=") v.passed = a != b;
    }
    const std::string where = s.file + ":" + std::to_string(e.line);
    if (v.passed) {
      v.message = where + ": ok: " + e.text + " (actual " + number_text(*v.actual) + ")";
    } else {
      v.message = where + ": expectation failed: " + e.text + " (actual " +
                  (v.actual ? number_text(*v.actual) : std::string("absent: no data for this metric in the run")) + ")";
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::string results_json(const Scenario& s, const RunData& run, const Metrics& metrics,
                         const std::vector<Verdict>& verdicts) {
  const Phases phases = phases_of(s);
  Json j;
  j["schema"] = 1;
  j["scenario"] = run.scenario;
  j["title"] = run.title;
  j["seed"] = run.seed;
  j["duration_s"] = round3(run.duration_s);
  j["phases"] = Json{{"before", {0.0, round3(phases.before_end)}},
                     {"during", {round3(phases.before_end), round3(phases.during_end)}},
                     {"after", {round3(phases.during_end), round3(run.duration_s)}}};
  Json faults = Json::array();
  for (const auto& f : run.faults) {
    faults.push_back(Json{{"kind", f.kind}, {"target", f.target}, {"start_s", f.start_s},
                          {"end_s", f.end_s}, {"detail", f.detail}});
  }
  j["faults"] = faults;
  Json states = Json::array();
  for (const auto& st : run.itsp_states) {
    states.push_back(Json{{"t_s", st.t_s}, {"itsp", st.itsp}, {"state", st.state}});
  }
  j["itsp_states"] = states;
  Json series = Json::array();
  for (const auto& x : run.series) {
    Json sample{{"t_s", x.t_s}, {"registered", x.registered},
                {"calls_in_progress", x.calls_in_progress},
                {"failure_operation", x.failure_operation}};
    if (x.pstn_channels_in_use) sample["pstn_channels_in_use"] = *x.pstn_channels_in_use;
    series.push_back(std::move(sample));
  }
  j["series"] = series;
  Json calls = Json::array();
  std::uint64_t id = 0;
  for (const auto& c : run.calls) {
    Json call;
    call["id"] = ++id;
    call["call_id"] = c.call_id;
    call["from"] = c.from;
    call["to"] = c.to;
    call["kind"] = c.kind;
    call["placed_s"] = c.placed_s;
    call["phase"] = phase_of(phases, c.placed_s);
    call["outcome"] = c.outcome;
    call["status"] = c.status ? Json(*c.status) : Json(nullptr);
    call["pdd_ms"] = optional_number(c.pdd_ms);
    call["setup_ms"] = optional_number(c.setup_ms);
    call["route"] = c.route.empty() ? Json(nullptr) : Json(c.route);
    call["ended_s"] = optional_number(c.ended_s);
    call["failure"] = c.failure;
    const std::string expected = expected_outcome(c, run);
    call["expected"] = expected.empty() ? Json(nullptr) : Json(expected);
    if (!c.subscriber.empty()) call["subscriber"] = c.subscriber;
    calls.push_back(std::move(call));
  }
  j["calls"] = std::move(calls);
  Json regs = Json::array();
  for (const auto& r : run.registrations) {
    regs.push_back(Json{{"phone", r.phone}, {"t_s", r.t_s}, {"status", r.status},
                        {"latency_ms", optional_number(r.latency_ms)},
                        {"phase", phase_of(phases, r.t_s)}});
  }
  j["registrations"] = std::move(regs);
  if (!run.transfers.empty()) {
    Json transfers = Json::array();
    for (const auto& t : run.transfers) {
      transfers.push_back(Json{{"call_id", t.call_id}, {"from", t.from}, {"target", t.target},
                               {"call_s", t.call_s}, {"refer_s", t.refer_s},
                               {"phase", phase_of(phases, t.call_s)},
                               {"outcome", t.outcome},
                               {"status", t.status != 0 ? Json(t.status) : Json(nullptr)},
                               {"done_s", optional_number(t.done_s)}, {"failure", t.failure}});
    }
    j["transfers"] = std::move(transfers);
  }
  Json metric_json = Json::object();
  for (const auto& [name, value] : metrics) metric_json[name] = value;
  j["metrics"] = metric_json;
  if (s.pstn.enabled) {
    // Gateway calls toward the PSTN that were not answered, by Q.850 cause and phase.
    Json causes = Json::object();
    for (const std::string phase : {"before", "during", "after"}) {
      std::map<std::string, std::uint64_t> by_cause;
      for (const auto& c : run.pstn_calls) {
        if (c.direction == "sip_to_pstn" && !c.answered && phase_of(phases, c.start_s) == phase) {
          ++by_cause[c.cause.empty() ? "none" : c.cause];
        }
      }
      Json row = Json::object();
      for (const auto& [cause, n] : by_cause) row[cause] = n;
      causes[phase] = std::move(row);
    }
    const PstnLoad load = pstn_load(s, run);
    j["pstn"] = Json{{"channels", load.channels},
                     {"erlang_window", {round3(load.from_s), round3(load.to_s)}},
                     {"offered_in_window", load.offered},
                     {"blocked_in_window", load.blocked},
                     {"unanswered_by_cause", std::move(causes)}};
  }
  if (s.audio_talk_s) j["audio"] = audio_json(s, run);
  if (!s.homes.empty()) j["nat"] = nat_json(s, run);
  Json counters = Json::object();
  for (const auto& [node, table] : run.counters) {
    Json rows = Json::array();
    for (const auto& c : table) {
      rows.push_back(Json{{"name", c.name}, {"kind", c.kind}, {"value", c.value}, {"help", c.help}});
    }
    counters[node] = std::move(rows);
  }
  j["counters"] = std::move(counters);
  Json expectations = Json::array();
  for (const auto& v : verdicts) {
    expectations.push_back(Json{{"text", v.expectation.text}, {"metric", v.expectation.metric},
                                {"op", v.expectation.op}, {"value", v.expectation.value},
                                {"actual", optional_number(v.actual)}, {"passed", v.passed},
                                {"line", v.expectation.line}});
  }
  j["expectations"] = expectations;
  Json messages = Json::array();
  for (const auto& msg : run.ladder) {
    messages.push_back(Json{{"t_s", msg.t_s}, {"from", msg.from}, {"to", msg.to}, {"label", msg.label}});
  }
  j["ladder"] = Json{{"call_id", run.ladder_call_id}, {"nodes", run.ladder_nodes}, {"messages", messages}};
  return j.dump(1) + "\n";
}

std::string junit_xml(const Scenario& s, const RunData& run, const std::vector<Verdict>& verdicts,
                      double wall_s) {
  std::size_t failures = 0;
  for (const auto& v : verdicts) failures += v.passed ? 0 : 1;
  const std::string suite = run.scenario + ".seed-" + std::to_string(run.seed);
  std::ostringstream x;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuites>\n";
  x << "  <testsuite name=\"" << report::html_escape(suite) << "\" tests=\"" << verdicts.size()
    << "\" failures=\"" << failures << "\" errors=\"0\" time=\"" << wall_s << "\">\n";
  for (const auto& v : verdicts) {
    x << "    <testcase classname=\"" << report::html_escape(suite) << "\" name=\""
      << report::html_escape(v.expectation.text) << "\" file=\"" << report::html_escape(s.file) << "\" line=\""
      << v.expectation.line << "\"";
    if (v.passed) {
      x << "/>\n";
    } else {
      x << ">\n      <failure message=\"" << report::html_escape(v.message) << "\"/>\n    </testcase>\n";
    }
  }
  x << "  </testsuite>\n</testsuites>\n";
  return x.str();
}

std::string summary_md(const Scenario& s, const RunData& run, const Metrics& metrics,
                       const std::vector<Verdict>& verdicts) {
  std::ostringstream md;
  md << "# " << run.title << " (" << run.scenario << ", seed " << run.seed << ")\n\n";
  if (!s.description.empty()) md << s.description << "\n\n";
  md << "| expectation | actual | verdict |\n| --- | --- | --- |\n";
  for (const auto& v : verdicts) {
    md << "| `" << v.expectation.text << "` | " << (v.actual ? number_text(*v.actual) : "absent")
       << " | " << (v.passed ? "pass" : "**FAIL**") << " |\n";
  }
  md << "\n| metric | value |\n| --- | --- |\n";
  for (const auto& [name, value] : metrics) md << "| " << name << " | " << number_text(value) << " |\n";
  return md.str();
}

}  // namespace resproxy::harness
