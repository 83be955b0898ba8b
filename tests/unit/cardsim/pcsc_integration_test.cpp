// The simulator through the real pcscd + vpcd, driven with libpcsclite like the daemon.
#include <gtest/gtest.h>

#include <openssl/x509.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include "applications.hpp"
#include "file_util.hpp"
#include "ossl.hpp"
#include "pcsc_fixture.hpp"
#include "profile.hpp"
#include "test_cards.hpp"
#include "tlv.hpp"

namespace kazasu::cardsim::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::PcscCard;
using test::PcscContext;

class PcscCardsim : public ::testing::Test {
 protected:
  test::CardsimProcess& start(const fs::path& card, const test::VirtualReader& reader,
                              const std::vector<std::string>& extra = {}) {
    sims_.push_back(std::make_unique<test::CardsimProcess>(card, reader.port, extra));
    readers_.push_back(reader);
    return *sims_.back();
  }

  void TearDown() override {
    sims_.clear();  // kills the simulators: cards leave the readers
    // Let pcscd see the removal before the next test inserts a card in the same slot.
    for (const auto& reader : readers_) EXPECT_TRUE(test::wait_for_card(reader.name, false, 3s)) << reader.name;
  }

  static Bytes transmit_ok(const PcscCard& card, const Bytes& apdu, std::uint16_t expected_sw = 0x9000) {
    const test::TransmitResult result = card.transmit(apdu);
    EXPECT_EQ(result.rv, SCARD_S_SUCCESS) << pcsc_stringify_error(result.rv);
    EXPECT_EQ(result.sw(), expected_sw) << to_hex(apdu);
    return result.data();
  }

  // The way MYNA/MNC read a certificate: header first, then 256-byte chunks (jpki.md §2.3).
  static Bytes read_tlv_file(const PcscCard& card) {
    const Bytes header = transmit_ok(card, read_binary(0, 7));
    const std::size_t total = tlv_total_length(header);
    EXPECT_GT(total, 7u);
    Bytes out = header;
    while (out.size() < total) {
      const std::size_t want = std::min<std::size_t>(total - out.size(), 256);
      const Bytes chunk = transmit_ok(card, read_binary(out.size(), want));
      if (chunk.empty()) break;
      append(out, chunk);
    }
    return out;
  }

  std::vector<std::unique_ptr<test::CardsimProcess>> sims_;
  std::vector<test::VirtualReader> readers_;
};

TEST_F(PcscCardsim, ReaderShowsTheCardAndTheAuthCertificateMatchesTheProfile) {
  start(shared_valid_card(), test::kReader0);
  ASSERT_TRUE(test::wait_for_card(test::kReader0.name, true));
  const PcscContext context;
  const PcscCard card(context, test::kReader0.name);
  ASSERT_TRUE(card.connected()) << pcsc_stringify_error(card.connect_status());
  EXPECT_EQ(card.protocol(), static_cast<DWORD>(SCARD_PROTOCOL_T1));  // vpcd reports T=1 (jpki.md §6)
  transmit_ok(card, select_aid(kJpkiAid));
  transmit_ok(card, select_ef(kEfAuthCert));
  const Bytes der = read_tlv_file(card);
  EXPECT_EQ(der, read_file(shared_valid_card() / kAuthCertDer));
  const X509Ptr cert = cert_from_der(der);  // parses with OpenSSL
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  EXPECT_EQ(std::string(cn), load_profile(shared_valid_card()).auth_cn);
}

TEST_F(PcscCardsim, ExtendedLeReadsTheRestOfTheCertificateInOneCommand) {
  start(shared_valid_card(), test::kReader0);
  ASSERT_TRUE(test::wait_for_card(test::kReader0.name, true));
  const PcscContext context;
  const PcscCard card(context, test::kReader0.name);
  ASSERT_TRUE(card.connected());
  transmit_ok(card, select_aid(kJpkiAid));
  const Bytes header = transmit_ok(card, from_hex("00B08A0004"));  // SFI form (jpki.md §2.3 MBX)
  ASSERT_EQ(header.size(), 4u);
  const std::size_t rest = (std::size_t{header[2]} << 8 | header[3]);
  Bytes apdu = from_hex("00B08A04");
  append(apdu, {0x00, static_cast<std::uint8_t>(rest >> 8), static_cast<std::uint8_t>(rest & 0xFF)});
  Bytes der = header;
  append(der, transmit_ok(card, apdu));
  EXPECT_EQ(der, read_file(shared_valid_card() / kAuthCertDer));
}

