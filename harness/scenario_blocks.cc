// The scenario file's blocks that have a reader of their own: dns (zones and changes), pstn
// (cards, exchange and subscribers), nat (home offices), expect (the expectations), and links.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "harness/scenario.h"
#include "harness/scenario_read.h"

namespace resproxy::harness::scenario_read {

model::LinkParams read_link(const Map& parent, const std::string& key, model::LinkParams link,
                            const std::string& file) {
  if (!parent.has(key)) return link;
  Map m(parent.get(key), parent.name(key), file, {"rate", "delay_ms", "queue"});
  if (m.has("rate")) {
    link.rate = m.text("rate", link.rate);
    if (!is_number_with_unit(link.rate, {"bps", "kbps", "Kbps", "Mbps", "Gbps"}, true)) {
      fail(file, m.get("rate"), m.name("rate") + ": \"" + link.rate +
                                    "\" is not a data rate; allowed: <number>bps|kbps|Mbps|Gbps");
    }
  }
  if (m.has("delay_ms")) link.delay = ns3::MicroSeconds(std::llround(m.number("delay_ms", 0, 0, 60000) * 1000));
  if (m.has("queue")) {
    link.queue = m.text("queue", "");
    if (!is_number_with_unit(link.queue, {"p", "B", "kB", "MB"}, false)) {
      fail(file, m.get("queue"), m.name("queue") + ": \"" + link.queue +
                                     "\" is not a queue size; allowed: <number>p|B|kB|MB");
    }
  }
  return link;
}

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

void read_nat(const YAML::Node& node, const std::string& file, Scenario& s) {
  Map m(node, "nat", file, {"link", "homes"});
  s.network.home = read_link(m, "link", model::LinkParams{"50Mbps", ns3::MilliSeconds(10), "100p"}, file);
  s.network.home_lan = s.network.lan;
  if (!m.has("homes") || !m.get("homes").IsSequence() || m.get("homes").size() == 0) {
    fail(file, m.has("homes") ? m.get("homes") : node, "nat: needs homes: [{phones, mapping, filtering, …}, …]");
  }
  const std::vector<std::string> behaviours = {"endpoint_independent", "address_dependent", "address_and_port_dependent"};
  for (const auto& item : m.get("homes")) {
    Map h(item, "nat.homes[]", file, {"phones", "mapping", "filtering", "timeout_s", "ports", "register_expires_s"});
    HomeSpec home;
    home.line = item.Mark().line + 1;
    home.phones = h.integer("phones", 1, 1, 1000);
    home.nat.mapping = *model::parse_nat_behaviour(h.choice("mapping", "endpoint_independent", behaviours));
    home.nat.filtering = *model::parse_nat_behaviour(h.choice("filtering", "address_and_port_dependent", behaviours));
    home.nat.timeout = std::chrono::milliseconds(std::llround(h.number("timeout_s", 300, 1, 86400) * 1000));
    if (h.has("ports")) {
      const YAML::Node p = h.get("ports");
      std::uint64_t first = 0, last = 0;
      try {
        if (!p.IsSequence() || p.size() != 2) throw YAML::BadConversion(p.Mark());
        first = p[0].as<std::uint64_t>();
        last = p[1].as<std::uint64_t>();
      } catch (const YAML::Exception&) {
        fail(file, p, "nat.homes[].ports: expected [first, last]");
      }
      if (first < 1 || last > 65535 || first > last) fail(file, p, "nat.homes[].ports: need 1 <= first <= last <= 65535");
      home.nat.first_port = static_cast<std::uint16_t>(first);
      home.nat.last_port = static_cast<std::uint16_t>(last);
    }
    if (h.has("register_expires_s")) home.register_expires_s = h.number("register_expires_s", 0, 1, 86400);
    s.homes.push_back(home);
    s.network.homes.push_back(home.nat);
  }
  if (s.homes.size() > model::OfficeNetwork::kMaxHomes) {
    fail(file, m.get("homes"), "nat.homes: at most " + std::to_string(model::OfficeNetwork::kMaxHomes) + " homes");
  }
  const std::size_t at_home = s.phones_at_home();
  if (at_home > s.phones) {
    fail(file, m.get("homes"), "nat.homes: " + std::to_string(at_home) + " phones at home, but topology.phones is " +
                                   std::to_string(s.phones));
  }
  for (std::size_t i = s.phones - at_home; i < s.phones; ++i) {
    if (phone_uses_tcp(s, i)) {
      fail(file, m.get("homes"), "nat.homes: phone " + std::to_string(s.first_number + i) +
                                     " would use TCP; the NAT translates UDP only: lower topology.tcp_share");
    }
  }
  // The office's own phone hosts carry the phones that are not at home.
  const std::size_t office = s.phones - at_home;
  s.network.phone_hosts = std::max<std::size_t>(1, (office + s.phones_per_host - 1) / s.phones_per_host);
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
