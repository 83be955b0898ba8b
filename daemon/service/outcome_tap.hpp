// The outcomes of this station as they are committed, for `kazasuctl tail`:
// the publisher hands every outcome it queues here (one line in
// Publisher::enqueue), and each tail session's ControlStream gets it as one
// JSON line `{"topic":T,"payload":P}`, the same topic and payload a
// subscriber of the broker receives. Outcomes that change a card's link
// (events `linked`, `unlinked`, `link_refused` of any plugin) are also
// recorded in the audit log here.
//
// io thread only. At most kMaxSubscribers streams; each stream bounds its own
// queue (ControlStream), so a slow client costs a bounded amount of memory
// and is dropped, never waited for.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kazasu {

class ControlStream;

class OutcomeTap {
 public:
  static constexpr size_t kMaxSubscribers = 4;
  /** The process's tap (one per process: stations come and go on reload, tail sessions end with them). */
  static OutcomeTap& process();

  /** Adds a stream; false when kMaxSubscribers live streams are already there. */
  bool subscribe(const std::shared_ptr<ControlStream>& stream);
  /** One outcome, as queued for the broker. */
  void publish(const std::string& topic, const std::string& payload, bool retained = false);
  [[nodiscard]] size_t subscribers();

  /** True for the events recorded as link changes. */
  static bool is_link_event(std::string_view event);

 private:
  void prune();
  std::vector<std::weak_ptr<ControlStream>> streams_;
};

}  // namespace kazasu
