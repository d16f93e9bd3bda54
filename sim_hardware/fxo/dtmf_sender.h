#pragma once
// Sends DTMF digits onto the line as timed tone bursts: DtmfTone on, `on` later DtmfTone off, then
// `off` of silence before the next digit. Used by both ends (the FXO card dialling and sending
// SendDtmf, the FXS end sending the far party's digits). Its timers live in the owner's heap; it
// reports through callbacks, so the owner must outlive it and not move.
#include <deque>
#include <functional>

#include "proxy/base/timer_heap.h"
#include "sim_hardware/fxo/line_signal.h"

namespace resproxy::fxo {

class DtmfSender {
 public:
  using Emit = std::function<void(TimePoint now, const LineSignal& signal)>;
  using Idle = std::function<void(TimePoint now)>;

  // `idle` runs when the last queued digit's off-time has passed.
  DtmfSender(TimerHeap& timers, Emit emit, Idle idle)
      : timers_(timers), emit_(std::move(emit)), idle_(std::move(idle)) {}
  DtmfSender(const DtmfSender&) = delete;
  DtmfSender& operator=(const DtmfSender&) = delete;

  // Queues one digit; it starts at once if nothing is being sent.
  void enqueue(TimePoint now, char digit, Duration on, Duration off) {
    queue_.push_back(Digit{digit, on, off});
    if (!timer_.is_set()) next(now);
  }
  // Stops sending: a tone that is on ends now; queued digits are dropped; `idle` does not run.
  void cancel(TimePoint now) {
    timers_.cancel(timer_);
    if (tone_on_) {
      tone_on_ = false;
      emit_(now, DtmfTone{current_, false});
    }
    queue_.clear();
  }
  [[nodiscard]] bool busy() const { return timer_.is_set(); }

 private:
  struct Digit {
    char digit;
    Duration on;
    Duration off;
  };
  void next(TimePoint now) {
    if (queue_.empty()) {
      idle_(now);
      return;
    }
    const Digit d = queue_.front();
    queue_.pop_front();
    current_ = d.digit;
    tone_on_ = true;
    emit_(now, DtmfTone{d.digit, true});
    timer_ = timers_.schedule(now + d.on, [this, d](TimePoint t) {
      tone_on_ = false;
      emit_(t, DtmfTone{d.digit, false});
      timer_ = timers_.schedule(t + d.off, [this](TimePoint t2) {
        timer_ = TimerId{};
        next(t2);
      });
    });
  }

  TimerHeap& timers_;
  Emit emit_;
  Idle idle_;
  std::deque<Digit> queue_;
  TimerId timer_;
  char current_ = '0';
  bool tone_on_ = false;
};

}  // namespace resproxy::fxo
