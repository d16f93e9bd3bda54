// Caller-ID messages as octets: ETSI EN 300 659-3 / BT SIN 227 MDMF and Telcordia GR-30 MDMF and
// SDMF, both ways, including damaged ones; and the length of the FSK burst that carries them.
#include "sim_hardware/fxo/caller_id.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim_hardware/fxo/line_profile.h"

namespace resproxy::fxo {
namespace {

using Octets = std::vector<std::uint8_t>;

Octets ascii(std::string_view s) { return Octets(s.begin(), s.end()); }
Octets cat(std::initializer_list<Octets> parts) {
  Octets out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
// Appends the right checksum, for hand-made messages whose structure is what is under test.
Octets with_checksum(Octets m) {
  m.push_back(caller_id_checksum(m));
  return m;
}

CallerIdMessage uk_call() {
  CallerIdMessage m;
  m.date_time = CallerIdDateTime{3, 15, 14, 30};
  m.number = "01632960123";
  return m;
}

// EN 300 659-3 §5 / SIN 227: 0x80, length of the parameters, date-time 0x01 (MMDDHHMM), calling
// line identity 0x02, checksum = two's complement of the modulo-256 sum. Worked by hand:
// 0x80 + 0x17 + (0x01 + 0x08 + "03151430") + (0x02 + 0x0B + "01632960123") = 1135 = 0x46F,
// 0x6F -> checksum 0x100 - 0x6F = 0x91.
TEST(CallerId, EncodesASin227CallSetupOctetByOctet) {
  const Octets want = cat({{0x80, 0x17, 0x01, 0x08}, ascii("03151430"), {0x02, 0x0B},
                           ascii("01632960123"), {0x91}});
  auto got = encode_caller_id(uk_call(), CallerIdStandard::Sin227);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got.value(), want);
}

TEST(CallerId, EveryMessageAddsUpToZeroModulo256) {
  CallerIdMessage named = uk_call();
  named.name = "BLOGGS J";
  for (const auto& m : {uk_call(), named}) {
    for (auto standard : {CallerIdStandard::Sin227, CallerIdStandard::Bellcore}) {
      auto octets = encode_caller_id(m, standard);
      ASSERT_TRUE(octets.has_value());
      unsigned sum = 0;
      for (auto o : octets.value()) sum += o;
      EXPECT_EQ(sum % 256, 0u) << to_string(standard);
    }
  }
}

TEST(CallerId, DecodesWhatItEncodesUnderBothStandards) {
  CallerIdMessage withheld;
  withheld.date_time = CallerIdDateTime{12, 31, 23, 59};
  withheld.number_absent = AbsenceReason::Private;
  CallerIdMessage named = uk_call();
  named.name = "BLOGGS J";
  CallerIdMessage out_of_area;
  out_of_area.number_absent = AbsenceReason::Unavailable;
  for (const auto& m : {uk_call(), withheld, named, out_of_area}) {
    for (auto standard : {CallerIdStandard::Sin227, CallerIdStandard::Bellcore}) {
      auto octets = encode_caller_id(m, standard);
      ASSERT_TRUE(octets.has_value());
      auto back = decode_caller_id(octets.value(), standard);
      ASSERT_TRUE(back.has_value()) << to_string(back.error().kind);
      EXPECT_EQ(back.value(), m);
    }
  }
}

// Reason for absence 0x04, one octet: 'O' (0x4F) out of area, 'P' (0x50) private.
TEST(CallerId, ReasonForAbsenceIsOneOctetOOrP) {
  const auto private_call = with_checksum({0x80, 0x03, 0x04, 0x01, 'P'});
  const auto unavailable = with_checksum({0x80, 0x03, 0x04, 0x01, 'O'});
  const auto neither = with_checksum({0x80, 0x03, 0x04, 0x01, 'X'});
  EXPECT_EQ(decode_caller_id(private_call, CallerIdStandard::Sin227)->number_absent, AbsenceReason::Private);
  EXPECT_EQ(decode_caller_id(unavailable, CallerIdStandard::Sin227)->number_absent,
            AbsenceReason::Unavailable);
  auto bad = decode_caller_id(neither, CallerIdStandard::Sin227);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error(), (CallerIdDecodeError{CallerIdDecodeErrorKind::InvalidParameter, 2}));
}

// The checksum is what catches a burst damaged on the line: any changed octet, including the
// checksum itself, makes the message refused.
TEST(CallerId, ACorruptedChecksumOrBodyIsRefused) {
  const Octets good = encode_caller_id(uk_call(), CallerIdStandard::Sin227).value();
  for (std::size_t i = 2; i < good.size(); ++i) {  // from the first parameter octet to the checksum
    Octets bad = good;
    bad[i] ^= 0x01;
    auto got = decode_caller_id(bad, CallerIdStandard::Sin227);
    ASSERT_FALSE(got.has_value()) << "octet " << i;
    EXPECT_EQ(got.error(), (CallerIdDecodeError{CallerIdDecodeErrorKind::ChecksumMismatch, good.size() - 1}))
        << "octet " << i;
  }
}

TEST(CallerId, TheLengthOctetMustCountTheParameters) {
  Octets good = encode_caller_id(uk_call(), CallerIdStandard::Sin227).value();
  Octets truncated(good.begin(), good.end() - 2);
  Octets trailing = good;
  trailing.push_back(0x00);
  for (const auto& bad : {truncated, trailing}) {
    auto got = decode_caller_id(bad, CallerIdStandard::Sin227);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().kind, CallerIdDecodeErrorKind::LengthMismatch);
  }
  auto tiny = decode_caller_id(Octets{0x80, 0x00}, CallerIdStandard::Sin227);
  ASSERT_FALSE(tiny.has_value());
  EXPECT_EQ(tiny.error().kind, CallerIdDecodeErrorKind::TooShort);
}

