// `possession`: the card proves it holds the private key of its certificate.
// The holder's 4-digit auth PIN opens key EF 0017; the card then signs the
// DigestInfo of a fresh random challenge (COMPUTE DIGITAL SIGNATURE, jpki.md
// §2.5), checked with the certificate's public key. A PIN is tried at most
// once per tap and never on the holder's behalf (design.md "Cards").
#pragma once

#include <openssl/x509.h>
#include <chrono>
#include <string>

#include "core/result.hpp"
#include "identify/card_channel.hpp"
#include "identify/pin_source.hpp"

namespace kazasu::jpki {

struct PossessionOptions {
  std::string reader;                        // whose armed PIN to take
  std::chrono::milliseconds pin_timeout{0};  // how long to wait for it
};

/**
 * Runs after the certificate was read and verified (the JPKI AP is current).
 * Errors: pin_required, pin_wrong, pin_locked, possession_failed, read_failed.
 */
Result<bool> prove_possession(CardChannel& channel, X509* certificate, PinSource& pins, const PossessionOptions& o);

}  // namespace kazasu::jpki
