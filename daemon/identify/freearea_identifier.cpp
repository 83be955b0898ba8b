#include "identify/freearea_identifier.hpp"

#include <cstdio>

#include "identify/der.hpp"

namespace kazasu {
namespace {

constexpr std::size_t kChunk = 256;
constexpr std::size_t kMaxFreeArea = 4096;  // far above any ID; bounds a malformed length

// One BER-TLV element: 1- or 2-byte tag (ISO 7816-4 §5.2.2.1), definite length.
struct Element {
  apdu::Bytes tag;
  std::size_t value_pos = 0;
  std::size_t length = 0;
};

bool next_element(const apdu::Bytes& d, std::size_t pos, std::size_t end, Element& e) {
  if (pos >= end) return false;
  e.tag.assign(1, d[pos]);
  std::size_t p = pos + 1;
  if ((d[pos] & 0x1F) == 0x1F) {
    if (p >= end || (d[p] & 0x80) != 0) return false;  // three-byte tags are not supported
    e.tag.push_back(d[p++]);
  }
  der::Header h;
  // Reuse the DER length rules: read_header wants a tag byte before the length.
  apdu::Bytes fake = {0x04};
  fake.insert(fake.end(), d.begin() + static_cast<long>(p), d.begin() + static_cast<long>(std::min(end, p + 5)));
  if (der::read_header(fake.data(), fake.size(), 0, h) != der::Status::ok) return false;
  e.value_pos = p + h.header_size - 1;
  e.length = h.length;
  return e.length <= end - std::min(end, e.value_pos) && e.value_pos <= end;
}

}  // namespace

bool find_free_area_id(const apdu::Bytes& data, const apdu::Bytes& tag, apdu::Bytes& value) {
  Element outer;
  std::size_t pos = 0;
  while (next_element(data, pos, data.size(), outer)) {
    if (outer.tag.size() == 1 && (outer.tag[0] == 0x00 || outer.tag[0] == 0xFF)) return false;  // filler
    const std::size_t end = outer.value_pos + outer.length;
    if (outer.tag == tag) {
      value.assign(data.begin() + static_cast<long>(outer.value_pos), data.begin() + static_cast<long>(end));
      return true;
    }
    if ((outer.tag[0] & 0x20) != 0) {  // constructed: look one level inside
      Element inner;
      std::size_t ip = outer.value_pos;
      while (next_element(data, ip, end, inner)) {
        const std::size_t iend = inner.value_pos + inner.length;
        if (inner.tag == tag) {
          value.assign(data.begin() + static_cast<long>(inner.value_pos), data.begin() + static_cast<long>(iend));
          return true;
        }
        ip = iend;
      }
    }
    pos = end;
  }
  return false;
}

Result<CardIdentity> FreeAreaIdentifier::identify(CardChannel& channel) {
  auto sel = channel.transmit(apdu::select_aid(options_.aid));
  if (!sel) return sel.error();
  if (!sel->ok()) return Error{kNotThisCard, "no free-area application (SW " + apdu::sw_text(sel->sw) + ")"};
  auto ef = channel.transmit(apdu::select_ef(options_.ef));
  if (!ef) return ef.error();
  if (!ef->ok())
    return Error{"freearea_missing", "the card's free area has no ID file (SW " + apdu::sw_text(ef->sw) + ")"};

  apdu::Bytes data;
  std::size_t want = kChunk;
  while (data.size() < want) {
    auto r = channel.transmit(apdu::read_binary(static_cast<std::uint16_t>(data.size()), 0));
    if (!r) return r.error();
    if (!r->ok() || r->data.empty()) break;  // end of file
    data.insert(data.end(), r->data.begin(), r->data.end());
    der::Header h;
    apdu::Bytes tlv_len_probe(data.begin() + ((data[0] & 0x1F) == 0x1F ? 1 : 0), data.end());
    if (der::read_header(tlv_len_probe.data(), tlv_len_probe.size(), 0, h) == der::Status::ok) {
      want = std::min(kMaxFreeArea, h.total() + (data.size() - tlv_len_probe.size()));
    }
    if (r->data.size() < kChunk) break;  // a short chunk is the end of the file
  }
  apdu::Bytes id;
  if (!find_free_area_id(data, options_.tag, id) || id.empty()) {
    return Error{"freearea_missing", "the card's free area holds no ID with the configured tag"};
  }
  return CardIdentity{"freearea", "fast", apdu::to_hex(options_.aid), apdu::to_hex(id)};
}

}  // namespace kazasu
