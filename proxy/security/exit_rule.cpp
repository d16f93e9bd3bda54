#include "proxy/security/exit_rule.h"

namespace resproxy::security {

std::string_view to_string(Sender sender) {
  switch (sender) {
    case Sender::Trusted: return "trusted";
    case Sender::Authenticated: return "authenticated";
    case Sender::Gateway: return "gateway";
    case Sender::Itsp: return "itsp";
    case Sender::Untrusted: return "untrusted";
  }
  return "unknown";
}

std::string_view to_string(Exit exit) {
  switch (exit) {
    case Exit::Itsp: return "itsp";
    case Exit::Phone: return "phone";
    case Exit::Gateway: return "gateway";
    case Exit::Elsewhere: return "elsewhere";
  }
  return "unknown";
}

std::string_view to_string(Service service) {
  switch (service) {
    case Service::Local: return "local";
    case Service::ViaItsp: return "via_itsp";
    case Service::Trunk: return "trunk";
    case Service::Off: return "off";
  }
  return "unknown";
}

std::string_view to_string(ExitVerdict verdict) {
  switch (verdict) {
    case ExitVerdict::TrustedSender: return "trusted_sender";
    case ExitVerdict::AuthenticatedSender: return "authenticated_sender";
    case ExitVerdict::SeedTable: return "seed_table";
    case ExitVerdict::OurDialog: return "our_dialog";
    case ExitVerdict::Emergency: return "emergency";
    case ExitVerdict::Refused: return "refused";
  }
  return "unknown";
}

namespace {

// The exits the seed's tables give a sender that is neither trusted nor authenticated.
bool table_names(Sender sender, Exit exit, Service service, bool itsp_requires_trust) {
  const bool itsp_ok = !(sender == Sender::Untrusted && itsp_requires_trust);
  switch (service) {
    case Service::Off:
      return false;
    case Service::Local:
      return exit == Exit::Phone;
    case Service::ViaItsp:
      // Untrusted: everything via the ITSP, which challenges it. The gateway: via the ITSP, or
      // (from_routing = regd_ua) a registered phone. The ITSP: the phones registered with it.
      if (exit == Exit::Itsp) return sender != Sender::Itsp && itsp_ok;
      return exit == Exit::Phone && sender != Sender::Untrusted;
    case Service::Trunk:
      if (exit == Exit::Itsp) return sender != Sender::Itsp && itsp_ok;
      return exit == Exit::Phone;
  }
  return false;
}

}  // namespace

ExitVerdict check_exit(const ExitQuery& q) {
  if (q.sender == Sender::Trusted) return ExitVerdict::TrustedSender;
  if (q.sender == Sender::Authenticated) return ExitVerdict::AuthenticatedSender;
  if (q.our_dialog) return ExitVerdict::OurDialog;
  if (q.service == Service::Off) return ExitVerdict::Refused;
  if (q.emergency && q.exit == Exit::Gateway && q.from_lan && q.sender == Sender::Untrusted) {
    return ExitVerdict::Emergency;
  }
  if (table_names(q.sender, q.exit, q.service, q.itsp_requires_trust)) return ExitVerdict::SeedTable;
  return ExitVerdict::Refused;
}

}  // namespace resproxy::security
