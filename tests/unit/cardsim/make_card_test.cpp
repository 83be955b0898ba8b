// make-ca / make-card produce the hierarchy, validity periods and issuers they claim.
#include <gtest/gtest.h>

#include <openssl/x509.h>

#include <ctime>

#include "applications.hpp"
#include "certgen.hpp"
#include "file_util.hpp"
#include "generator.hpp"
#include "status_words.hpp"
#include "test_cards.hpp"

namespace kazasu::cardsim::testing {
namespace {

namespace fs = std::filesystem;

X509Ptr auth_cert(const fs::path& card) {
  return cert_from_der(read_file(card / kAuthCertDer));
}
X509Ptr auth_root() {
  return cert_from_pem_file(test_ca_dir() / kCaAuthCertPem);
}

std::time_t to_time(const ASN1_TIME* t) {
  std::tm tm{};
  EXPECT_EQ(ASN1_TIME_to_tm(t, &tm), 1);
  return timegm(&tm);
}

std::string name_text(X509_NAME* name) {
  char buffer[512];
  X509_NAME_oneline(name, buffer, sizeof buffer);
  return buffer;
}

bool signed_by(X509* cert, X509* issuer) {
  EvpPkeyPtr key(X509_get_pubkey(issuer));
  return X509_verify(cert, key.get()) == 1;
}

std::string common_name(X509* cert) {
  char cn[128] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

TEST(MakeCa, RootsAreSelfSignedJpkiTestCas) {
  const X509Ptr root = auth_root();
  EXPECT_EQ(name_text(X509_get_subject_name(root.get())),
            "/C=JP/O=JPKI-TEST/OU=JPKI for user authentication/"
            "OU=Japan Agency for Local Authority Information Systems");
  EXPECT_TRUE(signed_by(root.get(), root.get()));
  EXPECT_EQ(X509_check_ca(root.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(root.get()) & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(X509_get_key_usage(root.get()) & KU_CRL_SIGN);
  EXPECT_EQ(X509_get_signature_nid(root.get()), NID_sha256WithRSAEncryption);
  const X509Ptr sign_root = cert_from_pem_file(test_ca_dir() / kCaSignCertPem);
  EXPECT_NE(name_text(X509_get_subject_name(sign_root.get())).find("OU=JPKI for digital signature"), std::string::npos);
}

TEST(MakeCard, ValidCardRunsFiveYearsToABirthdayUnderTheAuthRoot) {
  const fs::path card = shared_valid_card();
  const X509Ptr cert = auth_cert(card);
  const X509Ptr root = auth_root();
  const std::time_t now = std::time(nullptr);
  const std::time_t not_before = to_time(X509_get0_notBefore(cert.get()));
  const std::time_t not_after = to_time(X509_get0_notAfter(cert.get()));
  EXPECT_LT(not_before, now);
  EXPECT_GT(not_after, now);
  const double years = static_cast<double>(not_after - not_before) / (365.25 * 86400);
  EXPECT_GT(years, 4.0);
  EXPECT_LE(years, 5.0);
  std::tm end{};
  gmtime_r(&not_after, &end);
  EXPECT_EQ(end.tm_mon + 1, 2);  // birthday 19800217
  EXPECT_EQ(end.tm_mday, 17);
  EXPECT_TRUE(signed_by(cert.get(), root.get()));
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(root.get())), 0);
  const std::string cn = common_name(cert.get());
  EXPECT_EQ(cn.size(), 23u);
  EXPECT_NE(cn.find("13221"), std::string::npos);
  EvpPkeyPtr key(X509_get_pubkey(cert.get()));
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
  BIGNUM* e = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key.get(), "e", &e), 1);
  EXPECT_EQ(BN_get_word(e), 65537u);
  BN_free(e);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  EXPECT_NE(serial->type, V_ASN1_NEG_INTEGER);
  const X509Ptr sign = cert_from_der(read_file(card / kSignCertDer));
  EXPECT_TRUE(signed_by(sign.get(), cert_from_pem_file(test_ca_dir() / kCaSignCertPem).get()));
}

TEST(MakeCard, CertificateEfsAreLargerThanTheirDer) {
  const CardProfile profile = load_profile(shared_valid_card());
  EXPECT_GT(profile.ef_sizes.at("jpki.000A"), read_file(shared_valid_card() / kAuthCertDer).size());
  EXPECT_GT(profile.ef_sizes.at("jpki.0001"), read_file(shared_valid_card() / kSignCertDer).size());
  EXPECT_EQ(profile.atr, from_hex("3BE000FF8131FE4514"));
  EXPECT_EQ(profile.token_label, "JPKIAPICCTOKEN2");
}

TEST(MakeCard, ExpiredCardEndedInThePast) {
  const X509Ptr cert = auth_cert(make_test_card("expired"));
  EXPECT_LT(to_time(X509_get0_notAfter(cert.get())), std::time(nullptr));
  EXPECT_TRUE(signed_by(cert.get(), auth_root().get()));
}

TEST(MakeCard, NotYetValidCardStartsInTheFuture) {
  const X509Ptr cert = auth_cert(make_test_card("not-yet-valid"));
  EXPECT_GT(to_time(X509_get0_notBefore(cert.get())), std::time(nullptr));
  EXPECT_TRUE(signed_by(cert.get(), auth_root().get()));
}

TEST(MakeCard, WrongCaCardHasTheRightIssuerNameButNotTheRightSignature) {
  const fs::path card = make_test_card("wrong-ca");
  const X509Ptr cert = auth_cert(card);
  const X509Ptr root = auth_root();
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(root.get())), 0);
  EXPECT_FALSE(signed_by(cert.get(), root.get()));
  const X509Ptr card_copy = cert_from_der(read_file(card / kAuthCaCertDer));  // EF 000B
  EXPECT_TRUE(signed_by(cert.get(), card_copy.get()));
}