TEST(CallerId, AParameterRunningPastTheMessageIsTruncated) {
  // 0x02 claims 9 digits but only 3 follow (the message length and checksum are right).
  const auto bad = with_checksum(cat({{0x80, 0x05, 0x02, 0x09}, ascii("016")}));
  auto got = decode_caller_id(bad, CallerIdStandard::Sin227);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error(), (CallerIdDecodeError{CallerIdDecodeErrorKind::ParameterTruncated, 2}));
}

// EN 300 659-3: a receiver ignores parameter types it does not know (here 0x11 call type); we
// keep them, in order, for whoever wants them.
TEST(CallerId, UnknownParametersAreSkippedAndKept) {
  const auto octets = with_checksum(cat({{0x80, 0x10, 0x11, 0x01, 0x01, 0x02, 0x0B}, ascii("01632960123")}));
  auto got = decode_caller_id(octets, CallerIdStandard::Sin227);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->number, "01632960123");
  ASSERT_EQ(got->other.size(), 1u);
  EXPECT_EQ(got->other[0], (CallerIdParameter{0x11, {0x01}}));
}

TEST(CallerId, OnlyCallSetupMessagesAreCalls) {
  // 0x82: EN 300 659-3's message waiting indicator — not a call.
  auto got = decode_caller_id(with_checksum({0x82, 0x03, 0x0B, 0x01, 0xFF}), CallerIdStandard::Sin227);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error(), (CallerIdDecodeError{CallerIdDecodeErrorKind::UnknownMessageType, 0}));
}

TEST(CallerId, DateAndTimeMustBeEightDigitsOfARealTime) {
  CallerIdMessage m = uk_call();
  m.date_time = CallerIdDateTime{13, 1, 0, 0};
  EXPECT_EQ(encode_caller_id(m, CallerIdStandard::Sin227).error(), CallerIdEncodeError::InvalidDateTime);
  for (const auto& text : {"13011200", "0101126X", "0101250", "01012460"}) {
    const Octets value = ascii(text);
    Octets bad = {0x80, static_cast<std::uint8_t>(value.size() + 2), 0x01,
                  static_cast<std::uint8_t>(value.size())};
    bad.insert(bad.end(), value.begin(), value.end());
    auto got = decode_caller_id(with_checksum(bad), CallerIdStandard::Sin227);
    ASSERT_FALSE(got.has_value()) << text;
    EXPECT_EQ(got.error().kind, CallerIdDecodeErrorKind::InvalidParameter) << text;
  }
}

