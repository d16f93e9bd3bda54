// Issue #11 bug 2: the hash tables keyed by wire data (the transaction layer's branch indexes,
// the location service's users) use SipHash with a secret key, drawn from a stream of its own
// so that a seeded run's other draws — and so its trace — do not move.
#include <gtest/gtest.h>

#include "proxy/registrar/location_service.h"
#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

TEST(KeyedHash, TheKeyComesFromAStreamOfItsOwnAndMovesNoDraw) {
  SeededRng a(7);
  SeededRng b(7);
  const SipKey key = a.hash_key();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(a.next_u64(), b.next_u64()) << i;
  EXPECT_EQ(key, SeededRng(7).hash_key());     // same seed, same key: reproducible runs
  EXPECT_NE(key, SeededRng(8).hash_key());     // another seed, another key
  EXPECT_NE(key, SipKey{});                    // never the unkeyed default
}

TEST(KeyedHash, TheProxysTablesOfWireDataAreKeyed) {
  ProxyFixture f;
  const SipKey key = SeededRng(7).hash_key();  // the fixture's seed
  EXPECT_EQ(f.node.transactions().hash_key(), key);
  // The same user name hashes differently under another key: nobody outside can aim at a bucket.
  const KeyedStringHash ours{key};
  const KeyedStringHash theirs{SeededRng(1234).hash_key()};
  EXPECT_NE(ours("2001"), theirs("2001"));
  registrar::LocationService location(key);
  EXPECT_EQ(location.hash_key(), key);
}

}  // namespace
}  // namespace resproxy::routing::testing
