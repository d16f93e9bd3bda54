#include "proxy/media/rtp_packet.h"

namespace resproxy::media {
namespace {

std::uint16_t read16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
std::uint32_t read32(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 |
         std::uint32_t{b[at + 2]} << 8 | std::uint32_t{b[at + 3]};
}
void write16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
void write32(std::span<std::uint8_t> b, std::size_t at, std::uint32_t v) {
  write16(b, at, static_cast<std::uint16_t>(v >> 16));
  write16(b, at + 2, static_cast<std::uint16_t>(v));
}

}  // namespace

std::string_view to_string(RtpError e) {
  switch (e) {
    case RtpError::TooShort: return "too_short";
    case RtpError::BadVersion: return "bad_version";
    case RtpError::CsrcBeyondEnd: return "csrc_beyond_end";
    case RtpError::ExtensionBeyondEnd: return "extension_beyond_end";
    case RtpError::BadPadding: return "bad_padding";
    case RtpError::InvalidField: return "invalid_field";
    case RtpError::BufferTooSmall: return "buffer_too_small";
  }
  return "unknown";
}

Result<RtpPacket, RtpError> parse_rtp(std::span<const std::uint8_t> d) {
  // from the wire: untrusted; every offset below is checked against d.size() before use
  if (d.size() < kRtpFixedHeaderSize) return unexpected(RtpError::TooShort);
  if ((d[0] >> 6) != 2) return unexpected(RtpError::BadVersion);
  const bool has_padding = (d[0] & 0x20) != 0;
  const bool has_extension = (d[0] & 0x10) != 0;
  RtpPacket p;
  p.csrc_count = d[0] & 0x0f;
  p.marker = (d[1] & 0x80) != 0;
  p.payload_type = d[1] & 0x7f;
  p.sequence_number = read16(d, 2);
  p.timestamp = read32(d, 4);
  p.ssrc = read32(d, 8);
  std::size_t at = kRtpFixedHeaderSize;
  if (d.size() - at < std::size_t{p.csrc_count} * 4) return unexpected(RtpError::CsrcBeyondEnd);
  for (std::size_t i = 0; i < p.csrc_count; ++i, at += 4) p.csrcs[i] = read32(d, at);
  if (has_extension) {
    if (d.size() - at < 4) return unexpected(RtpError::ExtensionBeyondEnd);
    const std::uint16_t profile = read16(d, at);
    const std::size_t octets = std::size_t{read16(d, at + 2)} * 4;
    at += 4;
    if (d.size() - at < octets) return unexpected(RtpError::ExtensionBeyondEnd);
    p.extension = RtpHeaderExtension{profile, d.subspan(at, octets)};
    at += octets;
  }
  std::size_t end = d.size();
  if (has_padding) {
    // RFC 3550 §5.1: the last octet counts the padding, itself included; it cannot be 0 and
    // cannot reach back into the header.
    const std::uint8_t count = d[end - 1];
    if (count == 0 || count > end - at) return unexpected(RtpError::BadPadding);
    p.padding_size = count;
    end -= count;
  }
  p.payload = d.subspan(at, end - at);
  return p;
}

std::size_t rtp_size(const RtpPacket& p) {
  std::size_t n = kRtpFixedHeaderSize + std::size_t{p.csrc_count} * 4 + p.payload.size() +
                  p.padding_size;
  if (p.extension) n += 4 + p.extension->data.size();
  return n;
}

Result<std::size_t, RtpError> write_rtp(const RtpPacket& p, std::span<std::uint8_t> out) {
  if (p.payload_type > 127 || p.csrc_count > kRtpMaxCsrcCount)
    return unexpected(RtpError::InvalidField);
  if (p.extension && (p.extension->data.size() % 4 != 0 || p.extension->data.size() / 4 > 0xffff))
    return unexpected(RtpError::InvalidField);
  const std::size_t n = rtp_size(p);
  if (out.size() < n) return unexpected(RtpError::BufferTooSmall);
  out[0] = static_cast<std::uint8_t>(0x80 | (p.padding_size ? 0x20 : 0) | (p.extension ? 0x10 : 0) |
                                     p.csrc_count);
  out[1] = static_cast<std::uint8_t>((p.marker ? 0x80 : 0) | p.payload_type);
  write16(out, 2, p.sequence_number);
  write32(out, 4, p.timestamp);
  write32(out, 8, p.ssrc);
  std::size_t at = kRtpFixedHeaderSize;
  for (std::size_t i = 0; i < p.csrc_count; ++i, at += 4) write32(out, at, p.csrcs[i]);
  if (p.extension) {
    write16(out, at, p.extension->profile);
    write16(out, at + 2, static_cast<std::uint16_t>(p.extension->data.size() / 4));
    at += 4;
    for (std::uint8_t b : p.extension->data) out[at++] = b;
  }
  for (std::uint8_t b : p.payload) out[at++] = b;
  if (p.padding_size) {
    for (std::size_t i = 1; i < p.padding_size; ++i) out[at++] = 0;
    out[at++] = p.padding_size;
  }
  return at;
}

Result<std::vector<std::uint8_t>, RtpError> build_rtp(const RtpPacket& p) {
  std::vector<std::uint8_t> out(rtp_size(p));
  auto written = write_rtp(p, out);
  if (!written) return unexpected(written.error());
  return out;
}

SequenceExtender::Update SequenceExtender::update(std::uint16_t seq) {
  if (!started_) {
    started_ = true;
    max_ = seq;
    cycles_ = 65536;
    bad_next_.reset();
    return {Verdict::First, cycles_ + seq};
  }
  const auto ahead = static_cast<std::uint16_t>(seq - max_);  // how far forward, modulo 2^16
  if (ahead != 0 && ahead < kMaxDropout) {
    if (seq < max_) cycles_ += 65536;  // wrapped
    max_ = seq;
    bad_next_.reset();
    return {Verdict::InOrder, cycles_ + seq};
  }
  const auto behind = static_cast<std::uint16_t>(max_ - seq);
  if (behind <= kMaxMisorder) {
    // Its cycle is ours unless it sits before the wrap that max_ already crossed.
    std::uint64_t base = cycles_;
    if (seq > max_ && base >= 65536) base -= 65536;
    return {Verdict::Behind, base + seq};
  }
  if (bad_next_ && *bad_next_ == seq) {
    // RFC 3550 A.1: two packets in sequence after a jump: the source restarted.
    started_ = true;
    max_ = seq;
    cycles_ = 65536;
    bad_next_.reset();
    return {Verdict::Restarted, cycles_ + seq};
  }
  bad_next_ = static_cast<std::uint16_t>(seq + 1);
  return {Verdict::Jump, 0};
}

}  // namespace resproxy::media
