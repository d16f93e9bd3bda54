#include "proxy/sip/dialog.h"

#include <algorithm>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/uri.h"

namespace resproxy::sip {

namespace {

std::string_view header_value(const Message& message, HeaderId id) {
  const HeaderField* field = message.first(id);
  return field == nullptr ? std::string_view{} : field->value;
}

// The URI of a name-addr header value ("<sip:2001@x>;tag=1" → "sip:2001@x"); "" if none parses.
std::string uri_of(std::string_view value) {
  const auto parsed = parse_name_addr(value);
  return parsed ? std::string(parsed->uri) : std::string{};
}

}  // namespace

std::string_view to_string(DialogError error) {
  switch (error) {
    case DialogError::NotARequest: return "not a request";
    case DialogError::NotASuccess: return "not a 2xx response";
    case DialogError::AlreadyInDialog: return "request already in a dialog";
    case DialogError::NoLocalTag: return "no local tag";
    case DialogError::NoContact: return "no Contact";
    case DialogError::BadRouteSet: return "bad route set";
    case DialogError::AckOrCancel: return "ACK or CANCEL is not a new request in the dialog";
    case DialogError::NoInvite: return "no INVITE to acknowledge";
  }
  return "unknown";
}

std::vector<std::string> record_route_values(const Message& message) {
  std::vector<std::string> out;
  for (const auto& field : message.headers()) {
    if (field.id != HeaderId::RecordRoute) continue;
    for (const auto value : split_values(field.value)) {
      if (!value.empty()) out.emplace_back(value);
    }
  }
  return out;
}

std::string first_contact_uri(const Message& message) {
  std::string_view rest = header_value(message, HeaderId::Contact);
  const auto first = next_value(rest);
  if (!first || is_star(*first)) return {};
  const auto parsed = parse_name_addr(*first);
  return parsed ? std::string(parsed->uri) : std::string{};
}

Result<Dialog, DialogError> Dialog::uac(const Message& request, const Message& response) {
  if (!request.is_request()) return unexpected(DialogError::NotARequest);
  if (!response.is_response() || response.status_code() < 200 || response.status_code() >= 300) {
    return unexpected(DialogError::NotASuccess);
  }
  Dialog d;
  d.role_ = DialogRole::Uac;
  d.call_id_ = std::string(request.call_id());
  d.local_tag_ = std::string(request.from_tag());
  d.remote_tag_ = std::string(response.to_tag());
  d.local_party_ = std::string(header_value(request, HeaderId::From));
  d.remote_party_ = std::string(header_value(response, HeaderId::To));
  d.local_uri_ = uri_of(d.local_party_);
  d.remote_uri_ = uri_of(header_value(request, HeaderId::To));
  d.remote_target_ = first_contact_uri(response);
  if (d.remote_target_.empty()) d.remote_target_ = std::string(request.request_uri());
  d.route_set_ = record_route_values(response);
  std::reverse(d.route_set_.begin(), d.route_set_.end());
  d.local_cseq_ = request.cseq().number;
  if (request.method() == Method::Invite) d.invite_cseq_ = request.cseq().number;
  return d;
}

Result<Dialog, DialogError> Dialog::uas(const Message& request, std::string_view local_tag) {
  if (!request.is_request()) return unexpected(DialogError::NotARequest);
  if (!request.to_tag().empty()) return unexpected(DialogError::AlreadyInDialog);
  if (local_tag.empty()) return unexpected(DialogError::NoLocalTag);
  Dialog d;
  d.role_ = DialogRole::Uas;
  d.remote_target_ = first_contact_uri(request);
  if (d.remote_target_.empty()) return unexpected(DialogError::NoContact);
  d.call_id_ = std::string(request.call_id());
  d.local_tag_ = std::string(local_tag);
  d.remote_tag_ = std::string(request.from_tag());  // "" from an RFC 2543 peer (§12.1.1)
  const std::string_view to = header_value(request, HeaderId::To);
  d.local_party_.reserve(to.size() + 5 + local_tag.size());
  d.local_party_.append(to).append(";tag=").append(local_tag);
  d.remote_party_ = std::string(header_value(request, HeaderId::From));
  d.local_uri_ = uri_of(to);
  d.remote_uri_ = uri_of(d.remote_party_);
  d.route_set_ = record_route_values(request);
  d.remote_cseq_ = request.cseq().number;
  return d;
}

bool Dialog::matches(const Message& message) const {
  if (message.call_id() != call_id_) return false;
  if (message.is_request()) {
    return message.to_tag() == local_tag_ && message.from_tag() == remote_tag_;
  }
  return message.from_tag() == local_tag_ && message.to_tag() == remote_tag_;
}

Result<DialogTarget, DialogError> Dialog::target() const {
  DialogTarget out;
  if (route_set_.empty()) {
    out.request_uri = remote_target_;
    out.next_hop = remote_target_;
    return out;
  }
  // from the wire (a Record-Route we were sent): untrusted until it parses.
  const auto first = parse_name_addr(route_set_.front());
  if (!first) return unexpected(DialogError::BadRouteSet);
  const auto first_uri = parse_uri(first->uri);
  const bool loose = first_uri && first_uri->param("lr").has_value();
  if (loose) {
    out.request_uri = remote_target_;
    out.routes = route_set_;
  } else {
    // Strict routing: the first route becomes the Request-URI, the remote target the last Route.
    out.request_uri = std::string(first->uri);
    out.routes.assign(route_set_.begin() + 1, route_set_.end());
    out.routes.push_back("<" + remote_target_ + ">");
  }
  out.next_hop = std::string(first->uri);
  return out;
}

std::uint32_t Dialog::next_cseq() {
  local_cseq_ = local_cseq_ ? *local_cseq_ + 1 : 1;
  return *local_cseq_;
}

std::string Dialog::build(std::string_view method, const DialogTarget& target,
                          std::string_view via, std::uint32_t cseq,
                          const std::vector<ExtraHeader>& extra, std::string_view body) const {
  std::vector<ExtraHeader> headers;
  headers.reserve(target.routes.size() + extra.size() + 6);
  headers.push_back({"Via", std::string(via)});
  headers.push_back({"Max-Forwards", "70"});
  for (const auto& route : target.routes) headers.push_back({"Route", route});
  headers.push_back({"From", local_party_});
  headers.push_back({"To", remote_party_});
  headers.push_back({"Call-ID", call_id_});
  headers.push_back({"CSeq", std::to_string(cseq) + " " + std::string(method)});
  headers.insert(headers.end(), extra.begin(), extra.end());
  return sip::make_request(method, target.request_uri, headers, body);
}

Result<std::string, DialogError> Dialog::make_request(std::string_view method, std::string_view via,
                                                      const std::vector<ExtraHeader>& extra,
                                                      std::string_view body) {
  if (method == "ACK" || method == "CANCEL") return unexpected(DialogError::AckOrCancel);
  auto target = this->target();
  if (!target) return unexpected(target.error());
  const std::uint32_t cseq = next_cseq();
  if (method == "INVITE") invite_cseq_ = cseq;
  return build(method, *target, via, cseq, extra, body);
}

Result<std::string, DialogError> Dialog::make_ack(std::string_view via,
                                                  const std::vector<ExtraHeader>& extra,
                                                  std::string_view body) const {
  if (!invite_cseq_) return unexpected(DialogError::NoInvite);
  auto target = this->target();
  if (!target) return unexpected(target.error());
  return build("ACK", *target, via, *invite_cseq_, extra, body);
}

bool Dialog::accept_remote_cseq(const Message& request) {
  const Method method = request.method();
  if (method == Method::Ack || method == Method::Cancel) return true;
  const std::uint32_t number = request.cseq().number;
  if (remote_cseq_ && number < *remote_cseq_) return false;
  remote_cseq_ = number;
  return true;
}

bool Dialog::refresh_target(const Message& message) {
  std::string target = first_contact_uri(message);
  if (target.empty()) return false;
  remote_target_ = std::move(target);
  return true;
}

}  // namespace resproxy::sip
