#include "identify/der.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "identify/ossl.hpp"
#include "test_cards.hpp"

namespace kazasu {
namespace {

using apdu::Bytes;

Bytes tlv(std::uint8_t tag, const Bytes& value, int long_form = 0) {
  Bytes out = {tag};
  const std::size_t n = value.size();
  if (long_form == 0 && n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (long_form <= 1 && n < 0x100) {
    out.insert(out.end(), {0x81, static_cast<std::uint8_t>(n)});
  } else {
    out.insert(out.end(), {0x82, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n & 0xFF)});
  }
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kVersion = tlv(0xA0, tlv(0x02, {0x02}));
const Bytes kSerial = tlv(0x02, {0x00, 0x9A, 0x01});
const Bytes kSigAlg = tlv(0x30, tlv(0x06, {0x2A, 0x86, 0x48}));
// Name { SET { SEQUENCE { OID 2.5.4.6 (C), PrintableString "JP" } } }
const Bytes kIssuer = tlv(0x30, tlv(0x31, tlv(0x30, cat({tlv(0x06, {0x55, 0x04, 0x06}), tlv(0x13, {'J', 'P'})}))));

Bytes certificate(const Bytes& tbs_body, int long_form = 0) {
  const Bytes filler(300, 0xEE);  // validity, subject, key... stand-ins
  return tlv(0x30, cat({tlv(0x30, cat({tbs_body, filler}), long_form), tlv(0x30, {})}), long_form);
}

TEST(DerWalker, FindsSerialAndIssuerInAV3Certificate) {
  const Bytes cert = certificate(cat({kVersion, kSerial, kSigAlg, kIssuer}), 2);
  const der::PrefixResult r = der::parse_certificate_prefix(cert);
  ASSERT_EQ(r.status, der::Status::ok);
  EXPECT_EQ(apdu::to_hex(r.prefix.serial), "009A01");
  EXPECT_EQ(der::serial_hex(r.prefix.serial), "9A01");
  EXPECT_EQ(r.prefix.issuer_der, kIssuer);
  EXPECT_EQ(r.prefix.certificate_size, cert.size());
  EXPECT_EQ(ossl::name_text(r.prefix.issuer_der), "C=JP");
}

TEST(DerWalker, AcceptsAV1CertificateWithoutVersion) {
  const Bytes cert = certificate(cat({kSerial, kSigAlg, kIssuer}), 2);
  EXPECT_EQ(der::parse_certificate_prefix(cert).status, der::Status::ok);
}

TEST(DerWalker, ReadsThe0x81LongForm) {
  Bytes h;
  const Bytes value(0x90, 0x01);
  const Bytes el = tlv(0x04, value, 1);
  der::Header header;
  ASSERT_EQ(der::read_header(el.data(), el.size(), 0, header), der::Status::ok);
  EXPECT_EQ(header.header_size, 3u);
  EXPECT_EQ(header.length, 0x90u);
}

TEST(DerWalker, NeedsMoreBytesWhenTheIssuerIsCut) {
  const Bytes cert = certificate(cat({kVersion, kSerial, kSigAlg, kIssuer}), 2);
  const std::size_t issuer_end = 4 + 4 + kVersion.size() + kSerial.size() + kSigAlg.size() + kIssuer.size();
  const Bytes head(cert.begin(), cert.begin() + static_cast<long>(issuer_end - 3));
  const der::PrefixResult r = der::parse_certificate_prefix(head);
  EXPECT_EQ(r.status, der::Status::truncated);
  EXPECT_EQ(r.need, issuer_end);
}

TEST(DerWalker, ReportsATruncatedLengthField) {
  const Bytes cut = {0x30, 0x82, 0x04};
  EXPECT_EQ(der::parse_certificate_prefix(cut).status, der::Status::truncated);
  der::Header h;
  EXPECT_EQ(der::read_header(cut.data(), cut.size(), 0, h), der::Status::truncated);
  EXPECT_EQ(der::read_header(cut.data(), 1, 0, h), der::Status::truncated);
}

TEST(DerWalker, RefusesIndefiniteLength) {
  const Bytes bad = {0x30, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00};
  EXPECT_EQ(der::parse_certificate_prefix(bad).status, der::Status::indefinite);
}

TEST(DerWalker, RefusesWrongTags) {
  EXPECT_EQ(der::parse_certificate_prefix(certificate(cat({kVersion, tlv(0x04, {1}), kSigAlg, kIssuer}))).status,
            der::Status::wrong_tag);
  const Bytes not_a_sequence = tlv(0x31, cat({kSerial}));
  EXPECT_EQ(der::parse_certificate_prefix(not_a_sequence).status, der::Status::wrong_tag);
  EXPECT_EQ(der::parse_certificate_prefix(certificate(cat({kVersion, kSerial, kSigAlg, tlv(0x31, {})}))).status,
            der::Status::wrong_tag);
}

TEST(DerWalker, RefusesChildrenLongerThanTheirParent) {
  // TBSCertificate claims 5 bytes, but its serial claims 9.
  const Bytes bad = {0x30, 0x0D, 0x30, 0x05, 0x02, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(der::parse_certificate_prefix(bad).status, der::Status::bad_length);
}

TEST(DerWalker, RefusesOverlongLengthFieldsAndEmptySerials) {
  const Bytes five_octets = {0x30, 0x85, 0, 0, 0, 1, 0};
  EXPECT_EQ(der::parse_certificate_prefix(five_octets).status, der::Status::bad_length);
  EXPECT_EQ(der::parse_certificate_prefix(certificate(cat({kVersion, tlv(0x02, {}), kSigAlg, kIssuer}))).status,
            der::Status::bad_length);
}

TEST(DerWalker, AgreesWithOpenSslOnAGeneratedCardCertificate) {
  std::ifstream in(cardsim::testing::shared_valid_card() / "auth_cert.der", std::ios::binary);
  const Bytes der_bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(der_bytes.size(), 256u);
  // Only the first 256 bytes, as `fast` reads them.
  const Bytes head(der_bytes.begin(), der_bytes.begin() + 256);
  const der::PrefixResult r = der::parse_certificate_prefix(head);
  ASSERT_EQ(r.status, der::Status::ok);
  EXPECT_EQ(r.prefix.certificate_size, der_bytes.size());

  const unsigned char* p = der_bytes.data();
  ossl::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der_bytes.size())));
  ASSERT_TRUE(cert);
  EXPECT_EQ(ossl::name_text(r.prefix.issuer_der), ossl::name_text(X509_get_issuer_name(cert.get())));
  EXPECT_NE(ossl::name_text(r.prefix.issuer_der).find("O=JPKI-TEST"), std::string::npos);
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
  char* hex = BN_bn2hex(bn);
  EXPECT_EQ(der::serial_hex(r.prefix.serial), hex);
  OPENSSL_free(hex);
  BN_free(bn);
}

}  // namespace
}  // namespace kazasu
