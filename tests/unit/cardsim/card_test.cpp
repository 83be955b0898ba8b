// The card model driven directly, no pcscd: file system, access rules, PINs, signing.
#include <gtest/gtest.h>

#include <vector>

#include "applications.hpp"
#include "file_util.hpp"
#include "status_words.hpp"
#include "test_cards.hpp"
#include "tlv.hpp"

namespace kazasu::cardsim::testing {
namespace {

class CardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    card_ = std::make_unique<Card>(load_card(shared_valid_card()));
    card_->power_on();
  }
  ResponseApdu send(const Bytes& apdu) { return card_->process(apdu); }
  ResponseApdu send(const std::string& hex) { return card_->process(from_hex(hex)); }
  std::uint16_t sw(const Bytes& apdu) { return send(apdu).sw; }
  std::uint16_t sw(const std::string& hex) { return send(hex).sw; }

  Bytes read_whole_ef() {
    Bytes out;
    for (std::size_t offset = 0;; offset += 256) {
      const ResponseApdu r = send(read_binary(offset, 0));
      if (r.sw == kSwWrongOffset) break;
      EXPECT_EQ(r.sw, kSwOk);
      if (r.sw != kSwOk) break;
      append(out, r.data);
      if (r.data.size() < 256) break;
    }
    return out;
  }

  std::unique_ptr<Card> card_;
};

TEST_F(CardTest, SelectsJpkiAidWithEitherP2AndRejectsUnknownAids) {
  EXPECT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  EXPECT_EQ(sw("00A404000AD392F000260100000001"), kSwOk);
  EXPECT_EQ(sw("00A4040C0AD392F000260100000099"), kSwFileNotFound);
  EXPECT_EQ(sw("00A4040C"), kSwWrongLength);
}

TEST_F(CardTest, SelectMfIs6A86AfterResetAndANoOpInsideAnAp) {
  EXPECT_EQ(sw("00A40000"), kSwWrongP1P2);
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  EXPECT_EQ(sw("00A40000"), kSwOk);
  EXPECT_EQ(sw(select_ef(0x3F00)), kSwFileNotFound);
  EXPECT_EQ(sw(select_ef(0x1234)), kSwFileNotFound);
}

TEST_F(CardTest, AuthCertificateReadsWithoutPinAndIsPaddedWithFiller) {
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  ASSERT_EQ(sw(select_ef(kEfAuthCert)), kSwOk);
  const Bytes file = read_whole_ef();
  const Bytes der = read_file(shared_valid_card() / kAuthCertDer);
  ASSERT_GT(file.size(), der.size());
  EXPECT_EQ(Bytes(file.begin(), file.begin() + static_cast<long>(der.size())), der);
  EXPECT_EQ(tlv_total_length(file), der.size());
  for (std::size_t i = der.size(); i < file.size(); ++i) ASSERT_EQ(file[i], kFiller) << i;
  EXPECT_EQ(send(read_binary(file.size(), 1)).sw, kSwWrongOffset);  // past the end
  const ResponseApdu tail = send(read_binary(file.size() - 3, 0x10));
  EXPECT_EQ(tail.sw, kSwOk);  // Le beyond the end: what remains
  EXPECT_EQ(tail.data.size(), 3u);
}

TEST_F(CardTest, ExtendedLeAndSfiFormsReadTheSameBytes) {
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  const Bytes der = read_file(shared_valid_card() / kAuthCertDer);
  const ResponseApdu header = send("00B08A0004");  // SFI 0A, offset 0 (jpki.md §2.3 MBX)
  ASSERT_EQ(header.sw, kSwOk);
  EXPECT_EQ(header.data, Bytes(der.begin(), der.begin() + 4));
  Bytes extended = from_hex("00B08A04000000");
  extended[5] = static_cast<std::uint8_t>((der.size() - 4) >> 8);
  extended[6] = static_cast<std::uint8_t>((der.size() - 4) & 0xFF);
  const ResponseApdu rest = send(extended);
  ASSERT_EQ(rest.sw, kSwOk);
  EXPECT_EQ(rest.data, Bytes(der.begin() + 4, der.end()));
}

