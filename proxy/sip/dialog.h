#pragma once
// sip::Dialog: a dialog as one of its user agents holds it (RFC 3261 §12). A value type, built
// from the dialog-creating request and its 2xx (the UAC, §12.1.2) or from the request and the tag
// we answer it with (the UAS, §12.1.1): Call-ID, local and remote tags, local and remote URIs and
// their From/To values, the remote target (the peer's Contact), the route set (from Record-Route:
// in order for the UAS, reversed for the UAC), the local and remote CSeq numbers. It builds the
// requests we send in the dialog (§12.2.1.1: BYE, re-INVITE, REFER, NOTIFY …; loose and strict
// routing) and the ACK for a 2xx (§13.2.2.4), matches the requests the peer sends (§12.2.2),
// checks their CSeq order and takes target refreshes (§12.2.1.2, §12.2.2).
//
// Pure: no I/O, no clock, no randomness — branches and tags come from the caller. Header values
// are copied byte-exact from the messages the dialog was built from. Early dialogs (a 1xx with a
// To tag) and the "secure" flag (sips over TLS) are not modelled: a dialog here is confirmed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/message.h"

namespace resproxy::sip {

enum class DialogRole : std::uint8_t { Uac, Uas };

enum class DialogError : std::uint8_t {
  NotARequest,   // the dialog-creating message given as the request is a response
  NotASuccess,   // uac(): the response is not a 2xx response
  AlreadyInDialog,  // uas(): the request's To already has a tag (a mid-dialog request)
  NoLocalTag,    // uas(): no tag to answer with
  NoContact,     // uas(): the request names no usable Contact, so there is no remote target
  BadRouteSet,   // the first route is not a name-addr: no next hop for a request
  AckOrCancel,   // make_request() was asked for ACK (make_ack) or CANCEL (make_cancel, §9.1)
  NoInvite,      // make_ack(): we never sent an INVITE in this dialog
};
std::string_view to_string(DialogError error);

// Every Record-Route value of `message` in order, across all its fields (§12.1.1, §12.1.2), byte
// exact; empty list elements are dropped.
[[nodiscard]] std::vector<std::string> record_route_values(const Message& message);

// The URI of the first Contact value (a remote target, §12.1.1 / §12.1.2); "" when there is no
// Contact, it is "*", or it does not parse.
[[nodiscard]] std::string first_contact_uri(const Message& message);

// Where a request within the dialog goes (§12.2.1.1).
struct DialogTarget {
  std::string request_uri;
  std::vector<std::string> routes;  // the Route header values, in order
  std::string next_hop;             // the URI the request is sent to (§8.1.2): first route or target
};

class Dialog {
 public:
  // §12.1.2: the UAC's dialog from the request it sent (INVITE) and a 2xx to it (the response
  // the transaction layer matched to that request). Local values come from the request, the
  // remote tag and party from the response's To, the remote target from its Contact, the route
  // set from its Record-Route reversed. A 2xx without a To tag gives an empty remote tag (RFC
  // 2543 peers, §12.1.2); one without a usable Contact — which the UAS must send — leaves the
  // request's Request-URI as the remote target (the 2xx is already there and must be ACKed).
  static Result<Dialog, DialogError> uac(const Message& request, const Message& response);
  // §12.1.1: the UAS's dialog from the request it received and `local_tag`, the To tag of its
  // 1xx/2xx. The route set is the request's Record-Route in order; the local CSeq is empty (the
  // first request we send gets 1), the remote one the request's. Errors: a request already in a
  // dialog, no tag, no Contact to reach the peer at.
  static Result<Dialog, DialogError> uas(const Message& request, std::string_view local_tag);

