#pragma once
// Registrar: decides what a REGISTER does (RFC 3261 §10.3) — which bindings it adds, refreshes
// or removes, or which error it gets — without touching the LocationService until the store has
// confirmed the change (apply()). Several bindings per AOR; Expires header and the Contact's
// expires parameter; 423 with Min-Expires below the minimum, lowered to the maximum above it;
// `Contact: *` with Expires 0 removes all; Call-ID/CSeq ordering of refreshes.
#include <string>
#include <vector>

#include "proxy/registrar/location_service.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/message.h"

namespace resproxy::registrar {

struct RegistrarLimits {
  Duration min_expires = std::chrono::seconds(60);
  Duration max_expires = std::chrono::seconds(7200);
  Duration default_expires = std::chrono::seconds(3600);
  std::size_t max_bindings_per_aor = 10;
  std::size_t max_bindings = 10000;
};

// What a REGISTER does. Either an error (`status` ≥ 300) or a change (upserts/removals, possibly
// none for a query), answered 200 once the store has it.
struct RegisterPlan {
  int status = 200;
  std::string_view reason = "OK";
  std::vector<sip::ExtraHeader> headers;  // error extras (Min-Expires)
  std::string user;                       // the AOR's user part (the location key)
  std::vector<Binding> upserts;
  std::vector<std::string> removals;      // contacts of `user` to remove
  [[nodiscard]] bool is_error() const { return status >= 300; }
  [[nodiscard]] bool changes_anything() const { return !upserts.empty() || !removals.empty(); }
};

class Registrar {
 public:
  Registrar(RegistrarLimits limits, LocationService& location)
      : limits_(limits), location_(location) {}

  // `request` is a REGISTER for our domain received on `path` (its top Via already stamped).
  [[nodiscard]] RegisterPlan plan(const sip::Message& request, const Path& path, TimePoint now);
  // Makes a plan's change visible to lookups (after the store confirmed it).
  void apply(const RegisterPlan& plan);
  // The 200 OK's Contact header values: every live binding of `user` with its remaining expiry.
  [[nodiscard]] std::vector<sip::ExtraHeader> contact_headers(std::string_view user,
                                                              TimePoint now) const;
  [[nodiscard]] const RegistrarLimits& limits() const { return limits_; }

 private:
  RegistrarLimits limits_;
  LocationService& location_;
};

}  // namespace resproxy::registrar
