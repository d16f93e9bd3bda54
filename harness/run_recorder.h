#pragma once
// What a scenario run's trace says, gathered as it happens (scenario_runner.cc): one TraceSink per
// node feeding one Recorder, which keeps the routes resproxy chose, the ITSP's state changes, the
// ladder of one chosen call, the gateway's call records, the calls the media relay anchored — and
// the small time/trace helpers the runner shares with it. Internal to the runner (namespace
// runner), not an interface.
#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "harness/run_data.h"
#include "harness/scenario_runner.h"
#include "model/office_network.h"
#include "model/simulation.h"
#include "proxy/base/net.h"
#include "proxy/base/time.h"
#include "proxy/base/trace.h"

namespace resproxy::harness::runner {

inline double seconds_of(TimePoint t) { return static_cast<double>(to_ns(t)) / 1e9; }
inline double round3(double x) { return std::round(x * 1000.0) / 1000.0; }
inline TimePoint at_seconds(double s) { return from_ns(std::llround(s * 1e9)); }

inline std::string user_of_uri(std::string_view uri) {
  if (uri.starts_with("sip:")) uri.remove_prefix(4);
  const auto at = uri.find('@');
  return std::string(at == std::string_view::npos ? std::string_view{} : uri.substr(0, at));
}

inline std::string field(const TraceEvent& event, std::string_view key) {
  for (const auto& [k, v] : event.fields) {
    if (k == key) return v;
  }
  return {};
}


// What the run's trace says, gathered as it happens (one sink per node, all feeding this).
class Recorder {
 public:
  Recorder(bool keep_trace, TimePoint ladder_from) : keep_trace_(keep_trace), ladder_from_(ladder_from) {}

  TraceSink& sink_for(const std::string& node) { return sinks_.emplace_back(*this, node); }

  void name_address(const Address& address, const std::string& name) {
    names_[address.to_string()] = name;
  }
  std::string name_of(const Address& address) const {
    const auto it = names_.find(address.to_string());
    return it == names_.end() ? address.to_string() : it->second;
  }

  // Message tap (SipNodeApplication::SetSendTap): only the chosen call's messages are kept.
  void on_send(const std::string& from, const Address& remote, std::string_view bytes) {
    if (ladder_call_.empty()) return;
    if (call_id_of(bytes) != ladder_call_) return;
    std::string_view first = bytes.substr(0, bytes.find("\r\n"));
    std::string label;
    if (first.starts_with("SIP/2.0 ")) {
      label = std::string(first.substr(8));
    } else {
      label = std::string(first.substr(0, first.rfind(" SIP/2.0")));
    }
    const std::string to = name_of(remote);
    note_ladder_node(from);
    note_ladder_node(to);
    ladder_.push_back({round3(seconds_of(model::core_now())), from, to, label});
  }