  [[nodiscard]] DialogRole role() const { return role_; }
  [[nodiscard]] const std::string& call_id() const { return call_id_; }
  [[nodiscard]] const std::string& local_tag() const { return local_tag_; }
  [[nodiscard]] const std::string& remote_tag() const { return remote_tag_; }
  // The From value of our requests and the To value of theirs: name-addr with our tag.
  [[nodiscard]] const std::string& local_party() const { return local_party_; }
  // The To value of our requests (with the peer's tag once it has one).
  [[nodiscard]] const std::string& remote_party() const { return remote_party_; }
  [[nodiscard]] const std::string& local_uri() const { return local_uri_; }
  [[nodiscard]] const std::string& remote_uri() const { return remote_uri_; }
  [[nodiscard]] const std::string& remote_target() const { return remote_target_; }
  // name-addr values in the order our requests carry them as Route.
  [[nodiscard]] const std::vector<std::string>& route_set() const { return route_set_; }
  // nullopt: empty (the UAS before it sends a request; the UAC before the peer sends one).
  [[nodiscard]] std::optional<std::uint32_t> local_cseq() const { return local_cseq_; }
  [[nodiscard]] std::optional<std::uint32_t> remote_cseq() const { return remote_cseq_; }
  // The CSeq number of the last INVITE we sent in the dialog (what the ACK for its 2xx carries);
  // nullopt if we sent none (the UAS before a re-INVITE).
  [[nodiscard]] std::optional<std::uint32_t> invite_cseq() const { return invite_cseq_; }

  // §12.2.2: `message` belongs to this dialog — same Call-ID; for a request from the peer our tag
  // in To and theirs in From, for a response to our request the other way round.
  [[nodiscard]] bool matches(const Message& message) const;

  // §12.2.1.1: Request-URI, Route and next hop of a request in the dialog. With a loose-routing
  // first route (;lr) the Request-URI is the remote target; otherwise (strict routing, RFC 2543)
  // the first route becomes the Request-URI and the remote target the last Route.
  [[nodiscard]] Result<DialogTarget, DialogError> target() const;

  // The local CSeq one higher (1 when empty), returned (§12.2.1.1).
  std::uint32_t next_cseq();

  // A request in the dialog (§12.2.1.1): `via` (the full value, our branch in it), Max-Forwards
  // 70, Route…, From, To, Call-ID, CSeq <next local> <method>, then `extra`, then the body. The
  // local CSeq is incremented (not on an error); an INVITE (target refresh) becomes the one
  // make_ack() acknowledges. Not for ACK or CANCEL.
  Result<std::string, DialogError> make_request(std::string_view method, std::string_view via,
                                                const std::vector<ExtraHeader>& extra = {},
                                                std::string_view body = {});
  // The ACK for a 2xx to our last INVITE (§13.2.2.4): sent end to end outside any transaction,
  // with its own branch in `via`, the INVITE's CSeq number and method ACK; the same Request-URI
  // and Route as any request in the dialog. `body`: an answer to an offer in the 2xx.
  [[nodiscard]] Result<std::string, DialogError> make_ack(std::string_view via,
                                                          const std::vector<ExtraHeader>& extra = {},
                                                          std::string_view body = {}) const;

  // §12.2.2 for a request from the peer: false if it is out of order (its CSeq lower than the
  // remote CSeq: answer 500); otherwise its number becomes the remote CSeq. ACK and CANCEL carry
  // an earlier request's number and are always accepted, unrecorded.
  bool accept_remote_cseq(const Message& request);

  // A target refresh (§12.2.1.2, §12.2.2): the Contact of a 2xx to our re-INVITE, or of a
  // re-INVITE (UPDATE) from the peer that we accept, becomes the remote target. The caller says
  // when; false (and no change) when the message has no usable Contact. The route set never
  // changes after the dialog is created.
  bool refresh_target(const Message& message);

  friend bool operator==(const Dialog&, const Dialog&) = default;

 private:
  Dialog() = default;
  std::string build(std::string_view method, const DialogTarget& target, std::string_view via,
                    std::uint32_t cseq, const std::vector<ExtraHeader>& extra,
                    std::string_view body) const;

  DialogRole role_ = DialogRole::Uac;
  std::string call_id_;
  std::string local_tag_;
  std::string remote_tag_;
  std::string local_party_;
  std::string remote_party_;
  std::string local_uri_;
  std::string remote_uri_;
  std::string remote_target_;
  std::vector<std::string> route_set_;
  std::optional<std::uint32_t> local_cseq_;
  std::optional<std::uint32_t> remote_cseq_;
  std::optional<std::uint32_t> invite_cseq_;
};

}  // namespace resproxy::sip
