// The control socket's operations commands (kazasuctl readers, plugins,
// version, tail, audit): built from what the station holds, passed in by
// Station::control (control_commands.cpp), so they need no state of their own.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "config/config.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/plugin_host.hpp"
#include "readers/reader_driver.hpp"

namespace kazasu::control_ops {

/** Lines a tail session may have waiting at most, and their bytes. */
inline constexpr size_t kTailMaxLines = 256;
inline constexpr size_t kTailMaxBytes = size_t{1} << 20;
/** Audit rows per `audit export` page at most. */
inline constexpr size_t kAuditPageMax = 500;

/** `readers`: each configured reader with its driver, state, plugins and activity. */
nlohmann::json readers(const Config& cfg, const std::map<std::string, std::unique_ptr<ReaderDriver>>& drivers,
                       const std::map<std::string, std::pair<ReaderState, std::string>>& states,
                       const Dispatcher& dispatcher, bool storage_unavailable);
/** `plugins`: loaded plugins (version, ABI, state, counts, jobs waiting) and refused ones. */
nlohmann::json plugins(const PluginHost& host);
/** `version`: kazasud's version and plugin ABI. */
nlohmann::json version(const std::string& boot_id);
/** `tail`: turns the session into a stream of committed outcomes (ControlStream). */
nlohmann::json tail();
/** `audit` with `"op":"export"`, `"after":SEQ`, `"limit":N`: a page of rows, fields as stored text. */
nlohmann::json audit(const nlohmann::json& req);

}  // namespace kazasu::control_ops
