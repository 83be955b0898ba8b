// The vicc side of the vsmartcard vpcd protocol (jpki.md §6): the simulator connects to
// vpcd's TCP port; every message is a 2-byte big-endian length plus payload.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bytes.hpp"
#include "unique_fd.hpp"

namespace kazasu::cardsim {

// Control bytes vpcd sends as 1-byte messages (jpki.md §6 "Control messages").
inline constexpr std::uint8_t kVpcdPowerOff = 0x00;
inline constexpr std::uint8_t kVpcdPowerOn = 0x01;
inline constexpr std::uint8_t kVpcdReset = 0x02;
inline constexpr std::uint8_t kVpcdGetAtr = 0x04;

class VpcdLink {
 public:
  // nullopt when nothing listens there yet (pcscd not started): the caller retries.
  static std::optional<VpcdLink> connect(const std::string& host, std::uint16_t port);

  int fd() const { return fd_.get(); }

  // Blocks for one whole message. nullopt: vpcd closed the connection or it broke.
  std::optional<Bytes> read_frame();
  bool write_frame(const Bytes& payload);

  // Takes the card out of the field so that vpcd can only see a broken link, never an
  // answer: writes the 2-byte header of a frame that never comes, then closes with a TCP
  // reset (SO_LINGER 0) instead of a FIN. See docs/cardsim.md "Removal and vpcd" for why a
  // plain close() is not enough: vpcd turns it into an empty, *successful* transmit.
  void break_off();

 private:
  explicit VpcdLink(UniqueFd fd) : fd_(std::move(fd)) {}
  bool read_exact(std::uint8_t* data, std::size_t size);

  UniqueFd fd_;
};

}  // namespace kazasu::cardsim
