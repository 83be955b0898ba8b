#include "shared/libpq.hpp"

#include <boost/dll/shared_library.hpp>

#include <stdexcept>
#include <string>

namespace kazasu::shared {
namespace {

constexpr const char* kLibrary = "libpq.so.5";

template <typename F>
void resolve(const boost::dll::shared_library& lib, const char* name, F*& out) {
  if (!lib.has(name)) {
    throw std::runtime_error(std::string(kLibrary) + " has no " + name + " (libpq5 too old?)");
  }
  out = &lib.get<F>(name);
}

Libpq load() {
  static boost::dll::shared_library lib;  // kept loaded: connections outlive any one engine
  try {
    lib.load(kLibrary, boost::dll::load_mode::search_system_folders);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("engine postgresql needs ") + kLibrary +
                             " (Debian package libpq5): " + e.what());
  }
  Libpq pq;
  resolve(lib, "PQconnectStart", pq.PQconnectStart);
  resolve(lib, "PQconnectPoll", pq.PQconnectPoll);
  resolve(lib, "PQstatus", pq.PQstatus);
  resolve(lib, "PQerrorMessage", pq.PQerrorMessage);
  resolve(lib, "PQsocket", pq.PQsocket);
  resolve(lib, "PQsetnonblocking", pq.PQsetnonblocking);
  resolve(lib, "PQsetNoticeProcessor", pq.PQsetNoticeProcessor);
  resolve(lib, "PQsendQuery", pq.PQsendQuery);
  resolve(lib, "PQsendQueryParams", pq.PQsendQueryParams);
  resolve(lib, "PQflush", pq.PQflush);
  resolve(lib, "PQconsumeInput", pq.PQconsumeInput);
  resolve(lib, "PQisBusy", pq.PQisBusy);
  resolve(lib, "PQgetResult", pq.PQgetResult);
  resolve(lib, "PQresultStatus", pq.PQresultStatus);
  resolve(lib, "PQresultErrorMessage", pq.PQresultErrorMessage);
  resolve(lib, "PQntuples", pq.PQntuples);
  resolve(lib, "PQgetvalue", pq.PQgetvalue);
  resolve(lib, "PQgetlength", pq.PQgetlength);
  resolve(lib, "PQclear", pq.PQclear);
  resolve(lib, "PQfinish", pq.PQfinish);
  return pq;
}

}  // namespace

const Libpq& libpq() {
  // A failed load throws out of the initializer, so the next engine tries again.
  static const Libpq pq = load();
  return pq;
}

}  // namespace kazasu::shared
