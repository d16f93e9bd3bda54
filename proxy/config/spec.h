#pragma once
// Internal to proxy/config: the schema as the parser uses it — each parameter's setter next to
// its documentation — and the parse state the setters fill. schema.cpp lists the sections in
// order; schema_*.cpp define them; schema() (schema.h) is the read-only view of the same table.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/daemon_config.h"
#include "proxy/config/schema.h"
#include "proxy/config/values.h"

namespace resproxy::config {

// --- The parse state: DaemonConfig plus the indexed entries until finish() checks them. ---

// An entry of the trust, ignore and reject tables.
struct RangeEntry {
  int header_line = 0;
  bool enable = false;
  std::string ipmin, ipmax;
  int ipmin_line = 0, ipmax_line = 0;
};
struct ItspEntry {
  int header_line = 0;
  bool enable = false;
  std::string ipname;  // as written
  std::string host;    // the IP address without brackets, or the host name
  int ipname_line = 0;
  std::uint16_t port = 5060;
  bool port_set = false;  // else 5060, or 5061 over TLS
  Transport transport = Transport::Udp;
  std::string tls_server_name;  // empty: the ipname
};
struct LanHostEntry {
  int header_line = 0;
  bool enable = false;
  std::string name, address;
  int name_line = 0, address_line = 0;
};
struct AuthEntry {
  int header_line = 0;
  bool enable = false;
  std::string username, password;
  int username_line = 0;
};
struct AliasEntry {
  int header_line = 0;
  bool enable = false;
  std::string alias, user;
  int alias_line = 0;
};
struct DirectoryEntry {
  int header_line = 0;
  bool enable = false;
  std::string user, contact;
  int user_line = 0;
};

// [gateway.group.N], [gateway.dialplan.N], [sim_hardware.e1.N], [sim_hardware.fxo.N],
// [sim_hardware.numbers.N].
struct GroupEntry {
  int header_line = 0;
  bool enable = false;
  std::string name;
  int name_line = 0;
  std::vector<std::uint16_t> spans;
  int spans_line = 0;
  gateway::HuntPolicy hunt = gateway::HuntPolicy::LowestFree;
  std::size_t emergency_reserve = 0;
  std::string incoming_destination;
};
struct DialRuleEntry {
  int header_line = 0;
  bool enable = false;
  gateway::DialPlanRule rule;
  std::string source_group;  // rule.source names a group: checked in finish()
  int source_line = 0;
  int target_line = 0;
  bool called_set = false;
  bool target_set = false;
};
struct E1Entry {
  int header_line = 0;
  bool enable = false;
  SimE1Settings e1;
  int span_line = 0;
  int ddi_line = 0;
};
struct FxoEntry {
  int header_line = 0;
  bool enable = false;
  SimFxoSettings fxo;
  std::size_t lines = 0;
  int span_line = 0;
  int lines_line = 0;
};

struct NumbersEntry {
  int header_line = 0;
  bool enable = false;
  SimNumberRange range;
  int first_line = 0;
  int last_line = 0;
};

// [media_relay.relay.N]: an external relay driven over ng.
struct ExternalRelayEntry {
  int header_line = 0;
  bool enable = false;
  std::optional<Address> address;
  std::uint32_t weight = 1;
  std::string secret;
};

struct Builder {
  DaemonConfig config;
  bool disable_all_trust = false;
  std::map<int, RangeEntry> trust, ignore, reject;
  std::map<int, ItspEntry> itsp;
  std::map<int, LanHostEntry> lan_hosts;
  std::map<int, AuthEntry> auth;
  std::map<int, AliasEntry> aliases;
  std::map<int, DirectoryEntry> directory;
  std::map<int, GroupEntry> gateway_groups;
  std::map<int, DialRuleEntry> dial_rules;
  std::map<int, E1Entry> sim_e1;
  std::map<int, FxoEntry> sim_fxo;
  std::map<int, NumbersEntry> sim_numbers;
  std::map<int, ExternalRelayEntry> media_relays;
  // Where each "section parameter" was set, for cross-field errors.
  std::map<std::string, int> line_of;
};

// --- The schema's entries. ---

// The setter of one parameter. `index` is N of an indexed section (0 otherwise); `line` is the
// line the value came from. Throws Invalid for a bad value.
using Setter = std::function<void(Builder&, int index, int line, std::string_view value)>;

// What the default file and the reference say about a parameter (designated initializers, in
// this order). Left empty, doc_default is `value` in backquotes ("empty" if there is none) and
// doc_allowed the error's allowed text (a plain list of words in backquotes).
struct Doc {
  std::string value = {};    // as written in the default file: the default, or an example
  std::string comment = {};  // the default file's comment; '\n' continues it on the next line
  std::string doc = {};      // the reference's "meaning"
  std::string doc_default = {};
  std::string doc_allowed = {};
  bool example = false;      // commented out in the default file (its default is another's)
  std::string table = {};    // the section's reference table; empty: the main one
};

// The reference's "default" of an indexed entry's parameter that has none.
inline constexpr std::string_view kRequiredWhenEnabled = "— (required when enabled)";

struct ParamSpec {
  ParamInfo info;
  Setter set;
};

struct SectionSpec {
  std::string name = {};  // canonical; indexed sections without ".N"
  bool indexed = false;
  std::string comment = {};  // the default file's comment above the section
  std::vector<ParamSpec> params = {};
  int max_index = kMaxIndex;  // indexed sections: N = 1..max_index
  // Indexed sections: records the header's line in the entry for N (cross-field errors name it).
  std::function<void(Builder&, int index, int line)> on_header = {};

