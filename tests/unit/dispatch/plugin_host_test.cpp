// Plugin loading with real shared libraries: a good plugin loads; a wrong ABI
// major, a missing entry symbol, a duplicate name or a failing create() is
// refused with one clear log line while the others keep running.
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>

#include "dispatch/plugin_host.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

class PluginHostTest : public ::testing::Test {
 protected:
  PluginConfig plugin(const std::string& name, const std::filesystem::path& path) {
    PluginConfig p;
    p.name = name;
    p.path = path;
    p.line = 1;
    return p;
  }
  static std::filesystem::path test_plugin(const std::string& name) {
    return std::filesystem::path(TEST_PLUGIN_DIR) / (name + ".so");
  }

  // Loads `plugins` and returns what the host logged.
  std::string load(std::vector<PluginConfig> plugins) {
    cfg_.file = dir_.path() / "kazasud.toml";
    cfg_.station.data_dir = dir_.path() / "data";
    cfg_.plugins = std::move(plugins);
    ::testing::internal::CaptureStderr();
    host_ = std::make_unique<PluginHost>(cfg_, topics_, pool_.get_executor());
    return ::testing::internal::GetCapturedStderr();
  }

  test::TempDir dir_;
  Config cfg_;
  Topics topics_{"site", "station"};
  boost::asio::thread_pool pool_{1};
  std::unique_ptr<PluginHost> host_;
};

TEST_F(PluginHostTest, GoodPluginLoadsAndCreatesItsDatabase) {
  const std::string log = load({plugin("example", EXAMPLE_PLUGIN)});
  ASSERT_EQ(host_->plugins().size(), 1u) << log;
  EXPECT_TRUE(host_->refused().empty());
  EXPECT_EQ(host_->plugins()[0]->version(), "0.1.0");
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "plugins" / "example.db"));
  EXPECT_NE(log.find("<6>plugin loaded plugin=example version=0.1.0"), std::string::npos) << log;
}

TEST_F(PluginHostTest, WrongAbiMajorIsRefusedAndOthersLoad) {
  const std::string log = load({plugin("bad_abi", test_plugin("bad_abi")), plugin("example", EXAMPLE_PLUGIN)});
  ASSERT_EQ(host_->refused().size(), 1u);
  EXPECT_EQ(host_->refused()[0].reason, "abi_mismatch");
  EXPECT_EQ(host_->refused()[0].message, test_plugin("bad_abi").string() + " uses plugin ABI 2.0; this host speaks " +
                                             std::to_string(KAZASU_ABI_MAJOR) + "." + std::to_string(KAZASU_ABI_MINOR));
  ASSERT_EQ(host_->plugins().size(), 1u);
  EXPECT_EQ(host_->plugins()[0]->name(), "example");
  EXPECT_NE(log.find("<3>plugin refused plugin=bad_abi reason=abi_mismatch detail="), std::string::npos) << log;
}

TEST_F(PluginHostTest, LibraryWithoutEntrySymbolIsRefused) {
  load({plugin("no_entry", test_plugin("no_entry")), plugin("example", EXAMPLE_PLUGIN)});
  ASSERT_EQ(host_->refused().size(), 1u);
  EXPECT_EQ(host_->refused()[0].reason, "no_entry");
  EXPECT_EQ(host_->refused()[0].message, test_plugin("no_entry").string() + " does not export kazasu_plugin_entry");
  EXPECT_EQ(host_->plugins().size(), 1u);
}

TEST_F(PluginHostTest, DuplicateNameIsRefusedAndTheFirstKept) {
  load({plugin("example", EXAMPLE_PLUGIN), plugin("example_copy", test_plugin("example_copy"))});
  ASSERT_EQ(host_->refused().size(), 1u);
  EXPECT_EQ(host_->refused()[0].name, "example_copy");
  EXPECT_EQ(host_->refused()[0].reason, "duplicate_name");
  ASSERT_EQ(host_->plugins().size(), 1u);
  EXPECT_EQ(host_->plugins()[0]->name(), "example");
}

TEST_F(PluginHostTest, NameMustMatchItsConfigTable) {
  load({plugin("library", EXAMPLE_PLUGIN)});
  ASSERT_EQ(host_->refused().size(), 1u);
  EXPECT_EQ(host_->refused()[0].reason, "name_mismatch");
}

TEST_F(PluginHostTest, FailingCreateIsRolledBack) {
  const std::string log =
      load({plugin("failing_create", test_plugin("failing_create")), plugin("example", EXAMPLE_PLUGIN)});
  ASSERT_EQ(host_->refused().size(), 1u);
  EXPECT_EQ(host_->refused()[0].reason, "create_failed");
  EXPECT_EQ(host_->plugins().size(), 1u);
  EXPECT_NE(log.find("plugin create failed: cannot start plugin=failing_create"), std::string::npos) << log;
}

TEST_F(PluginHostTest, MissingFileIsRefused) {
  load({plugin("ghost", dir_.path() / "ghost.so")});
  ASSERT_EQ(host_->refused().size(), 1u);
  EXPECT_EQ(host_->refused()[0].reason, "not_found");
  EXPECT_TRUE(host_->plugins().empty());
}

TEST_F(PluginHostTest, InvalidSettingsAreRefusedBeforeCreate) {
  auto p = plugin("example", EXAMPLE_PLUGIN);
  p.settings["greeting"] = 7;
  load({p});
  ASSERT_EQ(host_->refused().size(), 1u);
  EXPECT_EQ(host_->refused()[0].reason, "settings");
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "plugins" / "example.db"));
}

}  // namespace
}  // namespace kazasu
