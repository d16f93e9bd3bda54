#pragma once
// The daemon's configuration lives in proxy/config/ (resproxy_config: schema, parser, embedded
// default, reference tables); this header keeps its names usable as resproxy::native::….
#include "proxy/config/daemon_config.h"
#include "proxy/native/log.h"
#include "proxy/native/tls_settings.h"

namespace resproxy::native {
using config::ConfigError;
using config::DaemonConfig;
using config::default_config_text;
using config::LanHost;
using config::parameter_reference_markdown;
using config::parse_config;
}  // namespace resproxy::native
