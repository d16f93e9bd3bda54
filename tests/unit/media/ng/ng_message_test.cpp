// The ng protocol's messages (proxy/media/ng/ng_message.h): datagrams as rtpengine documents them
// and as Kamailio's rtpengine module writes them, cookie rules, typed requests and their errors,
// and the replies (pong, ok, error, sdp, list, query and delete statistics).
#include "proxy/media/ng/ng_message.h"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>

#include "tests/unit/media/ng/ng_test_support.h"

namespace resproxy::media::ng {
namespace {

using namespace std::string_literals;

const std::string kSdp =
    "v=0\r\no=- 3870293012 3870293012 IN IP4 192.168.1.20\r\ns=-\r\nc=IN IP4 192.168.1.20\r\n"
    "t=0 0\r\nm=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

// rtpengine_offer("replace-origin replace-session-connection ICE=remove RTP/AVP rtcp-mux-demux
// trust-address") in Kamailio, for an INVITE from 192.168.1.20, written out by hand: the module's
// cookie "<server_id>_<random>_<sequence>", one space, and the keys in the order the module adds
// them (not sorted): supports, sdp, ICE, replace, transport-protocol, rtcp-mux, received-from,
// call-id, from-tag, command, sip-message-type, flags.
const std::string kKamailioOffer =
    "0_2174362119_41 d8:supportsl10:load limite3:sdp209:" + kSdp +
    "3:ICE6:remove7:replacel6:origin18:session-connectione18:transport-protocol7:RTP/AVP"
    "8:rtcp-muxl5:demuxe13:received-froml3:IP412:192.168.1.20e7:call-id26:a84b4c76e66710@pc33.office"
    "8:from-tag10:19283017747:command5:offer16:sip-message-type11:sip_request"
    "5:flagsl13:trust-addressee";

TEST(NgMessage, PingDatagramFromTheDocumentationParses) {
  const auto m = parse_datagram("5323_1 d7:command4:pinge");
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->cookie, "5323_1");
  const auto r = read_request(m->dict);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->command, NgCommand::Ping);
}

TEST(NgMessage, PongDatagramIsTheDocumentationsBytes) {
  EXPECT_EQ(build_datagram("5323_1", pong()), "5323_1 d6:result4:ponge");
}

TEST(NgMessage, KamailioOfferParsesIntoItsFields) {
  const auto m = parse_datagram(kKamailioOffer);
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->cookie, "0_2174362119_41");
  const auto r = read_request(m->dict);
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_EQ(r->command, NgCommand::Offer);
  EXPECT_EQ(r->command_name, "offer");
  EXPECT_EQ(r->call_id, "a84b4c76e66710@pc33.office");
  EXPECT_EQ(r->from_tag, "1928301774");
  EXPECT_EQ(r->to_tag, "");
  EXPECT_EQ(r->sdp, kSdp);
  EXPECT_EQ(r->flags, std::vector<std::string>{"trust-address"});
  EXPECT_TRUE(r->has_flag("trust address"));  // rtpengine: spaces may be hyphens
  EXPECT_FALSE(r->has_flag("trust"));
  EXPECT_EQ(r->replace, (std::vector<std::string>{"origin", "session-connection"}));
  EXPECT_TRUE(r->has_replace("session connection"));
  EXPECT_EQ(r->ice, std::vector<std::string>{"remove"});
  EXPECT_TRUE(r->has_ice("remove"));
  EXPECT_EQ(r->rtcp_mux, std::vector<std::string>{"demux"});
  EXPECT_EQ(r->transport_protocol, "RTP/AVP");
  EXPECT_EQ(r->received_from, (ReceivedFrom{"IP4", "192.168.1.20"}));
  EXPECT_TRUE(r->direction.empty());
}

TEST(NgMessage, KamailioOfferReencodesSortedToTheSameDictionary) {
  const auto m = parse_datagram(kKamailioOffer);
  ASSERT_TRUE(m.has_value());
  const std::string again = build_datagram(m->cookie, m->dict);
  EXPECT_NE(again, kKamailioOffer);  // its keys were not in order
  EXPECT_EQ(again.size(), kKamailioOffer.size());
  const auto m2 = parse_datagram(again);
  ASSERT_TRUE(m2.has_value());
  EXPECT_EQ(*m2, *m);
}

