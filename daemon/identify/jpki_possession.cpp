#include "identify/jpki_possession.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>

#include "identify/ossl.hpp"

namespace kazasu::jpki {
namespace {

using apdu::Bytes;

constexpr std::size_t kChallengeBytes = 32;
// DER prefix of a SHA-256 DigestInfo (jpki.md §2.5, RFC 8017 §9.2 note 1).
constexpr std::uint8_t kSha256DigestInfo[] = {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                              0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
constexpr const char* kLockedMessage = "the card's PIN is locked; send the holder to the city office counter";

Error locked() {
  return Error{"pin_locked", kLockedMessage};
}

// VERIFY `00 20 00 80 Lc PIN` (jpki.md §2.4); the command buffer is wiped after.
Result<apdu::Response> verify_pin(CardChannel& channel, const SecretPin& pin) {
  Bytes command = apdu::command(0x00, 0x20, 0x00, 0x80, reinterpret_cast<const std::uint8_t*>(pin.digits().data()),
                                pin.digits().size());
  auto r = channel.transmit(command);
  OPENSSL_cleanse(command.data(), command.size());
  return r;
}

Result<bool> check_signature(X509* certificate, const unsigned char* digest, const Bytes& signature) {
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  if (key == nullptr) return Error{"possession_failed", "the certificate's public key is unreadable"};
  ossl::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1) {
    return Error{"possession_failed", "cannot check the card's signature: " + ossl::last_error()};
  }
  if (EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest, SHA256_DIGEST_LENGTH) != 1) {
    ossl::last_error();
    return Error{"possession_failed", "the card's signature does not match its certificate"};
  }
  return true;
}

}  // namespace

Result<bool> prove_possession(CardChannel& channel, X509* certificate, PinSource& pins, const PossessionOptions& o) {
  auto sel = channel.transmit(apdu::select_ef(apdu::kEfAuthPin));
  if (!sel) return sel.error();
  if (!sel->ok()) return Error{kReadFailed, "the card has no authentication PIN (SW " + apdu::sw_text(sel->sw) + ")"};
  // The empty VERIFY costs no try (jpki.md §7.6): a locked card is refused
  // before the holder is asked for a PIN.
  auto status = channel.transmit({0x00, 0x20, 0x00, 0x80});
  if (!status) return status.error();
  if (status->sw == apdu::kSwPinBlocked || apdu::pin_tries_left(status->sw) == 0) {
    pins.discard(o.reader, PinPurpose::auth);  // typed for this card, never to be tried on the next
    return locked();
  }

  std::optional<SecretPin> pin = pins.take(o.reader, PinPurpose::auth, o.pin_timeout);
  if (!pin) {
    return Error{"pin_required", "this reader needs the holder's 4-digit PIN (kazasuctl pin --reader " + o.reader +
                                     ") before the card is tapped"};
  }
  auto verified = verify_pin(channel, *pin);
  pin.reset();  // wiped: the PIN is not needed past VERIFY
  if (!verified) return verified.error();
  if (verified->sw == apdu::kSwPinBlocked || apdu::pin_tries_left(verified->sw) == 0) return locked();
  if (const int left = apdu::pin_tries_left(verified->sw); left > 0) {
    return Error{"pin_wrong", "wrong PIN; " + std::to_string(left) + (left == 1 ? " try" : " tries") +
                                  " left before the card locks"};
  }
  if (!verified->ok())
    return Error{"possession_failed", "the card refused the PIN (SW " + apdu::sw_text(verified->sw) + ")"};

  unsigned char challenge[kChallengeBytes];
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if (RAND_bytes(challenge, sizeof challenge) != 1) return Error{"possession_failed", "no randomness for a challenge"};
  SHA256(challenge, sizeof challenge, digest);

  auto key = channel.transmit(apdu::select_ef(apdu::kEfAuthKey));
  if (!key) return key.error();
  if (!key->ok()) return Error{kReadFailed, "the card has no authentication key (SW " + apdu::sw_text(key->sw) + ")"};
  // COMPUTE DIGITAL SIGNATURE `80 2A 00 80 Lc DigestInfo 00` (jpki.md §2.5).
  std::uint8_t digest_info[sizeof kSha256DigestInfo + sizeof digest];
  std::copy(std::begin(kSha256DigestInfo), std::end(kSha256DigestInfo), digest_info);
  std::copy(std::begin(digest), std::end(digest), digest_info + sizeof kSha256DigestInfo);
  const Bytes command = apdu::command(0x80, 0x2A, 0x00, 0x80, digest_info, sizeof digest_info, 0x00);
  auto signed_ = channel.transmit(command);
  if (!signed_) return signed_.error();
  if (!signed_->ok() || signed_->data.empty()) {
    return Error{"possession_failed", "the card refused to sign (SW " + apdu::sw_text(signed_->sw) + ")"};
  }
  return check_signature(certificate, digest, signed_->data);
}

}  // namespace kazasu::jpki
