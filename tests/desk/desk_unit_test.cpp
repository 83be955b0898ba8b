// kazasu-desk's bounds on what a browser sends, its command line, and its file table.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "options.hpp"
#include "process.hpp"
#include "protocol.hpp"
#include "static_files.hpp"

namespace desk = kazasu::desk;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string code_of(std::string_view frame) {
  const auto parsed = desk::parse_browser_frame(frame);
  if (const auto* e = std::get_if<desk::FrameError>(&parsed)) return e->code;
  return "ok";
}

void write(const fs::path& p, const std::string& text, int mode = 0600) {
  std::ofstream(p) << text;
  ::chmod(p.c_str(), static_cast<mode_t>(mode));
}

}  // namespace

TEST(DeskProtocol, AcceptsACommandAndSerialisesItsPayloadAgain) {
  const auto parsed = desk::parse_browser_frame(
      R"({"type":"cmd","id":"r1","plugin":"election","command":"confirm","payload":{"election":"e1", "voter_number":"V1"}})");
  ASSERT_TRUE(std::holds_alternative<desk::CommandRequest>(parsed));
  const auto& r = std::get<desk::CommandRequest>(parsed);
  EXPECT_EQ(r.id, "r1");
  EXPECT_EQ(r.plugin, "election");
  EXPECT_EQ(r.command, "confirm");
  EXPECT_EQ(json::parse(r.payload), json::parse(R"({"election":"e1","voter_number":"V1"})"));
  const auto none = desk::parse_browser_frame(R"({"type":"cmd","id":"r2","plugin":"library","command":"stats"})");
  EXPECT_EQ(std::get<desk::CommandRequest>(none).payload, "{}");
}