TEST(NgMessage, DocumentedSpellingsWithSpacesReadLikeHyphens) {
  const Dict d{{"command", "offer"},
               {"call-id", "c"},
               {"from-tag", "f"},
               {"sdp", kSdp},
               {"received from", Value(List{Value("IP6"), Value("2001:db8::5")})},
               {"transport protocol", "RTP/SAVP"},
               {"ICE", Value(List{Value("force"), Value("trickle")})},
               {"direction", Value(List{Value("priv"), Value("pub")})}};
  const auto r = read_request(d);
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_EQ(r->received_from, (ReceivedFrom{"IP6", "2001:db8::5"}));
  EXPECT_EQ(r->transport_protocol, "RTP/SAVP");
  EXPECT_EQ(r->ice, (std::vector<std::string>{"force", "trickle"}));
  EXPECT_EQ(r->direction, (std::vector<std::string>{"priv", "pub"}));
}

TEST(NgMessage, RequestErrorsNameWhatIsMissingOrWrong) {
  const Value sdp(kSdp);
  struct Case {
    std::string_view name;
    Dict dict;
    RequestError want;
    std::string_view reason;
  };
  const auto cases = std::to_array<Case>({
      {.name = "no command", .dict = Dict{{"call-id", "c"}}, .want = {RequestErrorCode::NoCommand, ""},
       .reason = "Dictionary contains no key \"command\""},
      {.name = "command not a string", .dict = Dict{{"command", 1}}, .want = {RequestErrorCode::NoCommand, ""},
       .reason = "Dictionary contains no key \"command\""},
      {.name = "offer without call-id", .dict = Dict{{"command", "offer"}, {"from-tag", "f"}, {"sdp", sdp}},
       .want = {RequestErrorCode::NoCallId, "call-id"}, .reason = "No call-id in message"},
      {.name = "offer without from-tag", .dict = Dict{{"command", "offer"}, {"call-id", "c"}, {"sdp", sdp}},
       .want = {RequestErrorCode::NoFromTag, "from-tag"}, .reason = "No from-tag in message"},
      {.name = "offer without sdp", .dict = Dict{{"command", "offer"}, {"call-id", "c"}, {"from-tag", "f"}},
       .want = {RequestErrorCode::NoSdp, "sdp"}, .reason = "No SDP body in message"},
      {.name = "answer without to-tag",
       .dict = Dict{{"command", "answer"}, {"call-id", "c"}, {"from-tag", "f"}, {"sdp", sdp}},
       .want = {RequestErrorCode::NoToTag, "to-tag"}, .reason = "No to-tag in message"},
      {.name = "delete without from-tag", .dict = Dict{{"command", "delete"}, {"call-id", "c"}},
       .want = {RequestErrorCode::NoFromTag, "from-tag"}, .reason = "No from-tag in message"},
      {.name = "query without call-id", .dict = Dict{{"command", "query"}},
       .want = {RequestErrorCode::NoCallId, "call-id"}, .reason = "No call-id in message"},
      {.name = "flags not a list", .dict = Dict{{"command", "delete"}, {"call-id", "c"}, {"from-tag", "f"}, {"flags", "fatal"}},
       .want = {RequestErrorCode::WrongType, "flags"}, .reason = "Wrong type for key \"flags\""},
      {.name = "flag not a string",
       .dict = Dict{{"command", "delete"}, {"call-id", "c"}, {"from-tag", "f"}, {"flags", Value(List{Value(1)})}},
       .want = {RequestErrorCode::WrongType, "flags"}, .reason = "Wrong type for key \"flags\""},
      {.name = "call-id not a string", .dict = Dict{{"command", "query"}, {"call-id", Value(List{})}},
       .want = {RequestErrorCode::WrongType, "call-id"}, .reason = "Wrong type for key \"call-id\""},
      {.name = "both spellings",
       .dict = Dict{{"command", "ping"},
                    {"received from", Value(List{Value("IP4"), Value("192.0.2.1")})},
                    {"received-from", Value(List{Value("IP4"), Value("192.0.2.2")})}},
       .want = {RequestErrorCode::BothSpellings, "received from"}, .reason = "Key \"received from\" given twice"},
      {.name = "received-from family", .dict = Dict{{"command", "ping"}, {"received-from", Value(List{Value("IP5"), Value("x")})}},
       .want = {RequestErrorCode::BadReceivedFrom, "received from"}, .reason = "Invalid \"received from\""},
      {.name = "received-from one element", .dict = Dict{{"command", "ping"}, {"received-from", Value(List{Value("IP4")})}},
       .want = {RequestErrorCode::BadReceivedFrom, "received from"}, .reason = "Invalid \"received from\""},
      {.name = "list limit zero", .dict = Dict{{"command", "list"}, {"limit", 0}},
       .want = {RequestErrorCode::BadLimit, "limit"}, .reason = "Invalid value for key \"limit\""},
      {.name = "list limit a string", .dict = Dict{{"command", "list"}, {"limit", "32"}},
       .want = {RequestErrorCode::WrongType, "limit"}, .reason = "Wrong type for key \"limit\""},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = read_request(c.dict);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), c.want);
    EXPECT_EQ(to_string(r.error()), c.reason);
  }
}

