// Dispatching taps to real plugin libraries: outcomes commit with the ledger;
// a throwing or slow plugin yields an error and rolls back what it published.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/clock.hpp"
#include "dispatch/plugin_call.hpp"
#include "dispatch/plugin_instance.hpp"
#include "outbox/outbox.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

class PluginDispatchTest : public ::testing::Test {
 protected:
  std::unique_ptr<PluginInstance> create(const std::string& name, const std::filesystem::path& path,
                                         nlohmann::json settings = nlohmann::json::object()) {
    auto lib = PluginLibrary::load(path);
    if (!lib) throw std::runtime_error(lib.error().message);
    PluginConfig cfg;
    cfg.name = name;
    cfg.path = path;
    cfg.settings = std::move(settings);
    auto inst = PluginInstance::create(lib.value(), cfg, dir_.path(), topics_, nullptr, pool_.get_executor());
    if (!inst) throw std::runtime_error("create failed: " + inst.error().message);
    return std::move(inst.value());
  }

  // Runs one tap through a PluginCall with `budget` and returns its one
  // result once the plugin's callback has returned too.
  PluginResult tap(PluginInstance& p, const std::string& token,
                   std::chrono::milliseconds budget = std::chrono::seconds(30)) {
    Tap t;
    t.id = "01900000-0000-7000-8000-000000000001";
    t.reader = "counter-1";
    t.detected_unix_ms = clock::now_unix_ms();
    if (!token.empty()) t.identity = CardIdentity{"jpki", "fast", "issuer", "serial"};
    std::optional<PluginResult> result;
    bool returned = false;
    io_.restart();
    // The plugin answers from the pool thread; keep run_one waiting for it.
    auto guard = boost::asio::make_work_guard(io_);
    p.dispatch(t, token, {},
               PluginCall::make(io_, budget,
                                CallHooks{[&](PluginResult r) {
                                            EXPECT_FALSE(result) << "a second result";
                                            result = std::move(r);
                                          },
                                          [&] { returned = true; }}));
    while (!result || !returned) io_.run_one();
    return *result;
  }

  test::TempDir dir_;
  Topics topics_{"site", "station"};
  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{1};
};

TEST_F(PluginDispatchTest, OutcomeIsCommittedToThePluginsOutbox) {
  auto p = create("example", EXAMPLE_PLUGIN, {{"greeting", "hi"}});
  const auto r = tap(*p, std::string(64, 'a'));
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.committed.size(), 1u);
  EXPECT_EQ(r.committed[0].topic, "kazasu/v1/site/station/example/seen");
  const auto payload = nlohmann::json::parse(r.committed[0].payload);
  EXPECT_EQ(payload["schema"], "kazasu/v1/example/seen");
  EXPECT_EQ(payload["taps"], 1);
  EXPECT_EQ(payload["token"], std::string(64, 'a'));
  // Durable before it is published: the row is in the plugin's own file.
  const auto rows = p->outbox_store()->pending();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].seq, r.committed[0].seq);
  EXPECT_EQ(tap(*p, std::string(64, 'a')).committed.size(), 1u);
  EXPECT_EQ(p->outbox_store()->count(), 2);
}

TEST_F(PluginDispatchTest, ThrowingPluginRollsBackAndReportsAnError) {
  auto p = create("thrower", std::filesystem::path(TEST_PLUGIN_DIR) / "thrower.so");
  ::testing::internal::CaptureStderr();
  const auto r = tap(*p, std::string(64, 'b'));
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error_code(), "plugin_error");
  EXPECT_TRUE(r.committed.empty());
  EXPECT_EQ(p->outbox_store()->count(), 0);  // its publish was rolled back
  EXPECT_NE(log.find("on_tap failed: thrower always throws plugin=thrower"), std::string::npos) << log;
  // The instance still answers the next tap.
  EXPECT_EQ(tap(*p, std::string(64, 'b')).reason, CallReason::plugin_error);
}

