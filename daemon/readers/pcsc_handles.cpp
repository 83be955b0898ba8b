#include "readers/pcsc_handles.hpp"

#include <reader.h>

#include <openssl/crypto.h>

#include <vector>

namespace kazasu::pcsc {

std::string error_text(LONG rv) {
  return pcsc_stringify_error(rv);
}

bool service_lost(LONG rv) {
  return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED || rv == SCARD_E_INVALID_HANDLE ||
         rv == SCARD_F_COMM_ERROR || rv == SCARD_F_INTERNAL_ERROR;
}

bool card_gone(LONG rv) {
  return rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_RESET_CARD ||
         rv == SCARD_W_UNPOWERED_CARD || rv == SCARD_W_UNRESPONSIVE_CARD || rv == SCARD_E_NOT_TRANSACTED ||
         rv == SCARD_E_READER_UNAVAILABLE;
}

LONG Context::establish() {
  release();
  const LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx_);
  valid_ = rv == SCARD_S_SUCCESS;
  return rv;
}

void Context::release() {
  if (valid_) SCardReleaseContext(ctx_);
  valid_ = false;
  ctx_ = 0;
}

LONG Card::connect(const Context& ctx, const std::string& reader, DWORD share) {
  disconnect(SCARD_LEAVE_CARD);
  // T=0|T=1 and use what PC/SC picks (jpki.md §7.4).
  const LONG rv =
      SCardConnect(ctx.get(), reader.c_str(), share, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &handle_, &protocol_);
  connected_ = rv == SCARD_S_SUCCESS;
  return rv;
}

void Card::disconnect(DWORD disposition) {
  if (connected_) SCardDisconnect(handle_, disposition);
  connected_ = false;
}

DWORD Card::max_apdu_data_size() const {
  // PC/SC Part 10 §2.2: the feature list gives the ioctl of GET_TLV_PROPERTIES.
  unsigned char features[256];
  DWORD len = 0;
  if (SCardControl(handle_, CM_IOCTL_GET_FEATURE_REQUEST, nullptr, 0, features, sizeof features, &len) !=
      SCARD_S_SUCCESS) {
    return 0;
  }
  DWORD ioctl = 0;
  for (DWORD i = 0; i + 6 <= len; i += 6) {  // tag, length 4, ioctl big-endian
    if (features[i] == FEATURE_GET_TLV_PROPERTIES && features[i + 1] == 4) {
      ioctl = (DWORD{features[i + 2]} << 24) | (DWORD{features[i + 3]} << 16) | (DWORD{features[i + 4]} << 8) |
              features[i + 5];
    }
  }
  if (ioctl == 0) return 0;
  unsigned char props[256];
  if (SCardControl(handle_, ioctl, nullptr, 0, props, sizeof props, &len) != SCARD_S_SUCCESS) return 0;
  for (DWORD i = 0; i + 2 <= len;) {  // tag, length, value little-endian
    const unsigned tag = props[i];
    const unsigned size = props[i + 1];
    if (i + 2 + size > len) break;
    if (tag == PCSCv2_PART10_PROPERTY_dwMaxAPDUDataSize && size <= 4) {
      DWORD v = 0;
      for (unsigned k = 0; k < size; ++k) v |= DWORD{props[i + 2 + k]} << (8 * k);
      return v;
    }
    i += 2 + size;
  }
  return 0;
}

Result<apdu::Bytes> Channel::exchange(const apdu::Bytes& command) {
  const SCARD_IO_REQUEST* pci = card_.protocol() == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
  std::vector<unsigned char> buf(MAX_BUFFER_SIZE_EXTENDED);
  DWORD len = static_cast<DWORD>(buf.size());
  const LONG rv =
      SCardTransmit(card_.get(), pci, command.data(), static_cast<DWORD>(command.size()), nullptr, buf.data(), &len);
  if (rv != SCARD_S_SUCCESS) {
    OPENSSL_cleanse(buf.data(), buf.size());
    if (card_gone(rv)) {
      card_lost_ = true;
      return Error{kReadFailed, "the card was removed during the read; tap it again"};
    }
    return Error{kReadFailed, "the reader failed during the read: " + error_text(rv)};
  }
  apdu::Bytes out(buf.begin(), buf.begin() + len);
  OPENSSL_cleanse(buf.data(), len);
  return out;
}

}  // namespace kazasu::pcsc
