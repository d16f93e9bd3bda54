// [sipproxy.registrar], [sipproxy.alias.N] and [sipproxy.directory.N]: the local registrar and
// the numbers it answers for.
#include "proxy/config/spec.h"

namespace resproxy::config {

namespace {

std::function<void(Builder&, std::int64_t)> registrar_seconds(
    Duration routing::RegistrarConfig::*field) {
  return [field](Builder& b, std::int64_t v) { b.config.proxy.registrar.*field = seconds(v); };
}

std::function<void(Builder&, std::int64_t)> registrar_count(
    std::size_t routing::RegistrarConfig::*field) {
  return [field](Builder& b, std::int64_t v) {
    b.config.proxy.registrar.*field = static_cast<std::size_t>(v);
  };
}

}  // namespace

SectionSpec registrar_section() {
  using Registrar = routing::RegistrarConfig;
  return {
      .name = "sipproxy.registrar",
      .params = {
          integer("min_expires", 1, 604800, "s", registrar_seconds(&Registrar::min_expires),
                  {.value = "60",
                   .comment = "1..604800 s: shorter registrations get 423 Min-Expires",
                   .doc = "shorter registrations are answered 423 with Min-Expires"}),
          integer("max_expires", 1, 604800, "s", registrar_seconds(&Registrar::max_expires),
                  {.value = "7200",
                   .comment = "1..604800 s: longer registrations are shortened to this",
                   .doc = "longer registrations are shortened to this"}),
          integer("default_expires", 1, 604800, "s",
                  registrar_seconds(&Registrar::default_expires),
                  {.value = "3600",
                   .comment = "1..604800 s: when a REGISTER names none; min..max",
                   .doc = "when a REGISTER names no expiry",
                   .doc_allowed = "`min_expires`..`max_expires`"}),
          integer("max_bindings", 1, 10000000, "", registrar_count(&Registrar::max_bindings),
                  {.value = "10000",
                   .comment = "1..10000000: bindings in total",
                   .doc = "bindings in total"}),
          integer("max_bindings_per_aor", 1, 1000, "",
                  registrar_count(&Registrar::max_bindings_per_aor),
                  {.value = "10",
                   .comment = "1..1000: contacts per address of record",
                   .doc = "contacts per address of record"}),
      }};
}

SectionSpec alias_section() {
  return {
      .name = "sipproxy.alias",
      .indexed = true,
      .comment = "Extra numbers that reach a registered user, N = 1..100.",
      .params = {
          enable_flag(&Builder::aliases),
          param("alias", std::string(kUserAllowed),
                [](Builder& b, int n, int line, std::string_view v) {
                  b.aliases[n].alias = parse_user(v);
                  b.aliases[n].alias_line = line;
                },
                {.value = "441344784900",
                 .comment = "the number as dialled",
                 .doc = "the number as dialled, e.g. `441344784900`; each alias once",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "a user part: no spaces, `@`, `:`, `;`"}),
          param("user", std::string(kUserAllowed),
                [](Builder& b, int n, int, std::string_view v) { b.aliases[n].user = parse_user(v); },
                {.value = "4900",
                 .comment = "the registered user it reaches",
                 .doc = "the registered user it reaches, e.g. `4900`",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "a user part"}),
      },
      .on_header = header_line_of(&Builder::aliases)};
}

SectionSpec directory_section() {
  return {
      .name = "sipproxy.directory",
      .indexed = true,
      .comment = "Users that always resolve, registered or not, N = 1..100.",
      .params = {
          enable_flag(&Builder::directory),
          param("user", std::string(kUserAllowed),
                [](Builder& b, int n, int line, std::string_view v) {
                  b.directory[n].user = parse_user(v);
                  b.directory[n].user_line = line;
                },
                {.value = "4000",
                 .comment = "the user",
                 .doc = "e.g. `4000`; each user once",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "a user part"}),
          param("contact",
                "a SIP URI, e.g. \"sip:4000@192.0.2.50:5060;transport=tcp\" (quoted if it has ';')",
                [](Builder& b, int n, int, std::string_view v) {
                  b.directory[n].contact = parse_sip_uri(v);
                },
                {.value = "sip:4000@192.0.2.50:5060;transport=udp",
                 .comment = "where its requests go; quoted, as it has ';'",
                 .doc = "where to send requests for the user",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "a `sip:` or `sips:` URI (quoted if it has `;`)"}),
      },
      .on_header = header_line_of(&Builder::directory)};
}

}  // namespace resproxy::config
