// The media relay's data path: sockets on the relay's ports (OpenMediaPort, CloseMediaPort).
#include "proxy/native/runtime_impl.h"

namespace resproxy::native {

void NativeRuntime::Impl::perform(OpenMediaPort& effect) {
  asio::post(io_, [self = shared_from_this(), local = effect.local] {
    if (self->stopped_) return;
    self->deliver([&local](Node& node, TimePoint t) {
      node.on_completion(t, MediaPortFailed{.local = local, .error = "unsupported"});
    });
  });
}

void NativeRuntime::Impl::perform(CloseMediaPort&) {}

}  // namespace resproxy::native
