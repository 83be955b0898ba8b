// Fuzz target: a command as the broker delivers it, through
// CommandInbox::handle_message: the size checks, the topic split
// (`{root}{plugin}/cmd/{name}`), the response topic and correlation data
// checks and the JSON payload. Refusals are answered through a Publisher
// that never connects. Its reply queue is filled up front, so each reply is
// built and then dropped (the queue is bounded) instead of kept: an input
// that keeps memory makes libFuzzer scan the whole heap for leaks, which
// would slow this target a hundredfold. (A Publisher per input would not do:
// the Paho C library keeps ~300 bytes of every client it ever made.)
//
// Input: byte 0 holds flags: bit 0 puts the station root before the topic,
// bit 1 puts `{root}replies/` before the response topic, bit 2 sends a
// response topic, bit 3 sends correlation data, bit 4 lowers the payload
// limit to 64 bytes. Then topic, response topic and correlation data, each
// ended by a NUL byte, and the payload (the rest). Topics that are not UTF-8
// are skipped: an MQTT broker refuses them (MQTT 5 §1.5.4).
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "core/log.hpp"
#include "fuzz_support.hpp"
#include "mqtt/commands.hpp"

namespace {

using namespace kazasu;

struct World {
  boost::asio::io_context io;
  MqttConfig cfg;
  Topics topics{"site", "station"};
  std::unique_ptr<Publisher> publisher;
  World() {
    log::set_level(log::Level::error);
    cfg.uri = "tcp://127.0.0.1:1";
    cfg.client_id = "kazasu-fuzz";
    publisher = std::make_unique<Publisher>(io, cfg, topics.status(), "{}");  // never started
    for (std::size_t i = 0; i < Publisher::kMaxQueuedReplies; ++i) publisher->send_reply("t", "{}", "");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World* w = new World();
  fuzz::Input in(data, size);
  const std::uint8_t flags = in.byte();
  std::string topic = (flags & 0x01) != 0 ? w->topics.root() : "";
  topic += in.until('\0');
  std::string response_topic = (flags & 0x02) != 0 ? w->topics.root() + "replies/" : "";
  response_topic += in.until('\0');
  const std::string_view correlation = in.until('\0');
  const std::string_view payload = in.rest();
  if (!fuzz::utf8_without_nul(topic) || !fuzz::utf8_without_nul(response_topic)) return 0;

  auto msg = mqtt::make_message(topic, payload.data(), payload.size(), 1, false);
  mqtt::properties props;
  if ((flags & 0x04) != 0) props.add(mqtt::property(mqtt::property::RESPONSE_TOPIC, response_topic));
  if ((flags & 0x08) != 0) {
    props.add(mqtt::property(mqtt::property::CORRELATION_DATA, mqtt::binary_ref(std::string(correlation))));
  }
  msg->set_properties(props);

  const std::size_t limit = (flags & 0x10) != 0 ? 64 : std::size_t{64} * 1024;
  CommandInbox inbox(*w->publisher, w->topics, limit, [](ParsedCommand c) {
    if (c.payload_json.empty() || c.payload_json.front() != '{') __builtin_trap();  // routed only as an object
  });
  inbox.handle_message(msg);
  return 0;
}
