// libFuzzer target for SDP (proxy/sip/sdp.h) and its media relay rewrite (proxy/sip/
// sdp_rewrite.h): an SDP body is an attacker's bytes. Seeds: tests/fuzz/seeds/fuzz_sdp (realistic
// offers: codecs, ICE, a=rtcp with audio + video, hold, SRTP, IPv6).
// For any input: parse gives a description or an error naming a line of the input, never a crash
// or a sanitizer report. A description that parses serialises to text that parses to the same
// description (and serialises to the same text); media_streams reads one stream per m= line; and
// rewrite_for_relay, towards an IPv4 and an IPv6 relay under both ICE policies, succeeds and gives
// a description that round-trips too, whose relayed streams report the relay's family, address
// (the family's unspecified one for a zero-address hold), ports and their old direction, whose
// other enabled streams kept their address and port, and which holds no ICE once stripped.
#include "tests/fuzz/fuzz_check.h"
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/sip/sdp.h"
#include "proxy/sip/sdp_body.h"
#include "proxy/sip/sdp_rewrite.h"

namespace {

using namespace resproxy::sip;

void check_round_trip(const Sdp& sdp) {
  const std::string text = sdp.to_string();
  const auto again = Sdp::parse(text);
  if (!again)
    std::fprintf(stderr, "%s\n--- does not parse: %s\n", text.c_str(),
                 to_string(again.error()).c_str());
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == sdp);
  FUZZ_CHECK(again->to_string() == text);
}

// Relay ports chosen per line so that every a=rtcp case shows up: a classic pair (no a=rtcp
// added), rtcp-mux style (same port) and an unrelated port (a=rtcp added).
std::vector<RelayedStream> allocate(const std::vector<SdpStream>& streams,
                                    const std::string& address) {
  std::vector<RelayedStream> out(streams.size());
  for (std::size_t i = 0; i < streams.size(); ++i) {
    // Layered lines are refused (SdpRewriteError::LayeredStream): the pipeline leaves them out.
    if (streams[i].disabled || streams[i].port_count > 1) continue;
    const auto rtp = static_cast<std::uint16_t>(20000 + 2 * (i % 10000));
    const auto rtcp = static_cast<std::uint16_t>(i % 3 == 0 ? rtp + 1 : i % 3 == 1 ? rtp : rtp + 9);
    out[i] = RelayedStream{address, rtp, rtcp};
  }
  return out;
}

void check_rewrite(const Sdp& sdp, const std::vector<SdpStream>& before, const std::string& address,
                   IcePolicy ice, std::uint64_t version_offset) {
  const auto relayed = allocate(before, address);
  const auto out = rewrite_for_relay(sdp, relayed, {.ice = ice, .version_offset = version_offset});
  FUZZ_CHECK(out.has_value());
  check_round_trip(*out);
  if (version_offset == 0) FUZZ_CHECK(out->origin == sdp.origin);
  FUZZ_CHECK(out->origin.session_version.size() >= sdp.origin.session_version.size());

  const auto after = media_streams(*out);
  FUZZ_CHECK(after.size() == before.size());
  const bool v6 = address.find(':') != std::string::npos;
  for (std::size_t i = 0; i < after.size(); ++i) {
    const SdpStream& b = before[i];
    const SdpStream& a = after[i];
    FUZZ_CHECK(a.media == b.media && a.proto == b.proto && a.srtp == b.srtp);
    FUZZ_CHECK(a.rtcp_mux == b.rtcp_mux && a.disabled == b.disabled);
    FUZZ_CHECK(a.port_count == b.port_count);
    FUZZ_CHECK(a.direction == b.direction);  // the relay is transparent for hold and resume
    FUZZ_CHECK(a.zero_address_hold == b.zero_address_hold || b.disabled);
    FUZZ_CHECK(ice == IcePolicy::Keep ? a.has_ice == b.has_ice : !a.has_ice);
    if (b.disabled) {
      FUZZ_CHECK(a.port == 0);
      continue;
    }
    if (relayed[i].rtp_port == 0) {  // left alone
      FUZZ_CHECK(a.address == b.address && a.addr_type == b.addr_type && a.port == b.port);
      FUZZ_CHECK(a.rtcp_address == b.rtcp_address && a.rtcp_port == b.rtcp_port);
      continue;
    }
    FUZZ_CHECK(a.addr_type == (v6 ? "IP6" : "IP4"));
    FUZZ_CHECK(a.address == (b.zero_address_hold ? (v6 ? "::" : "0.0.0.0") : address));
    FUZZ_CHECK(a.port == relayed[i].rtp_port);
    FUZZ_CHECK(a.rtcp_port == relayed[i].rtcp_port);
    FUZZ_CHECK(a.rtcp_address == a.address || a.rtcp_address == address);
  }
}

}  // namespace

