// kazasu-cardsim: a My Number Card simulator for pcscd's vpcd driver.
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "generator.hpp"
#include "runner.hpp"

namespace {

using namespace kazasu::cardsim;

constexpr const char* kUsage = R"(usage:
  kazasu-cardsim make-ca --out DIR [--generation N]
  kazasu-cardsim make-card --ca DIR --out DIR
      [--variant valid|expired|not-yet-valid|wrong-ca|locked-pin|renewed|badge]
      [--from CARD_DIR] [--pin 1234] [--sign-password ABC123] [--text-pin 1234]
      [--name NAME] [--address ADDR] [--birth YYYYMMDD] [--sex 1|2|9]
      [--my-number 12DIGITS] [--municipality 5DIGITS]
      [--free-area-id ID [--free-area-aid HEX] [--free-area-ef HEX]]
      [--uid HEX] [--seed N]
  kazasu-cardsim run --card DIR [--host 127.0.0.1] [--port 35963] [--delay-ms N]
      [--trace FILE] [--stamps FILE] [--fault remove-after:N|corrupt-after:N] [--hold-ms MS]
      [--control] [--get-response]
  --stamps FILE  append CLOCK_MONOTONIC ns per insertion, APDU (arrival, reply,
                 header) and removal, for timing a tap from its first APDU
See docs/cardsim.md.
)";

struct Args {
  std::map<std::string, std::string> values;
  std::set<std::string> flags;

  bool has(const std::string& key) const { return values.count(key) != 0; }
  std::string get(const std::string& key, const std::string& fallback = {}) const {
    const auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
  std::string required(const std::string& key) const {
    if (!has(key)) throw std::invalid_argument("missing --" + key);
    return get(key);
  }
  std::optional<std::string> optional(const std::string& key) const {
    return has(key) ? std::optional<std::string>(get(key)) : std::nullopt;
  }
};

Args parse_args(const std::vector<std::string>& argv, const std::set<std::string>& known_values,
                const std::set<std::string>& known_flags) {
  Args args;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& word = argv[i];
    if (word.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument " + word);
    const std::string key = word.substr(2);
    if (known_flags.count(key)) {
      args.flags.insert(key);
    } else if (known_values.count(key)) {
      if (i + 1 >= argv.size()) throw std::invalid_argument(word + " needs a value");
      args.values[key] = argv[++i];
    } else {
      throw std::invalid_argument("unknown option " + word);
    }
  }
  return args;
}

int cmd_make_ca(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {"out", "generation"}, {});
  make_ca(args.required("out"), std::stoi(args.get("generation", "3")));
  return 0;
}

int cmd_make_card(const std::vector<std::string>& argv) {
  const Args args =
      parse_args(argv,
                 {"ca", "out", "variant", "from", "pin", "sign-password", "text-pin", "name", "address", "birth", "sex",
                  "my-number", "municipality", "free-area-id", "free-area-aid", "free-area-ef", "uid", "seed"},
                 {});
  MakeCardOptions o;
  o.out = args.required("out");
  o.variant = args.get("variant", o.variant);
  if (o.variant != "badge") o.ca_dir = args.get("ca");
  if (o.variant != "badge" && o.variant != "wrong-ca" && o.ca_dir.empty()) {
    throw std::invalid_argument("missing --ca");
  }
  if (args.has("from")) o.from = args.get("from");
  o.pin = args.get("pin", o.pin);
  o.sign_password = args.get("sign-password", o.sign_password);
  o.text_pin = args.get("text-pin", o.text_pin);
  o.name = args.get("name", o.name);
  o.address = args.get("address", o.address);
  o.birth = args.get("birth", o.birth);
  o.sex = args.get("sex", o.sex);
  o.my_number = args.optional("my-number");
  o.municipality_code = args.get("municipality", o.municipality_code);
  o.free_area_id = args.optional("free-area-id");
  o.free_area_aid = args.optional("free-area-aid");
  o.free_area_ef = args.optional("free-area-ef");
  o.uid = args.optional("uid");
  if (args.has("seed")) o.seed = std::stoull(args.get("seed"));
  make_card(o);
  return 0;
}

int cmd_run(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {"card", "host", "port", "delay-ms", "trace", "stamps", "fault", "hold-ms"},
                               {"control", "get-response"});
  RunOptions o;
  o.card_dir = args.required("card");
  o.host = args.get("host", o.host);
  const int port = std::stoi(args.get("port", std::to_string(o.port)));
  if (port <= 0 || port > 65535) throw std::invalid_argument("--port out of range");
  o.port = static_cast<std::uint16_t>(port);
  o.delay_ms = std::stoi(args.get("delay-ms", "0"));
  if (args.has("trace")) o.trace = args.get("trace");
  if (args.has("stamps")) o.stamps = args.get("stamps");
  if (args.has("fault")) o.fault = parse_fault(args.get("fault"));
  if (args.has("hold-ms")) o.hold_ms = std::stoi(args.get("hold-ms"));
  o.control = args.flags.count("control") != 0;
  o.get_response = args.flags.count("get-response") != 0;
  return run_simulator(o);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  const std::vector<std::string> rest(argv + 2, argv + argc);
  try {
    if (command == "make-ca") return cmd_make_ca(rest);
    if (command == "make-card") return cmd_make_card(rest);
    if (command == "run") return cmd_run(rest);
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << "kazasu-cardsim: unknown command " << command << "\n" << kUsage;
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "kazasu-cardsim: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "kazasu-cardsim: " << e.what() << "\n";
    return 1;
  }
}
