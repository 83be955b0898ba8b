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

std::unique_ptr<ReaderDriver> make_reader_driver(boost::asio::io_context& io, const ReaderConfig& reader,
                                                 const Config& cfg, std::shared_ptr<const TrustStore> trust,
                                                 PinSource& pins) {
  if (reader.driver == "sim") return std::make_unique<SimReader>(reader, cfg.sim_cards);
  if (reader.driver == "pcsc") {
    return std::make_unique<PcscReader>(io, reader, make_identifier_chain(reader, cfg.identify, trust, &pins), &pins);
  }
  throw std::invalid_argument("reader " + reader.name + ": unknown driver \"" + reader.driver + "\"");
}

}  // namespace kazasu
