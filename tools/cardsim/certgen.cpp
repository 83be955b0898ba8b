#include "certgen.hpp"

#include <openssl/objects.h>

#include <stdexcept>

namespace kazasu::cardsim {

NameEntries auth_ca_dn() {
  return {{"C", "JP"},
          {"O", "JPKI-TEST"},
          {"OU", "JPKI for user authentication"},
          {"OU", "Japan Agency for Local Authority Information Systems"}};
}

NameEntries sign_ca_dn() {
  return {{"C", "JP"},
          {"O", "JPKI-TEST"},
          {"OU", "JPKI for digital signature"},
          {"OU", "Japan Agency for Local Authority Information Systems"}};
}

X509NamePtr make_name(const NameEntries& entries) {
  X509NamePtr name(X509_NAME_new());
  if (!name) throw_openssl("X509_NAME_new");
  for (const auto& [field, value] : entries) {
    if (X509_NAME_add_entry_by_txt(name.get(), field.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1) {
      throw_openssl("bad name entry " + field);
    }
  }
  return name;
}

namespace {

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) throw_openssl("extension " + value);
}

void add_other_names(X509* cert, const std::vector<std::pair<std::string, std::string>>& other_names) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  for (const auto& [oid, value] : other_names) {
    ASN1_OBJECT* type_id = OBJ_txt2obj(oid.c_str(), 1);
    ASN1_TYPE* typed = ASN1_TYPE_new();
    ASN1_UTF8STRING* text = ASN1_UTF8STRING_new();
    GENERAL_NAME* general = GENERAL_NAME_new();
    if (!type_id || !typed || !text || !general ||
        ASN1_STRING_set(text, value.data(), static_cast<int>(value.size())) != 1) {
      ASN1_OBJECT_free(type_id);
      ASN1_TYPE_free(typed);
      ASN1_UTF8STRING_free(text);
      GENERAL_NAME_free(general);
      throw_openssl("otherName " + oid);
    }
    ASN1_TYPE_set(typed, V_ASN1_UTF8STRING, text);  // typed owns text now
    if (GENERAL_NAME_set0_othername(general, type_id, typed) != 1) {
      ASN1_OBJECT_free(type_id);
      ASN1_TYPE_free(typed);
      GENERAL_NAME_free(general);
      throw_openssl("otherName set " + oid);
    }
    sk_GENERAL_NAME_push(names.get(), general);  // names owns general now
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    throw_openssl("subjectAltName");
  }
}

}  // namespace

X509Ptr issue_cert(const CertRequest& r) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) throw_openssl("X509_new");

  BignumPtr serial_bn(BN_bin2bn(r.serial.data(), static_cast<int>(r.serial.size()), nullptr));
  Asn1IntegerPtr serial(serial_bn ? BN_to_ASN1_INTEGER(serial_bn.get(), nullptr) : nullptr);
  if (!serial || X509_set_serialNumber(cert.get(), serial.get()) != 1) throw_openssl("serial");

  const X509NamePtr subject = make_name(*r.subject);
  if (X509_set_subject_name(cert.get(), subject.get()) != 1) throw_openssl("subject");
  X509_NAME* issuer_name = r.issuer_cert ? X509_get_subject_name(r.issuer_cert) : subject.get();
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1) throw_openssl("issuer");

  Asn1TimePtr not_before(ASN1_TIME_set(nullptr, r.not_before));
  Asn1TimePtr not_after(ASN1_TIME_set(nullptr, r.not_after));
  if (!not_before || !not_after || X509_set1_notBefore(cert.get(), not_before.get()) != 1 ||
      X509_set1_notAfter(cert.get(), not_after.get()) != 1) {
    throw_openssl("validity");
  }
  if (X509_set_pubkey(cert.get(), r.subject_key) != 1) throw_openssl("pubkey");

  X509* issuer_for_ext = r.issuer_cert ? r.issuer_cert : cert.get();
  if (r.ca) add_ext(cert.get(), issuer_for_ext, NID_basic_constraints, "critical,CA:TRUE");
  if (!r.key_usage.empty()) add_ext(cert.get(), issuer_for_ext, NID_key_usage, r.key_usage);
  add_ext(cert.get(), issuer_for_ext, NID_subject_key_identifier, "hash");
  if (r.issuer_cert) add_ext(cert.get(), issuer_for_ext, NID_authority_key_identifier, "keyid:always");
  if (!r.other_names.empty()) add_other_names(cert.get(), r.other_names);

  EVP_PKEY* signing_key = r.issuer_key ? r.issuer_key : r.subject_key;
  if (X509_sign(cert.get(), signing_key, EVP_sha256()) <= 0) throw_openssl("X509_sign");
  return cert;
}

CaPair make_root(const NameEntries& dn, const Bytes& serial, std::time_t not_before, std::time_t not_after) {
  CaPair pair;
  pair.key = generate_rsa_2048();
  CertRequest request;
  request.subject = &dn;
  request.subject_key = pair.key.get();
  request.serial = serial;
  request.not_before = not_before;
  request.not_after = not_after;
  request.ca = true;
  request.key_usage = "critical,keyCertSign,cRLSign";
  pair.cert = issue_cert(request);
  return pair;
}

std::time_t utc_time(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return timegm(&tm);
}

std::string iso8601(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace kazasu::cardsim
