#pragma once
// A ProxyNode on a hand-stepped clock with scripted phones: feed it what phones send, look at
// what it sends, answer its store writes. Never sleeps.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/native/openssl_crypto.h"
#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/routing/proxy_node.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/sdp_body.h"

namespace resproxy::routing::testing {

using namespace std::chrono_literals;

inline const Address kProxy{"192.168.1.10", 5060};

struct Phone {
  std::string user;
  Address address;
  Transport transport = Transport::Udp;
  StreamId stream{};
  std::uint32_t interface = 0;  // the interface its messages arrive on (0: unknown)
  [[nodiscard]] Path path() const {
    // TLS arrives on the proxy's TLS port (5061 unless configured otherwise).
    const Address local = transport == Transport::Tls ? Address{kProxy.ip, 5061} : kProxy;
    return Path{transport, local, address, stream, interface};
  }
  [[nodiscard]] std::string contact() const {
    return "sip:" + user + "@" + address.to_string() +
           (transport == Transport::Tcp   ? ";transport=tcp"
            : transport == Transport::Tls ? ";transport=tls"
                                          : "");
  }
  [[nodiscard]] std::string via(std::string_view branch) const {
    return std::string("SIP/2.0/") + std::string(resproxy::to_string(transport)) + " " +
           address.to_string() + ";branch=" + std::string(branch) + ";rport";
  }
};

// The ITSP of the routing tests: one proxy, itsp.example at 198.51.100.10:5060 over UDP, probed
// every 30 s (5 s while down, a 1 s probe timeout), down after 2 failed probes, live traffic
// failed over after 2 s without any answer. Tests add what they need (the PSTN gateway, NAT).
inline const Address kTestItspAddress{"198.51.100.10", 5060};
inline ProxyConfig itsp_test_config(ProxyMode mode);

inline Phone alice() { return {"2001", {"192.168.1.21", 5060}}; }
inline Phone bob() { return {"2002", {"192.168.1.22", 5062}}; }

class ProxyFixture {
 public:
  explicit ProxyFixture(ProxyConfig config = default_config(), std::vector<StoreRecord> stored = {},
                        std::uint64_t seed = 7)
      : rng(seed), node(config, std::move(stored), rng, native::openssl_crypto(), trace) {
    // What the node writes at start (its dialog MAC key) is kept apart from what tests count.
    drain();
    startup_writes = std::move(writes);
    writes.clear();
  }

  static ProxyConfig default_config() {
    ProxyConfig c;
    c.realm = "office.example";
    c.local = kProxy;
    return c;
  }

  TimePoint now{std::chrono::hours(1)};
  SeededRng rng;
  RecordingTraceSink trace;
  ProxyNode node;
  std::vector<Effect> out;        // everything not yet looked at
  std::vector<StoreWrite> writes;  // every StoreWrite seen after start
  std::vector<Effect> media_ports;  // OpenMediaPort and CloseMediaPort, not yet looked at
  std::vector<StoreWrite> startup_writes;
  bool auto_store = true;          // answer StoreWrites Ok at once
  int cseq = 0;
  std::uint64_t command_id = 0;

  void drain() {
    bool again = true;
    while (again) {
      again = false;
      while (auto e = node.next_effect()) {
        if (std::holds_alternative<OpenMediaPort>(*e) || std::holds_alternative<CloseMediaPort>(*e)) {
          media_ports.push_back(std::move(*e));  // the media relay's (media_relay_test.cpp)
          continue;
        }
        if (auto* w = std::get_if<StoreWrite>(&*e)) {
          writes.push_back(*w);
          if (auto_store) {
            pending_ok.push_back(w->id);
          }
          continue;
        }
        out.push_back(std::move(*e));
      }
      if (!pending_ok.empty()) {
        auto ids = std::move(pending_ok);
        pending_ok.clear();
        for (auto id : ids) node.on_completion(now, StoreDone{id, StoreOutcome::Ok});
        again = true;
      }
    }
  }
  void receive(const Phone& from, std::string_view bytes) {
    if (is_stream(from.transport)) {
      node.on_stream_data(now, from.stream, bytes);
    } else {
      node.on_datagram(now, from.path(), bytes);
    }
    drain();
  }
  void open_tcp(Phone& phone, std::uint64_t id, Transport transport = Transport::Tcp) {
    phone.transport = transport;
    phone.stream = StreamId{id};
    node.on_stream_opened(now, phone.path());
    drain();
  }
  // A management command; its reply (drained from `out`). One that waits for a store write is
  // answered once drain() answered the write (auto_store), i.e. before this returns.
  admin::Result command(admin::Request request) {
    const std::uint64_t id = ++command_id;
    node.on_command(now, AdminCommand{id, std::move(request)});
    drain();
    return take_reply(id).value_or(admin::Result{admin::Unsupported{}});
  }
  std::optional<admin::Result> take_reply(std::uint64_t id) {
    for (auto it = out.begin(); it != out.end(); ++it) {
      if (auto* r = std::get_if<CommandReply>(&*it); r != nullptr && r->id == id) {
        admin::Result result = std::move(r->result);
        out.erase(it);
        return result;
      }
    }
    return std::nullopt;
  }
  template <typename T>
  T command_as(admin::Request request) {
    auto result = command(std::move(request));
    if (auto* typed = std::get_if<T>(&result)) return std::move(*typed);
    ADD_FAILURE() << "the command's reply has another type (index " << result.index() << ")";
    return T{};
  }
  admin::Registrations show_reg() { return command_as<admin::Registrations>(admin::ShowRegistrations{}); }
  std::uint64_t counter(std::string_view name) {
    for (const auto& v : node.counter_values().values) {
      if (v.name == name) return v.value;
    }
    ADD_FAILURE() << "no counter " << name;
    return 0;
  }

