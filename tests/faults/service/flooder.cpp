// Sends fault case 4's malformed MQTT commands (flood_kinds.hpp) at an even
// pace, from a process of its own so the test can run it at a lower priority,
// as the machine a flood comes from is not the station's.
//
//   kazasu-faults-flooder URI ROOT COUNT MILLISECONDS
#include <mqtt/async_client.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <string>
#include <thread>

#include "flood_kinds.hpp"

int main(int argc, char** argv) {
  using namespace kazasu::faults;
  if (argc != 5) {
    std::fprintf(stderr, "usage: kazasu-faults-flooder URI ROOT COUNT MILLISECONDS\n");
    return 2;
  }
  const std::string uri = argv[1];
  const std::string root = argv[2];
  const int count = std::stoi(argv[3]);
  const auto spread = std::chrono::milliseconds(std::stoll(argv[4]));
  const auto kinds = mqtt_kinds();
  mqtt::async_client client(uri, "kazasu-faults-flooder-" + std::to_string(::getpid()),
                            mqtt::create_options(MQTTVERSION_5), nullptr);
  try {
    client.connect(mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true).finalize())->wait();
    std::deque<mqtt::delivery_token_ptr> in_flight;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
      std::this_thread::sleep_until(start + spread * i / count);
      const MqttKind& k = kinds[kind_of(i)];
      auto msg = mqtt::make_message(root + k.topic_tail, oversize(i) ? std::string(1 << 20, 'z') : k.payload, 1, false);
      mqtt::properties props;
      const std::string response = response_topic(root, k);
      if (!response.empty()) props.add(mqtt::property(mqtt::property::RESPONSE_TOPIC, response));
      props.add(mqtt::property(mqtt::property::CORRELATION_DATA, mqtt::binary_ref(correlation_of(i))));
      msg->set_properties(props);
      in_flight.push_back(client.publish(msg));
      // A window, so Paho's queue stays short.
      while (in_flight.size() > 64) {
        in_flight.front()->wait_for(std::chrono::seconds(10));
        in_flight.pop_front();
      }
    }
    for (auto& t : in_flight) t->wait_for(std::chrono::seconds(10));
    client.disconnect()->wait_for(std::chrono::seconds(5));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flooder: %s\n", e.what());
    return 1;
  }
  std::printf("sent=%d\n", count);
  return 0;
}
