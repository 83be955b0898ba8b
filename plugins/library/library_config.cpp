#include "library_config.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "charset.hpp"

namespace kazasu::library {

int assurance_rank(const std::string& level) {
  // A UID can be copied, so it ranks below any certificate-based level.
  if (level == "uid") return 0;
  if (level == "fast") return 1;
  if (level == "verified") return 2;
  if (level == "possession") return 3;
  return -1;
}

LibraryConfig parse_config(const std::string& config_json) {
  const auto j = nlohmann::json::parse(config_json);
  LibraryConfig c;
  c.counter_reader = j.at("counter_reader").get<std::string>();
  if (!c.counter_reader.empty() && !valid_reader_name(c.counter_reader)) {
    throw std::invalid_argument("counter_reader: \"" + c.counter_reader +
                                "\" is not a reader name ([A-Za-z0-9_-], at most 64)");
  }
  c.link_timeout_ms = j.at("link_timeout_s").get<int64_t>() * 1000;
  c.sync_interval_ms = j.value("sync_interval_s", int64_t{30}) * 1000;
  c.link_min_assurance = j.at("link_min_assurance").get<std::string>();
  if (assurance_rank(c.link_min_assurance) < 1) {
    throw std::invalid_argument("link_min_assurance: expected fast, verified or possession, found \"" +
                                c.link_min_assurance + "\"");
  }

  Sip2Config& s = c.sip2;
  s.host = j.at("sip2_host").get<std::string>();
  s.port = j.at("sip2_port").get<int>();
  s.login = j.at("sip2_login").get<std::string>();
  s.password = j.at("sip2_password").get<std::string>();
  s.location = j.at("sip2_location").get<std::string>();
  s.institution = j.at("sip2_institution").get<std::string>();
  s.charset = j.at("sip2_charset").get<std::string>();
  s.timeout_ms = j.at("sip2_timeout_ms").get<int>();
  s.error_detection = j.at("sip2_error_detection").get<bool>();
  s.screen_messages = j.at("sip2_screen_messages").get<bool>();
  const auto message = j.at("sip2_message").get<std::string>();
  if (message == "patron_information") {
    s.message = Sip2Message::patron_information;
  } else if (message == "patron_status") {
    s.message = Sip2Message::patron_status;
  } else {
    throw std::invalid_argument("sip2_message: expected patron_information or patron_status, found \"" + message +
                                "\"");
  }
  if (s.enabled()) {
    // Japanese patron data is garbled by a wrong guess (ILSs default to IBM850,
    // UTF-8 or Shift_JIS), so the charset is never assumed.
    if (s.charset.empty()) {
      throw std::invalid_argument("sip2_charset: required when sip2_host is set (e.g. \"UTF-8\" or \"CP932\")");
    }
    if (!Charset::supported(s.charset)) {
      throw std::invalid_argument("sip2_charset: \"" + s.charset + "\" is not a character set iconv knows");
    }
  }
  return c;
}

}  // namespace kazasu::library
