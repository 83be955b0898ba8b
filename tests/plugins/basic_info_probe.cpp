// What a plugin granted card.basic_info is meant to do with the basic four:
// compare them with what it expects (here from its settings; an election
// plugin would look in the roll) and publish only the verdict. Built twice,
// as probe_granted (the config grants it) and probe_plain (it does not), so a
// test sees both sides of the permission on the same tap.
#include <kazasu/plugin.hpp>
#include <nlohmann/json.hpp>
#include <string>

#ifndef PROBE_NAME
#error "PROBE_NAME names the plugin"
#endif

class BasicInfoProbe : public kazasu::Plugin {
 public:
  static constexpr kazasu_setting kSettings[] = {
      {"expect_name", KAZASU_SETTING_STRING, "\"\"", "The name the card should carry.", 0, 0},
      {"expect_birth_date", KAZASU_SETTING_STRING, "\"\"", "The birth date (YYYYMMDD) the card should carry.", 0, 0},
  };
  explicit BasicInfoProbe(kazasu::Host host) : Plugin(host) {
    const auto cfg = nlohmann::json::parse(host.config_json());
    expect_name_ = cfg.value("expect_name", "");
    expect_birth_ = cfg.value("expect_birth_date", "");
  }
  void on_tap(const kazasu::Tap& tap) override {
    nlohmann::json out = {{"status", tap.status},
                          {"identified", tap.identified()},
                          {"basic_info_status", tap.basic_info_status},
                          {"basic_info_message", tap.basic_info_message},
                          {"has_basic_info", tap.basic_info.has_value()}};
    if (tap.basic_info) {
      out["name_matches"] = tap.basic_info->name == expect_name_;
      out["birth_matches"] = tap.basic_info->birth_date == expect_birth_;
      out["address_present"] = !tap.basic_info->address.empty();
      out["sex_valid"] = tap.basic_info->sex.size() == 1;
    }
    publish("seen", out.dump());
  }

 private:
  std::string expect_name_;
  std::string expect_birth_;
};

KAZASU_PLUGIN(BasicInfoProbe, PROBE_NAME, "1.0.0", "Matches the basic four against its settings.")
