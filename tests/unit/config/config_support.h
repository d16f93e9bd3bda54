#pragma once
// Shared by the config parser's tests: parse a text as "test.ini", the ConfigError a text
// raises, and the smallest ITSP section the forwarding modes need.
#include <string_view>

#include <gtest/gtest.h>

#include "proxy/config/daemon_config.h"

namespace resproxy::config::test_support {

// One enabled ITSP proxy: what mode = forward_itsp and sip_trunk need.
inline constexpr std::string_view kOneItsp =
    "[sipproxy.itsp_proxy.1]\nenable = 1\nipname = 192.0.2.10\n";

inline DaemonConfig parse(std::string_view text) { return parse_config(text, "test.ini"); }

// The ConfigError a text raises; fails the test if it parses.
inline ConfigError error_of(std::string_view text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "parsed without error:\n" << text;
  return ConfigError("", 0, "", "", "", "");
}

}  // namespace resproxy::config::test_support
