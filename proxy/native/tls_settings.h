#pragma once
// TlsSettings is a configuration value: proxy/config/tls_settings.h.
#include "proxy/config/tls_settings.h"

namespace resproxy::native {
using config::TlsSettings;
}  // namespace resproxy::native
