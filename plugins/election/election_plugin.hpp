// The election plugin: polling-station reception for early voting and
// election day, Sanjo style. A tap finds the voter on the roll (a card linked
// at registration, or the basic four read with the voter's PIN) and shows
// staff the match; staff confirm (公職選挙法 Art. 44: reception is their
// decision), and the reception is claimed once across the city in the
// shared engine (voter:{election}:{voter_number}), so a second reception at
// any station is a hard stop. See README.md beside this file.
#pragma once

#include <kazasu/plugin.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "election_config.hpp"
#include "election_store.hpp"

namespace kazasu::election {

/** Who holds a voter's reception, if anyone: from this station's file or the shared engine. */
struct Holder {
  std::string station;
  int64_t at_ms = 0;
  std::string kind;
  std::string method;
};

std::string claim_key(const std::string& election, const std::string& voter_number);
Holder holder_of(const kazasu::SharedRecord& record);

class ElectionPlugin : public kazasu::Plugin {
 public:
  static constexpr const auto& kSettings = kElectionSettings;

  explicit ElectionPlugin(kazasu::Host host);

  static std::optional<kazasu::SettingError> check_settings(const std::string& config_json);

  void on_tap(const kazasu::Tap& tap) override;
  std::string on_command(const kazasu::Command& command) override;

 private:
  // The tap path (election_plugin.cpp).
  void link_tap(const kazasu::Tap& tap, const Arm& arm, const std::string& day);
  /** The voter the tap is for in `e`, and how they were found ("token", "basic_four"). */
  std::optional<std::pair<Voter, std::string>> find_voter(const kazasu::Tap& tap, const Election& e) const;
  void voter_tap(const kazasu::Tap& tap, const Election& e, DayKind kind, const Voter& v, const std::string& method,
                 const std::string& day, int64_t at);
  void unknown_tap(const kazasu::Tap& tap, const std::string& election, const std::string& day);
  /** The voter `token` is linked to in `election`: the city's links, or this station's when the engine is away. */
  [[nodiscard]] std::optional<std::string> linked_voter(const std::string& election, const std::string& token) const;
  /** Publishes a link to every station (and unlinks the voter's previous card); true when one was replaced. */
  bool share_link(const std::string& election, const std::string& voter_number, const std::string& token,
                  const std::string& event_id);

  // Receiving a voter (reception.cpp): every way in ends here.
  struct Refusal {
    std::string reason;
    std::string hint;
    std::string hint_ja;
    nlohmann::json extra = nlohmann::json::object();
  };
  /** Why `v` cannot be received in `e` at this station on a day of `kind`; nullopt when they can. */
  [[nodiscard]] std::optional<Refusal> refusal(const Election& e, DayKind kind, const std::optional<Voter>& v) const;
  /** Publishes reception_refused and returns its fields. */
  nlohmann::json refuse(const Election& e, const std::string& voter_number, const std::string& day, const Refusal& r);
  /** The holder of the voter's reception; nullopt: none; throws SharedAway when the engine did not answer. */
  [[nodiscard]] std::optional<Holder> holder(const Election& e, const std::string& voter_number) const;
  nlohmann::json already(const Election& e, const Voter& v, const std::string& day, const Holder& h);
  nlohmann::json unavailable(const Election& e, const Voter& v, const std::string& day);
  /**
   * Claims the reception and records it with its tallies; publishes
   * `reception` (and `declaration` for early voting), or `already_received`
   * / `reception_unavailable`. Returns the published fields plus "received".
   */
  nlohmann::json receive(const Election& e, const Voter& v, const Reception& r, const std::string& event_id);
  /** After a claim of ours: this station's row, the tallies, `reception` (and `declaration`), the counts. */
  nlohmann::json record(const Election& e, const Voter& v, const Reception& r, const std::string& event_id);
  void publish_declaration(const Election& e, const Voter& v, const Reception& r);
  void publish_counts(const std::string& day);

  // Commands (election_commands.cpp, reception_commands.cpp, counts_commands.cpp).
  std::string open_command(const nlohmann::json& request);
  std::string import_command(const nlohmann::json& request, const kazasu::Command& command);
  std::string link_command(const nlohmann::json& request);
  /** Keeps one part of a roll sent in parts; the whole roll once every part is here. */
  std::optional<std::string> stage_part(const nlohmann::json& request, const Election& e, std::string csv);
  std::string pending_reply(const nlohmann::json& request, const Election& e) const;
  std::string confirm_command(const nlohmann::json& request, const kazasu::Command& command);
  std::string absentee_command(const nlohmann::json& request, const kazasu::Command& command);
  std::string paper_command(const nlohmann::json& request, const kazasu::Command& command);
  std::string counts_command(const nlohmann::json& request);
  std::string ballots_command(const nlohmann::json& request);
  std::string close_command(const nlohmann::json& request);
  std::string purge_command(const nlohmann::json& request);
  nlohmann::json station_counts(const Election& e, const std::string& day) const;
  nlohmann::json city_counts(const Election& e, const std::string& day) const;
  Election election_field(const nlohmann::json& request, bool open_only = true) const;
  Voter voter_field(const nlohmann::json& request, const Election& e) const;

  [[nodiscard]] std::string today() const;

  ElectionConfig config_;
  ElectionStore store_;
};

/** The shared engine did not answer: the caller falls back to the paper procedure. */
struct SharedAway {};

const char* kind_name(DayKind k);

}  // namespace kazasu::election