TEST_F(CardTest, ReadBinaryNeedsACurrentEf) {
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  EXPECT_EQ(sw(read_binary(0, 4)), kSwNoCurrentEf);
  ASSERT_EQ(sw(select_ef(kPinAuth)), kSwOk);
  EXPECT_EQ(sw(read_binary(0, 4)), kSwIncompatibleFile);
  EXPECT_EQ(sw("00B00000"), kSwWrongLength);  // case 1: no Le
}

TEST_F(CardTest, SignCertificateAndSignKeyNeedTheSignPassword) {
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  ASSERT_EQ(sw(select_ef(kEfSignCert)), kSwOk);
  EXPECT_EQ(sw(read_binary(0, 4)), kSwSecurityNotSatisfied);
  ASSERT_EQ(sw(select_ef(kKeySign)), kSwOk);
  EXPECT_EQ(sw(compute_signature_apdu(sha256_digest_info(to_bytes("x")))), kSwSecurityNotSatisfied);
  ASSERT_EQ(sw(select_ef(kPinSign)), kSwOk);
  ASSERT_EQ(sw(verify("ABC123")), kSwOk);
  ASSERT_EQ(sw(select_ef(kEfSignCert)), kSwOk);
  const ResponseApdu header = send(read_binary(0, 4));
  EXPECT_EQ(header.sw, kSwOk);
  const Bytes der = read_file(shared_valid_card() / kSignCertDer);
  EXPECT_EQ(header.data, Bytes(der.begin(), der.begin() + 4));
}

TEST_F(CardTest, FreeJpkiFilesNeedNoPin) {
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  for (const std::uint16_t fid : {kEfAuthCaCert, kEfSignCaCert}) {
    ASSERT_EQ(sw(select_ef(fid)), kSwOk);
    const ResponseApdu r = send(read_binary(0, 4));
    EXPECT_EQ(r.sw, kSwOk) << fid;
    EXPECT_EQ(r.data[0], 0x30) << fid;
  }
  ASSERT_EQ(sw(select_ef(kEfTokenInfo)), kSwOk);
  const ResponseApdu info = send(read_binary(0, 0));
  EXPECT_EQ(info.data.size(), 160u);
  EXPECT_EQ(std::string(info.data.begin(), info.data.begin() + 15), "JPKIAPICCTOKEN2");
  ASSERT_EQ(sw(select_ef(kEfCertAvailability)), kSwOk);
  EXPECT_EQ(send(read_binary(0, 0)).data, from_hex("8F8F00"));
}

TEST_F(CardTest, AuthSignatureVerifiesWithTheCertificatesPublicKey) {
  const Bytes digest_info = sha256_digest_info(to_bytes("challenge from the daemon"));
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  ASSERT_EQ(sw(select_ef(kPinAuth)), kSwOk);
  ASSERT_EQ(sw(verify("1234")), kSwOk);
  ASSERT_EQ(sw(select_ef(kKeyAuth)), kSwOk);
  const ResponseApdu signature = send(compute_signature_apdu(digest_info));
  ASSERT_EQ(signature.sw, kSwOk);
  ASSERT_EQ(signature.data.size(), 256u);
  const X509Ptr cert = cert_from_der(read_file(shared_valid_card() / kAuthCertDer));
  EvpPkeyPtr public_key(X509_get_pubkey(cert.get()));
  EXPECT_EQ(rsa_pkcs1_verify_recover(public_key.get(), signature.data), digest_info);

  // The same through P2=97 (key named by SFI, jpki.md §2.5), no SELECT of 0017.
  Bytes by_sfi = compute_signature_apdu(digest_info);
  by_sfi[3] = 0x97;
  ASSERT_EQ(sw(select_ef(kEfAuthCert)), kSwOk);
  const ResponseApdu again = send(by_sfi);
  ASSERT_EQ(again.sw, kSwOk);
  EXPECT_EQ(rsa_pkcs1_verify_recover(public_key.get(), again.data), digest_info);
}

TEST_F(CardTest, SignatureChecksPinLengthAndScheme) {
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  ASSERT_EQ(sw(select_ef(kKeyAuth)), kSwOk);
  EXPECT_EQ(sw(compute_signature_apdu(Bytes(32, 1))), kSwSecurityNotSatisfied);
  ASSERT_EQ(sw("00200098"
               "04"
               "31323334"),
            kSwOk);  // SFI-form VERIFY of 0018
  ASSERT_EQ(sw(select_ef(kKeyAuth)), kSwOk);
  EXPECT_EQ(sw(compute_signature_apdu(Bytes(245, 1))), kSwOk);
  EXPECT_EQ(sw(compute_signature_apdu(Bytes(246, 1))), kSwWrongLength);
  EXPECT_EQ(sw("802A0080"
               "00"),
            kSwWrongLength);  // no data
  Bytes scheme = compute_signature_apdu(Bytes(32, 1));
  scheme[2] = 0x01;
  EXPECT_EQ(sw(scheme), kSwWrongP1P2);
}

