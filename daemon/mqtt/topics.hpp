// The MQTT contract v1 (design.md): every topic lives under
// kazasu/v1/{site}/{station}/ and every payload is a JSON object with
// `schema`, `id` and `ts`.
#pragma once

#include <string>

namespace kazasu {

class Topics {
 public:
  Topics(std::string site, std::string station)
      : site_(std::move(site)), station_(std::move(station)), root_("kazasu/v1/" + site_ + "/" + station_ + "/") {}

  [[nodiscard]] const std::string& root() const { return root_; }
  [[nodiscard]] const std::string& site() const { return site_; }
  [[nodiscard]] const std::string& station() const { return station_; }
  [[nodiscard]] std::string status() const { return root_ + "status"; }
  [[nodiscard]] std::string reader(const std::string& reader) const { return root_ + "readers/" + reader; }
  [[nodiscard]] std::string outcome(const std::string& plugin, const std::string& event) const {
    return root_ + plugin + "/" + event;
  }
  /** The `schema` value of a payload on `{plugin}/{event}`. */
  [[nodiscard]] static std::string schema(const std::string& plugin, const std::string& event) {
    return "kazasu/v1/" + plugin + "/" + event;
  }

 private:
  std::string site_;
  std::string station_;
  std::string root_;
};

}  // namespace kazasu
