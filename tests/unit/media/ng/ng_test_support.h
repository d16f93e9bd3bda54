#pragma once
// Printers for the ng tests' values (GoogleTest finds PrintTo by argument-dependent lookup).
#include <ostream>

#include "proxy/media/ng/bencode.h"

namespace resproxy::media::ng {

inline void PrintTo(const Value& v, std::ostream* os) { *os << encode(v); }
inline void PrintTo(const Dict& d, std::ostream* os) { *os << encode(Value(d)); }
inline void PrintTo(const DecodeError& e, std::ostream* os) { *os << to_string(e); }

}  // namespace resproxy::media::ng
