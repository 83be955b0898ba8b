// The card's static content: applications, their EFs, PIN EFs and key EFs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bytes.hpp"
#include "ossl.hpp"
#include "pin.hpp"

namespace kazasu::cardsim {

struct ElementaryFile {
  Bytes content;                     // full file, filler included
  std::optional<std::uint16_t> pin;  // PIN EF that must be verified before READ BINARY
  std::string select_marker;         // trace line written whenever this EF is selected
};

struct KeyFile {
  EvpPkeyPtr key;
  std::uint16_t pin = 0;  // PIN EF that must be verified before signing
};

struct Application {
  std::string name;  // "jpki", "text", "free-area": used in traces and ef_sizes keys
  Bytes aid;
  std::map<std::uint16_t, ElementaryFile> efs;
  std::map<std::uint16_t, PinCounter> pins;
  std::map<std::uint16_t, KeyFile> keys;
};

struct CardModel {
  Bytes atr;
  std::optional<Bytes> uid;  // contactless UID for FF CA 00 00 (badge profiles)
  std::vector<Application> apps;
};

}  // namespace kazasu::cardsim
