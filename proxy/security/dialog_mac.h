#pragma once
// Dialog MACs: stateless proof that an in-dialog request reached us along our own Record-Route
// and goes to the next hop of that dialog.
//
// When we record-route a dialog we put `;rp=<tag>` in our Record-Route URI. In the request
// (which the callee keeps as its route set) the tag names the hop back toward the caller (the
// previous proxy's Record-Route, or the caller's Contact); in the responses we relay (which the
// caller keeps) we rewrite it to name the hop toward the callee (RFC 3261 §16.7 step 4 allows a
// proxy to rewrite its own Record-Route value in a response). A request that comes back along
// our Route is then relayed to its next hop only when the tag is a MAC of its Call-ID and that
// very hop: nobody can borrow our Record-Route to reach another host, such as the PSTN gateway.
//
// tag = one character naming the key generation + 16 hex digits of SipHash-2-4(key,
// Call-ID "\n" host ":" port). Keys are 128 bits from the Rng, kept durably by the proxy so
// dialogs survive a restart, and rotated: the current and the previous generation verify.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/base/rng.h"
#include "proxy/base/siphash.h"
#include "proxy/sip/uri.h"

namespace resproxy::security {

// The name of our Record-Route URI parameter that carries the tag.
inline constexpr std::string_view kDialogMacParam = "rp";

// "host:port" of a URI as the MAC covers it: host lower-case without IPv6 brackets, the port or
// the scheme's default (5060, 5061 for sips).
[[nodiscard]] std::string canonical_hop(const sip::Uri& uri);

class DialogMac {
 public:
  // A first key, drawn from `rng`.
  static DialogMac generate(Rng& rng);
  // The stored form (encode()) back; nullopt if it is not one.
  static std::optional<DialogMac> decode(std::string_view stored);
  [[nodiscard]] std::string encode() const;

  // A new current key; the current one becomes the previous (still verifies), the previous
  // one is forgotten.
  void rotate(Rng& rng);

  [[nodiscard]] std::string seal(std::string_view call_id, std::string_view hop) const;
  [[nodiscard]] bool verify(std::string_view tag, std::string_view call_id, std::string_view hop) const;
  [[nodiscard]] std::uint32_t generation() const { return generation_; }

 private:
  struct Key {
    std::uint32_t generation = 0;
    SipKey key;
  };
  [[nodiscard]] static std::string tag_for(const Key& key, std::string_view call_id, std::string_view hop);
  std::uint32_t generation_ = 0;
  SipKey current_;
  std::optional<Key> previous_;
};

}  // namespace resproxy::security