TEST_F(PluginDispatchTest, LateFinishAfterTheDeadlineIsRolledBack) {
  // The deadline fires long before the plugin returns: the timeout is the one
  // result, and what the plugin published after it is rolled back.
  auto p = create("slow", std::filesystem::path(TEST_PLUGIN_DIR) / "slow.so", {{"sleep_ms", 200}});
  const auto r = tap(*p, std::string(64, 'c'), std::chrono::milliseconds(1));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error_code(), "timeout");
  EXPECT_EQ(r.reason, CallReason::timeout);
  EXPECT_EQ(p->outbox_store()->count(), 0);
}

// A plugin far behind stops queueing at its bound: calls over it are
// answered `busy` at once instead of waiting in memory. The plugin takes 1 ms
// a tap; 2,000 calls arrive within a few milliseconds.
TEST_F(PluginDispatchTest, AFullJobQueueAnswersBusyAtOnce) {
  auto p = create("slow", std::filesystem::path(TEST_PLUGIN_DIR) / "slow.so", {{"sleep_ms", 1}});
  Tap t;
  t.id = "01900000-0000-7000-8000-000000000002";
  t.reader = "counter-1";
  std::vector<CallReason> results;
  size_t returned = 0;
  io_.restart();
  auto guard = boost::asio::make_work_guard(io_);
  constexpr size_t kCalls = 2000;
  for (size_t i = 0; i < kCalls; ++i) {
    p->dispatch(t, "", {},
                PluginCall::make(io_, std::chrono::seconds(30),
                                 CallHooks{[&](PluginResult r) { results.push_back(r.reason); }, [&] { ++returned; }}));
  }
  while (results.size() < kCalls || returned < kCalls) io_.run_one();
  const auto busy = std::count(results.begin(), results.end(), CallReason::busy);
  EXPECT_GT(busy, 0);
  // At most the bound waited, plus what the strand had taken out to run.
  EXPECT_LE(kCalls - static_cast<size_t>(busy), PluginInstance::kMaxQueuedJobs + 2 * 256);
}

TEST_F(PluginDispatchTest, ATapWithoutIdentityIsRefusedByTheExample) {
  // The example plugin publishes only from on_tap; a tap without identity
  // yields `refused`, and nothing else appears in the outbox.
  auto p = create("example", EXAMPLE_PLUGIN, {{"greeting", "hi"}});
  const auto r = tap(*p, "");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.committed.size(), 1u);
  EXPECT_EQ(r.committed[0].topic, "kazasu/v1/site/station/example/refused");
}

TEST_F(PluginDispatchTest, PublishOutsideATapIsRefused) {
  // The outsider publishes (plain and retained) from create(), where no tap
  // is running: both are refused with KAZASU_NOT_ALLOWED and leave no row.
  ::testing::internal::CaptureStderr();
  auto p = create("outsider", OUTSIDER_PLUGIN);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("publish refused: outside a tap or command plugin=outsider"), std::string::npos) << log;
  EXPECT_EQ(p->outbox_store()->count(), 0);

  const auto r = tap(*p, std::string(64, 'd'));
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.committed.size(), 1u);
  EXPECT_EQ(r.committed[0].topic, "kazasu/v1/site/station/outsider/seen");
  const auto seen = nlohmann::json::parse(r.committed[0].payload);
  EXPECT_EQ(seen["create_publish"], KAZASU_NOT_ALLOWED);
  EXPECT_EQ(seen["create_publish_retained"], KAZASU_NOT_ALLOWED);
  EXPECT_EQ(p->outbox_store()->count(), 1);
}

TEST_F(PluginDispatchTest, ReplyOutsideACommandIsNotAllowed) {
  // reply and reply_error belong to on_command; inside on_tap the host says
  // KAZASU_NOT_ALLOWED and the tap itself still commits.
  auto p = create("outsider", OUTSIDER_PLUGIN);
  const auto r = tap(*p, std::string(64, 'e'));
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.committed.size(), 1u);
  const auto seen = nlohmann::json::parse(r.committed[0].payload);
  EXPECT_EQ(seen["reply"], KAZASU_NOT_ALLOWED);
  EXPECT_EQ(seen["reply_error"], KAZASU_NOT_ALLOWED);
}

}  // namespace
}  // namespace kazasu
