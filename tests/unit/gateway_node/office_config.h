#pragma once
// The small office's hardware and addresses, without gtest: one E1 (span 1) and two FXO lines
// (span 2) on the emulated exchange, and its numbering plan. Shared by the gateway's unit tests
// (office_fixture.h) and its fuzz target (tests/fuzz/gateway_node_fuzz.cpp), so the fuzzer
// explores the office the tests describe.
#include <optional>
#include <string>
#include <utility>

#include "proxy/base/net.h"
#include "proxy/base/time.h"
#include "proxy/gateway/card.h"
#include "sim_hardware/host/telephony_host.h"

namespace resproxy::gateway::office_test {

using namespace std::chrono_literals;

constexpr SpanId kE1 = 1;
constexpr SpanId kFxo = 2;
const Address kGw{"127.0.0.1", 5080};
const Address kProxy{"127.0.0.1", 5060};

inline exchange::NumberRange one(std::string number, exchange::SubscriberKind kind,
                          Duration answer_after = 3s,
                          std::optional<exchange::DurationRange> hold = std::nullopt) {
  return {.first = number, .last = number,
          .profile = {.kind = kind, .answer_after = exchange::DurationRange::fixed(answer_after),
                      .hold_time = hold},
          .emergency = false};
}

inline telephony::TelephonyHostConfig office() {
  telephony::TelephonyHostConfig c;
  c.exchange.plan = exchange::NumberingPlan({
      one("01632960000", exchange::SubscriberKind::Answers),
      one("01632960001", exchange::SubscriberKind::Answers, 3s, exchange::DurationRange::fixed(5s)),
      one("01632960100", exchange::SubscriberKind::Busy),
      one("01632960300", exchange::SubscriberKind::Unallocated),
      one("01632960500", exchange::SubscriberKind::Answers, 30s),
      {.first = "999", .last = "999",
       .profile = {.kind = exchange::SubscriberKind::Answers,
                   .answer_after = exchange::DurationRange::fixed(1s), .hold_time = std::nullopt},
       .emergency = true},
  });
  // Every fiction number from 01632 960600 answers too (the busy-hour fills).
  c.exchange.plan.add({.first = "01632960600", .last = "01632960699",
                       .profile = {.kind = exchange::SubscriberKind::Answers,
                                   .answer_after = exchange::DurationRange::fixed(1s),
                                   .hold_time = std::nullopt},
                       .emergency = false});
  c.exchange.spans.push_back({.name = "e1-1", .ddi_first = "01632961000",
                              .ddi_last = "01632961099", .ddi_digits = 0, .span = {}});
  c.exchange.lines.push_back({.name = "fxo-1", .directory_number = "01632961200", .line = {}});
  c.exchange.lines.push_back({.name = "fxo-2", .directory_number = "01632961201", .line = {}});
  telephony::E1CardSlot e1;
  e1.card.span = kE1;
  e1.card.name = "e1-1";
  e1.exchange_port = "e1-1";
  c.e1.push_back(e1);
  telephony::FxoCardSlot fxo;
  fxo.card.span = kFxo;
  fxo.card.name = "fxo-1";
  fxo.card.lines = 2;
  fxo.exchange_ports = {"fxo-1", "fxo-2"};
  c.fxo.push_back(std::move(fxo));
  return c;
}

}  // namespace resproxy::gateway::office_test
