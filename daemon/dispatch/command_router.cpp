#include "dispatch/command_router.hpp"

#include "core/log.hpp"
#include "core/text_checks.hpp"
#include "dispatch/plugin_call.hpp"

namespace kazasu {

void CommandRouter::route(ParsedCommand cmd) {
  const CommandReply& reply = cmd.reply;
  const std::string& plugin = reply.plugin();
  const std::string& name = reply.name();
  PluginInstance* target = plugins_.find(plugin);
  if (target == nullptr) {
    reply.error("unknown_plugin", "no plugin named \"" + plugin + "\" runs on this station");
    return;
  }
  if (!target->takes_commands() || !text::is_token(name)) {
    reply.error("unknown_command", "plugin " + plugin + " has no command \"" + name + "\"");
    return;
  }

  log::info("command", "id", reply.id(), "plugin", plugin, "command", name);
  auto result = [this, reply](PluginResult r) {
    if (!r.ok()) {
      reply.error(r.error_code(), r.message);
      return;
    }
    for (auto& o : r.committed) publisher_.enqueue(std::move(o));
    reply.ok(nlohmann::json::parse(r.reply_json, nullptr, false));
  };
  call_on_command(io_, *target, CommandRequest{reply.id(), name, std::move(cmd.payload_json)},
                  CallHooks{std::move(result), nullptr});
}

}  // namespace kazasu