// The input as a message body (sdp_body.h): typed by its first line when that starts "CT:", else
// as multipart/mixed with boundary "sip-i". A found SDP lies inside the body; replacing it changes
// only those bytes, and the same body with another SDP in its place has it found there again.
void check_body(std::string_view input) {
  std::string_view type = "multipart/mixed;boundary=sip-i";
  std::string_view body = input;
  if (input.starts_with("CT:")) {
    const std::size_t eol = std::min(input.find('\n'), input.size());
    type = input.substr(3, eol - 3);
    body = input.substr(std::min(eol + 1, input.size()));
  }
  (void)content_type_parameter(type, "boundary");
  const auto place = find_sdp(type, body);
  if (!place) return;
  FUZZ_CHECK(place->offset <= body.size() && place->size <= body.size() - place->offset);
  FUZZ_CHECK(place->size > 0);
  const std::string_view sdp = "v=0\r\n";
  const std::string replaced = replace_sdp(body, *place, sdp);
  if (!place->in_multipart) {
    FUZZ_CHECK(replaced == sdp);
    return;
  }
  FUZZ_CHECK(replaced.size() == body.size() - place->size + sdp.size());
  FUZZ_CHECK(std::string_view(replaced).substr(0, place->offset) == body.substr(0, place->offset));
  FUZZ_CHECK(std::string_view(replaced).substr(place->offset + sdp.size()) ==
             body.substr(place->offset + place->size));
  const auto again = find_sdp(type, replaced);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->offset == place->offset && again->size == sdp.size() && again->in_multipart);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_body(input);
  const auto parsed = Sdp::parse(input);
  if (!parsed) {
    FUZZ_CHECK(!to_string(parsed.error()).empty());
    FUZZ_CHECK(parsed.error().line <=
               static_cast<std::size_t>(std::count(input.begin(), input.end(), '\n')) + 1);
    return 0;
  }
  const Sdp& sdp = *parsed;
  check_round_trip(sdp);

  const auto streams = media_streams(sdp);
  FUZZ_CHECK(streams.size() == sdp.media.size());
  const bool any_enabled =
      std::any_of(streams.begin(), streams.end(), [](const SdpStream& s) { return !s.disabled; });
  for (const SdpStream& s : streams) {
    FUZZ_CHECK(s.disabled == (s.port == 0));
    FUZZ_CHECK(!s.disabled || s.rtcp_port == 0);
    FUZZ_CHECK(!s.address.empty() && !s.rtcp_address.empty());  // parse guarantees a c=
    (void)is_private_or_unusable(s.address);
  }
  FUZZ_CHECK(needs_relay(MediaRelayPolicy::Always, streams, false) == any_enabled);
  FUZZ_CHECK(!needs_relay(MediaRelayPolicy::Never, streams, true));
  FUZZ_CHECK(needs_relay(MediaRelayPolicy::WhenNatted, streams, true) == any_enabled);
  (void)needs_relay(MediaRelayPolicy::WhenNatted, streams, false);

  const std::uint64_t offset = size % 3;
  for (const std::string address : {"203.0.113.1", "2001:db8::1"}) {
    for (IcePolicy ice : {IcePolicy::Strip, IcePolicy::Keep})
      check_rewrite(sdp, streams, address, ice, offset);
  }
  return 0;
}
