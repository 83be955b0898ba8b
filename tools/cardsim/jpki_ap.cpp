// The JPKI AP (公的個人認証AP): certificates, token info, two PINs and two RSA keys.
#include <stdexcept>

#include "applications.hpp"
#include "file_util.hpp"
#include "tlv.hpp"

namespace kazasu::cardsim {

namespace {

PinCounter make_pin(const CardProfile& profile, const std::map<std::string, int>& state, const char* name) {
  const auto it = profile.pins.find(name);
  if (it == profile.pins.end()) throw std::runtime_error(std::string("card.json has no pin ") + name);
  const auto remaining = state.find(name);
  return PinCounter(name, it->second.value, it->second.max_tries,
                    remaining == state.end() ? it->second.initial_tries : remaining->second);
}

void add_cert_ef(Application& app, const CardProfile& profile, std::uint16_t fid, const Bytes& der,
                 std::optional<std::uint16_t> pin) {
  char key[16];
  std::snprintf(key, sizeof key, "jpki.%04X", fid);
  app.efs[fid] = ElementaryFile{pad_with_filler(der, ef_size(profile, key, der.size())), pin, {}};
}

}  // namespace

Bytes make_token_info(const std::string& label) {
  // PKCS#11 CK_TOKEN_INFO with big-endian integers (jpki.md §1 "EF 0006 in full").
  auto padded = [](const std::string& text, std::size_t size) {
    Bytes out = to_bytes(text.substr(0, size));
    out.resize(size, ' ');
    return out;
  };
  Bytes info = padded(label, 32);
  append(info, padded("J-LIS TEST (kazasu-cardsim)", 32));  // manufacturerID
  append(info, padded("JPKI", 16));                         // model
  append(info, padded("0000000000000000", 16));             // serialNumber
  constexpr std::uint32_t kFlags = 0x0000040D;  // RNG | LOGIN_REQUIRED | USER_PIN_INITIALIZED | TOKEN_INITIALIZED
  append_be32(info, kFlags);
  for (int i = 0; i < 4; ++i) append_be32(info, 0);           // session counts
  append_be32(info, 16);                                      // maxPinLen: the sign password allows 16 (jpki.md §2.2)
  append_be32(info, 4);                                       // minPinLen: the auth PIN is 4 digits
  for (int i = 0; i < 4; ++i) append_be32(info, 0xFFFFFFFF);  // memory: CK_UNAVAILABLE_INFORMATION
  append(info, {0x01, 0x00, 0x01, 0x00});                     // hw/fw version
  append(info, padded("", 16));                               // utcTime: not a clock token
  if (info.size() != kTokenInfoSize) throw std::logic_error("token info layout");
  return info;
}

Application make_jpki_ap(const std::filesystem::path& card_dir, const CardProfile& profile,
                         const std::map<std::string, int>& pin_state) {
  Application app;
  app.name = "jpki";
  app.aid = kJpkiAid;
  app.pins.emplace(kPinAuth, make_pin(profile, pin_state, kAuthPinName));
  app.pins.emplace(kPinSign, make_pin(profile, pin_state, kSignPasswordName));

  // Auth certificate and both CA copies are readable without a PIN; the signature
  // certificate needs the signature password even to read (jpki.md §2.2, §7.5).
  add_cert_ef(app, profile, kEfAuthCert, read_file(card_dir / kAuthCertDer), std::nullopt);
  add_cert_ef(app, profile, kEfAuthCaCert, read_file(card_dir / kAuthCaCertDer), std::nullopt);
  add_cert_ef(app, profile, kEfSignCaCert, read_file(card_dir / kSignCaCertDer), std::nullopt);
  add_cert_ef(app, profile, kEfSignCert, read_file(card_dir / kSignCertDer), kPinSign);
  app.efs[kEfTokenInfo] = ElementaryFile{make_token_info(profile.token_label), std::nullopt, {}};
  // 8F 8F 00: both certificates present (jpki.md §2.2).
  app.efs[kEfCertAvailability] = ElementaryFile{{0x8F, 0x8F, 0x00}, std::nullopt, {}};

  app.keys.emplace(kKeyAuth, KeyFile{private_key_from_pem_file(card_dir / kAuthKeyPem), kPinAuth});
  app.keys.emplace(kKeySign, KeyFile{private_key_from_pem_file(card_dir / kSignKeyPem), kPinSign});
  return app;
}

CardModel load_card_model(const std::filesystem::path& card_dir, const std::map<std::string, int>& pin_state) {
  const CardProfile profile = load_profile(card_dir);
  CardModel model;
  model.atr = profile.atr;
  model.uid = profile.uid;
  if (profile.jpki) {
    model.apps.push_back(make_jpki_ap(card_dir, profile, pin_state));
    model.apps.push_back(make_text_ap(profile, pin_state));
  }
  if (profile.free_area) model.apps.push_back(make_free_area_ap(profile));
  return model;
}

}  // namespace kazasu::cardsim