TEST_F(CardTest, VerifyCountsDownAndNotifiesTheObserver) {
  std::vector<std::pair<std::string, int>> seen;
  card_->set_pin_observer([&](const std::string& name, int left) { seen.emplace_back(name, left); });
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  ASSERT_EQ(sw(select_ef(kPinAuth)), kSwOk);
  EXPECT_EQ(sw("00200080"), 0x63C3);  // empty VERIFY: tries left, none spent
  EXPECT_EQ(sw(verify("0000")), 0x63C2);
  EXPECT_EQ(sw(verify("0000")), 0x63C1);
  EXPECT_EQ(sw(verify("1234")), kSwOk);
  EXPECT_EQ(sw("00200080"), kSwOk);  // already verified
  const std::vector<std::pair<std::string, int>> expected = {{"auth_pin", 2}, {"auth_pin", 1}, {"auth_pin", 3}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(sw("00200180"
               "04"
               "31323334"),
            kSwWrongP1P2);
}

TEST_F(CardTest, TextApNeedsTheTextPinAndMarksMyNumberSelection) {
  std::vector<std::string> events;
  card_->set_event_sink([&](const std::string& e) { events.push_back(e); });
  ASSERT_EQ(sw(select_aid(kTextAid)), kSwOk);
  ASSERT_EQ(sw(select_ef(kEfBasicFour)), kSwOk);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(sw(read_binary(0, 0)), kSwSecurityNotSatisfied);
  ASSERT_EQ(sw(select_ef(kEfMyNumber)), kSwOk);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], kMyNumberMarker);
  EXPECT_EQ(sw(read_binary(0, 17)), kSwSecurityNotSatisfied);
  EXPECT_EQ(sw("00200091"
               "04"
               "31323334"),
            kSwOk);  // SFI-form VERIFY of 0011
  const ResponseApdu number = send(read_binary(0, 17));
  ASSERT_EQ(number.sw, kSwOk);
  EXPECT_EQ(number.data, make_my_number_ef("123456789018"));
  const ResponseApdu digits = send("00B081030C");  // MBX's SFI read of the digits
  EXPECT_EQ(std::string(digits.data.begin(), digits.data.end()), "123456789018");
  EXPECT_EQ(events.size(), 2u);  // the SFI read selected EF 0001 again
  ASSERT_EQ(sw(select_ef(kEfBasicFour)), kSwOk);
  const ResponseApdu four = send(read_binary(0, 0));
  ASSERT_EQ(four.sw, kSwOk);
  EXPECT_EQ(Bytes(four.data.begin(), four.data.begin() + 2), from_hex("FF20"));
}

TEST_F(CardTest, JpkiEf0001SelectionIsNotTheMyNumberMarker) {
  std::vector<std::string> events;
  card_->set_event_sink([&](const std::string& e) { events.push_back(e); });
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  ASSERT_EQ(sw(select_ef(kEfSignCert)), kSwOk);
  EXPECT_TRUE(events.empty());
}

TEST_F(CardTest, PowerOffEndsTheSecurityStateButWarmResetDoesNot) {
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  ASSERT_EQ(sw("0020009B"
               "06"
               "414243313233"),
            kSwOk);  // sign password by SFI
  card_->warm_reset();
  EXPECT_EQ(sw(read_binary(0, 4)), kSwNoCurrentEf);  // selection gone
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  ASSERT_EQ(sw(select_ef(kEfSignCert)), kSwOk);
  EXPECT_EQ(sw(read_binary(0, 4)), kSwOk);  // still verified
  card_->power_off();
  card_->power_on();
  ASSERT_EQ(sw(select_aid(kJpkiAid)), kSwOk);
  ASSERT_EQ(sw(select_ef(kEfSignCert)), kSwOk);
  EXPECT_EQ(sw(read_binary(0, 4)), kSwSecurityNotSatisfied);
}

