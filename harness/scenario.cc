#include "harness/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "harness/scenario_read.h"

namespace resproxy::harness {

namespace {

using namespace scenario_read;  // NOLINT(google-build-using-namespace): the reader's own parts

const std::vector<std::string>& phased_bases() {
  static const std::vector<std::string> bases = {
      "calls_total",          "calls_answered",           "calls_busy",
      "calls_failed",         "calls_expected",           "call_success_ratio",       "local_call_success_ratio",
      "outbound_call_success_ratio", "inbound_call_success_ratio",
      "emergency_call_success_ratio", "registrations_total", "registrations_failed",
      "registration_success_ratio", "pstn_inbound_success_ratio", "pstn_unassigned_404_ratio",
      "transfer_success_ratio", "pstn_calls_offered", "pstn_calls_blocked",
      "pstn_measured_blocking", "audio_calls", "audio_calls_two_way", "calls_one_way_audio",
      "calls_no_audio", "calls_poor_audio", "audio_mos_median", "audio_mos_min",
      "audio_one_way_delay_ms.p95", "audio_jitter_ms.p95", "audio_loss_ratio"};
  return bases;
}

const std::vector<std::string>& plain_metrics() {
  static const std::vector<std::string> names = {
      "calls_abandoned", "calls_skipped_busy", "pdd_ms.p50", "pdd_ms.p95", "pdd_ms.max",
      "setup_ms.p50", "setup_ms.p95", "setup_ms.max", "detection_time_s", "failback_time_s",
      "false_failovers", "itsp_inactive_transitions", "itsp_inactive_s", "gateway_loops",
      "max_calls_in_progress", "calls_via_gateway", "calls_via_itsp", "calls_via_local",
      "failovers", "late_answers_hung_up", "registered_at_end", "phones", "transfers_total",
      "transfers_ok", "transfers_failed", "pstn_inbound_total", "pstn_unassigned_total",
      "pstn_unassigned_answered", "gateway_route_decisions", "auth_challenges", "auth_failures",
      "registrations_challenged", "registrations_with_auth", "calls_unacknowledged",
      "dns_queries", "dns_lookups_failed", "itsp_address_changes", "pstn_represented",
      "pstn_offered_erlang", "pstn_erlang_b_blocking", "pstn_engset_blocking", "pstn_sources", "pstn_erlang_b_gap", "pstn_channels",
      "pstn_channels_in_use.max", "pstn_calls_failed_other", "pstn_calls_carried",
      "audio_calls_too_short", "audio_first_voice_ms.p50", "audio_first_voice_ms.p95",
      "audio_first_voice_ms.max", "audio_jitter_ms.max",
      "gateway_bridges_opened", "gateway_bridges_refused", "gateway_rtp_rx", "gateway_rtp_tx",
      "gateway_rtp_foreign", "gateway_rtp_concealed", "relay_calls", "relay_calls_timed_out",
      "relay_packets_forwarded", "relay_packets_dropped", "nat_translated_out", "nat_translated_in",
      "nat_dropped_unsolicited", "nat_dropped_filtered", "nat_dropped_other", "nat_mappings_created",
      "nat_mappings_expired", "nat_calls", "nat_calls_relayed", "nat_calls_not_relayed", "lan_calls",
      "lan_calls_relayed"};
  return names;
}


bool contains_section(const std::string& text, const std::string& section) {
  std::string lower = text;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("[" + section + "]") != std::string::npos;
}

// Parses an INI block with the daemon's parser; errors point into the YAML file.
config::DaemonConfig read_ini(const YAML::Node& node, const std::string& what, const std::string& file,
                              bool is_resproxy, const std::string& extra = {}) {
  if (!node.IsScalar()) fail(file, node, what + ": expected an INI text block (" + what + ": |)");
  std::string text = node.Scalar();
  const auto original_lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  text = replace_all(text, "${itsp}", model::OfficeNetwork::itsp_ip());
  text = replace_all(text, "${gateway}", model::OfficeNetwork::gateway_ip());
  text = replace_all(text, "${resproxy}", model::OfficeNetwork::resproxy_ip());
  text = replace_all(text, "${remote}", model::OfficeNetwork::remote_ip());
  text = replace_all(text, "${itsp2}", model::OfficeNetwork::itsp_second_ip());
  text = replace_all(text, "${dns}", model::OfficeNetwork::dns_ip());
  if (!text.empty() && text.back() != '\n') text += '\n';
  if (is_resproxy && !contains_section(text, "sipproxy.itsp_proxy.1")) {
    text += "[sipproxy.itsp_proxy.1]\nenable = 1\nipname = " + model::OfficeNetwork::itsp_ip() + "\n";
  }
  if (!extra.empty()) text += extra;
  if (!contains_section(text, "sipproxy.pstn_gw")) {
    text += "[sipproxy.pstn_gw]\naddress = " +
            (is_resproxy ? model::OfficeNetwork::gateway_ip() : model::OfficeNetwork::remote_ip()) + "\n";
  }
  // A block scalar's text starts on the line after its indicator ("resproxy: |").
  const int first_line = node.Mark().line + 2;
  try {
    return config::parse_config(text, what);
  } catch (const config::ConfigError& e) {
    const int line = e.line >= 1 && e.line <= original_lines ? first_line + e.line - 1 : node.Mark().line + 1;
    std::string message = file + ":" + std::to_string(line) + ": " + what + ": ";
    if (!e.section.empty()) message += "[" + e.section + "] ";
    if (!e.parameter.empty()) message += e.parameter + ": ";
    message += e.problem;
    if (!e.allowed.empty()) message += "; allowed: " + e.allowed;
    throw ScenarioError(message);
  }
}

FaultSpec read_fault(const YAML::Node& node, const std::string& file, double duration,
                     const PstnSpec& pstn) {
  std::vector<std::string> kinds = {"outage", "flap", "random_outages", "loss",
                                    "latency", "process_dead", "process_503"};
  if (pstn.enabled) kinds.insert(kinds.end(), {"e1_los", "e1_ais", "fxo_dead", "exchange_congestion"});
  if (!node.IsMap()) fail(file, node, "faults: each fault is a map");
  const YAML::Node kind_node = node["kind"];
  if (!kind_node.IsDefined()) fail(file, node, "faults: a fault needs kind; allowed: outage, flap, random_outages, loss, latency, process_dead, process_503");
  const std::string kind = kind_node.Scalar();
  std::vector<std::string> keys = {"kind", "target", "start_s", "end_s"};
  if (kind == "flap" || kind == "random_outages") keys.insert(keys.end(), {"up_s", "down_s"});
  if (kind == "loss") keys.insert(keys.end(), {"rate", "direction"});
  if (kind == "latency") keys.insert(keys.end(), {"delay_ms", "jitter_ms", "jitter_step_ms"});
  Map m(node, "faults[" + kind + "]", file, keys);
  m.choice("kind", "", kinds);
  FaultSpec spec;
  spec.kind = kind;
  spec.line = node.Mark().line + 1;
  const bool process = kind == "process_dead" || kind == "process_503";
  const bool telephony = kind == "e1_los" || kind == "e1_ais" || kind == "fxo_dead" ||
                         kind == "exchange_congestion";
  if (telephony) {
    spec.disruptive = false;  // the PSTN's trouble: resproxy has nothing to fail over
    if (kind == "exchange_congestion") {
      if (m.has("target")) fail(file, m.get("target"), "faults[exchange_congestion]: takes no target");
      spec.fault.target = "pstn";
    } else {
      const std::size_t count = kind == "fxo_dead" ? pstn.fxo_lines : pstn.e1_spans;
      if (count == 0) fail(file, node, "faults[" + kind + "]: the pstn: block has no " +
                                           (kind == "fxo_dead" ? "fxo_lines" : "e1_spans"));
      if (!m.has("target")) fail(file, node, "faults[" + kind + "]: needs a target: 1.." + std::to_string(count));
      spec.fault.index = m.integer("target", 1, 1, count);
      spec.fault.target = (kind == "fxo_dead" ? "fxo-" : "e1-") + std::to_string(spec.fault.index);
    }
  } else if (process) {
    spec.fault.target = m.choice("target", "itsp", {"itsp", "resproxy"});
  } else {
    spec.fault.target = m.choice("target", "access",
                                 {"access", "itsp", "remote", "resproxy", "gateway", "lan", "dns", "home", "home_lan"});
  }
  spec.start_s = m.number("start_s", 0, 0, duration);
  spec.end_s = m.number("end_s", duration, 0, duration);
  if (spec.end_s <= spec.start_s) fail(file, m.get("end_s").IsDefined() ? m.get("end_s") : node, "faults: end_s must be after start_s");
  spec.fault.start = ns3::MilliSeconds(std::llround(spec.start_s * 1000));
  spec.fault.end = ns3::MilliSeconds(std::llround(spec.end_s * 1000));
  std::ostringstream detail;
  if (kind == "outage") {
    spec.fault.kind = model::FaultKind::Outage;
  } else if (kind == "flap" || kind == "random_outages") {
    spec.fault.kind = kind == "flap" ? model::FaultKind::Flap : model::FaultKind::RandomOutages;
    const double up = m.number("up_s", 10, 0.001, 86400);
    const double down = m.number("down_s", 10, 0.001, 86400);
    spec.fault.up = ns3::MilliSeconds(std::llround(up * 1000));
    spec.fault.down = ns3::MilliSeconds(std::llround(down * 1000));
    detail << (kind == "flap" ? "" : "mean ") << "down " << down << " s, up " << up << " s";
  } else if (kind == "loss") {
    spec.fault.kind = model::FaultKind::Loss;
    spec.fault.rate = m.number("rate", 0, 0, 1);
    spec.fault.direction = m.choice("direction", "both", {"both", "up", "down"});
    spec.disruptive = spec.fault.rate >= 0.5;
    detail << "rate " << spec.fault.rate << ", " << spec.fault.direction;
  } else if (kind == "latency") {
    spec.fault.kind = model::FaultKind::Latency;
    const double delay = m.number("delay_ms", 0, 0, 60000);
    const double jitter = m.number("jitter_ms", 0, 0, 60000);
    spec.fault.delay = ns3::MicroSeconds(std::llround(delay * 1000));
    spec.fault.jitter = ns3::MicroSeconds(std::llround(jitter * 1000));
    spec.fault.jitter_step = ns3::MicroSeconds(std::llround(m.number("jitter_step_ms", 100, 1, 60000) * 1000));
    spec.disruptive = false;
    detail << "+" << delay << " ms, jitter " << jitter << " ms";
  } else if (kind == "e1_los" || kind == "e1_ais") {
    spec.fault.kind = kind == "e1_los" ? model::FaultKind::E1Los : model::FaultKind::E1Ais;
    detail << "span " << spec.fault.index;
  } else if (kind == "fxo_dead") {
    spec.fault.kind = model::FaultKind::FxoDead;
    detail << "line " << spec.fault.index;
  } else if (kind == "exchange_congestion") {
    spec.fault.kind = model::FaultKind::ExchangeCongestion;
  } else if (kind == "process_dead") {
    spec.fault.kind = model::FaultKind::ProcessDead;
  } else {
    spec.fault.kind = model::FaultKind::Process503;
  }
  spec.detail = detail.str();
  return spec;
}

}  // namespace

bool is_known_metric(const std::string& name) {
  for (const auto& p : plain_metrics()) {
    if (name == p) return true;
  }
  for (const auto& b : phased_bases()) {
    if (name == b || name == b + ".before" || name == b + ".during" || name == b + ".after") return true;
  }
  return false;
}

double erlang_b(double erlangs, std::size_t channels) {
  double b = 1.0;
  for (std::size_t n = 1; n <= channels; ++n) {
    const double ab = erlangs * b;
    b = ab / (static_cast<double>(n) + ab);
  }
  return b;
}

double engset(double erlangs, std::size_t channels, std::size_t sources) {
  if (channels >= sources || erlangs <= 0) return 0.0;
  const double a = erlangs / static_cast<double>(sources);
  if (a >= 1.0) return std::numeric_limits<double>::quiet_NaN();
  const auto call_congestion = [&](double beta) {
    double e = 1.0;
    const double others = static_cast<double>(sources - 1);
    for (std::size_t n = 1; n <= channels; ++n) {
      const double x = (others - static_cast<double>(n) + 1.0) * beta * e;
      e = x / (static_cast<double>(n) + x);
    }
    return e;
  };
  double blocking = 0.0;
  for (int i = 0; i < 200; ++i) {  // converges in a handful of steps for any sane load
    const double beta = a / (1.0 - a * (1.0 - blocking));
    const double next = call_congestion(beta);
    const bool settled = std::abs(next - blocking) < 1e-12;
    blocking = next;
    if (settled) break;
  }
  return blocking;
}

std::size_t Scenario::phones_at_home() const {
  std::size_t n = 0;
  for (const auto& h : homes) n += h.phones;
  return n;
}

std::optional<std::pair<std::size_t, std::size_t>> Scenario::home_of(std::size_t index) const {
  const std::size_t at_home = phones_at_home();
  if (at_home > phones || index < phones - at_home || index >= phones) return std::nullopt;
  std::size_t slot = index - (phones - at_home);
  for (std::size_t k = 0; k < homes.size(); ++k) {
    if (slot < homes[k].phones) return std::pair{k, slot};
    slot -= homes[k].phones;
  }
  return std::nullopt;
}

bool phone_uses_tcp(const Scenario& s, std::size_t i) {
  const auto tcp = static_cast<std::size_t>(std::llround(s.tcp_share * static_cast<double>(s.phones)));
  return tcp > 0 && (i + 1) * tcp / s.phones > i * tcp / s.phones;
}

bool phone_has_credentials(const Scenario& s, std::size_t i) {
  if (s.password.empty() || s.phones == 0) return false;
  const auto with = static_cast<std::size_t>(std::llround(s.auth_share * static_cast<double>(s.phones)));
  return with > 0 && (i + 1) * with / s.phones > i * with / s.phones;
}

Scenario load_scenario(const std::string& path) {
  YAML::Node root;
  try {
    std::ifstream in(path);
    if (!in) throw ScenarioError(path + ": cannot read the file");
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    throw ScenarioError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                        std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  Scenario s;
  s.file = path;
  s.name = std::filesystem::path(path).stem().string();
  Map top(root, "", path,
          {"title", "description", "seed", "long", "duration_s", "sample_s", "topology", "resproxy",
           "itsp", "phones", "traffic", "faults", "expect", "ladder_at_s", "dns", "itsp_moves_at_s",
           "pstn", "audio", "nat"});
  s.title = top.text("title", s.name);
  s.description = top.text("description", "");
  s.seed = static_cast<std::uint32_t>(top.integer("seed", 1, 1, 4294967295ULL));
  s.long_run = top.boolean("long", false);
  s.duration_s = top.number("duration_s", 600, 1, 7 * 86400);
  s.sample_s = top.number("sample_s", 10, 0.1, 3600);

  if (top.has("topology")) {
    Map t(top.get("topology"), "topology", path,
          {"phones", "phones_per_host", "first_number", "tcp_share", "domain", "remote_callers",
           "lan", "access", "core"});
    s.phones = t.integer("phones", 10, 0, 100000);
    s.phones_per_host = t.integer("phones_per_host", 1, 1, 1000);
    s.first_number = static_cast<std::uint32_t>(t.integer("first_number", 2001, 1, 999999999));
    s.tcp_share = t.number("tcp_share", 0, 0, 1);
    s.domain = t.text("domain", s.domain);
    s.remote_callers = t.integer("remote_callers", 2, 1, 1000);
    s.network.lan = read_link(t, "lan", model::LinkParams{"1Gbps", ns3::MicroSeconds(200), ""}, path);
    s.network.access = read_link(t, "access", model::LinkParams{"20Mbps", ns3::MilliSeconds(10), "100p"}, path);
    s.network.core = read_link(t, "core", model::LinkParams{"10Gbps", ns3::MilliSeconds(5), ""}, path);
  } else {
    s.network.lan = model::LinkParams{"1Gbps", ns3::MicroSeconds(200), ""};
    s.network.access = model::LinkParams{"20Mbps", ns3::MilliSeconds(10), "100p"};
    s.network.core = model::LinkParams{"10Gbps", ns3::MilliSeconds(5), ""};
  }
  s.network.phone_hosts = std::max<std::size_t>(1, (s.phones + s.phones_per_host - 1) / s.phones_per_host);
  if (s.network.phone_hosts > model::OfficeNetwork::kMaxPhoneHosts) {
    throw ScenarioError(path + ": topology: too many phone hosts; raise phones_per_host");
  }

  std::string auth_users;  // [sipproxy.auth.user.N] for the phones with the password
  if (top.has("phones")) {
    Map p(top.get("phones"), "phones", path,
          {"register_start_s", "register_spread_s", "register_expires_s", "ring_delay_ms",
           "answer_delay_ms", "gateway_answer_delay_ms", "password", "auth_share"});
    s.register_start_s = p.number("register_start_s", 1, 0, s.duration_s);
    s.register_spread_s = p.number("register_spread_s", 10, 0, s.duration_s);
    s.register_expires_s = p.number("register_expires_s", 3600, 1, 86400);
    s.ring_delay_ms = p.number("ring_delay_ms", 500, 0, 600000);
    s.answer_delay_ms = p.number("answer_delay_ms", 2000, 0, 600000);
    s.gateway_answer_delay_ms = p.number("gateway_answer_delay_ms", 500, 0, 600000);
    s.password = p.text("password", "");
    s.auth_share = p.number("auth_share", 1, 0, 1);
    if (p.has("password")) {
      // Written into the INI unquoted and into digest answers: keep to URI-safe characters.
      const std::string allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()+$,=&";
      if (s.password.empty() || s.password.find_first_not_of(allowed) != std::string::npos) {
        fail(path, p.get("password"), "phones.password: \"" + s.password +
                                          "\" is not allowed; allowed: letters, digits and -_.!~*'()+$,=&");
      }
      std::size_t with = 0;
      for (std::size_t i = 0; i < s.phones; ++i) with += phone_has_credentials(s, i) ? 1 : 0;
      if (with > 120) {
        fail(path, p.get("password"), "phones.password: " + std::to_string(with) +
                                          " phones would need credentials; resproxy's auth table holds "
                                          "120 ([sipproxy.auth.user.N], N = 1..120): lower phones.auth_share");
      }
      std::size_t n = 0;
      for (std::size_t i = 0; i < s.phones; ++i) {
        if (!phone_has_credentials(s, i)) continue;
        auth_users += "[sipproxy.auth.user." + std::to_string(++n) + "]\nenable = 1\nusername = " +
                      std::to_string(s.first_number + i) + "\npassword = " + s.password + "\n";
      }
    }
  }

  if (!top.has("resproxy")) fail(path, root, "resproxy: missing (the daemon's INI text: resproxy: |)");
  if (!auth_users.empty() && top.get("resproxy").IsScalar() &&
      contains_section(top.get("resproxy").Scalar(), "sipproxy.auth.user.1")) {
    auth_users.clear();  // the scenario wrote its own auth table
  }
  s.resproxy = read_ini(top.get("resproxy"), "resproxy", path, true, auth_users);
  if (top.has("itsp")) {
    s.itsp = read_ini(top.get("itsp"), "itsp", path, false);
  } else {
    YAML::Node fallback("[sipproxy]\nrealm = " + s.domain + "\n");
    s.itsp = read_ini(fallback, "itsp", path, false);
  }
  if (s.itsp.proxy.mode != routing::ProxyMode::Standalone) {
    fail(path, top.get("itsp"), "itsp: the ITSP model runs in mode = standalone");
  }


  s.traffic_stop_s = std::max(0.0, s.duration_s - 90);
  if (top.has("traffic")) {
    Map t(top.get("traffic"), "traffic", path,
          {"calls_per_phone_per_hour", "mix", "inbound_per_hour", "hold_mean_s", "start_s", "stop_s",
           "scripted", "transfer_share", "transfer_after_s", "pstn_inbound_per_hour",
           "pstn_unassigned_share"});
    s.calls_per_phone_per_hour = t.number("calls_per_phone_per_hour", 0, 0, 3600);
    if (t.has("mix")) {
      Map mix(t.get("mix"), "traffic.mix", path, {"internal", "outbound", "emergency"});
      s.mix_internal = mix.number("internal", 0, 0, 1);
      s.mix_outbound = mix.number("outbound", 0, 0, 1);
      s.mix_emergency = mix.number("emergency", 0, 0, 1);
      const double sum = s.mix_internal + s.mix_outbound + s.mix_emergency;
      if (std::abs(sum - 1.0) > 1e-9) fail(path, t.get("mix"), "traffic.mix: the shares must add up to 1");
    }
    s.inbound_per_hour = t.number("inbound_per_hour", 0, 0, 1e6);
    s.hold_mean_s = t.number("hold_mean_s", 120, 0.1, 86400);
    s.traffic_start_s = t.number("start_s", 60, 0, s.duration_s);
    s.traffic_stop_s = t.number("stop_s", s.traffic_stop_s, 0, s.duration_s);
    s.transfer_share = t.number("transfer_share", 0, 0, 1);
    s.transfer_after_s = t.number("transfer_after_s", 10, 0, 86400);
    if (s.transfer_share > 0 && s.phones > 1000) {
      fail(path, t.get("transfer_share"), "traffic.transfer_share: transfers need at most 1000 phones (each knows every other)");
    }
    s.pstn_inbound_per_hour = t.number("pstn_inbound_per_hour", 0, 0, 1e6);
    s.pstn_unassigned_share = t.number("pstn_unassigned_share", 0, 0, 1);
    if (t.has("scripted")) {
      const YAML::Node list = t.get("scripted");
      if (!list.IsSequence()) fail(path, list, "traffic.scripted: expected a list of calls");
      for (const auto& item : list) {
        Map c(item, "traffic.scripted[]", path, {"at_s", "from", "to", "hold_s"});
        ScriptedCall call;
        call.at_s = c.number("at_s", 0, 0, s.duration_s);
        call.from = c.text("from", "");
        call.to = c.text("to", "");
        call.hold_s = c.number("hold_s", 60, 0, 86400);
        call.line = item.Mark().line + 1;
        if (call.from.empty() || call.to.empty()) fail(path, item, "traffic.scripted: a call needs from and to");
        if (call.from != "remote" && call.from != "gateway") {
          char* end = nullptr;
          const unsigned long n = std::strtoul(call.from.c_str(), &end, 10);
          if (*end != '\0' || n < s.first_number || n >= s.first_number + s.phones) {
            fail(path, c.get("from"), "traffic.scripted: from \"" + call.from +
                                          "\" is neither \"remote\", \"gateway\" nor an office phone (" +
                                          std::to_string(s.first_number) + ".." +
                                          std::to_string(s.first_number + s.phones - 1) + ")");
          }
        }
        s.scripted.push_back(call);
      }
    }
  }

  if (top.has("pstn")) s.pstn = read_pstn(top.get("pstn"), path, s);
  if (top.has("faults")) {
    const YAML::Node list = top.get("faults");
    if (!list.IsSequence()) fail(path, list, "faults: expected a list");
    for (const auto& item : list) s.faults.push_back(read_fault(item, path, s.duration_s, s.pstn));
  }
  if (top.has("expect")) {
    const YAML::Node list = top.get("expect");
    if (!list.IsSequence()) fail(path, list, "expect: expected a list of expectations");
    for (const auto& item : list) s.expectations.push_back(read_expectation(item, path));
  }
  if (top.has("audio")) {
    Map a(top.get("audio"), "audio", path, {"talk_s"});
    s.audio_talk_s = a.number("talk_s", 10, 0.1, 3600);
  }
  if (top.has("ladder_at_s")) s.ladder_at_s = top.number("ladder_at_s", 0, 0, s.duration_s);
  if (top.has("dns")) s.dns = read_dns(top.get("dns"), path, s.duration_s);
  if (top.has("itsp_moves_at_s")) s.itsp_moves_at_s = top.number("itsp_moves_at_s", 0, 0, s.duration_s);
  if (top.has("nat")) read_nat(top.get("nat"), path, s);
  for (const auto& f : s.faults) {
    if (f.fault.target == "dns" && !s.dns.enabled) {
      throw ScenarioError(path + ":" + std::to_string(f.line) + ": faults: target dns needs a dns: block");
    }
    if ((f.fault.target == "home" || f.fault.target == "home_lan") && s.homes.empty()) {
      throw ScenarioError(path + ":" + std::to_string(f.line) + ": faults: target " + f.fault.target +
                          " needs a nat: block");
    }
  }
  // The ITSP's new proxy answers at its new address before the move: the ITSP model takes
  // requests for either address as its own (is_us: its address or its "outside" address).
  s.network.itsp_second_address = s.dns.enabled || s.itsp_moves_at_s.has_value();
  if (s.network.itsp_second_address && s.itsp.proxy.itsp.nat_outside_address.empty()) {
    s.itsp.proxy.itsp.nat_outside_address = model::OfficeNetwork::itsp_second_ip();
  }
  s.network.dns_server = s.dns.enabled;
  return s;
}

}  // namespace resproxy::harness
