/* api/api.h - what every resource handler uses: body parsing, strict unpacking, replies,
 * paging, field checks; and the route tables and gate the server is started with.
 */
#ifndef JY_API_API_H
#define JY_API_API_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/route.h"
#include "json/jsonio.h"

/* api_body parses the request body as a strict JSON object (empty body = {}). */
int api_body(struct req *req, json_t **out);
/* api_unpack unpacks root strictly (unknown keys rejected); ERR_INVALID with the reason. */
int api_unpack(struct req *req, json_t *root, const char *fmt, ...);
/* api_reply sends value (reference stolen) as JSON with status; NULL -> ERR_INTERNAL. Reals
 * (coordinates) are printed with 15 significant digits, so short decimals stay short. */
int api_reply(struct req *req, int status, json_t *value);
/* api_reply_as is api_reply with another content type (e.g. "application/geo+json"). */
int api_reply_as(struct req *req, int status, const char *content_type, json_t *value);
/* api_page reads ?limit (default def, 1..max) and ?next (opaque cursor: the last id seen). */
int api_page(struct req *req, size_t def, size_t max, size_t *limit, int64_t *after);
/* api_next_cursor returns the cursor for after_id, or JSON null when 0. */
json_t *api_next_cursor(int64_t after_id);
/* api_list_json builds the body of a list reply, {"items": items (reference stolen),
 * "total": total, "next": the cursor for next_after, or null when next_after is 0}. A page
 * that came back full passes its last id as next_after; the last page passes 0. */
json_t *api_list_json(json_t *items, int64_t total, int64_t next_after);
/* api_query_opt returns the query argument name, or NULL when it is absent or empty. */
const char *api_query_opt(struct req *req, const char *name);
/* api_query_time reads the optional time argument name into *ms: whole milliseconds since
 * the epoch (1 or more) or an RFC 3339 time with offset. Absent or empty leaves *ms as it
 * is. ERR_INVALID naming the argument otherwise. */
int api_query_time(struct req *req, const char *name, int64_t *ms);
/* api_filter_time reads the optional time filter name of the transport and result lists
 * and of the statistics into *ms with stats_parse_time (milliseconds since the epoch, 0
 * included, or RFC 3339 with offset); *ms = 0 when absent or empty, and *given (may be
 * NULL) says whether it was there. ERR_INVALID naming the filter otherwise.
 * NEEDSWORK: it differs from api_query_time only in taking "0"; one rule for all the
 * lists would change a documented contract, so both stay until the API says which. */
int api_filter_time(struct req *req, const char *name, int64_t *ms, bool *given);
/* api_text checks an optional text field: valid UTF-8, no control characters, at most max
 * bytes. ERR_INVALID naming the field. NULL is fine. */
int api_text(struct req *req, const char *field, const char *value, size_t max);

/* The gate (api/gate.c): authentication, CSRF, pending steps, permission. */
int api_gate(struct req *req);
/* gate_set_session_cookie sets the session cookie (token NULL: clear it). The name is
 * "__Host-jy_session" with Secure when the server is behind TLS or on loopback, else
 * "jy_session"; always HttpOnly, SameSite=Strict, Path=/. */
void gate_set_session_cookie(struct req *req, const char *token);
/* gate_set_kiosk_cookie sets (value NULL: clears) the kiosk cookie of a wall display
 * ("__Host-jy_kiosk" / "jy_kiosk", same attributes; domain/account/kiosk.h). */
void gate_set_kiosk_cookie(struct req *req, const char *value);

/* Route tables, one per resource file, and the list of all of them (api/routes.c). */
extern const struct route api_health_routes[];
extern const struct route api_auth_routes[];
extern const struct route api_kiosk_routes[];
extern const struct route api_users_routes[];
extern const struct route api_tokens_routes[];
extern const struct route api_audit_routes[];
extern const struct route api_divisions_routes[];
extern const struct route api_settings_routes[];
extern const struct route api_samples_routes[];
extern const struct route api_events_routes[];
extern const struct route api_transports_routes[];
extern const struct route api_results_routes[];
extern const struct route api_stats_routes[];
extern const struct route api_sites_routes[];
extern const struct route api_plans_routes[];
extern const struct route api_actuals_routes[];
extern const struct route api_corrections_routes[];    /* api/testing/corrections.c */
extern const struct route api_people_frequency_routes[]; /* api/testing/people_frequency.c */
extern const struct route api_checkins_routes[];
extern const struct route api_map_routes[];
extern const struct route api_outlines_routes[];
extern const struct route api_webhooks_routes[];
extern const struct route api_retention_routes[]; /* api/retention/retention.c */
extern const struct route api_people_routes[];
extern const struct route api_batches_routes[];
extern const struct route api_people_export_routes[];
extern const struct route api_places_export_routes[];
extern const struct route api_places_routes[];
extern const struct route api_cameras_routes[];
extern const struct route api_bindings_routes[];
extern const struct route api_toilet_import_routes[];   /* api/places/toilet_import.c */
extern const struct route api_hotline_routes[];        /* api/exchange/hotline.c */
extern const struct route api_hotline_store_routes[];  /* api/exchange/hotline_store.c */
extern const struct route api_reconcile_routes[];       /* api/cameras/reconcile.c */
extern const struct route api_video_routes[];           /* api/video/play.c */
extern const struct route api_media_routes[];           /* api/video/media.c */
extern const struct route api_site_matches_routes[];    /* api/exchange/site_matches.c */
extern const struct route api_health_exchange_routes[]; /* api/exchange/health.c */
extern const struct route api_emergency_routes[];       /* api/exchange/emergency.c */
extern const struct route api_history_routes[];         /* api/exchange/history.c */
extern const struct route api_lookup_audit_routes[];    /* api/batch/lookup_audit.c (issue 12) */
extern const struct route *const api_routes[];



