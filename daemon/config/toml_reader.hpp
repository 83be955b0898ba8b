// Typed, line-aware access to a toml++ table that records every problem as a
// ConfigError instead of stopping at the first one.
#pragma once

#include <toml++/toml.h>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace kazasu {

class TomlReader {
 public:
  explicit TomlReader(std::string file) : file_(std::move(file)) {}

  [[nodiscard]] static int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }
  [[nodiscard]] static std::string join(std::string_view prefix, std::string_view key);
  [[nodiscard]] static const char* type_name(toml::node_type t);

  void error(int line, std::string key, std::string what);

  /** A sub-table; reports a wrong type. nullptr when absent or wrong. */
  const toml::table* table(const toml::table& t, std::string_view prefix, std::string_view key);
  std::optional<std::string> string(const toml::table& t, std::string_view prefix, std::string_view key, int table_line,
                                    bool required);
  std::optional<int64_t> integer(const toml::table& t, std::string_view prefix, std::string_view key, int64_t min,
                                 int64_t max);
  std::optional<std::vector<std::string>> string_list(const toml::table& t, std::string_view prefix,
                                                      std::string_view key);
  /** Reports `one of: a, b` when a present string is not in `allowed`. */
  std::optional<std::string> choice(const toml::table& t, std::string_view prefix, std::string_view key,
                                    std::initializer_list<std::string_view> allowed, int table_line, bool required);
  void unknown_keys(const toml::table& t, std::string_view prefix, std::initializer_list<std::string_view> allowed);

  [[nodiscard]] const std::string& file() const { return file_; }
  std::vector<ConfigError>& errors() { return errors_; }

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

}  // namespace kazasu