TEST_F(PcscCardsim, SignsWithTheAuthKeyAfterThePin) {
  start(shared_valid_card(), test::kReader0);
  ASSERT_TRUE(test::wait_for_card(test::kReader0.name, true));
  const PcscContext context;
  const PcscCard card(context, test::kReader0.name, SCARD_SHARE_EXCLUSIVE);
  ASSERT_TRUE(card.connected());
  transmit_ok(card, select_aid(kJpkiAid));
  transmit_ok(card, select_ef(kKeyAuth));
  const Bytes digest_info = sha256_digest_info(to_bytes("nonce"));
  const Bytes sign = compute_signature_apdu(digest_info);
  transmit_ok(card, sign, 0x6982);
  transmit_ok(card, select_ef(kPinAuth));
  transmit_ok(card, verify("1234"));
  transmit_ok(card, select_ef(kKeyAuth));
  const Bytes signature = transmit_ok(card, sign);
  ASSERT_EQ(signature.size(), 256u);
  const X509Ptr cert = cert_from_der(read_file(shared_valid_card() / kAuthCertDer));
  EXPECT_EQ(rsa_pkcs1_verify_recover(X509_get0_pubkey(cert.get()), signature), digest_info);
}

TEST_F(PcscCardsim, UnpowerLogsOutButResetDoesNot) {
  start(make_test_card("valid"), test::kReader0);
  ASSERT_TRUE(test::wait_for_card(test::kReader0.name, true));
  const PcscContext context;
  PcscCard card(context, test::kReader0.name);
  ASSERT_TRUE(card.connected());
  transmit_ok(card, select_aid(kJpkiAid));
  transmit_ok(card, from_hex("002000980431323334"));
  ASSERT_EQ(card.reconnect(SCARD_RESET_CARD), SCARD_S_SUCCESS);
  transmit_ok(card, select_aid(kJpkiAid));
  transmit_ok(card, from_hex("00200098"), 0x9000);  // still verified (jpki.md §7.7)
  ASSERT_EQ(card.reconnect(SCARD_UNPOWER_CARD), SCARD_S_SUCCESS);
  transmit_ok(card, select_aid(kJpkiAid));
  transmit_ok(card, from_hex("00200098"), 0x63C3);
}

TEST_F(PcscCardsim, HoldMsRemovalShowsTheReaderEmpty) {
  test::CardsimProcess& sim = start(shared_valid_card(), test::kReader0, {"--hold-ms", "1000"});
  ASSERT_TRUE(test::wait_for_card(test::kReader0.name, true));
  EXPECT_TRUE(test::wait_for_card(test::kReader0.name, false, 4s));
  EXPECT_EQ(sim.wait_exit(2s), 0);
}

TEST_F(PcscCardsim, KillingTheSimulatorShowsTheReaderEmpty) {
  test::CardsimProcess& sim = start(shared_valid_card(), test::kReader0);
  ASSERT_TRUE(test::wait_for_card(test::kReader0.name, true));
  sim.terminate();
  EXPECT_TRUE(test::wait_for_card(test::kReader0.name, false, 3s));
}

TEST_F(PcscCardsim, RemoveAfterFaultMakesTransmitFailMidRead) {
  start(shared_valid_card(), test::kReader0, {"--fault", "remove-after:3"});
  ASSERT_TRUE(test::wait_for_card(test::kReader0.name, true));
  const PcscContext context;
  const PcscCard card(context, test::kReader0.name);
  ASSERT_TRUE(card.connected());
  transmit_ok(card, select_aid(kJpkiAid));
  transmit_ok(card, select_ef(kEfAuthCert));
  transmit_ok(card, read_binary(0, 0));  // third APDU answered, then the card is pulled
  const test::TransmitResult next = card.transmit(read_binary(256, 0));
  EXPECT_NE(next.rv, SCARD_S_SUCCESS) << "answered " << next.response.size() << " bytes: " << to_hex(next.response);
  std::cout << "[ transmit after removal: " << pcsc_stringify_error(next.rv) << " ]\n";
}