TEST_F(CardTest, RefusesSecureMessagingUnknownInsAndClaAndMalformedApdus) {
  EXPECT_EQ(sw("0CA4040C0AD392F000260100000001"), kSwSecureMessagingUnsupported);
  EXPECT_EQ(sw("08B0000004"), kSwSecureMessagingUnsupported);
  EXPECT_EQ(sw("00FE000000"), kSwInsNotSupported);
  EXPECT_EQ(sw("80B0000004"), kSwInsNotSupported);
  EXPECT_EQ(sw("90A4040C0AD392F000260100000001"), kSwClaNotSupported);
  EXPECT_EQ(sw("00A4040C05D392"), kSwWrongLength);
  EXPECT_EQ(sw("00A4"), kSwWrongLength);
}

TEST_F(CardTest, ContactlessUidIsOnlyForBadges) {
  EXPECT_EQ(sw("FFCA000000"), kSwFuncNotSupported);
  Card badge = load_card(make_test_card("badge", {"--uid", "04A1B2C3D4E5F6"}));
  const ResponseApdu uid = badge.process(from_hex("FFCA000000"));
  EXPECT_EQ(uid.sw, kSwOk);
  EXPECT_EQ(uid.data, from_hex("04A1B2C3D4E5F6"));
  EXPECT_EQ(badge.process(select_aid(kJpkiAid)).sw, kSwFileNotFound);  // no JPKI AP at all
}

TEST_F(CardTest, GetDataReturnsTheContactAtrWithoutTs) {
  EXPECT_EQ(send("00CA5F5100").data, from_hex("E000FF8131FE4514"));
}

TEST_F(CardTest, FreeAreaHoldsTheMunicipalityIdWithoutPin) {
  ASSERT_EQ(sw(select_aid(from_hex("F04B415A41535501"))), kSwOk);
  ASSERT_EQ(sw(select_ef(0x0001)), kSwOk);
  const ResponseApdu r = send(read_binary(0, 0));
  ASSERT_EQ(r.sw, kSwOk);
  EXPECT_EQ(r.data.size(), 32u);
  const Bytes expected = make_free_area_tlv("LIB-0042");
  EXPECT_EQ(Bytes(r.data.begin(), r.data.begin() + static_cast<long>(expected.size())), expected);
  EXPECT_EQ(r.data.back(), kFiller);
}

TEST(CardGetResponseMode, AnswersCase4With61xxAndServesGetResponse) {
  Card card = load_card(shared_valid_card(), CardOptions{true});
  card.power_on();
  ASSERT_EQ(card.process(select_aid(kJpkiAid)).sw, kSwOk);
  ASSERT_EQ(card.process(from_hex("00200098"
                                  "04"
                                  "31323334"))
                .sw,
            kSwOk);
  Bytes apdu = from_hex("802A0097");
  const Bytes digest_info = sha256_digest_info(to_bytes("m"));
  apdu.push_back(static_cast<std::uint8_t>(digest_info.size()));
  append(apdu, digest_info);
  apdu.push_back(0x00);
  EXPECT_EQ(card.process(apdu).sw, 0x6100);                    // 256 bytes waiting
  EXPECT_EQ(card.process(from_hex("00C0000010")).sw, 0x61F0);  // 16 taken, 240 left
  const ResponseApdu rest = card.process(from_hex("00C00000F0"));
  EXPECT_EQ(rest.sw, kSwOk);
  EXPECT_EQ(rest.data.size(), 240u);
  EXPECT_EQ(card.process(from_hex("00C0000010")).sw, kSwConditionsNotSatisfied);
}

TEST(CardGetResponseMode, WrongLeOnReadBinaryGets6Cxx) {
  Card card = load_card(shared_valid_card(), CardOptions{true});
  card.power_on();
  ASSERT_EQ(card.process(select_aid(kJpkiAid)).sw, kSwOk);
  ASSERT_EQ(card.process(select_ef(kEfCertAvailability)).sw, kSwOk);
  EXPECT_EQ(card.process(read_binary(0, 0)).sw, 0x6C03);
  const ResponseApdu exact = card.process(read_binary(0, 3));
  EXPECT_EQ(exact.sw, kSwOk);
  EXPECT_EQ(exact.data, from_hex("8F8F00"));
}

}  // namespace
}  // namespace kazasu::cardsim::testing
