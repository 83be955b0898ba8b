// Which driver serves a configured reader: "sim" -> SimReader, "pcsc" ->
// PcscReader with the identifier chain its `accept` list and level ask for.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "config/config.hpp"
#include "identify/pin_source.hpp"
#include "identify/trust_store.hpp"
#include "readers/reader_driver.hpp"

namespace kazasu {

/** The trust anchors of [identify.jpki], or null when none are configured. Throws on an unreadable file. */
std::shared_ptr<const TrustStore> load_trust_anchors(const IdentifyConfig& identify);

/** True when some plugin the reader feeds is granted card.basic_info: the reader then reads the basic four. */
bool reader_feeds_basic_info(const ReaderConfig& reader, const Config& cfg);

std::unique_ptr<ReaderDriver> make_reader_driver(boost::asio::io_context& io, const ReaderConfig& reader,
                                                 const Config& cfg, const std::shared_ptr<const TrustStore>& trust,
                                                 PinSource& pins);

}  // namespace kazasu
