#include "sim_hardware/q931/message.h"

namespace resproxy::q931 {

bool is_known(MessageType type) {
  switch (type) {
    case MessageType::Alerting:
    case MessageType::CallProceeding:
    case MessageType::Progress:
    case MessageType::Setup:
    case MessageType::Connect:
    case MessageType::SetupAcknowledge:
    case MessageType::ConnectAcknowledge:
    case MessageType::Disconnect:
    case MessageType::Restart:
    case MessageType::Release:
    case MessageType::RestartAcknowledge:
    case MessageType::ReleaseComplete:
    case MessageType::StatusEnquiry:
    case MessageType::Information:
    case MessageType::Status: return true;
  }
  return false;
}

std::string_view to_string(MessageType type) {
  switch (type) {
    case MessageType::Alerting: return "ALERTING";
    case MessageType::CallProceeding: return "CALL PROCEEDING";
    case MessageType::Progress: return "PROGRESS";
    case MessageType::Setup: return "SETUP";
    case MessageType::Connect: return "CONNECT";
    case MessageType::SetupAcknowledge: return "SETUP ACKNOWLEDGE";
    case MessageType::ConnectAcknowledge: return "CONNECT ACKNOWLEDGE";
    case MessageType::Disconnect: return "DISCONNECT";
    case MessageType::Restart: return "RESTART";
    case MessageType::Release: return "RELEASE";
    case MessageType::RestartAcknowledge: return "RESTART ACKNOWLEDGE";
    case MessageType::ReleaseComplete: return "RELEASE COMPLETE";
    case MessageType::StatusEnquiry: return "STATUS ENQUIRY";
    case MessageType::Information: return "INFORMATION";
    case MessageType::Status: return "STATUS";
  }
  return "UNKNOWN";
}

ChannelIdentification ChannelIdentification::exclusive_b_channel(std::uint8_t number) {
  ChannelIdentification c;
  c.exclusive = true;
  c.channels = {number};
  return c;
}

ChannelIdentification ChannelIdentification::preferred_b_channel(std::uint8_t number) {
  ChannelIdentification c;
  c.exclusive = false;
  c.channels = {number};
  return c;
}

ChannelIdentification ChannelIdentification::any_channel() {
  ChannelIdentification c;
  c.exclusive = false;
  c.selection = ChannelSelection::Any;
  return c;
}

}  // namespace resproxy::q931
