// Message as a value (message.h): copies and moves that rebase every view onto the new buffer,
// the in-place rewrite of the top Via, the accessors, and Message::parse, which runs the parser
// (Message::Index, message_parser.cpp). The method / header / error names: message_names.cpp.
#include "proxy/sip/message.h"

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/message_index.h"
#include "proxy/sip/parse_detail.h"
#include "proxy/sip/text.h"

namespace resproxy::sip {

constexpr auto npos = std::string_view::npos;

// --- Message: value semantics ----------------------------------------------------------------

Message::Message(const Message& other)
    : buffer_(other.buffer_),
      headers_(other.headers_),
      bytes_(other.bytes_),
      method_token_(other.method_token_),
      request_uri_(other.request_uri_),
      reason_phrase_(other.reason_phrase_),
      call_id_(other.call_id_),
      from_tag_(other.from_tag_),
      to_tag_(other.to_tag_),
      body_(other.body_),
      top_via_(other.top_via_),
      cseq_(other.cseq_),
      max_forwards_(other.max_forwards_),
      via_count_(other.via_count_),
      status_code_(other.status_code_),
      method_(other.method_),
      is_request_(other.is_request_),
      first_(other.first_),
      count_(other.count_) {
  rebase(other.buffer_.data(), other.buffer_.size());
}

// Delegates so that the old buffer address is read before buffer_ is moved from.
Message::Message(Message&& other) noexcept
    : Message(std::move(other), other.buffer_.data(), other.buffer_.size()) {}

Message::Message(Message&& other, const char* old_base, std::size_t old_size) noexcept
    : buffer_(std::move(other.buffer_)),
      headers_(std::move(other.headers_)),
      bytes_(other.bytes_),
      method_token_(other.method_token_),
      request_uri_(other.request_uri_),
      reason_phrase_(other.reason_phrase_),
      call_id_(other.call_id_),
      from_tag_(other.from_tag_),
      to_tag_(other.to_tag_),
      body_(other.body_),
      top_via_(other.top_via_),
      cseq_(other.cseq_),
      max_forwards_(other.max_forwards_),
      via_count_(other.via_count_),
      status_code_(other.status_code_),
      method_(other.method_),
      is_request_(other.is_request_),
      first_(other.first_),
      count_(other.count_) {
  rebase(old_base, old_size);
  other.reset();
}

void Message::reset() noexcept {
  buffer_.clear();
  headers_.clear();
  bytes_ = method_token_ = request_uri_ = reason_phrase_ = {};
  call_id_ = from_tag_ = to_tag_ = body_ = {};
  top_via_ = ViaInfo{};
  cseq_ = CSeqInfo{};
  max_forwards_.reset();
  via_count_ = 0;
  first_.fill(kNoIndex);
  count_.fill(0);
}

Message& Message::operator=(const Message& other) {
  if (this != &other) {
    Message copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Message& Message::operator=(Message&& other) noexcept {
  if (this == &other) return *this;
  const char* old_base = other.buffer_.data();
  const std::size_t old_size = other.buffer_.size();
  buffer_ = std::move(other.buffer_);
  headers_ = std::move(other.headers_);
  bytes_ = other.bytes_;
  method_token_ = other.method_token_;
  request_uri_ = other.request_uri_;
  reason_phrase_ = other.reason_phrase_;
  call_id_ = other.call_id_;
  from_tag_ = other.from_tag_;
  to_tag_ = other.to_tag_;
  body_ = other.body_;
  top_via_ = other.top_via_;
  cseq_ = other.cseq_;
  max_forwards_ = other.max_forwards_;
  via_count_ = other.via_count_;
  status_code_ = other.status_code_;
  method_ = other.method_;
  is_request_ = other.is_request_;
  first_ = other.first_;
  count_ = other.count_;
  rebase(old_base, old_size);
  other.reset();  // empty rather than with views into a buffer it no longer owns
  return *this;
}

void Message::rebase(const char* old_base, std::size_t old_size) {
  const char* new_base = buffer_.data();
  if (old_base == new_base) return;  // heap buffer moved as it is: nothing to do
  const auto old_begin = reinterpret_cast<std::uintptr_t>(old_base);
  auto fix = [&](std::string_view& v) {
    const auto p = reinterpret_cast<std::uintptr_t>(v.data());
    if (v.data() == nullptr || p < old_begin || p > old_begin + old_size) return;
    v = std::string_view(new_base + (p - old_begin), v.size());
  };
  for (auto& h : headers_) {
    fix(h.name);
    fix(h.value);
    fix(h.raw);
  }
  for (std::string_view* v : {&bytes_, &method_token_, &request_uri_, &reason_phrase_, &call_id_,
                              &from_tag_, &to_tag_, &body_, &top_via_.transport, &top_via_.host,
                              &top_via_.branch, &cseq_.method_token}) {
    fix(*v);
  }
  if (top_via_.received) fix(*top_via_.received);
}

// --- In-place edits ----------------------------------------------------------------------------

bool Message::replace_top_via(std::string_view via_parm) {
  if (via_parm.empty() || text::is_ws(via_parm.front()) || text::is_ws(via_parm.back())) {
    return false;
  }
  // Line breaks only as folds (CRLF SP / CRLF HT): anything else would end the field early.
  for (std::size_t i = via_parm.find_first_of("\r\n"); i != npos;
       i = via_parm.find_first_of("\r\n", i + 3)) {
    if (via_parm[i] != '\r' || i + 2 >= via_parm.size() || via_parm[i + 1] != '\n' ||
        !text::is_wsp(via_parm[i + 2])) {
      return false;
    }
  }
  {
    Via check;
    std::size_t pos = 0;
    if (!detail::parse_via_at(via_parm, pos, check) || pos != via_parm.size()) return false;
  }
  const std::uint16_t index = first_[static_cast<std::size_t>(HeaderId::Via)];
  if (index == kNoIndex) return false;  // a parsed message has one; a moved-from one has not
  // The top via-parm as the parser delimits it: from the first non-whitespace character to the
  // ',' or the end of the value, without the whitespace before that.
  const std::string_view value = headers_[index].value;
  std::size_t end = 0;
  {
    Via old;
    if (!detail::parse_via_at(value, end, old)) return false;  // validated by parse()
  }
  const std::size_t begin = text::skip_ws(value, 0);
  while (end > begin && text::is_ws(value[end - 1])) --end;
  const std::size_t old_size = end - begin;
  if (bytes_.size() - old_size + via_parm.size() > kMaxMessageSize) return false;

  // Splice, then move every view: before the old value it stays, after it it shifts by the
  // difference, around it (the field, the whole message) it grows or shrinks; the views inside
  // it (the top Via's parts) are parsed again from the new value.
  const char* const old_base = buffer_.data();
  const std::size_t old_buffer_size = buffer_.size();
  const auto region_begin = static_cast<std::size_t>(value.data() + begin - old_base);
  const std::size_t region_end = region_begin + old_size;
  buffer_.replace(region_begin, old_size, via_parm);
  const char* const new_base = buffer_.data();
  const auto old_begin = reinterpret_cast<std::uintptr_t>(old_base);
  auto fix = [&](std::string_view& v) {
    const auto p = reinterpret_cast<std::uintptr_t>(v.data());
    if (v.data() == nullptr || p < old_begin || p > old_begin + old_buffer_size) return;
    const std::size_t b = p - old_begin;
    const std::size_t e = b + v.size();
    if (e <= region_begin) {
      v = std::string_view(new_base + b, v.size());
    } else if (b >= region_end) {
      v = std::string_view(new_base + b - old_size + via_parm.size(), v.size());
    } else if (b <= region_begin && e >= region_end) {
      v = std::string_view(new_base + b, v.size() - old_size + via_parm.size());
    } else {
      v = {};  // inside the old value: set again below
    }
  };
  for (auto& h : headers_) {
    fix(h.name);
    fix(h.value);
    fix(h.raw);
  }
  for (std::string_view* v : {&bytes_, &method_token_, &request_uri_, &reason_phrase_, &call_id_,
                              &from_tag_, &to_tag_, &body_, &cseq_.method_token}) {
    fix(*v);
  }
  Via top;
  std::size_t pos = 0;
  const bool parsed = detail::parse_via_at(headers_[index].value, pos, top);
  (void)parsed;  // the new value was checked on its own above, and its context is unchanged
  top_via_ = top.info;
  return true;
}

// --- Accessors -------------------------------------------------------------------------------

bool Message::is_request() const { return is_request_; }
Method Message::method() const { return is_request_ ? method_ : cseq_.method; }
std::string_view Message::method_token() const {
  return is_request_ ? method_token_ : cseq_.method_token;
}
std::string_view Message::request_uri() const { return request_uri_; }
int Message::status_code() const { return status_code_; }
std::string_view Message::reason_phrase() const { return reason_phrase_; }
std::span<const HeaderField> Message::headers() const { return headers_; }
const HeaderField* Message::first(HeaderId id) const { return Index::first(*this, id); }
const HeaderField* Message::first_named(std::string_view name) const {
  for (const auto& field : headers()) {
    if (field.id == HeaderId::Other && text::iequals(text::trim(field.name), name)) return &field;
  }
  return nullptr;
}
std::size_t Message::count(HeaderId id) const { return count_[static_cast<std::size_t>(id)]; }
const ViaInfo& Message::top_via() const { return top_via_; }
std::size_t Message::via_count() const { return via_count_; }
std::string_view Message::call_id() const { return call_id_; }
const CSeqInfo& Message::cseq() const { return cseq_; }
std::string_view Message::from_tag() const { return from_tag_; }
std::string_view Message::to_tag() const { return to_tag_; }
std::optional<std::uint32_t> Message::max_forwards() const { return max_forwards_; }
std::string_view Message::body() const { return body_; }
std::string_view Message::bytes() const { return bytes_; }

// --- Parsing: the parser proper is Message::Index (message_index.h, message_parser.cpp) --------

Result<Message, ParseError> Message::parse(std::string bytes, Framing framing) {
  Message m;
  m.buffer_ = std::move(bytes);
  if (const auto error = Index::parse(m, framing)) return unexpected(*error);
  return m;
}

}  // namespace resproxy::sip