TEST(MakeCard, LockedPinCardAnswers6984) {
  Card card = load_card(make_test_card("locked-pin"));
  card.power_on();
  ASSERT_EQ(card.process(select_aid(kJpkiAid)).sw, kSwOk);
  EXPECT_EQ(card.process(from_hex("00200098")).sw, 0x63C0);
  EXPECT_EQ(card.process(from_hex("00200098"
                                  "04"
                                  "31323334"))
                .sw,
            kSwPinBlocked);
}

TEST(MakeCard, RenewedCardKeepsThePersonButNotTheKeyOrSerial) {
  const fs::path old_dir = shared_valid_card();
  const fs::path new_dir = make_test_card("renewed", {"--from", old_dir.string()});
  const CardProfile before = load_profile(old_dir);
  const CardProfile after = load_profile(new_dir);
  EXPECT_EQ(after.my_number, before.my_number);
  EXPECT_EQ(after.basic_four.name, before.basic_four.name);
  EXPECT_EQ(after.renewed_from_cn, before.auth_cn);
  EXPECT_NE(after.auth_serial, before.auth_serial);
  EXPECT_NE(after.auth_cn, before.auth_cn);
  const X509Ptr old_cert = auth_cert(old_dir);
  const X509Ptr new_cert = auth_cert(new_dir);
  EXPECT_NE(EVP_PKEY_eq(X509_get0_pubkey(old_cert.get()), X509_get0_pubkey(new_cert.get())), 1);
  EXPECT_TRUE(signed_by(new_cert.get(), auth_root().get()));
  EXPECT_LT(to_time(X509_get0_notBefore(new_cert.get())), std::time(nullptr));
}

TEST(MakeCard, BadgeHasAUidAndNoJpki) {
  const CardProfile badge = load_profile(make_test_card("badge", {"--uid", "04112233"}));
  EXPECT_FALSE(badge.jpki);
  ASSERT_TRUE(badge.uid.has_value());
  EXPECT_EQ(*badge.uid, from_hex("04112233"));
}

TEST(MakeCard, MyNumberCheckDigitFollowsThePublicFormula) {
  // 12345678901 -> check digit 8 (by hand: weighted sum 212, 212 mod 11 = 3, 11 - 3 = 8).
  EXPECT_EQ(my_number_with_check_digit("12345678901"), "123456789018");
}

TEST(PinState, PersistsAndOverridesTheProfile) {
  const fs::path card = make_test_card("valid");
  const CardProfile profile = load_profile(card);
  EXPECT_EQ(load_pin_state(card, profile).at("auth_pin"), 3);
  save_pin_state(card, {{"auth_pin", 1}, {"sign_password", 5}, {"text_pin", 3}});
  EXPECT_EQ(load_pin_state(card, profile).at("auth_pin"), 1);
  EXPECT_FALSE(fs::exists(card / (std::string(kStateFile) + ".tmp")));
}

}  // namespace
}  // namespace kazasu::cardsim::testing