TEST(DeskProtocol, RefusesWhatItDoesNotExpect) {
  EXPECT_EQ(code_of("{not json"), "malformed_json");
  EXPECT_EQ(code_of("[1]"), "not_an_object");
  EXPECT_EQ(code_of(R"({"type":"cmd","plugin":"library","command":"stats"})"), "invalid_id");
  EXPECT_EQ(code_of(R"({"type":"cmd","id":"a b","plugin":"library","command":"stats"})"), "invalid_id");
  EXPECT_EQ(code_of(R"({"type":"cmd","id":")" + std::string(65, 'x') + R"(","plugin":"library","command":"s"})"),
            "invalid_id");
  EXPECT_EQ(code_of(R"({"type":"sub","id":"r"})"), "unknown_type");
  EXPECT_EQ(code_of(R"({"type":"cmd","id":"r","plugin":"Library","command":"stats"})"), "invalid_plugin");
  EXPECT_EQ(code_of(R"({"type":"cmd","id":"r","plugin":"library/#","command":"stats"})"), "invalid_plugin");
  EXPECT_EQ(code_of(R"({"type":"cmd","id":"r","plugin":"library","command":"+"})"), "invalid_command");
  EXPECT_EQ(code_of(R"({"type":"cmd","id":"r","plugin":"library","command":")" + std::string(33, 'a') + "\"}"),
            "invalid_command");
  EXPECT_EQ(code_of(R"({"type":"cmd","id":"r","plugin":"library","command":"stats","payload":"x"})"),
            "payload_not_an_object");
}

TEST(DeskProtocol, BoundsSizeAndDepthBeforeParsing) {
  EXPECT_EQ(code_of(std::string(desk::kMaxFrameBytes + 1, ' ')), "frame_too_large");
  std::string deep(desk::kMaxJsonDepth + 1, '[');
  deep += std::string(desk::kMaxJsonDepth + 1, ']');
  EXPECT_EQ(code_of(deep), "too_deep");
  // Brackets inside strings do not count, escaped quotes included.
  EXPECT_FALSE(desk::nests_deeper_than(R"({"a":"[[[[[[[[[[[[[[[[[[[[[[\"[[[["})", 2));
  EXPECT_TRUE(desk::nests_deeper_than(R"({"a":[[{"b":[]}]]})", 4));
  EXPECT_FALSE(desk::nests_deeper_than(R"({"a":[[{"b":[]}]]})", 5));
}

TEST(DeskProtocol, FramesToTheBrowserCarryJsonOrText) {
  const json m = json::parse(desk::message_frame("library/patron", R"({"patron":"P1"})", false));
  EXPECT_EQ(m["type"], "msg");
  EXPECT_EQ(m["payload"]["patron"], "P1");
  EXPECT_EQ(m["retained"], false);
  const json text = json::parse(desk::message_frame("x/y", "not json \xff", true));
  EXPECT_TRUE(text["payload"].is_string());
  const json reply = json::parse(desk::reply_frame("r1", "replies/desk-1/desk-1", R"({"ok":true})"));
  EXPECT_EQ(reply["id"], "r1");
  EXPECT_EQ(reply["payload"]["ok"], true);
  EXPECT_EQ(json::parse(desk::bridge_frame(false, "s", "t"))["broker"], "down");
}

TEST(DeskOptions, LoopbackByDefaultAndTheLanOnlyWithTlsAndAPassword) {
  kazasu::test::TempDir dir;
  const fs::path web = dir.path() / "web";
  fs::create_directories(web);
  write(web / "index.html", "<!doctype html>");
  auto ok = desk::parse_options({"--site", "demo-city", "--station", "s1"}, web);
  ASSERT_TRUE(std::holds_alternative<desk::Options>(ok)) << std::get<std::string>(ok);
  EXPECT_TRUE(std::get<desk::Options>(ok).loopback);
  EXPECT_EQ(std::get<desk::Options>(ok).listen_port, 8080);

  auto lan = desk::parse_options({"--site", "demo-city", "--station", "s1", "--listen", "192.168.1.10:8443"}, web);
  ASSERT_TRUE(std::holds_alternative<std::string>(lan));
  EXPECT_NE(std::get<std::string>(lan).find("--tls-cert"), std::string::npos);

  write(dir.path() / "cert.pem", "x");
  write(dir.path() / "key.pem", "x");
  write(dir.path() / "pw", "short\n");
  const std::vector<std::string> tls = {"--site",          "demo-city",
                                        "--station",       "s1",
                                        "--listen",        "0.0.0.0:8443",
                                        "--tls-cert",      (dir.path() / "cert.pem").string(),
                                        "--tls-key",       (dir.path() / "key.pem").string(),
                                        "--password-file", (dir.path() / "pw").string()};
  EXPECT_NE(std::get<std::string>(desk::parse_options(tls, web)).find("8 characters"), std::string::npos);
  write(dir.path() / "pw", "a long enough password\n", 0644);
  EXPECT_NE(std::get<std::string>(desk::parse_options(tls, web)).find("owner only"), std::string::npos);
  ::chmod((dir.path() / "pw").c_str(), 0600);
  auto good = desk::parse_options(tls, web);
  ASSERT_TRUE(std::holds_alternative<desk::Options>(good)) << std::get<std::string>(good);
  EXPECT_FALSE(std::get<desk::Options>(good).loopback);
  EXPECT_EQ(std::get<desk::Options>(good).desk_password, "a long enough password");

  EXPECT_TRUE(std::holds_alternative<std::string>(desk::parse_options({"--station", "s1"}, web)));
  EXPECT_TRUE(std::holds_alternative<std::string>(desk::parse_options({"--site", "a/b", "--station", "s"}, web)));
  EXPECT_TRUE(std::holds_alternative<std::string>(
      desk::parse_options({"--site", "a", "--station", "s", "--listen", "example.org:80"}, web)));
  EXPECT_TRUE(std::holds_alternative<std::string>(
      desk::parse_options({"--site", "a", "--station", "s", "--listen", "127.0.0.1:99999"}, web)));
  EXPECT_TRUE(
      std::holds_alternative<std::string>(desk::parse_options({"--site", "a", "--station", "s", "--bogus"}, web)));

  write(dir.path() / "creds.toml", "username = \"desk-s1\"\npassword = \"pw\"\n");
  auto creds = desk::parse_options(
      {"--site", "a", "--station", "s", "--credentials", (dir.path() / "creds.toml").string()}, web);
  ASSERT_TRUE(std::holds_alternative<desk::Options>(creds)) << std::get<std::string>(creds);
  EXPECT_EQ(std::get<desk::Options>(creds).username, "desk-s1");
  write(dir.path() / "creds.toml", "username = \"desk-s1\"\npasword = \"typo\"\n");
  EXPECT_TRUE(std::holds_alternative<std::string>(desk::parse_options(
      {"--site", "a", "--station", "s", "--credentials", (dir.path() / "creds.toml").string()}, web)));
}

TEST(DeskStaticFiles, ServesOnlyTheFilesOfTheWebDirectory) {
  kazasu::test::TempDir dir;
  write(dir.path() / "index.html", "<p>hi</p>");
  write(dir.path() / "desk.js", "export {}");
  write(dir.path() / ".hidden.js", "secret");
  write(dir.path() / "notes.txt", "not served");
  fs::create_directories(dir.path() / "sub");
  write(dir.path() / "sub" / "x.js", "no");
  const desk::StaticFiles files(dir.path());
  EXPECT_EQ(files.size(), 2u);
  ASSERT_NE(files.find("/"), nullptr);
  EXPECT_EQ(files.find("/")->body, "<p>hi</p>");
  EXPECT_EQ(files.find("/desk.js?v=1")->content_type, "text/javascript; charset=utf-8");
  for (const char* bad : {"/.hidden.js", "/notes.txt", "/sub/x.js", "/../index.html", "/%2e%2e/index.html", "",
                          "index.html", "/INDEX.HTML"}) {
    EXPECT_EQ(files.find(bad), nullptr) << bad;
  }
}
