// Helpers the election plugin's kit tests share: an election of three
// stations, its roll, and stations of it on the SDK's testing kit.
#pragma once

#include <gtest/gtest.h>

#include <kazasu/sqlite.hpp>
#include <kazasu/testing/fake_host.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace kazasu::election_test {

using kazasu::testing::Card;
using kazasu::testing::FakeHost;
using kazasu::testing::Options;
using kazasu::testing::SharedStore;
using nlohmann::json;

// The kit's clock starts on Monday 2027-04-05 08:00 in Japan: the first day of early voting.
inline const json kOpen = {
    {"election", "city-2027"},
    {"name", "三条市議会議員一般選挙"},
    {"early_voting_start", "2027-04-05"},
    {"early_voting_end", "2027-04-10"},
    {"election_day", "2027-04-11"},
    {"stations",
     {{{"id", "honcho"}}, {{"id", "sakae"}}, {{"id", "school-3"}, {"early_voting", false}, {"election_day", true}}}}};

inline const std::string kRoll =
    "voter_number,name_kanji,name_kana,birth_date,sex,district,station,note\n"
    "1001,三条　太郎,サンジョウ　タロウ,1980-05-01,1,第1投票区,honcho,\n"
    "1002,三条　花子,サンジョウ　ハナコ,1985-07-12,2,第1投票区,honcho,\n"
    "1003,栄　一郎,サカエ　イチロウ,1970-01-20,男,第2投票区,sakae,\n"
    "1004,下田　次郎,シタダ　ジロウ,1990-03-03,1,第3投票区,school-3,\n";

// A polling station; `extra` adds settings (the default reception is confirm).
inline FakeHost station(const std::string& id, std::shared_ptr<SharedStore> shared = nullptr,
                        const json& extra = json::object(), bool broker_encrypted = false) {
  Options o;
  json config{{"polling_station", id}, {"counter_reader", "counter-1"}};
  config.update(extra);
  o.config_json = config.dump();
  o.station = "sanjo/" + id;
  o.shared = std::move(shared);
  o.broker_encrypted = broker_encrypted;
  return FakeHost(o);
}

// A station in one-step mode: the tap receives.
inline FakeHost quick(const std::string& id, std::shared_ptr<SharedStore> shared = nullptr) {
  return station(id, std::move(shared), json{{"reception", "one_step"}});
}

inline json import(FakeHost& h, const std::string& csv) {
  return h.command("import_roll", {{"election", "city-2027"}, {"csv", csv}});
}

// An election with the roll, ready for receptions.
inline void ready(FakeHost& h) {
  ASSERT_EQ(h.command("open", kOpen)["ok"], true);
  const json r = import(h, kRoll);
  ASSERT_EQ(r["ok"], true) << r.dump();
  ASSERT_EQ(r["result"]["imported"], true) << r.dump();
}

// Links `card` to `voter` at the counter.
inline void link(FakeHost& h, const std::string& voter, const std::string& card) {
  const json r = h.command("link", {{"election", "city-2027"}, {"voter_number", voter}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  ASSERT_EQ(h.tap(Card::jpki(card, "possession"), "counter-1"), KAZASU_OK);
  ASSERT_EQ(h.last("linked")["voter_number"], voter);
}

inline int64_t scalar(FakeHost& h, const std::string& sql) {
  kazasu::db::Statement st(h.db(), sql);
  return st.step() ? st.int64(0) : -1;
}

}  // namespace kazasu::election_test
