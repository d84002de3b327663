#include "storage/postgres/libpq.h"

#include <dlfcn.h>

#include <mutex>

namespace mxauth::storage::postgres {
namespace {

// The soname of libpq 5 (PostgreSQL 10 and later; pipeline mode needs the
// library of PostgreSQL 14 or later, whatever the server's version).
constexpr const char* kLibpqSoname = "libpq.so.5";

Libpq g_libpq;
std::string g_load_error;

template <class Function>
void resolve(void* handle, const char* name, Function& slot, std::string& missing) {
  void* symbol = dlsym(handle, name);
  if (symbol == nullptr) {
    if (!missing.empty()) missing += ", ";
    missing += name;
    return;
  }
  slot = reinterpret_cast<Function>(symbol);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

void load() {
  void* handle = dlopen(kLibpqSoname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();  // NOLINT(concurrency-mt-unsafe): under the call_once
    g_load_error = std::string("cannot load ") + kLibpqSoname +
                   " (Debian package libpq5): " + (why != nullptr ? why : "unknown error");
    return;
  }
  Libpq loaded;
  std::string missing;
  resolve(handle, "PQclear", loaded.PQclear, missing);
  resolve(handle, "PQcmdTuples", loaded.PQcmdTuples, missing);
  resolve(handle, "PQconnectdbParams", loaded.PQconnectdbParams, missing);
  resolve(handle, "PQconsumeInput", loaded.PQconsumeInput, missing);
  resolve(handle, "PQenterPipelineMode", loaded.PQenterPipelineMode, missing);
  resolve(handle, "PQerrorMessage", loaded.PQerrorMessage, missing);
  resolve(handle, "PQexec", loaded.PQexec, missing);
  resolve(handle, "PQexecPrepared", loaded.PQexecPrepared, missing);
  resolve(handle, "PQexitPipelineMode", loaded.PQexitPipelineMode, missing);
  resolve(handle, "PQfinish", loaded.PQfinish, missing);
  resolve(handle, "PQfreemem", loaded.PQfreemem, missing);
  resolve(handle, "PQgetResult", loaded.PQgetResult, missing);
  resolve(handle, "PQgetisnull", loaded.PQgetisnull, missing);
  resolve(handle, "PQgetlength", loaded.PQgetlength, missing);
  resolve(handle, "PQgetvalue", loaded.PQgetvalue, missing);
  resolve(handle, "PQnfields", loaded.PQnfields, missing);
  resolve(handle, "PQnotifies", loaded.PQnotifies, missing);
  resolve(handle, "PQntuples", loaded.PQntuples, missing);
  resolve(handle, "PQpipelineStatus", loaded.PQpipelineStatus, missing);
  resolve(handle, "PQpipelineSync", loaded.PQpipelineSync, missing);
  resolve(handle, "PQprepare", loaded.PQprepare, missing);
  resolve(handle, "PQreset", loaded.PQreset, missing);
  resolve(handle, "PQresultErrorField", loaded.PQresultErrorField, missing);
  resolve(handle, "PQresultErrorMessage", loaded.PQresultErrorMessage, missing);
  resolve(handle, "PQresultStatus", loaded.PQresultStatus, missing);
  resolve(handle, "PQsendPrepare", loaded.PQsendPrepare, missing);
  resolve(handle, "PQsendQuery", loaded.PQsendQuery, missing);
  resolve(handle, "PQsendQueryParams", loaded.PQsendQueryParams, missing);
  resolve(handle, "PQsendQueryPrepared", loaded.PQsendQueryPrepared, missing);
  resolve(handle, "PQsetNoticeProcessor", loaded.PQsetNoticeProcessor, missing);
  resolve(handle, "PQsocket", loaded.PQsocket, missing);
  resolve(handle, "PQstatus", loaded.PQstatus, missing);
  if (!missing.empty()) {
    g_load_error = std::string(kLibpqSoname) + " lacks " + missing +
                   ": mxauth needs the libpq of PostgreSQL 14 or later";
    dlclose(handle);
    return;
  }
  // Kept loaded for the life of the process.
  g_libpq = loaded;
}

}  // namespace

Result<void, std::string> loadLibpq() {
  static std::once_flag once;
  std::call_once(once, load);
  if (!g_load_error.empty()) return unexpected(g_load_error);
  return {};
}

const Libpq& libpq() { return g_libpq; }

}  // namespace mxauth::storage::postgres