/* api_user_json renders a user for clients (api/users.c); never the password hash or the
 * TOTP secret. Looks up the subdistrict name. */
struct user;
json_t *api_user_json(struct req *req, const struct user *u);

/* api_correction_json renders a correction of an actual report and its decision
 * (api/testing/actuals.c; used by api/testing/corrections.c). */
struct actual_correction;
json_t *api_correction_json(const struct actual_correction *c);

/* Ingest (api/ingest.c) ---------------------------------------------------------------- */
struct ingest_kind;
#define API_INGEST_ONE_CAP (64 * 1024)
#define API_INGEST_BATCH_CAP (16 * 1024 * 1024)
/* api_ingest_one: POST /api/v1/<resource> with one object. 201 {"status":"accepted","id"};
 * 200 {"status":"duplicate"} for a retry; 400 invalid naming the field otherwise. */
int api_ingest_one(struct req *req, const struct ingest_kind *kind);
/* api_ingest_batch: POST /api/v1/<resource>/batch with an array (at most INGEST_BATCH_MAX).
 * 200 {"accepted","duplicate","rejected","items":[{"status","id"?,"field"?,"reason"?}]}. */
int api_ingest_batch(struct req *req, const struct ingest_kind *kind);
/* api_change_failed answers a failed change of a stored record (PATCH, corrections): the
 * rule the record broke (400, why->reason) when why says rejected, not_found as the 404
 * message, any other rc as it is. Returns what the handler returns. */
struct ingest_outcome;
int api_change_failed(struct req *req, int rc, const struct ingest_outcome *why, const char *not_found);

/* Generated .xlsx downloads (api/xlsx_reply.c; issue 12, S1) ------------------------------
 * Never in clear on disk: api__xlsx_new makes a sealed, nameless temporary file under
 * <var>/tmp (crypto/sealed_tmp.h) and api__xlsx_dest the io/xlsxw.h destination that
 * appends to it; write the workbook there (xlsxw_open_dest), then api__xlsx_reply. */
struct api_xlsx;
struct xlsxw_dest;
/* api__xlsx_new: 0 or ERR_IO / ERR_CRYPTO (no reply sent). *out is the caller's until
 * api__xlsx_reply (or api__xlsx_free). */
int api__xlsx_new(struct req *req, struct api_xlsx **out);
const struct xlsxw_dest *api__xlsx_dest(const struct api_xlsx *x);
/* api__xlsx_reply ends the workbook written to x with result rc (xlsxw_finish's) and takes
 * x: on 0 it seals x and streams it back, decrypted, as an attachment named ascii_name (and
 * utf8_name through filename*, may be NULL), freeing it when the response is done;
 * otherwise x is freed and rc returned (no reply sent). */
int api__xlsx_reply(struct req *req, struct api_xlsx *x, int rc, const char *ascii_name, const char *utf8_name);
/* api__xlsx_free discards x (error paths before api__xlsx_reply); NULL is fine. */
void api__xlsx_free(struct api_xlsx *x);

/* The .xlsx exports of issue 8 (api/places/exports.c, api/cameras/bindings.c): the handlers
 * of GET …/export.xlsx, also called by their lists for ?format=xlsx (api/export.h). */
int api__export_places(struct req *req);
int api__export_cameras(struct req *req);
int api__export_checks(struct req *req);
int api__export_bindings(struct req *req);

/* Uploaded spreadsheets (api/api.c; used by every sheet importer: api/cameras/reconcile.c,
 * api/places/toilet_import.c, api/exchange/{hotline,hotline_store,health,history,
 * emergency,site_matches}.c) */
struct multipart_field;
struct table_reader;
/* api__form_file finds the multipart/form-data field "file" of the streamed form into *f
 * (name and size; f->data is left empty) and *src, which reads the file in place - from
 * request memory or the sealed temporary file (http/form.h) - for table_open_reader
 * (io/table.h); the upload is never copied whole. *src is valid until the request ends.
 * On failure it has already replied and returns the error: ERR_INVALID when the body is
 * empty or has no such field, the parser's error for a malformed form, ERR_TOO_LARGE when
 * the file is over cap bytes. */
int api__form_file(struct req *req, size_t cap, struct multipart_field *f, struct table_reader *src);
#endif
