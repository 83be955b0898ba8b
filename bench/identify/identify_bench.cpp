// kazasu-identify-bench: N identifications of the card on one PC/SC reader at
// one level, through the daemon's own channel and identifiers. Prints APDUs
// and milliseconds per identification (median, p95). Time runs from the first
// APDU to the identity (design.md: time a tap from its first APDU, not from
// pcscd's 400 ms presence poll); connect and disconnect are outside it.
// With --basic-info the basic four are read after the identity, with the
// card-face PIN, as a reader feeding a card.basic_info plugin does.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "identify/basic_four_reader.hpp"
#include "identify/identifier_chain.hpp"
#include "readers/pcsc_handles.hpp"

using namespace kazasu;

int main(int argc, char** argv) {
  std::string reader = "Virtual PCD 00 00", level = "fast", trust, pin = "1234";
  int count = 50;
  bool basic_info = false;
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--basic-info") {
      basic_info = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << "kazasu-identify-bench: " << a << " needs a value\n";
      return 2;
    }
    if (a == "--reader")
      reader = argv[i + 1];
    else if (a == "--level")
      level = argv[i + 1];
    else if (a == "--count")
      count = std::stoi(argv[i + 1]);
    else if (a == "--trust")
      trust = argv[i + 1];
    else if (a == "--pin")
      pin = argv[i + 1];
    else {
      std::cerr << "usage: kazasu-identify-bench --reader NAME --level fast|verified|possession --count N "
                   "--trust CA.pem [--pin 1234] [--basic-info]\n";
      return 2;
    }
  }
  ReaderConfig rc;
  rc.name = "bench";
  rc.level = level;
  rc.accept = {"jpki"};
  IdentifyConfig ic;
  if (!trust.empty()) ic.trust_anchors = {trust};
  ic.pin_timeout_ms = 1000;
  ArmedPinSource pins(std::chrono::seconds(10));
  IdentifierChain chain =
      make_identifier_chain(rc, ic, ic.trust_anchors.empty() ? nullptr : TrustStore::load(ic.trust_anchors), &pins);

  pcsc::Context ctx;
  if (ctx.establish() != SCARD_S_SUCCESS) {
    std::cerr << "no pcscd\n";
    return 1;
  }
  std::vector<double> ms;
  std::size_t apdus = 0;
  for (int i = 0; i < count; ++i) {
    pcsc::Card card;
    const bool unlocks = chain.unlocks_keys() || basic_info;
    const LONG rv = card.connect(ctx, reader, unlocks ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED);
    if (rv != SCARD_S_SUCCESS) {
      std::cerr << "connect: " << pcsc::error_text(rv) << "\n";
      return 1;
    }
    pcsc::Channel channel(card, card.max_apdu_data_size() > 256);
    std::string p = pin;
    pins.arm("bench", p);
    p = pin;
    pins.arm("bench", PinPurpose::basic_info, p);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = chain.identify(channel);
    BasicInfoRead four;
    if (r && basic_info) four = read_basic_four(channel, pins, BasicFourOptions{"bench", std::chrono::milliseconds(0)});
    const auto t1 = std::chrono::steady_clock::now();
    card.disconnect(unlocks ? SCARD_UNPOWER_CARD : SCARD_LEAVE_CARD);
    if (!r) {
      std::cerr << "identification failed: " << r.error().reason << ": " << r.error().message << "\n";
      return 1;
    }
    if (basic_info && four.status != kBasicInfoRead) {
      std::cerr << "basic four not read: " << four.status << ": " << four.message << "\n";
      return 1;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    apdus = channel.apdu_count();
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  const double p95 = ms[std::min(ms.size() - 1, static_cast<std::size_t>(ms.size() * 0.95))];
  std::printf("level=%s%s n=%d apdus=%zu median_ms=%.2f p95_ms=%.2f\n", level.c_str(), basic_info ? "+basic_info" : "",
              count, apdus, median, p95);
  return 0;
}