  [[nodiscard]] std::string display() const { return indexed ? name + ".N" : name; }
  [[nodiscard]] std::string param_names() const;
};

// The sections in the parser's order.
const std::vector<SectionSpec>& section_specs();

// A parameter with its own setter and allowed text.
ParamSpec param(std::string name, std::string allowed, Setter set, Doc doc,
                std::vector<std::string> aliases = {});
// An integer parameter in min..max, stored through `store`.
ParamSpec integer(std::string name, std::int64_t min, std::int64_t max, std::string_view unit,
                  std::function<void(Builder&, std::int64_t)> store, Doc doc);
// A switch (0, 1, on, off, …), stored through `store`.
ParamSpec flag(std::string name, std::function<void(Builder&, bool)> store, Doc doc);
// The `enable` switch of an indexed section's entry.
template <typename Entry>
ParamSpec enable_flag(std::map<int, Entry> Builder::*table);
// SectionSpec::on_header of an indexed section kept in `table`.
template <typename Entry>
std::function<void(Builder&, int, int)> header_line_of(std::map<int, Entry> Builder::*table);

// The sections, by group (schema_sipproxy.cpp, schema_itsp.cpp, schema_security.cpp,
// schema_registrar.cpp).
SectionSpec sipproxy_section();
SectionSpec advanced_section();
SectionSpec pstn_gw_section();
SectionSpec itsp_proxy_section();
SectionSpec itsp_proxy_entries();  // [sipproxy.itsp_proxy.N]
SectionSpec lan_hosts_section();
SectionSpec auth_section();
SectionSpec auth_users_section();
SectionSpec ignore_section();
SectionSpec reject_section();
SectionSpec trust_section();
SectionSpec trust_entries();  // [sipproxy.trust.N]
SectionSpec dos_section();
SectionSpec registrar_section();
SectionSpec alias_section();
SectionSpec directory_section();
// schema_gateway.cpp: [gateway], [gateway.group.N], [gateway.dialplan.N], [sim_hardware.exchange],
// [sim_hardware.e1.N], [sim_hardware.fxo.N].
SectionSpec gateway_section();
SectionSpec gateway_group_section();
SectionSpec gateway_dialplan_section();
SectionSpec sim_exchange_section();
SectionSpec sim_e1_section();
SectionSpec sim_fxo_section();
SectionSpec sim_numbers_section();  // [sim_hardware.numbers.N]
SectionSpec media_relay_section();  // schema_media.cpp
SectionSpec media_relay_entries();  // [media_relay.relay.N]

// --- Definitions of the templates above. ---

ParamSpec enable_param(Setter set);  // the shared documentation of `enable`

template <typename Entry>
std::function<void(Builder&, int, int)> header_line_of(std::map<int, Entry> Builder::*table) {
  return [table](Builder& b, int n, int line) { (b.*table)[n].header_line = line; };
}

template <typename Entry>
ParamSpec enable_flag(std::map<int, Entry> Builder::*table) {
  return enable_param([table](Builder& b, int n, int, std::string_view v) {
    (b.*table)[n].enable = parse_bool(v);
  });
}

}  // namespace resproxy::config
