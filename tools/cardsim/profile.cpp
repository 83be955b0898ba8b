#include "profile.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "file_util.hpp"

namespace kazasu::cardsim {

using nlohmann::json;

namespace {

std::string hex_u16(std::uint16_t value) {
  Bytes bytes;
  append_be16(bytes, value);
  return to_hex(bytes);
}

}  // namespace

void save_profile(const std::filesystem::path& card_dir, const CardProfile& p) {
  json j;
  j["format"] = kProfileFormat;
  j["variant"] = p.variant;
  j["atr"] = to_hex(p.atr);
  j["uid"] = p.uid ? json(to_hex(*p.uid)) : json(nullptr);
  j["jpki"] = p.jpki;
  for (const auto& [name, pin] : p.pins) {
    j["pins"][name] = {{"value", pin.value}, {"max_tries", pin.max_tries}, {"initial_tries", pin.initial_tries}};
  }
  if (p.jpki) {
    j["basic_four"] = {{"name", p.basic_four.name},
                       {"address", p.basic_four.address},
                       {"birth", p.basic_four.birth},
                       {"sex", p.basic_four.sex}};
    j["my_number"] = p.my_number;
    j["token_label"] = p.token_label;
    j["municipality_code"] = p.municipality_code;
    j["certificates"] = {{"auth_cn", p.auth_cn},
                         {"auth_serial", p.auth_serial},
                         {"sign_serial", p.sign_serial},
                         {"not_before", p.not_before},
                         {"not_after", p.not_after}};
  }
  if (p.free_area) {
    j["free_area"] = {{"aid", to_hex(p.free_area->aid)}, {"ef", hex_u16(p.free_area->ef)}, {"id", p.free_area->id}};
  } else {
    j["free_area"] = nullptr;
  }
  j["ef_sizes"] = p.ef_sizes;
  if (p.renewed_from_cn) {
    j["renewed_from"] = {{"auth_cn", *p.renewed_from_cn}, {"auth_serial", p.renewed_from_serial.value_or("")}};
  }
  write_text_file_atomic(card_dir / kProfileFile, j.dump(2) + "\n");
}

CardProfile load_profile(const std::filesystem::path& card_dir) {
  const json j = json::parse(read_text_file(card_dir / kProfileFile));
  if (j.value("format", "") != kProfileFormat) {
    throw std::runtime_error("unsupported card.json format in " + card_dir.string());
  }
  CardProfile p;
  p.variant = j.value("variant", "valid");
  p.atr = from_hex(j.at("atr").get<std::string>());
  if (j.contains("uid") && !j["uid"].is_null()) p.uid = from_hex(j["uid"].get<std::string>());
  p.jpki = j.value("jpki", true);
  if (j.contains("pins")) {
    for (const auto& [name, pin] : j["pins"].items()) {
      p.pins[name] = PinProfile{pin.at("value").get<std::string>(), pin.at("max_tries").get<int>(),
                                pin.at("initial_tries").get<int>()};
    }
  }
  if (p.jpki) {
    const json& b = j.at("basic_four");
    p.basic_four = {b.at("name"), b.at("address"), b.at("birth"), b.at("sex")};
    p.my_number = j.at("my_number");
    p.token_label = j.value("token_label", "JPKIAPICCTOKEN2");
    p.municipality_code = j.value("municipality_code", "");
    const json& c = j.at("certificates");
    p.auth_cn = c.value("auth_cn", "");
    p.auth_serial = c.value("auth_serial", "");
    p.sign_serial = c.value("sign_serial", "");
    p.not_before = c.value("not_before", "");
    p.not_after = c.value("not_after", "");
  }
  if (j.contains("free_area") && !j["free_area"].is_null()) {
    const json& f = j["free_area"];
    const Bytes ef = from_hex(f.at("ef").get<std::string>());
    if (ef.size() != 2) throw std::runtime_error("free_area.ef must be 2 bytes");
    p.free_area = FreeAreaProfile{from_hex(f.at("aid").get<std::string>()),
                                  static_cast<std::uint16_t>((ef[0] << 8) | ef[1]), f.at("id").get<std::string>()};
  }
  if (j.contains("ef_sizes")) p.ef_sizes = j["ef_sizes"].get<std::map<std::string, std::size_t>>();
  if (j.contains("renewed_from")) {
    p.renewed_from_cn = j["renewed_from"].value("auth_cn", "");
    p.renewed_from_serial = j["renewed_from"].value("auth_serial", "");
  }
  return p;
}

std::map<std::string, int> load_pin_state(const std::filesystem::path& card_dir, const CardProfile& profile) {
  std::map<std::string, int> state;
  for (const auto& [name, pin] : profile.pins) state[name] = pin.initial_tries;
  const auto path = card_dir / kStateFile;
  if (!std::filesystem::exists(path)) return state;
  const json j = json::parse(read_text_file(path));
  const auto tries = j.find("remaining_tries");
  if (tries == j.end() || !tries->is_object()) return state;
  for (auto it = tries->begin(); it != tries->end(); ++it) {
    if (state.count(it.key())) state[it.key()] = it->get<int>();
  }
  return state;
}

void save_pin_state(const std::filesystem::path& card_dir, const std::map<std::string, int>& state) {
  const json j = {{"remaining_tries", state}};
  write_text_file_atomic(card_dir / kStateFile, j.dump(2) + "\n");
}

std::size_t ef_size(const CardProfile& profile, const std::string& key, std::size_t content_size) {
  const auto it = profile.ef_sizes.find(key);
  if (it == profile.ef_sizes.end()) return content_size;
  if (it->second < content_size) {
    throw std::runtime_error("ef_sizes." + key + " is smaller than its content");
  }
  return it->second;
}

}  // namespace kazasu::cardsim
