// libpq, loaded when the first PostgreSQL engine is made rather than linked: a station
// whose shared state is SQLite never maps libpq and the twenty libraries it pulls in
// (Kerberos, LDAP, GnuTLS...), about 3.4 MiB of resident memory (bench/README.md).
#pragma once

#include <libpq-fe.h>

namespace kazasu::shared {

/** The libpq functions the PostgreSQL engine calls, by their own names. */
struct Libpq {
  decltype(&::PQconnectStart) PQconnectStart = nullptr;
  decltype(&::PQconnectPoll) PQconnectPoll = nullptr;
  decltype(&::PQstatus) PQstatus = nullptr;
  decltype(&::PQerrorMessage) PQerrorMessage = nullptr;
  decltype(&::PQsocket) PQsocket = nullptr;
  decltype(&::PQsetnonblocking) PQsetnonblocking = nullptr;
  decltype(&::PQsetNoticeProcessor) PQsetNoticeProcessor = nullptr;
  decltype(&::PQsendQuery) PQsendQuery = nullptr;
  decltype(&::PQsendQueryParams) PQsendQueryParams = nullptr;
  decltype(&::PQflush) PQflush = nullptr;
  decltype(&::PQconsumeInput) PQconsumeInput = nullptr;
  decltype(&::PQisBusy) PQisBusy = nullptr;
  decltype(&::PQgetResult) PQgetResult = nullptr;
  decltype(&::PQresultStatus) PQresultStatus = nullptr;
  decltype(&::PQresultErrorMessage) PQresultErrorMessage = nullptr;
  decltype(&::PQntuples) PQntuples = nullptr;
  decltype(&::PQgetvalue) PQgetvalue = nullptr;
  decltype(&::PQgetlength) PQgetlength = nullptr;
  decltype(&::PQclear) PQclear = nullptr;
  decltype(&::PQfinish) PQfinish = nullptr;
};

/**
 * libpq.so.5, loaded on the first call and kept until exit. Throws std::runtime_error
 * naming the library and the Debian package when it cannot be loaded or lacks a function.
 */
const Libpq& libpq();

}  // namespace kazasu::shared