TEST_F(PcscCardsim, PerApduDelayIsObservable) {
  start(shared_valid_card(), test::kReader0, {"--delay-ms", "40"});
  ASSERT_TRUE(test::wait_for_card(test::kReader0.name, true));
  const PcscContext context;
  const PcscCard card(context, test::kReader0.name);
  ASSERT_TRUE(card.connected());
  const auto start_time = Clock::now();
  for (int i = 0; i < 5; ++i) transmit_ok(card, select_aid(kJpkiAid));
  const auto elapsed = Clock::now() - start_time;
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 1000ms);
}

TEST_F(PcscCardsim, TraceContainsTheApdusSentThroughPcscd) {
  test::TempDir dir;
  const fs::path trace = dir.path() / "trace.log";
  start(shared_valid_card(), test::kReader0, {"--trace", trace.string()});
  ASSERT_TRUE(test::wait_for_card(test::kReader0.name, true));
  {
    const PcscContext context;
    const PcscCard card(context, test::kReader0.name);
    ASSERT_TRUE(card.connected());
    transmit_ok(card, select_aid(kJpkiAid));
    transmit_ok(card, select_ef(kEfTokenInfo));
  }
  std::stringstream text;
  text << std::ifstream(trace).rdbuf();
  EXPECT_NE(text.str().find("# power on"), std::string::npos);
  EXPECT_NE(text.str().find("> 00A4040C0AD392F000260100000001\n< 9000"), std::string::npos);
  EXPECT_NE(text.str().find("> 00A4020C020006\n< 9000"), std::string::npos);
  EXPECT_EQ(text.str().find("MY NUMBER"), std::string::npos);
}

TEST_F(PcscCardsim, ExtraConfReadersOnPorts35965And35966AreSeparateSlots) {
  start(shared_valid_card(), test::kReader2);
  ASSERT_TRUE(test::wait_for_card(test::kReader2.name, true));
  EXPECT_FALSE(test::wait_for_card(test::kReader0.name, true, 600ms));  // not leaking into slot 0
  const fs::path badge = make_test_card("badge", {"--uid", "04C0FFEE"});
  start(badge, test::kReader3);
  ASSERT_TRUE(test::wait_for_card(test::kReader3.name, true));
  const PcscContext context;
  const PcscCard jpki(context, test::kReader2.name);
  const PcscCard staff(context, test::kReader3.name);
  ASSERT_TRUE(jpki.connected());
  ASSERT_TRUE(staff.connected());
  transmit_ok(jpki, select_aid(kJpkiAid));
  EXPECT_EQ(transmit_ok(staff, from_hex("FFCA000000")), from_hex("04C0FFEE"));
  transmit_ok(staff, select_aid(kJpkiAid), 0x6A82);
}

TEST_F(PcscCardsim, ApduRoundTripIsFarBelowTheDelayedAckTimer) {
  start(shared_valid_card(), test::kReader0);
  ASSERT_TRUE(test::wait_for_card(test::kReader0.name, true));
  const PcscContext context;
  const PcscCard card(context, test::kReader0.name);
  ASSERT_TRUE(card.connected());
  transmit_ok(card, select_aid(kJpkiAid));
  transmit_ok(card, select_ef(kEfAuthCert));
  constexpr int kRounds = 500;
  const Bytes apdu = read_binary(0, 0);  // 256 data bytes back, like a certificate chunk
  const auto start_time = Clock::now();
  for (int i = 0; i < kRounds; ++i) {
    const test::TransmitResult r = card.transmit(apdu);
    ASSERT_EQ(r.sw(), 0x9000);
  }
  const double mean_ms = std::chrono::duration<double, std::milli>(Clock::now() - start_time).count() / kRounds;
  std::cout << "[ APDU round trip through pcscd+vpcd: " << mean_ms << " ms mean over " << kRounds << " ]\n";
  RecordProperty("apdu_round_trip_us", static_cast<int>(mean_ms * 1000));
  // Without TCP_NODELAY/TCP_QUICKACK each APDU waits ~40 ms for a delayed ACK.
  EXPECT_LT(mean_ms, 5.0);
}

// The fixture waits for these ports before it starts a pcscd; while one serves
// them they must count as taken, or the wait would let a second pcscd fail on them.
TEST_F(PcscCardsim, VpcdPortsCountAsTakenWhilePcscdServesThem) {
  try {
    test::wait_for_vpcd_ports_free(200ms);
    ADD_FAILURE() << "the ports of a running pcscd were reported free";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(test::kReader0.port)), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kazasu::cardsim::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new kazasu::test::PcscdEnvironment);
  return RUN_ALL_TESTS();
}
