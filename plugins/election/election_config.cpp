#include "election_config.hpp"

#include <kazasu/reader_names.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "roll_csv.hpp"

namespace kazasu::election {

int assurance_rank(const std::string& level) {
  if (level == "uid") return 0;  // a UID can be copied
  if (level == "fast") return 1;
  if (level == "verified") return 2;
  if (level == "possession") return 3;
  return -1;
}

ElectionConfig parse_config(const std::string& config_json) {
  const auto j = nlohmann::json::parse(config_json);
  ElectionConfig c;
  if (!j.contains("polling_station") || !j["polling_station"].is_string()) {
    throw std::invalid_argument("polling_station: required (this station's id as election/cmd/open lists it)");
  }
  c.polling_station = j["polling_station"].get<std::string>();
  if (!valid_id(c.polling_station)) {
    throw std::invalid_argument("polling_station: \"" + c.polling_station +
                                "\" is not a station id (A-Z, a-z, 0-9, _, -; at most 64)");
  }
  c.counter_reader = j.value("counter_reader", std::string());
  if (!c.counter_reader.empty() && !valid_reader_name(c.counter_reader)) {
    throw std::invalid_argument("counter_reader: \"" + c.counter_reader +
                                "\" is not a reader name ([A-Za-z0-9_-], at most 64)");
  }
  c.link_timeout_ms = j.value("link_timeout_s", int64_t{120}) * 1000;
  c.link_min_assurance = j.value("link_min_assurance", std::string("possession"));
  if (assurance_rank(c.link_min_assurance) < 1) {
    throw std::invalid_argument("link_min_assurance: expected fast, verified or possession, found \"" +
                                c.link_min_assurance + "\"");
  }
  c.max_roll_lines = j.value("max_roll_lines", int64_t{200000});
  c.max_roll_bytes = j.value("max_roll_mb", int64_t{64}) * 1024 * 1024;
  const std::string reception = j.value("reception", std::string("confirm"));
  if (reception != "confirm" && reception != "one_step") {
    throw std::invalid_argument("reception: expected confirm or one_step, found \"" + reception + "\"");
  }
  c.one_step = reception == "one_step";
  c.match_timeout_ms = j.value("match_timeout_s", int64_t{300}) * 1000;
  const auto find_by = j.value("find_by", std::vector<std::string>{"token"});
  c.by_token = false;
  for (const auto& f : find_by) {
    if (f == "token") {
      c.by_token = true;
    } else if (f == "basic_four") {
      c.by_basic_four = true;
    } else {
      throw std::invalid_argument("find_by: expected token or basic_four, found \"" + f + "\"");
    }
  }
  if (!c.by_token && !c.by_basic_four) throw std::invalid_argument("find_by: name at least one way: token, basic_four");
  c.not_eligible_notes = j.value("not_eligible_notes", std::vector<std::string>{});
  c.declaration_fields = j.value("declaration_fields", std::string("none"));
  if (c.declaration_fields != "none" && c.declaration_fields != "name" && c.declaration_fields != "name_address") {
    throw std::invalid_argument("declaration_fields: expected none, name or name_address, found \"" +
                                c.declaration_fields + "\"");
  }
  c.declaration_over_plain_mqtt = j.value("declaration_over_plain_mqtt", false);
  c.retention_days = j.value("retention_days", int64_t{90});
  return c;
}

}  // namespace kazasu::election
