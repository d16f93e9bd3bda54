#include "harness/scenario_runner.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include <ns3/simulator.h>

#include "harness/run_recorder.h"
#include "harness/scenario_audio.h"
#include "harness/scenario_dns.h"
#include "harness/scenario_pstn.h"
#include "model/fault_schedule.h"
#include "model/faulty_node.h"
#include "model/memory_store.h"
#include "model/office_network.h"
#include "model/simulation.h"
#include "model/traffic.h"
#include "model/ua_phone.h"
#include "proxy/gateway/gateway_node.h"
#include "proxy/native/openssl_crypto.h"
#include "proxy/routing/proxy_node.h"
#include "sim_hardware/host/telephony_host.h"

namespace resproxy::harness {

namespace {

using namespace std::chrono_literals;
using namespace runner;

// Explicit ns-3 streams (ns-3 notes §6): every random variable has its own.
constexpr std::int64_t kResproxyStream = 1;
constexpr std::int64_t kItspStream = 2;
constexpr std::int64_t kTrafficStream = 3;
constexpr std::int64_t kFaultStream = 4;
constexpr std::int64_t kGatewayStream = 5;
constexpr std::int64_t kPstnStream = 6;
constexpr std::int64_t kPstnInboundStream = 7;  // the office gateway's calls to office numbers
constexpr std::int64_t kExchangeStream = 8;      // pstn: the emulated exchange (answer delays)
constexpr std::int64_t kAudioStream = 9;         // audio: RTP streams' SSRCs, sequences, timestamps
constexpr std::int64_t kRemoteCallerStream = 10;   // + caller index (< 1000)
constexpr std::int64_t kLinkStream = 2000;         // two per link
constexpr std::int64_t kPhoneStream = 200'000;     // + phone index
constexpr std::int64_t kInternetStream = 1'000'000;

constexpr std::uint16_t kSipPort = 5060;
constexpr std::uint16_t kRemoteCallerPort = 5100;

struct PhoneSlot {
  model::UaPhone* phone = nullptr;
  std::string user;
};

std::string classify(const std::string& from_kind, const std::string& to_user,
                     const std::set<std::string>& office, const std::vector<std::string>& emergency) {
  if (from_kind == "remote") return "inbound";
  if (from_kind == "gateway") return office.contains(to_user) ? "pstn_inbound" : "pstn_unassigned";
  if (std::find(emergency.begin(), emergency.end(), to_user) != emergency.end()) return "emergency";
  if (office.contains(to_user)) return "internal";
  return "outbound";
}

}  // namespace

void tally_route_decision(const TraceEvent& event, RouteDecisionTally& tally) {
  if (event.name != "route.decided" || field(event, "source") != "gateway") return;
  ++tally.from_gateway;
  if (field(event, "action") == "gateway") ++tally.gateway_loops;
}

RunData run_scenario(const Scenario& s, std::uint32_t seed, const RunOptions& options) {
  RunData out;
  out.scenario = s.name;
  out.title = s.title;
  out.seed = seed;
  out.duration_s = s.duration_s;
  out.phones = s.phones;

  double ladder_from = 0;
  if (s.ladder_at_s) {
    ladder_from = *s.ladder_at_s;
  } else if (!s.faults.empty()) {
    ladder_from = s.faults.front().start_s;
    for (const auto& f : s.faults) ladder_from = std::min(ladder_from, f.start_s);
  }
  Recorder recorder(options.keep_trace, at_seconds(ladder_from));
  model::MemoryStore resproxy_store;  // outlive the simulation (SetStore contract)
  model::MemoryStore itsp_store;
  const Address resproxy_address{model::OfficeNetwork::resproxy_ip(), kSipPort};
  const Address itsp_address{model::OfficeNetwork::itsp_ip(), kSipPort};
  const Address gateway_address{model::OfficeNetwork::gateway_ip(), kSipPort};
  const Address pstn_address{model::OfficeNetwork::remote_ip(), kSipPort};
  recorder.set_addresses(itsp_address, gateway_address);

  model::Simulation sim(seed, 1);
  model::OfficeNetworkConfig network_config = s.network;
  network_config.first_link_stream = kLinkStream;
  network_config.first_internet_stream = kInternetStream;
  model::OfficeNetwork network(network_config);
  const ns3::Time stop = ns3::MilliSeconds(std::llround(s.duration_s * 1000));
  std::optional<AudioRig> audio;
  if (s.audio_talk_s) {
    audio.emplace(Duration{std::llround(*s.audio_talk_s * 1e9)}, stop, sim.rng(kAudioStream));
  }

  const auto install = [&](ns3::Ptr<ns3::Node> node, std::unique_ptr<resproxy::Node> core,
                           const std::string& name, const Address& address) {
    auto app = model::install_sip_node(node, std::move(core), ns3::Seconds(0), stop, address.port);
    recorder.name_address(address, name);
    app->SetSendTap([&recorder, name](const Address& remote, std::string_view bytes) {
      recorder.on_send(name, remote, bytes);
    });
    return app;
  };

  // resproxy: the production core on the daemon's configuration.
  routing::ProxyConfig resproxy_config = s.resproxy.proxy;
  resproxy_config.local = resproxy_address;
  auto resproxy_owned = std::make_unique<routing::ProxyNode>(
      resproxy_config, resproxy_store.load_all(), sim.rng(kResproxyStream), native::openssl_crypto(),
      recorder.sink_for("resproxy"));
  routing::ProxyNode& resproxy = *resproxy_owned;
  auto resproxy_faulty = std::make_unique<model::FaultyNode>(std::move(resproxy_owned));
  model::FaultyNode* resproxy_process = resproxy_faulty.get();
  auto resproxy_app = install(network.resproxy_node(), std::move(resproxy_faulty), "resproxy", resproxy_address);
  resproxy_app->SetStore(&resproxy_store);
  if (auto dns = resproxy_dns_client(s)) resproxy_app->SetDnsClient(*dns);
  const auto dns_server = install_dns_server(s, network, stop);

  // The ITSP: the same core, standalone, realm = the ITSP's domain, inside a FaultyNode.
  routing::ProxyConfig itsp_config = s.itsp.proxy;
  itsp_config.local = itsp_address;
  auto itsp_owned = std::make_unique<routing::ProxyNode>(
      itsp_config, itsp_store.load_all(), sim.rng(kItspStream), native::openssl_crypto(),
      recorder.sink_for("itsp"));
  routing::ProxyNode& itsp = *itsp_owned;
  auto itsp_faulty = std::make_unique<model::FaultyNode>(std::move(itsp_owned));
  model::FaultyNode* itsp_process = itsp_faulty.get();
  auto itsp_app = install(network.itsp_node(), std::move(itsp_faulty), "itsp", itsp_address);
  itsp_app->SetStore(&itsp_store);
  schedule_itsp_move(s, network, itsp_app, itsp);

  const auto make_ua = [&](const std::string& user, const Address& local,
                           std::optional<Address> outbound, bool multi_line, std::int64_t stream,
                           const std::string& name, ns3::Ptr<ns3::Node> node, Transport transport,
                           double answer_delay_ms,
                           const std::function<void(model::UaPhoneConfig&)>& tweak) {
    model::UaPhoneConfig c;
    c.user = user;
    c.domain = s.domain;
    c.local = local;
    c.outbound_proxy = outbound;
    c.transport = transport;
    c.ring_delay = std::chrono::microseconds(std::llround(s.ring_delay_ms * 1000));
    c.answer_delay = std::chrono::microseconds(std::llround(answer_delay_ms * 1000));
    c.register_expires = std::chrono::seconds(std::llround(s.register_expires_s));
    c.multi_line = multi_line;
    if (audio) c.media_port = audio->next_port(node);
    if (tweak) tweak(c);
    const std::uint16_t media_port = c.media_port;
    auto phone = std::make_unique<model::UaPhone>(std::move(c), sim.rng(stream), recorder.sink_for(name));
    model::UaPhone* raw = phone.get();
    install(node, std::move(phone), name, local);
    if (audio) audio->attach(*raw, name, node, local.ip, media_port);
    return raw;
  };

  // The office PSTN gateway and the PSTN beyond the ITSP: answer every call, many at once.
  // With inbound PSTN traffic the gateway also places calls, through resproxy.
  const bool gateway_calls =
      s.pstn_inbound_per_hour > 0 ||
      std::any_of(s.scripted.begin(), s.scripted.end(), [](const ScriptedCall& c) { return c.from == "gateway"; });
  const std::optional<Address> gateway_outbound =
      gateway_calls ? std::optional<Address>(resproxy_address) : std::nullopt;
  // With a pstn: block, the real gateway core on emulated cards in an emulated exchange instead.
  model::UaPhone* gateway = nullptr;
  resproxy::gateway::GatewayNode* gateway_core = nullptr;
  ns3::Ptr<model::SipNodeApplication> gateway_app;
  if (s.pstn.enabled) {
    auto created = telephony::TelephonyHost::create(pstn_hardware(s), sim.rng(kExchangeStream),
                                                    recorder.sink_for("pstn"));
    if (!created) throw std::runtime_error(s.file + ": pstn: " + telephony::to_string(created.error()));
    auto host = std::move(created).value();
    auto core = std::make_unique<resproxy::gateway::GatewayNode>(
        pstn_gateway(s, gateway_address, resproxy_address), host->spans(), sim.rng(kGatewayStream),
        recorder.sink_for("gateway"));
    gateway_core = core.get();
    gateway_app = install(network.gateway_node(), std::move(core), "gateway", gateway_address);
    gateway_app->SetTelephonyHost(std::move(host));
    if (audio) audio->bridge_gateway(*gateway_app, gateway_address.ip);
  } else {
    gateway = make_ua("gateway", gateway_address, gateway_outbound, true, kGatewayStream, "gateway",
                      network.gateway_node(), Transport::Udp, s.gateway_answer_delay_ms, {});
  }
  // A PSTN subscriber calls office number `user` (pstn: through the exchange and the DDI block).
  const auto pstn_originate = [&](TimePoint at, const std::string& user, const std::string& caller,
                                  Duration held) {
    exchange::PstnCall call;
    call.calling = {.digits = caller, .type = resproxy::gateway::NumberType::National,
                    .restricted = false, .available = true};
    call.called = std::string(kDdiPrefix) + user;
    call.hold_time = exchange::DurationRange::fixed(held);
    ns3::Simulator::Schedule(model::to_ns3(at.time_since_epoch()), [app = gateway_app, call] {
      app->InjectTelephony([call](telephony::TelephonyHost& host, TimePoint now) {
        (void)host.originate(now, call);
      });
    });
  };
  make_ua("pstn", pstn_address, std::nullopt, true, kPstnStream, "pstn", network.remote_node(),
          Transport::Udp, s.gateway_answer_delay_ms, {});
  std::vector<model::UaPhone*> remote_callers;
  for (std::size_t k = 0; k < s.remote_callers; ++k) {
    const Address local{model::OfficeNetwork::remote_ip(), static_cast<std::uint16_t>(kRemoteCallerPort + k)};
    remote_callers.push_back(make_ua("0201555" + std::to_string(1000 + k), local, itsp_address, true,
                                     kRemoteCallerStream + static_cast<std::int64_t>(k),
                                     "caller-" + std::to_string(k + 1), network.remote_node(),
                                     Transport::Udp, s.answer_delay_ms, {}));
  }

  // The office phones: `phones_per_host` per host, ports 5060, 5061, …; the last ones (nat:) at
  // home, behind their home's NAT.
  Rng& traffic = sim.rng(kTrafficStream);
  std::vector<PhoneSlot> phones;
  std::set<std::string> office_users;
  phones.reserve(s.phones);
  std::vector<std::string> peers;  // every office AOR: who may be transferred, and where to
  if (s.transfer_share > 0) {
    for (std::size_t i = 0; i < s.phones; ++i) {
      peers.push_back("sip:" + std::to_string(s.first_number + i) + "@" + s.domain);
    }
  }
  for (std::size_t i = 0; i < s.phones; ++i) {
    const std::size_t host = i / s.phones_per_host;
    const auto home = s.home_of(i);
    const Address local = home ? Address{model::OfficeNetwork::home_host_ip(home->first),
                                         static_cast<std::uint16_t>(kSipPort + home->second)}
                               : Address{model::OfficeNetwork::phone_host_ip(host),
                                         static_cast<std::uint16_t>(kSipPort + i % s.phones_per_host)};
    const std::string user = std::to_string(s.first_number + i);
    const auto tweak = [&](model::UaPhoneConfig& c) {
      if (phone_has_credentials(s, i)) c.password = s.password;
      if (home && s.homes[home->first].register_expires_s) {
        c.register_expires = std::chrono::milliseconds(std::llround(*s.homes[home->first].register_expires_s * 1000));
      }
      if (s.transfer_share > 0) {
        c.transfer.share = s.transfer_share;
        c.transfer.after = std::chrono::microseconds(std::llround(s.transfer_after_s * 1e6));
        c.transfer.peers = peers;
      }
    };
    model::UaPhone* phone = make_ua(user, local, resproxy_address, false,
                                    kPhoneStream + static_cast<std::int64_t>(i), "phone-" + user,
                                    home ? network.home_host(home->first) : network.phone_host(host),
                                    phone_uses_tcp(s, i) ? Transport::Tcp : Transport::Udp, s.answer_delay_ms, tweak);
    phones.push_back({phone, user});
    office_users.insert(user);
    phone->register_at(at_seconds(s.register_start_s + s.register_spread_s * model::uniform01(traffic)));
  }

  // Traffic: Poisson busy hour per phone, inbound from the remote callers, scripted calls.
  const std::string emergency =
      s.resproxy.proxy.emergency_numbers.empty() ? "112" : s.resproxy.proxy.emergency_numbers.front();
  const TimePoint traffic_start = at_seconds(s.traffic_start_s);
  const TimePoint traffic_stop = at_seconds(s.traffic_stop_s);
  const auto hold = [&] {
    return Duration{std::llround(model::exponential(traffic, s.hold_mean_s) * 1e9)};
  };
  const auto target = [&](const std::string& user) { return "sip:" + user + "@" + s.domain; };
  for (std::size_t i = 0; i < phones.size(); ++i) {
    for (TimePoint at : model::poisson_arrivals(traffic, s.calls_per_phone_per_hour, traffic_start, traffic_stop)) {
      const double u = model::uniform01(traffic);
      std::string to;
      if (u < s.mix_internal && phones.size() > 1) {
        std::size_t j = traffic.uniform(phones.size() - 1);
        if (j >= i) ++j;
        to = phones[j].user;
      } else if (u < s.mix_internal + s.mix_outbound || u >= 1.0 - 1e-12 || s.mix_emergency <= 0) {
        to = "0" + std::to_string(100000000 + traffic.uniform(900000000));
      } else {
        to = emergency;
      }
      phones[i].phone->schedule_call(model::CallPlan{at, target(to), hold()});
    }
  }
  if (!phones.empty()) {
    std::size_t k = 0;
    for (TimePoint at : model::poisson_arrivals(traffic, s.inbound_per_hour, traffic_start, traffic_stop)) {
      const std::size_t j = traffic.uniform(phones.size());
      remote_callers[k++ % remote_callers.size()]->schedule_call(
          model::CallPlan{at, target(phones[j].user), hold()});
    }
  }
  // Inbound PSTN calls: the office gateway presents a PSTN caller and dials an office number, or
  // (pstn_unassigned_share) a number in the office's range that nobody has.
  if (s.pstn_inbound_per_hour > 0 && !phones.empty()) {
    Rng& pstn = sim.rng(kPstnInboundStream);
    for (TimePoint at : model::poisson_arrivals(pstn, s.pstn_inbound_per_hour, traffic_start, traffic_stop)) {
      std::string to;
      if (model::uniform01(pstn) < s.pstn_unassigned_share) {
        to = std::to_string(s.first_number + s.phones + pstn.uniform(1000));
      } else {
        to = phones[pstn.uniform(phones.size())].user;
      }
      const std::string caller = "0" + std::to_string(100000000 + pstn.uniform(900000000));
      const Duration held{std::llround(model::exponential(pstn, s.hold_mean_s) * 1e9)};
      if (gateway_app) {
        pstn_originate(at, to, caller, held);
      } else {
        gateway->schedule_call(model::CallPlan{at, target(to), held, caller});
      }
    }
  }
  for (const auto& call : s.scripted) {
    const bool from_gateway = call.from == "gateway";
    if (from_gateway && gateway_app) {
      pstn_originate(at_seconds(call.at_s), call.to, "0201555999", Duration{std::llround(call.hold_s * 1e9)});
      continue;
    }
    model::UaPhone* from = call.from == "remote" ? remote_callers.front()
                           : from_gateway        ? gateway
                                                 : phones[std::stoul(call.from) - s.first_number].phone;
    from->schedule_call(model::CallPlan{at_seconds(call.at_s), target(call.to),
                                        Duration{std::llround(call.hold_s * 1e9)},
                                        from_gateway ? std::string("0201555999") : std::string()});
  }

  // Faults.
  model::FaultSchedule faults(network, sim.rng(kFaultStream), [&](const std::string& name) {
    return name == "itsp" ? itsp_process : name == "resproxy" ? resproxy_process : nullptr;
  });
  if (gateway_app) {
    const auto fxo_span = static_cast<resproxy::gateway::SpanId>(s.pstn.e1_spans + 1);
    faults.set_telephony([app = gateway_app, fxo_span](const model::Fault& f, bool active) {
      app->InjectTelephony([f, active, fxo_span](telephony::TelephonyHost& host, TimePoint now) {
        using resproxy::gateway::Alarm;
        switch (f.kind) {
          case model::FaultKind::E1Los:
          case model::FaultKind::E1Ais:
            (void)host.set_span_alarm(now, static_cast<resproxy::gateway::SpanId>(f.index),
                                      !active                              ? Alarm::None
                                      : f.kind == model::FaultKind::E1Los ? Alarm::Los
                                                                           : Alarm::Ais);
            break;
          case model::FaultKind::FxoDead:
            (void)host.set_line_battery(now, fxo_span, static_cast<std::uint16_t>(f.index), !active);
            break;
          case model::FaultKind::ExchangeCongestion:
            if (active) {
              host.start_congestion(now, model::to_core(f.end));
            } else {
              host.end_congestion(now);
            }
            break;
          default:
            break;
        }
      });
    });
  }
  for (const auto& f : s.faults) {
    faults.add(f.fault);
    out.faults.push_back({f.kind, f.fault.target, round3(f.start_s), round3(f.end_s), f.detail, f.disruptive});
  }

  // Samples and progress, on the simulation clock.
  const auto sample_every = ns3::MilliSeconds(std::llround(s.sample_s * 1000));
  std::function<void()> sample = [&] {
    Sample x;
    x.t_s = round3(ns3::Simulator::Now().GetSeconds());
    for (const auto& p : phones) x.registered += p.phone->is_registered() ? 1 : 0;
    x.failure_operation = resproxy.in_failure_operation() ? 1 : 0;
    if (gateway_core) x.pstn_channels_in_use = gateway_core->groups().in_use("e1") + gateway_core->groups().in_use("fxo");
    out.series.push_back(x);
    if (ns3::Simulator::Now() + sample_every < stop) ns3::Simulator::Schedule(sample_every, [&sample] { sample(); });
  };
  ns3::Simulator::Schedule(ns3::Seconds(0), [&sample] { sample(); });
  std::function<void()> progress;
  const ns3::Time progress_every = std::max(ns3::MilliSeconds(100), stop / 200);
  if (options.progress) {
    progress = [&] {
      options.progress(ns3::Simulator::Now().GetSeconds());
      if (ns3::Simulator::Now() + progress_every < stop) ns3::Simulator::Schedule(progress_every, [&progress] { progress(); });
    };
    ns3::Simulator::Schedule(progress_every, [&progress] { progress(); });
  }

  sim.run_until(stop);
  if (std::getenv("RESPROXY_HARNESS_DEBUG") != nullptr) {
    std::uint64_t passed = 0;
    for (const char* t : {"access", "itsp", "remote", "resproxy", "gateway", "lan"}) {
      for (auto* l : network.links(t)) passed += l->errors_at_a()->GetPassed() + l->errors_at_b()->GetPassed();
    }
    std::fprintf(stderr, "debug: %llu packets received on links\n", static_cast<unsigned long long>(passed));
  }
  if (options.progress) options.progress(s.duration_s);
  for (std::size_t i = 0; i < out.faults.size(); ++i) {
    out.faults[i].restored_s = out.faults[i].end_s;
    for (const auto& e : faults.events()) {
      if (e.fault == i && (e.what == "up" || e.what == "healthy" || e.what.starts_with("loss 0 ") ||
                           e.what == "delay +0ms")) {
        out.faults[i].restored_s = round3(e.at.GetSeconds());
      }
    }
  }

  // Collect.
  struct Placed {
    TimePoint at;
    std::size_t order;
    CallData data;
  };
  std::vector<Placed> placed;
  const std::vector<SubscriberBand> bands = s.pstn.enabled ? subscriber_bands(s.pstn) : std::vector<SubscriberBand>{};
  const auto collect = [&](const model::UaPhone& ua, const std::string& from_kind) {
    for (const auto& c : ua.calls()) {
      if (c.role != model::CallRole::Caller) continue;
      if (c.failure == "local_busy") {
        ++out.calls_skipped_busy;
        continue;
      }
      CallData d;
      d.call_id = c.call_id;
      d.from = user_of_uri(c.caller);
      d.to = user_of_uri(c.callee);
      d.kind = classify(from_kind, d.to, office_users, s.resproxy.proxy.emergency_numbers);
      const TimePoint invite = c.invite_at.value_or(TimePoint{});
      d.placed_s = round3(seconds_of(invite));
      if (c.final_status != 0) d.status = c.final_status;
      if (c.answered_at) {
        d.outcome = "answered";
      } else if (c.final_status == 486 || c.final_status == 600 || c.final_status == 603) {
        d.outcome = "busy";
      } else if (!c.ended_at) {
        d.outcome = "abandoned";
      } else {
        d.outcome = "failed";
      }
      if (c.ringing_at) d.pdd_ms = round3(static_cast<double>(to_ns(*c.ringing_at) - to_ns(invite)) / 1e6);
      if (c.answered_at) d.setup_ms = round3(static_cast<double>(to_ns(*c.answered_at) - to_ns(invite)) / 1e6);
      if (c.ended_at) d.ended_s = round3(seconds_of(*c.ended_at));
      d.route = recorder.route_of(c.call_id);
      d.relayed = recorder.relayed(c.call_id);
      d.failure = c.failure;
      if (s.pstn.enabled && d.kind == "outbound" && d.route == "gateway") d.subscriber = subscriber_of(bands, d.to);
      placed.push_back({invite, placed.size(), std::move(d)});
    }
  };
  std::vector<std::pair<TimePoint, RegistrationData>> registrations;
  std::vector<std::pair<TimePoint, TransferData>> transfers;
  const auto unacknowledged = [&](const model::UaPhone& ua) {
    for (const auto& c : ua.calls()) {
      out.calls_unacknowledged += c.role == model::CallRole::Callee && c.failure == "no_ack" ? 1 : 0;
    }
  };
  for (const auto& p : phones) {
    collect(*p.phone, "office");
    unacknowledged(*p.phone);
    out.registered_at_end += p.phone->is_registered() ? 1 : 0;
    out.auth_challenges += p.phone->counters().auth_challenges;
    out.auth_failures += p.phone->counters().auth_failures;
    for (const auto& t : p.phone->transfers()) {
      TransferData d;
      d.call_id = t.call_id;
      d.from = p.user;
      d.target = user_of_uri(t.target);
      d.refer_s = round3(seconds_of(t.refer_at));
      d.call_s = d.refer_s;
      for (const auto& c : p.phone->calls()) {
        if (c.call_id == t.call_id && c.invite_at) d.call_s = round3(seconds_of(*c.invite_at));
      }
      d.status = t.final_status != 0 ? t.final_status : t.refer_status;
      if (t.outcome.empty()) {
        d.outcome = "pending";
      } else if (t.outcome == "failed" && (t.final_status == 486 || t.final_status == 600 ||
                                           t.final_status == 603)) {
        d.outcome = "busy";
      } else {
        d.outcome = t.outcome;
      }
      if (t.done_at) d.done_s = round3(seconds_of(*t.done_at));
      d.failure = t.failure;
      transfers.emplace_back(t.refer_at, std::move(d));
    }
    for (const auto& r : p.phone->registrations()) {
      if (r.challenged) {
        ++out.registrations_challenged;  // the retry with credentials is the registration
        continue;
      }
      if (r.with_credentials && r.status >= 200 && r.status < 300) ++out.registrations_with_auth;
      RegistrationData d;
      d.phone = p.user;
      d.t_s = round3(seconds_of(r.sent_at));
      d.status = r.status;
      if (r.done_at) d.latency_ms = round3(static_cast<double>(to_ns(*r.done_at) - to_ns(r.sent_at)) / 1e6);
      registrations.emplace_back(r.sent_at, std::move(d));
    }
  }
  for (const auto* caller : remote_callers) collect(*caller, "remote");
  if (gateway) {
    collect(*gateway, "gateway");
    unacknowledged(*gateway);
  }
  // pstn: the PSTN subscribers' calls to the office, from the exchange's call records.
  if (const telephony::TelephonyHost* host = gateway_app ? gateway_app->GetTelephonyHost() : nullptr) {
    for (const auto& r : host->records()) {
      if (r.direction != exchange::CallDirection::ToOffice) continue;
      CallData d;
      d.call_id = "pstn-" + std::to_string(r.id);
      d.from = r.calling;
      d.to = r.called.starts_with(kDdiPrefix) ? r.called.substr(kDdiPrefix.size()) : r.called;
      d.kind = classify("gateway", d.to, office_users, s.resproxy.proxy.emergency_numbers);
      d.placed_s = round3(seconds_of(r.start));
      d.status = status_of(r);
      d.outcome = r.answer                                          ? "answered"
                  : r.outcome == exchange::CallOutcome::Busy      ? "busy"
                  : r.outcome == exchange::CallOutcome::Abandoned ? "abandoned"
                  : r.end                                         ? "failed"
                                                                  : "abandoned";
      if (r.answer) d.setup_ms = round3(static_cast<double>(to_ns(*r.answer) - to_ns(r.start)) / 1e6);
      if (r.end) d.ended_s = round3(seconds_of(*r.end));
      if (r.cause) d.failure = r.answer ? "" : "cause " + std::to_string(*r.cause);
      placed.push_back({r.start, placed.size(), std::move(d)});
    }
  }
  std::stable_sort(transfers.begin(), transfers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& t : transfers) out.transfers.push_back(std::move(t.second));
  std::stable_sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) {
    return a.at != b.at ? a.at < b.at : a.order < b.order;
  });
  for (auto& p : placed) out.calls.push_back(std::move(p.data));
  std::stable_sort(registrations.begin(), registrations.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& r : registrations) out.registrations.push_back(std::move(r.second));

  // calls_in_progress per sample: calls placed and not yet ended at that time.
  for (auto& x : out.series) {
    for (const auto& c : out.calls) {
      if (c.placed_s <= x.t_s && (!c.ended_s || *c.ended_s > x.t_s)) ++x.calls_in_progress;
    }
  }
  out.itsp_states.push_back({0.0, "itsp", "Active"});
  for (auto& st : recorder.itsp_states_) out.itsp_states.push_back(st);
  out.ladder_call_id = recorder.ladder_call_;
  out.ladder_nodes = recorder.ladder_nodes_;
  out.ladder = recorder.ladder_;
  out.gateway_loops = recorder.decisions_.gateway_loops;
  out.gateway_route_decisions = recorder.decisions_.from_gateway;
  const auto table = [](const routing::ProxyNode& node) {
    std::vector<CounterData> rows;
    for (const auto& v : node.counter_values().values) {
      rows.push_back({std::string(v.name), std::string(v.help), std::string(admin::to_string(v.kind)), v.value});
    }
    return rows;
  };
  out.counters.emplace_back("resproxy", table(resproxy));
  out.counters.emplace_back("itsp", table(itsp));
  out.failovers = resproxy.counters().failovers;
  out.late_answers_hung_up = resproxy.counters().late_answers_hung_up;
  out.dns_queries = dns_server ? dns_server->GetCounters().queries : 0;
  out.dns_lookups_failed = recorder.dns_lookups_failed_;
  out.itsp_address_changes = recorder.itsp_address_changes_;
  if (gateway_core) {
    out.pstn_calls = std::move(recorder.pstn_calls_);
    out.pstn_represented = gateway_core->counters().represented;
    out.pstn_blocked_no_channel = gateway_core->counters().blocked_no_channel;
  }
  if (audio) audio->collect(out);
  for (std::size_t k = 0; k < network.homes(); ++k) {
    const model::NatNodeCounters c = network.home_nat(k)->GetCounters();
    out.homes.push_back({model::OfficeNetwork::home_nat_ip(k), c.table.translated_out, c.table.translated_in,
                         c.table.dropped_unsolicited, c.table.dropped_filtered, c.table.dropped_no_port,
                         c.dropped_other, c.table.mappings_created, c.table.mappings_expired, c.mappings});
  }
  out.trace = std::move(recorder.trace_);
  return out;
}

}  // namespace resproxy::harness