// The two standards differ: 0x08 (reason for absence of the name) is GR-30's, not in our SIN 227
// profile; SIN 227 / EN 300 659-3 allow 20 digits and 50 characters, GR-30 15 digits (E.164) and
// 15 characters (CNAM).
TEST(CallerId, NameAbsenceIsBellcoreOnly) {
  CallerIdMessage m = uk_call();
  m.name_absent = AbsenceReason::Private;
  EXPECT_EQ(encode_caller_id(m, CallerIdStandard::Sin227).error(),
            CallerIdEncodeError::NameAbsenceNotInSin227);
  auto bellcore = encode_caller_id(m, CallerIdStandard::Bellcore);
  ASSERT_TRUE(bellcore.has_value());
  const Octets& o = bellcore.value();
  EXPECT_EQ(Octets(o.end() - 4, o.end() - 1), (Octets{0x08, 0x01, 'P'}));
  // Decoding is lenient under both: the receiver shows what it got.
  EXPECT_EQ(decode_caller_id(o, CallerIdStandard::Sin227)->name_absent, AbsenceReason::Private);
}

TEST(CallerId, LengthLimitsDifferByStandard) {
  CallerIdMessage m;
  m.number = std::string(16, '1');
  EXPECT_TRUE(encode_caller_id(m, CallerIdStandard::Sin227).has_value());
  EXPECT_EQ(encode_caller_id(m, CallerIdStandard::Bellcore).error(), CallerIdEncodeError::NumberTooLong);
  m.number = std::string(21, '1');
  EXPECT_EQ(encode_caller_id(m, CallerIdStandard::Sin227).error(), CallerIdEncodeError::NumberTooLong);
  m.number = "0163296012a";
  EXPECT_EQ(encode_caller_id(m, CallerIdStandard::Sin227).error(), CallerIdEncodeError::InvalidNumber);
  CallerIdMessage n;
  n.name = std::string(16, 'A');
  EXPECT_TRUE(encode_caller_id(n, CallerIdStandard::Sin227).has_value());
  EXPECT_EQ(encode_caller_id(n, CallerIdStandard::Bellcore).error(), CallerIdEncodeError::NameTooLong);
  n.name = std::string(51, 'A');
  EXPECT_EQ(encode_caller_id(n, CallerIdStandard::Sin227).error(), CallerIdEncodeError::NameTooLong);
  CallerIdMessage both = uk_call();
  both.number_absent = AbsenceReason::Private;
  EXPECT_EQ(encode_caller_id(both, CallerIdStandard::Sin227).error(), CallerIdEncodeError::NumberAndAbsence);
}

// GR-30 SDMF: 0x04, length, MMDDHHMM, then the number (or 'O' / 'P'), checksum. Only Bellcore has it.
TEST(CallerId, BellcoreSdmfIsDecodedOnlyUnderBellcore) {
  const auto octets = with_checksum(cat({{0x04, 0x12}, ascii("03151430"), ascii("2025550123")}));
  auto got = decode_caller_id(octets, CallerIdStandard::Bellcore);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->date_time, (CallerIdDateTime{3, 15, 14, 30}));
  EXPECT_EQ(got->number, "2025550123");
  CallerIdMessage sdmf;
  sdmf.date_time = CallerIdDateTime{3, 15, 14, 30};
  sdmf.number = "2025550123";
  EXPECT_EQ(encode_sdmf(sdmf).value(), octets);
  EXPECT_EQ(decode_caller_id(octets, CallerIdStandard::Sin227).error().kind,
            CallerIdDecodeErrorKind::UnknownMessageType);
  const auto withheld = with_checksum(cat({{0x04, 0x09}, ascii("03151430"), ascii("P")}));
  EXPECT_EQ(decode_caller_id(withheld, CallerIdStandard::Bellcore)->number_absent, AbsenceReason::Private);
}

// The burst: channel seizure + mark + 10 bits per octet (start, 8 data, stop) at 1200 bit/s.
TEST(CallerId, TheFskBurstLastsItsBitsAt1200Baud) {
  const std::size_t octets = encode_caller_id(uk_call(), CallerIdStandard::Sin227)->size();  // 26
  ASSERT_EQ(octets, 26u);
  // SIN 227 profile: 300 + 80 + 260 = 640 bits = 533.333... ms, rounded up to the nanosecond.
  EXPECT_EQ(fsk_burst_duration(octets, sin227_framing()), Duration{533'333'334});
  // GR-30: 300 + 180 + 260 = 740 bits = 616.666... ms.
  EXPECT_EQ(fsk_burst_duration(octets, bellcore_framing()), Duration{616'666'667});
  EXPECT_EQ(fsk_burst_duration(0, FskFraming{1200, 0}), std::chrono::seconds(1));
}

}  // namespace
}  // namespace resproxy::fxo
