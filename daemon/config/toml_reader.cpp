#include "config/toml_reader.hpp"

#include <algorithm>

namespace kazasu {

std::string TomlReader::join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  std::string out(prefix);
  out += '.';
  out += key;
  return out;
}

const char* TomlReader::type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

void TomlReader::error(int line, std::string key, std::string what) {
  errors_.push_back(ConfigError{file_, line, std::move(key), std::move(what)});
}

const toml::table* TomlReader::table(const toml::table& t, std::string_view prefix, std::string_view key) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return nullptr;
  if (!n->is_table()) {
    error(line_of(*n), join(prefix, key), std::string("expected a table, found ") + type_name(n->type()));
    return nullptr;
  }
  return n->as_table();
}

std::optional<std::string> TomlReader::string(const toml::table& t, std::string_view prefix, std::string_view key,
                                              int table_line, bool required) {
  const toml::node* n = t.get(key);
  if (n == nullptr) {
    if (required) error(table_line, join(prefix, key), "required key is missing");
    return std::nullopt;
  }
  if (!n->is_string()) {
    error(line_of(*n), join(prefix, key), std::string("expected a string, found ") + type_name(n->type()));
    return std::nullopt;
  }
  return n->as_string()->get();
}

std::optional<int64_t> TomlReader::integer(const toml::table& t, std::string_view prefix, std::string_view key,
                                           int64_t min, int64_t max) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_integer()) {
    error(line_of(*n), join(prefix, key), std::string("expected an integer, found ") + type_name(n->type()));
    return std::nullopt;
  }
  const int64_t v = n->as_integer()->get();
  if (v < min || v > max) {
    error(line_of(*n), join(prefix, key),
          std::to_string(v) + " is out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
    return std::nullopt;
  }
  return v;
}

std::optional<std::vector<std::string>> TomlReader::string_list(const toml::table& t, std::string_view prefix,
                                                                std::string_view key) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_array()) {
    error(line_of(*n), join(prefix, key), std::string("expected an array of strings, found ") + type_name(n->type()));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const toml::node& item : *n->as_array()) {
    if (!item.is_string()) {
      error(line_of(item), join(prefix, key),
            std::string("expected an array of strings, found an element that is ") + type_name(item.type()));
      ok = false;
      continue;
    }
    out.push_back(item.as_string()->get());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> TomlReader::choice(const toml::table& t, std::string_view prefix, std::string_view key,
                                              std::initializer_list<std::string_view> allowed, int table_line,
                                              bool required) {
  auto v = string(t, prefix, key, table_line, required);
  if (!v) return v;
  if (std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) return v;
  std::string list;
  for (auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  error(line_of(*t.get(key)), join(prefix, key), "\"" + *v + "\" is not one of: " + list);
  return std::nullopt;
}

void TomlReader::unknown_keys(const toml::table& t, std::string_view prefix,
                              std::initializer_list<std::string_view> allowed) {
  for (auto&& [k, v] : t) {
    if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
      error(line_of(v), join(prefix, k.str()), "unknown key");
    }
  }
}

}  // namespace kazasu
