#pragma once

#include <libpq-fe.h>

#include <string>

#include "core/result.h"

// libpq, loaded when PostgreSQL is first used rather than when mxauth
// starts. Debian's libpq links LDAP and GSSAPI, which bring gnutls,
// Kerberos and a dozen more libraries: about 3 MiB of resident memory and
// their start-up work in every process, for a server that may well run on
// SQLite. The backend calls libpq only through libpq(), after loadLibpq()
// succeeded (PostgresConnection::connect, the invalidation listener).
namespace mxauth::storage::postgres {

// The functions of libpq-fe.h the backend uses, with their own types.
struct Libpq {
  decltype(&::PQclear) PQclear = nullptr;
  decltype(&::PQcmdTuples) PQcmdTuples = nullptr;
  decltype(&::PQconnectdbParams) PQconnectdbParams = nullptr;
  decltype(&::PQconsumeInput) PQconsumeInput = nullptr;
  decltype(&::PQenterPipelineMode) PQenterPipelineMode = nullptr;
  decltype(&::PQerrorMessage) PQerrorMessage = nullptr;
  decltype(&::PQexec) PQexec = nullptr;
  decltype(&::PQexecPrepared) PQexecPrepared = nullptr;
  decltype(&::PQexitPipelineMode) PQexitPipelineMode = nullptr;
  decltype(&::PQfinish) PQfinish = nullptr;
  decltype(&::PQfreemem) PQfreemem = nullptr;
  decltype(&::PQgetResult) PQgetResult = nullptr;
  decltype(&::PQgetisnull) PQgetisnull = nullptr;
  decltype(&::PQgetlength) PQgetlength = nullptr;
  decltype(&::PQgetvalue) PQgetvalue = nullptr;
  decltype(&::PQnfields) PQnfields = nullptr;
  decltype(&::PQnotifies) PQnotifies = nullptr;
  decltype(&::PQntuples) PQntuples = nullptr;
  decltype(&::PQpipelineStatus) PQpipelineStatus = nullptr;
  decltype(&::PQpipelineSync) PQpipelineSync = nullptr;
  decltype(&::PQprepare) PQprepare = nullptr;
  decltype(&::PQreset) PQreset = nullptr;
  decltype(&::PQresultErrorField) PQresultErrorField = nullptr;
  decltype(&::PQresultErrorMessage) PQresultErrorMessage = nullptr;
  decltype(&::PQresultStatus) PQresultStatus = nullptr;
  decltype(&::PQsendPrepare) PQsendPrepare = nullptr;
  decltype(&::PQsendQuery) PQsendQuery = nullptr;
  decltype(&::PQsendQueryParams) PQsendQueryParams = nullptr;
  decltype(&::PQsendQueryPrepared) PQsendQueryPrepared = nullptr;
  decltype(&::PQsetNoticeProcessor) PQsetNoticeProcessor = nullptr;
  decltype(&::PQsocket) PQsocket = nullptr;
  decltype(&::PQstatus) PQstatus = nullptr;
};

// Loads libpq.so.5 once (later calls return the first answer); the error
// says what is missing: the library, or a function of libpq 14 and later.
Result<void, std::string> loadLibpq();

// The loaded functions. Only after loadLibpq() succeeded.
const Libpq& libpq();

}  // namespace mxauth::storage::postgres
