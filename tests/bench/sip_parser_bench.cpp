// SIP parser throughput (messages per second on one core; items_per_second in the report).
// Target: one million typical INVITEs per second. Each iteration copies the datagram into the
// std::string the Message will own (as the transport does) and parses it.
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "proxy/sip/builder.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/message.h"
#include "proxy/sip/uri.h"

namespace {

using namespace resproxy::sip;

// A typical INVITE as a phone sends it through one proxy: 2 Vias, Record-Route, SDP offer.
constexpr std::string_view kInvite =
    "INVITE sip:bob@biloxi.example.com;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP proxy.atlanta.example.com:5060;branch=z9hG4bK77ef4c2312983.1;rport\r\n"
    "Via: SIP/2.0/UDP 192.0.2.101:5060;received=192.0.2.101;branch=z9hG4bKnashds8;rport=5060\r\n"
    "Max-Forwards: 69\r\n"
    "Record-Route: <sip:proxy.atlanta.example.com;lr>\r\n"
    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "To: <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.101:5060;transport=udp>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY, MESSAGE\r\n"
    "Supported: replaces, timer, 100rel, norefersub\r\n"
    "User-Agent: ExamplePhone/5.2.1 (build 20240101)\r\n"
    "Session-Expires: 1800\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 251\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0 8 18 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

constexpr std::string_view kRegister =
    "REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.201:5060;branch=z9hG4bKnashds7;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: \"Bob\" <sip:bob@biloxi.example.com>\r\n"
    "From: \"Bob\" <sip:bob@biloxi.example.com>;tag=456248\r\n"
    "Call-ID: 843817637684230@998sdasdh09\r\n"
    "CSeq: 1826 REGISTER\r\n"
    "Contact: <sip:bob@192.0.2.201:5060;transport=udp>;expires=3600\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY\r\n"
    "User-Agent: ExamplePhone/5.2.1\r\n"
    "Expires: 3600\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

void parse_loop(benchmark::State& state, std::string_view message) {
  for (auto _ : state) {
    auto m = Message::parse(std::string(message));
    if (!m) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
}

void BM_ParseInvite(benchmark::State& state) { parse_loop(state, kInvite); }
BENCHMARK(BM_ParseInvite);

void BM_ParseRegister(benchmark::State& state) { parse_loop(state, kRegister); }
BENCHMARK(BM_ParseRegister);

// Parse plus what a proxy's routing step reads lazily: the Request-URI and the Contact.
void BM_ParseInviteWithLazyFields(benchmark::State& state) {
  for (auto _ : state) {
    auto m = Message::parse(std::string(kInvite));
    if (!m) state.SkipWithError("parse failed");
    auto ruri = parse_uri(m->request_uri());
    benchmark::DoNotOptimize(ruri);
    auto contact = parse_name_addr(m->first(HeaderId::Contact)->value);
    auto contact_uri = parse_uri(contact->uri);
    benchmark::DoNotOptimize(contact_uri);
    auto transport = ruri->param("transport");
    benchmark::DoNotOptimize(transport);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseInviteWithLazyFields);

void BM_MakeTryingResponse(benchmark::State& state) {
  auto m = Message::parse(std::string(kInvite));
  for (auto _ : state) {
    auto response = make_response(*m, 100, "", "");
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MakeTryingResponse);

void BM_CopyMessage(benchmark::State& state) {
  auto m = Message::parse(std::string(kInvite));
  for (auto _ : state) {
    Message copy = *m;
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyMessage);

}  // namespace

BENCHMARK_MAIN();