TEST(NgMessage, CommandsReadTheirOwnKeys) {
  const auto list = read_request(Dict{{"command", "list"}, {"limit", 5}});
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->command, NgCommand::List);
  EXPECT_EQ(list->limit, 5);

  const auto del = read_request(Dict{{"command", "delete"}, {"call-id", "c"}, {"from-tag", "f"},
                                     {"to-tag", "t"}, {"flags", Value(List{Value("fast")})},
                                     {"delete delay", 0}});
  ASSERT_TRUE(del.has_value());
  EXPECT_EQ(del->command, NgCommand::Delete);
  EXPECT_EQ(del->to_tag, "t");
  EXPECT_TRUE(del->has_flag("fast"));
  EXPECT_EQ(del->delete_delay, 0);

  const auto answer = read_request(Dict{{"command", "answer"}, {"call-id", "c"}, {"from-tag", "f"},
                                        {"to-tag", "t"}, {"sdp", kSdp}, {"via-branch", "z9hG4bK1"}});
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->command, NgCommand::Answer);
  EXPECT_EQ(answer->via_branch, "z9hG4bK1");

  const auto query = read_request(Dict{{"command", "query"}, {"call-id", "c"}});
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->command, NgCommand::Query);
}

TEST(NgMessage, UnknownCommandsReadAsOtherWithTheirName) {
  const auto r = read_request(Dict{{"command", "block DTMF"}, {"call-id", "c"}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->command, NgCommand::Other);
  EXPECT_EQ(r->command_name, "block DTMF");
  // Commands are case-sensitive, as in rtpengine.
  EXPECT_EQ(command_from_string("Ping"), NgCommand::Other);
  EXPECT_EQ(command_from_string("ping"), NgCommand::Ping);
}

TEST(NgMessage, CookieRules) {
  struct Case {
    std::string_view name;
    std::string datagram;
    std::optional<NgError> want;  // nullopt: parses
  };
  const auto cases = std::to_array<Case>({
      {.name = "kamailio", .datagram = "0_2174362119_41 de", .want = std::nullopt},
      {.name = "hex", .datagram = "3f9a0c11d2e4b805 de", .want = std::nullopt},
      {.name = "one byte", .datagram = "x de", .want = std::nullopt},
      {.name = "64 bytes", .datagram = std::string(64, 'c') + " de", .want = std::nullopt},
      {.name = "65 bytes", .datagram = std::string(65, 'c') + " de", .want = NgError::BadCookie},
      {.name = "no space", .datagram = "5323_1d7:command4:pinge", .want = NgError::NoCookie},
      {.name = "space first", .datagram = " d7:command4:pinge", .want = NgError::NoCookie},
      {.name = "empty", .datagram = "", .want = NgError::NoCookie},
      {.name = "control byte", .datagram = "a\tb de", .want = NgError::BadCookie},
      {.name = "NUL", .datagram = "a\0b de"s, .want = NgError::BadCookie},
      {.name = "DEL", .datagram = "a\x7f de", .want = NgError::BadCookie},
      {.name = "high byte", .datagram = "a\xc3\xa9 de", .want = NgError::BadCookie},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto m = parse_datagram(c.datagram);
    if (!c.want) {
      EXPECT_TRUE(m.has_value()) << to_string(m.error());
    } else {
      ASSERT_FALSE(m.has_value());
      EXPECT_EQ(m.error().error, *c.want);
      EXPECT_FALSE(has_cookie(m.error().error));
    }
  }
}

TEST(NgMessage, BodyErrorsKeepTheCookieToAnswerUnder) {
  struct Case {
    std::string_view name;
    std::string datagram;
    NgError want;
    std::string_view reason;
  };
  const auto cases = std::to_array<Case>({
      {.name = "json", .datagram = "c1 {\"command\":\"ping\"}", .want = NgError::JsonBody,
       .reason = "JSON documents not supported"},
      {.name = "bad bencode", .datagram = "c1 d7:command4:ping", .want = NgError::BadBencode,
       .reason = "Could not decode bencode dictionary: truncated input (offset 16)"},
      {.name = "empty body", .datagram = "c1 ", .want = NgError::BadBencode,
       .reason = "Could not decode bencode dictionary: truncated input (offset 0)"},
      {.name = "two spaces", .datagram = "c1  de", .want = NgError::BadBencode,
       .reason = "Could not decode bencode dictionary: unexpected byte (offset 0)"},
      {.name = "a list", .datagram = "c1 l7:command4:pinge", .want = NgError::NotADictionary,
       .reason = "Invalid NG data format"},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto m = parse_datagram(c.datagram);
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().error, c.want);
    EXPECT_TRUE(has_cookie(m.error().error));
    EXPECT_EQ(m.error().cookie, "c1");
    EXPECT_EQ(to_string(m.error()), c.reason);
  }
}

TEST(NgMessage, SplitLeavesTheBodyUntouched) {
  const auto parts = split_datagram("c1 d7:command4:pinge trailing");
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->cookie, "c1");
  EXPECT_EQ(parts->body, "d7:command4:pinge trailing");
}

TEST(NgMessage, RepliesEncodeAsRtpengineSendsThem) {
  EXPECT_EQ(encode(Value(ok())), "d6:result2:oke");
  EXPECT_EQ(encode(Value(error_reply("Unknown call-id"))),
            "d12:error-reason15:Unknown call-id6:result5:errore");
  EXPECT_EQ(encode(Value(ok_with_warning("w"))), "d6:result2:ok7:warning1:we");
  EXPECT_EQ(encode(Value(ok_with_sdp("v=0\r\n"))), "d6:result2:ok3:sdp5:v=0\r\ne");
  EXPECT_EQ(encode(Value(list_reply({"call-1", "call-2"}))), "d5:callsl6:call-16:call-2e6:result2:oke");
}

NgCallStats two_tag_call() {
  NgCallStats s;
  s.created = 1'402'064'111;
  s.last_signal = 1'402'064'116;
  NgTagStats caller;
  caller.tag = "cs6kn1rloc";
  caller.created = 1'402'064'111;
  caller.in_dialogue_with = "0f0d2e18";
  NgMediaStats m;
  m.streams.push_back(NgStreamStats{.rtcp = false, .local_port = 30018,
                                    .endpoint = Address{"10.0.0.5", 57370}, .packets = 343,
                                    .bytes = 56950, .errors = 0, .last_packet = 1'402'064'124});
  m.streams.push_back(NgStreamStats{.rtcp = true, .local_port = 30019, .endpoint = std::nullopt,
                                    .packets = 2, .bytes = 164, .errors = 1, .last_packet = 0});
  caller.medias.push_back(m);
  NgTagStats callee;
  callee.tag = "0f0d2e18";
  callee.created = 1'402'064'111;
  NgMediaStats m2;
  m2.streams.push_back(NgStreamStats{.rtcp = false, .local_port = 30016,
                                     .endpoint = Address{"2001:db8::7", 58493}, .packets = 362,
                                     .bytes = 43337, .errors = 0, .last_packet = 1'402'064'124});
  callee.medias.push_back(m2);
  s.tags = {caller, callee};
  return s;
}

TEST(NgMessage, QueryReplyCarriesTagsStreamsAndTotals) {
  const Dict d = query_reply(two_tag_call());
  EXPECT_EQ(*d.find("result"), Value("ok"));
  EXPECT_EQ(*d.find("created"), Value(std::int64_t{1'402'064'111}));
  EXPECT_EQ(*d.find("last signal"), Value(std::int64_t{1'402'064'116}));
  EXPECT_EQ(*d.find("totals"),
            Value(Dict{{"RTP", Value(Dict{{"packets", 705}, {"bytes", 100287}, {"errors", 0}})},
                       {"RTCP", Value(Dict{{"packets", 2}, {"bytes", 164}, {"errors", 1}})}}));
  const Dict* tags = d.find("tags")->dict();
  ASSERT_NE(tags, nullptr);
  ASSERT_EQ(tags->size(), 2u);
  const Dict* caller = tags->find("cs6kn1rloc")->dict();
  ASSERT_NE(caller, nullptr);
  EXPECT_EQ(*caller->find("in dialogue with"), Value("0f0d2e18"));
  EXPECT_EQ(tags->find("0f0d2e18")->dict()->find("in dialogue with"), nullptr);
  const List& medias = *caller->find("medias")->list();
  ASSERT_EQ(medias.size(), 1u);
  EXPECT_EQ(*medias[0].dict()->find("index"), Value(1));
  EXPECT_EQ(*medias[0].dict()->find("type"), Value("audio"));
  const List& streams = *medias[0].dict()->find("streams")->list();
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0],
            Value(Dict{{"flags", Value(List{Value("RTP")})},
                       {"local port", 30018},
                       {"endpoint", Value(Dict{{"family", "IPv4"}, {"address", "10.0.0.5"}, {"port", 57370}})},
                       {"last packet", Value(std::int64_t{1'402'064'124})},
                       {"stats", Value(Dict{{"packets", 343}, {"bytes", 56950}, {"errors", 0}})}}));
  // No endpoint, no last packet: the keys are left out.
  EXPECT_EQ(streams[1].dict()->find("endpoint"), nullptr);
  EXPECT_EQ(streams[1].dict()->find("last packet"), nullptr);
  const Dict* callee = tags->find("0f0d2e18")->dict();
  const Dict* v6 = (*callee->find("medias")->list())[0].dict()->find("streams")->list()->front().dict();
  EXPECT_EQ(*v6->find("endpoint")->dict()->find("family"), Value("IPv6"));
}

TEST(NgMessage, DeleteReplyIsOkWithOrWithoutStatistics) {
  EXPECT_EQ(delete_reply(nullptr), ok());
  const auto stats = two_tag_call();
  Dict with = delete_reply(&stats);
  EXPECT_TRUE(with.contains("totals"));
  EXPECT_EQ(with, query_reply(stats));
}

TEST(NgMessage, ClientReadsReplies) {
  EXPECT_EQ(read_reply(pong()).result, NgResult::Pong);
  const auto sdp = read_reply(ok_with_sdp("v=0\r\n"));
  EXPECT_EQ(sdp.result, NgResult::Ok);
  EXPECT_EQ(sdp.sdp, "v=0\r\n");
  const auto err = read_reply(error_reply("Unknown call-id"));
  EXPECT_EQ(err.result, NgResult::Error);
  EXPECT_EQ(err.error_reason, "Unknown call-id");
  EXPECT_EQ(read_reply(list_reply({"a", "b"})).calls, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(read_reply(ok_with_warning("w")).warning, "w");
  EXPECT_EQ(read_reply(Dict{{"result", "maybe"}}).result, NgResult::Other);
  EXPECT_EQ(read_reply(Dict{{"result", 1}, {"sdp", 2}}), NgReply{});
}

TEST(NgMessage, CookiesFromTheRngAreSixteenHexDigitsAndDiffer) {
  SeededRng rng(7);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto c = make_cookie(rng);
    EXPECT_EQ(c.size(), 16u);
    EXPECT_TRUE(is_valid_cookie(c));
    EXPECT_EQ(c.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 1000u);
  SeededRng a(7);
  SeededRng b(7);
  EXPECT_EQ(make_cookie(a), make_cookie(b));  // same seed, same cookie
}

TEST(NgMessage, FlagEqualsTreatsSpaceAndHyphenAlike) {
  EXPECT_TRUE(flag_equals("trust address", "trust-address"));
  EXPECT_TRUE(flag_equals("SIP-source-address", "SIP source address"));
  EXPECT_FALSE(flag_equals("trust address", "trust_address"));
  EXPECT_FALSE(flag_equals("trust-address", "Trust-address"));
  EXPECT_FALSE(flag_equals("fast", "fas"));
}

}  // namespace
}  // namespace resproxy::media::ng
