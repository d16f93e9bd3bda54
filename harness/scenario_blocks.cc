// The scenario file's blocks that have a reader of their own: dns (zones and changes), pstn
// (cards, exchange and subscribers) and expect (the expectations).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "harness/scenario.h"
#include "harness/scenario_read.h"

namespace resproxy::harness::scenario_read {

// One record of a `dns:` zone or change; addresses may name the planned nodes (${itsp}, …).
model::DnsRecord read_dns_record(const YAML::Node& node, const std::string& file, bool& remove) {
  if (!node.IsMap() || !node["type"].IsDefined()) fail(file, node, "dns: a record is a map with name and type (A, AAAA, SRV)");
  const std::string type = node["type"].Scalar();
  std::vector<std::string> keys = {"name", "type", "ttl_s", "remove"};
  if (type == "A" || type == "AAAA") keys.push_back("address");
  if (type == "SRV") keys.insert(keys.end(), {"priority", "weight", "port", "target"});
  Map m(node, "dns record", file, keys);
  model::DnsRecord r;
  r.name = m.text("name", "");
  if (r.name.empty()) fail(file, node, "dns: a record needs a name");
  r.type = m.choice("type", "", {"A", "AAAA", "SRV"}) == "SRV" ? model::kDnsTypeSrv
           : type == "AAAA"                                     ? model::kDnsTypeAaaa
                                                                : model::kDnsTypeA;
  r.ttl = static_cast<std::uint32_t>(m.integer("ttl_s", 60, 0, 2147483647));
  remove = m.boolean("remove", false);
  if (remove) return r;
  if (r.type == model::kDnsTypeSrv) {
    r.srv.priority = static_cast<std::uint16_t>(m.integer("priority", 10, 0, 65535));
    r.srv.weight = static_cast<std::uint16_t>(m.integer("weight", 0, 0, 65535));
    r.srv.port = static_cast<std::uint16_t>(m.integer("port", 5060, 0, 65535));
    r.srv.target = m.text("target", ".");
  } else {
    std::string address = m.text("address", "");
    for (const auto& [from, to] : {std::pair{"${itsp}", model::OfficeNetwork::itsp_ip()},
                                   std::pair{"${itsp2}", model::OfficeNetwork::itsp_second_ip()},
                                   std::pair{"${remote}", model::OfficeNetwork::remote_ip()},
                                   std::pair{"${gateway}", model::OfficeNetwork::gateway_ip()}}) {
      address = replace_all(address, from, to);
    }
    r.address = address;
    model::DnsMessage probe;
    probe.answers.push_back(r);
    if (!model::encode_dns_message(probe)) {
      fail(file, node["address"].IsDefined() ? node["address"] : node,
           "dns: \"" + address + "\" is not an " + type + " address");
    }
  }
  return r;
}

DnsSpec read_dns(const YAML::Node& node, const std::string& file, double duration) {
  Map m(node, "dns", file, {"zone", "changes"});
  DnsSpec dns;
  dns.enabled = true;
  bool remove = false;
  if (m.has("zone")) {
    if (!m.get("zone").IsSequence()) fail(file, m.get("zone"), "dns.zone: expected a list of records");
    for (const auto& item : m.get("zone")) {
      dns.zone.push_back(read_dns_record(item, file, remove));
      if (remove) fail(file, item, "dns.zone: remove is for changes");
    }
  }
  if (m.has("changes")) {
    if (!m.get("changes").IsSequence()) fail(file, m.get("changes"), "dns.changes: expected a list");
    for (const auto& item : m.get("changes")) {
      Map c(item, "dns.changes[]", file, {"at_s", "records"});
      DnsChange change;
      change.at_s = c.number("at_s", 0, 0, duration);
      change.line = item.Mark().line + 1;
      if (!c.get("records").IsSequence()) fail(file, item, "dns.changes: a change needs records: [...]");
      for (const auto& r : c.get("records")) {
        auto record = read_dns_record(r, file, remove);
        if (remove) {
          change.removed.emplace_back(record.name, record.type);
        } else {
          change.records.push_back(std::move(record));
        }
      }
      dns.changes.push_back(std::move(change));
    }
  }
  return dns;
}

PstnSpec read_pstn(const YAML::Node& node, const std::string& file, const Scenario& s) {
  Map m(node, "pstn", file,
        {"e1_spans", "fxo_lines", "emergency_reserve", "fxo_emergency_reserve", "hunt", "trunk_capacity", "subscribers",
         "represent_to_fxo"});
  PstnSpec p;
  p.enabled = true;
  p.line = node.Mark().line + 1;
  p.e1_spans = m.integer("e1_spans", 1, 0, 8);
  p.fxo_lines = m.integer("fxo_lines", 0, 0, 64);
  if (p.e1_spans + p.fxo_lines == 0) fail(file, node, "pstn: needs e1_spans or fxo_lines");
  p.emergency_reserve = m.integer("emergency_reserve", 0, 0, 30 * p.e1_spans);
  p.fxo_emergency_reserve = m.integer("fxo_emergency_reserve", 0, 0, p.fxo_lines);
  p.hunt = m.choice("hunt", "lowest", {"lowest", "highest", "round_robin"});
  if (m.has("trunk_capacity")) p.trunk_capacity = m.integer("trunk_capacity", 0, 1, 100000);
  p.represent_to_fxo = m.boolean("represent_to_fxo", p.fxo_lines > 0);
  if (p.represent_to_fxo && p.fxo_lines == 0) {
    fail(file, m.get("represent_to_fxo"), "pstn.represent_to_fxo: needs fxo_lines");
  }
  if (m.has("subscribers")) {
    Map sub(m.get("subscribers"), "pstn.subscribers", file,
            {"answer_share", "busy_share", "no_answer_share", "unallocated_share", "answer_delay_s"});
    p.answer_share = sub.number("answer_share", 0, 0, 1);
    p.busy_share = sub.number("busy_share", 0, 0, 1);
    p.no_answer_share = sub.number("no_answer_share", 0, 0, 1);
    p.unallocated_share = sub.number("unallocated_share", 0, 0, 1);
    const double sum = p.answer_share + p.busy_share + p.no_answer_share + p.unallocated_share;
    if (std::abs(sum - 1.0) > 1e-9) fail(file, m.get("subscribers"), "pstn.subscribers: the shares must add up to 1");
    if (sub.has("answer_delay_s")) {
      const YAML::Node d = sub.get("answer_delay_s");
      if (!d.IsSequence() || d.size() != 2) {
        fail(file, d, "pstn.subscribers.answer_delay_s: expected [min, max] in seconds");
      }
      try {
        p.answer_delay_min_s = d[0].as<double>();
        p.answer_delay_max_s = d[1].as<double>();
      } catch (const YAML::Exception&) {
        fail(file, d, "pstn.subscribers.answer_delay_s: expected [min, max] in seconds");
      }
      if (!(p.answer_delay_min_s >= 0 && p.answer_delay_max_s >= p.answer_delay_min_s &&
            p.answer_delay_max_s <= 600)) {
        fail(file, d, "pstn.subscribers.answer_delay_s: need 0 <= min <= max <= 600");
      }
    }
  }
  // DDI numbers 0163296NNNN: every phone number (and every number an unassigned PSTN call may
  // dial) must have 4 digits.
  const std::uint64_t last = s.first_number + s.phones - 1 + (s.pstn_unassigned_share > 0 ? 1000 : 0);
  if (s.phones > 0 && (s.first_number < 1000 || last > 9999)) {
    fail(file, node, "pstn: the phones' numbers (topology.first_number, phones; with "
                     "traffic.pstn_unassigned_share also the next 999) must have 4 digits: the DDI "
                     "numbers are 0163296NNNN");
  }
  return p;
}

Expectation read_expectation(const YAML::Node& node, const std::string& file) {
  if (!node.IsScalar()) fail(file, node, "expect: each expectation is a line of text, e.g. \"detection_time_s <= 5\"");
  const std::string text = node.Scalar();
  const auto bad = [&] {
    fail(file, node, "expect: \"" + text + "\" is not <metric> <op> <number>; ops: >= <= == != > <");
  };
  // <metric> <op> <number>[%], spaces optional around the operator.
  const std::size_t op_at = text.find_first_of("<>=!");
  if (op_at == std::string::npos) bad();
  Expectation e;
  e.text = text;
  e.metric = trim(text.substr(0, op_at));
  const std::size_t op_len = op_at + 1 < text.size() && text[op_at + 1] == '=' ? 2 : 1;
  e.op = text.substr(op_at, op_len);
  if (e.op == "=" || e.op == "!") bad();
  std::string number = trim(text.substr(op_at + op_len));
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) number = trim(number.substr(0, number.size() - 1));
  if (e.metric.empty() || e.metric.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") != std::string::npos) bad();
  std::size_t used = 0;
  try {
    e.value = std::stod(number, &used);
  } catch (const std::exception&) {
    bad();
  }
  if (used != number.size()) bad();
  if (percent) e.value /= 100.0;
  e.line = node.Mark().line + 1;
  if (!is_known_metric(e.metric)) {
    fail(file, node, "expect: unknown metric '" + e.metric + "'; see docs/results-schema.md (e.g. call_success_ratio.during, detection_time_s, gateway_loops)");
  }
  return e;
}

}  // namespace resproxy::harness::scenario_read
