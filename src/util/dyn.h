/* dyn.h — libcurl and libpq loaded on first use (dlopen) instead of at process start. Private to libfloe (not a
 * public header: its macros rename other libraries' functions for whoever includes it).
 *
 * Linking them costs every floe process ~6 ms of dynamic loading (they pull in TLS, Kerberos and LDAP),
 * which would dominate run launch latency. Modules include this header instead of <curl/curl.h> or
 * <postgresql/libpq-fe.h>, call floe_curl_load() / floe_pq_load() before the first call, and otherwise use the
 * libraries' own function names (macros below route them through the loaded table). */
#ifndef FLOE_DYN_H
#define FLOE_DYN_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <postgresql/libpq-fe.h>
#include "floe/err.h"

#define FLOE_CURL_FUNCS(X)                                                                                             \
  X(curl_global_init) X(curl_easy_init) X(curl_easy_setopt) X(curl_easy_perform) X(curl_easy_getinfo)                  \
  X(curl_easy_cleanup) X(curl_easy_reset) X(curl_easy_strerror) X(curl_easy_escape) X(curl_free)                       \
  X(curl_slist_append) X(curl_slist_free_all) X(curl_url) X(curl_url_set) X(curl_url_get) X(curl_url_cleanup)

#define FLOE_PQ_FUNCS(X)                                                                                               \
  X(PQconnectdb) X(PQconnectdbParams) X(PQconninfoParse) X(PQconninfoFree) X(PQstatus) X(PQerrorMessage)              \
  X(PQfinish) X(PQexec) X(PQexecParams) X(PQresultStatus) X(PQresultErrorMessage) X(PQclear) X(PQntuples)             \
  X(PQnfields) X(PQfname) X(PQftype) X(PQfmod) X(PQgetvalue) X(PQgetisnull) X(PQgetlength) X(PQsendQuery)                       \
  X(PQsendQueryParams) X(PQsetSingleRowMode) X(PQgetResult) X(PQconsumeInput) X(PQisBusy) X(PQfreemem)              \
  X(PQserverVersion) X(PQhost) X(PQport) X(PQuser) X(PQdb) X(PQgetCopyData) X(PQputCopyData) X(PQputCopyEnd)        \
  X(PQcmdTuples) X(PQescapeLiteral) X(PQescapeIdentifier) X(PQsetNoticeProcessor) X(PQparameterStatus)

#define FLOE_DYN_FIELD(f) __typeof__(f) *f;
struct floe_curl_api {
  FLOE_CURL_FUNCS(FLOE_DYN_FIELD)
};
struct floe_pq_api {
  FLOE_PQ_FUNCS(FLOE_DYN_FIELD)
};
#undef FLOE_DYN_FIELD

extern struct floe_curl_api floe_curl;
extern struct floe_pq_api floe_pq;

/* Loads the library once (thread-safe); FLOE_EUNSUPPORTED with the dlopen message when it is missing. */
int floe_curl_load(floe_err *err) FLOE_WUR;
int floe_pq_load(floe_err *err) FLOE_WUR;

#ifndef FLOE_DYN_IMPL
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (floe_curl.curl_global_init)
#define curl_easy_init (floe_curl.curl_easy_init)
#define curl_easy_setopt (floe_curl.curl_easy_setopt)
#define curl_easy_perform (floe_curl.curl_easy_perform)
#define curl_easy_getinfo (floe_curl.curl_easy_getinfo)
#define curl_easy_cleanup (floe_curl.curl_easy_cleanup)
#define curl_easy_reset (floe_curl.curl_easy_reset)
#define curl_easy_strerror (floe_curl.curl_easy_strerror)
#define curl_easy_escape (floe_curl.curl_easy_escape)
#define curl_free (floe_curl.curl_free)
#define curl_slist_append (floe_curl.curl_slist_append)
#define curl_slist_free_all (floe_curl.curl_slist_free_all)
#define curl_url (floe_curl.curl_url)
#define curl_url_set (floe_curl.curl_url_set)
#define curl_url_get (floe_curl.curl_url_get)
#define curl_url_cleanup (floe_curl.curl_url_cleanup)
#define PQconnectdb (floe_pq.PQconnectdb)
#define PQconnectdbParams (floe_pq.PQconnectdbParams)
#define PQconninfoParse (floe_pq.PQconninfoParse)
#define PQconninfoFree (floe_pq.PQconninfoFree)
#define PQstatus (floe_pq.PQstatus)
#define PQerrorMessage (floe_pq.PQerrorMessage)
#define PQfinish (floe_pq.PQfinish)
#define PQexec (floe_pq.PQexec)
#define PQexecParams (floe_pq.PQexecParams)
#define PQresultStatus (floe_pq.PQresultStatus)
#define PQresultErrorMessage (floe_pq.PQresultErrorMessage)
#define PQclear (floe_pq.PQclear)
#define PQntuples (floe_pq.PQntuples)
#define PQnfields (floe_pq.PQnfields)
#define PQfname (floe_pq.PQfname)
#define PQftype (floe_pq.PQftype)
#define PQfmod (floe_pq.PQfmod)
#define PQgetvalue (floe_pq.PQgetvalue)
#define PQgetisnull (floe_pq.PQgetisnull)
#define PQgetlength (floe_pq.PQgetlength)
#define PQsendQuery (floe_pq.PQsendQuery)
#define PQsendQueryParams (floe_pq.PQsendQueryParams)
#define PQsetSingleRowMode (floe_pq.PQsetSingleRowMode)
#define PQgetResult (floe_pq.PQgetResult)
#define PQconsumeInput (floe_pq.PQconsumeInput)
#define PQisBusy (floe_pq.PQisBusy)
#define PQfreemem (floe_pq.PQfreemem)
#define PQserverVersion (floe_pq.PQserverVersion)
#define PQhost (floe_pq.PQhost)
#define PQport (floe_pq.PQport)
#define PQuser (floe_pq.PQuser)
#define PQdb (floe_pq.PQdb)
#define PQgetCopyData (floe_pq.PQgetCopyData)
#define PQputCopyData (floe_pq.PQputCopyData)
#define PQputCopyEnd (floe_pq.PQputCopyEnd)
#define PQcmdTuples (floe_pq.PQcmdTuples)
#define PQescapeLiteral (floe_pq.PQescapeLiteral)
#define PQescapeIdentifier (floe_pq.PQescapeIdentifier)
#define PQsetNoticeProcessor (floe_pq.PQsetNoticeProcessor)
#define PQparameterStatus (floe_pq.PQparameterStatus)
#endif

#endif