  void emit(const std::string& node, const TraceEvent& event) {
    if (keep_trace_) trace_.push_back(to_json_line(event, node));
    const std::string& name = event.name;
    if (node == "resproxy") {
      if (name == "route.forwarded") {
        if (field(event, "method") != "INVITE") return;
        auto& route = routes_[field(event, "call_id")];
        if (route.locked) return;
        const std::string to = field(event, "to");
        const bool itsp = to == itsp_address_ || to == itsp_second_address_;
        route.where = itsp ? "itsp" : to == gateway_address_ ? "gateway" : "local";
        route.locked = true;
      } else if (name == "itsp.failover") {
        routes_[field(event, "call_id")].locked = false;
      } else if (name == "route.decided") {
        tally_route_decision(event, decisions_);
      } else if (name.starts_with("itsp.marked_")) {
        itsp_states_.push_back({round3(seconds_of(event.t)), "itsp", field(event, "to")});
      } else if (name == "itsp.name_lookup_failed") {
        ++dns_lookups_failed_;
      } else if (name == "itsp.readdressed" || name == "itsp.proxy_removed") {
        ++itsp_address_changes_;
      } else if (name == "media.anchored" && field(event, "verdict") != "refused") {
        relayed_.insert(field(event, "call_id"));
      }
      return;
    }
    if (node == "gateway" && name.starts_with("gw.call_")) {
      const std::string id = field(event, "call_id");
      if (name == "gw.call_started") {
        pstn_index_[id] = pstn_calls_.size();
        PstnCallData d;
        d.call_id = id;
        d.direction = field(event, "direction");
        d.start_s = round3(seconds_of(event.t));
        pstn_calls_.push_back(std::move(d));
      } else if (name == "gw.call_ended") {
        const auto it = pstn_index_.find(id);
        if (it == pstn_index_.end()) return;
        PstnCallData& d = pstn_calls_[it->second];
        d.end_s = round3(seconds_of(event.t));
        d.span = field(event, "span");
        d.cause = field(event, "cause");
        d.answered = field(event, "answered") == "1";
        d.emergency = field(event, "emergency") == "1";
        d.routes_tried = field(event, "routes_tried");
        pstn_index_.erase(it);  // a Call-ID may come back (a new call): a new record
      }
      return;
    }
    if (name == "ua.call_started" && ladder_call_.empty() && event.t >= ladder_from_ &&
        field(event, "role") == "caller" && node.starts_with("phone-")) {
      ladder_call_ = field(event, "call_id");
    }
  }

  void set_addresses(const Address& itsp, const Address& gateway) {
    itsp_address_ = itsp.to_string();
    itsp_second_address_ = Address{model::OfficeNetwork::itsp_second_ip(), itsp.port}.to_string();
    names_[itsp_second_address_] = "itsp";
    gateway_address_ = gateway.to_string();
  }
  bool relayed(const std::string& call_id) const { return relayed_.contains(call_id); }
  std::string route_of(const std::string& call_id) const {
    const auto it = routes_.find(call_id);
    return it == routes_.end() ? std::string() : it->second.where;
  }

  std::vector<std::string> trace_;
  std::vector<ItspStateChange> itsp_states_;
  std::string ladder_call_;
  std::vector<std::string> ladder_nodes_;
  std::vector<LadderMessage> ladder_;
  RouteDecisionTally decisions_;
  std::uint64_t dns_lookups_failed_ = 0;
  std::uint64_t itsp_address_changes_ = 0;
  std::vector<PstnCallData> pstn_calls_;

 private:
  class Sink final : public TraceSink {
   public:
    Sink(Recorder& recorder, std::string node) : recorder_(recorder), node_(std::move(node)) {}
    void emit(const TraceEvent& event) override { recorder_.emit(node_, event); }

   private:
    Recorder& recorder_;
    std::string node_;
  };
  struct Route {
    std::string where;
    bool locked = false;
  };

  static std::string_view call_id_of(std::string_view bytes) {
    std::size_t at = bytes.find("\r\nCall-ID:");
    std::size_t skip = 10;
    if (at == std::string_view::npos) {
      at = bytes.find("\r\ni:");
      skip = 4;
    }
    if (at == std::string_view::npos) return {};
    std::string_view rest = bytes.substr(at + skip);
    rest = rest.substr(0, rest.find("\r\n"));
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
    return rest;
  }
  void note_ladder_node(const std::string& name) {
    if (std::find(ladder_nodes_.begin(), ladder_nodes_.end(), name) == ladder_nodes_.end()) {
      ladder_nodes_.push_back(name);
    }
  }

  bool keep_trace_;
  TimePoint ladder_from_;
  std::deque<Sink> sinks_;
  std::unordered_map<std::string, std::string> names_;
  std::unordered_map<std::string, Route> routes_;
  std::string itsp_address_;
  std::string itsp_second_address_;  // where the ITSP may move (itsp_moves_at_s)
  std::string gateway_address_;
  std::map<std::string, std::size_t> pstn_index_;  // gateway calls not yet ended
  std::set<std::string> relayed_;                  // calls resproxy's media relay anchored
};

}  // namespace resproxy::harness::runner
