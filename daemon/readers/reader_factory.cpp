#include "readers/reader_factory.hpp"

#include <stdexcept>

#include "identify/identifier_chain.hpp"
#include "readers/pcsc_reader.hpp"
#include "readers/sim_reader.hpp"

namespace kazasu {

std::shared_ptr<const TrustStore> load_trust_anchors(const IdentifyConfig& identify) {
  if (identify.trust_anchors.empty()) return nullptr;
  return TrustStore::load(identify.trust_anchors);
}

bool reader_feeds_basic_info(const ReaderConfig& reader, const Config& cfg) {
  for (const auto& name : reader.plugins) {
    for (const auto& p : cfg.plugins) {
      if (p.name == name && p.granted(kPermissionBasicInfo)) return true;
    }
  }
  return false;
}

std::unique_ptr<ReaderDriver> make_reader_driver(boost::asio::io_context& io, const ReaderConfig& reader,
                                                 const Config& cfg, const std::shared_ptr<const TrustStore>& trust,
                                                 PinSource& pins) {
  if (reader.driver == "sim") return std::make_unique<SimReader>(reader, cfg.sim_cards);
  if (reader.driver == "pcsc") {
    std::optional<BasicFourOptions> basic_four;
    if (reader_feeds_basic_info(reader, cfg)) {
      basic_four = BasicFourOptions{reader.name, std::chrono::milliseconds(cfg.identify.basic_info_pin_timeout_ms)};
    }
    return std::make_unique<PcscReader>(io, reader, make_identifier_chain(reader, cfg.identify, trust, &pins), &pins,
                                        std::move(basic_four));
  }
  throw std::invalid_argument("reader " + reader.name + ": unknown driver \"" + reader.driver + "\"");
}

}  // namespace kazasu