  void advance(Duration d) {
    const TimePoint until = now + d;
    while (auto deadline = node.next_deadline()) {
      if (*deadline > until) break;
      now = std::max(now, *deadline);
      node.on_deadline(now);
      drain();
    }
    now = until;
  }

  // Messages sent (datagrams or stream writes), parsed, optionally only those to `to`.
  struct Sent {
    std::string bytes;
    Address to;
    StreamId stream;
  };
  std::vector<Sent> take_sent() {
    std::vector<Sent> sent;
    for (auto& e : out) {
      if (auto* d = std::get_if<SendDatagram>(&e)) sent.push_back({d->bytes, d->remote, {}});
      if (auto* w = std::get_if<WriteStream>(&e)) sent.push_back({w->bytes, {}, w->stream});
    }
    out.clear();
    return sent;
  }
  // The single message sent that starts with `prefix`; fails the test otherwise.
  Sent expect_one(std::string_view prefix) {
    auto sent = take_sent();
    std::vector<Sent> match;
    for (auto& s : sent) {
      if (std::string_view(s.bytes).starts_with(prefix)) match.push_back(s);
    }
    EXPECT_EQ(match.size(), 1u) << "messages starting with '" << prefix << "': " << match.size()
                                << " of " << sent.size();
    return match.empty() ? Sent{} : match.front();
  }

  std::string register_request(const Phone& phone, int expires = 3600, std::string contact = {},
                               std::string call_id = {}) {
    const std::string branch = "z9hG4bKreg" + std::to_string(++cseq);
    return sip::make_request(
        "REGISTER", "sip:office.example",
        {{"Via", phone.via(branch)},
         {"Max-Forwards", "70"},
         {"From", "<sip:" + phone.user + "@office.example>;tag=r" + phone.user},
         {"To", "<sip:" + phone.user + "@office.example>"},
         {"Call-ID", call_id.empty() ? "reg-" + phone.user : call_id},
         {"CSeq", std::to_string(cseq) + " REGISTER"},
         {"Contact", contact.empty() ? "<" + phone.contact() + ">" : contact},
         {"Expires", std::to_string(expires)}});
  }
  void register_phone(const Phone& phone) {
    receive(phone, register_request(phone));
    auto ok = expect_one("SIP/2.0 200");
    ASSERT_FALSE(ok.bytes.empty());
  }
  std::string invite(const Phone& from, std::string_view to_uri, std::string_view branch,
                     std::vector<sip::ExtraHeader> extra = {}) {
    std::vector<sip::ExtraHeader> headers = {
        {"Via", from.via(branch)},
        {"Max-Forwards", "70"},
        {"From", "<sip:" + from.user + "@office.example>;tag=f" + from.user},
        {"To", "<" + std::string(to_uri) + ">"},
        {"Call-ID", "call-" + std::string(branch)},
        {"CSeq", "1 INVITE"},
        {"Contact", "<" + from.contact() + ">"},
        {"Content-Type", "application/sdp"}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return sip::make_request("INVITE", to_uri, headers, "v=0\r\n");
  }

 private:
  std::vector<std::uint64_t> pending_ok;
};

inline ProxyConfig itsp_test_config(ProxyMode mode) {
  ProxyConfig c = ProxyFixture::default_config();
  c.mode = mode;
  ItspTarget t;
  t.name = "itsp.example";
  t.destination = transport::Destination{Transport::Udp, kTestItspAddress, StreamId{}};
  c.itsp.monitor.targets.push_back(t);
  c.itsp.monitor.probe_timeout = 1s;
  c.itsp.monitor.health.probe_interval = 30s;
  c.itsp.monitor.health.probe_interval_down = 5s;
  c.itsp.monitor.health.failures_to_down = 2;
  c.itsp.answer_timeout = 2s;
  c.itsp.itsp_down_reg_expires = 60s;
  return c;
}

inline sip::Message parse(std::string_view bytes) {
  auto m = sip::Message::parse(std::string(bytes));
  EXPECT_TRUE(m.has_value()) << bytes;
  return std::move(m).value();
}

// SIP-I (ITU-T Q.1912.5) as a PSTN gateway or carrier sends it: `sdp` beside an ISUP IAM (binary:
// a NUL, CR and LF among its bytes) in a multipart/mixed body of Content-Type kSipIContentType.
inline constexpr const char* kSipIContentType = "multipart/mixed;boundary=sip-i";
inline std::string sip_i_body(const std::string& sdp) {
  const std::string isup("\x01\x00\x49\x00\x00\x03\x02\x00\x07\x03\x10\x0d\x0a\x21", 14);
  return "--sip-i\r\nContent-Type: application/sdp\r\n\r\n" + sdp +
         "\r\n--sip-i\r\nContent-Type: application/ISUP;version=itu-t92+\r\n"
         "Content-Disposition: signal;handling=optional\r\n\r\n" +
         isup + "\r\n--sip-i--\r\n";
}
// The SDP part of a message's multipart body, as text ("" when there is none).
inline std::string sdp_part(const sip::Message& m) {
  const auto* type = m.first(sip::HeaderId::ContentType);
  const auto place = type ? sip::find_sdp(type->value, m.body()) : std::nullopt;
  return place && place->in_multipart ? std::string(m.body().substr(place->offset, place->size)) : std::string();
}

}  // namespace resproxy::routing::testing
