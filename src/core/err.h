/* core/err.h - the one error table of jiayuan.
 *
 * Every fallible function returns int: 0 (ERR_OK) on success, an ERR_* code otherwise.
 * Each row gives the enum name, the stable API code sent to clients, the HTTP status and
 * the default human message. Internal failures (db, crypto, io) all surface to clients as
 * "internal" so no detail leaks (S4); the detail goes to the server log only.
 */
#ifndef JY_CORE_ERR_H
#define JY_CORE_ERR_H

#define ERR_TABLE(X)                                                                   \
    X(OK, "ok", 200, "ok")                                                             \
    X(INVALID, "invalid", 400, "the request is not valid")                             \
    X(BAD_JSON, "bad_json", 400, "the body is not valid JSON")                         \
    X(UNAUTHENTICATED, "unauthenticated", 401, "authentication required")              \
    X(LOGIN_FAILED, "login_failed", 401, "wrong username, password or code")           \
    X(TOTP_REQUIRED, "totp_required", 401, "a one-time code is required")              \
    X(FORBIDDEN, "forbidden", 403, "permission denied")                                \
    X(CSRF, "csrf", 403, "missing or wrong CSRF token")                                \
    X(PASSWORD_CHANGE, "password_change_required", 403, "the password must be changed first") \
    X(TOTP_ENROL, "totp_enrolment_required", 403, "two-factor enrolment is required first") \
    X(NOT_FOUND, "not_found", 404, "not found")                                        \
    X(METHOD, "method_not_allowed", 405, "method not allowed")                         \
    X(CONFLICT, "conflict", 409, "the resource already exists or has changed")         \
    X(TOO_LARGE, "too_large", 413, "the request is too large")                         \
    X(MEDIA_TYPE, "unsupported_media_type", 415, "unsupported content type")           \
    X(WEAK_PASSWORD, "weak_password", 422, "the password does not meet the policy")    \
    X(RATE, "too_many_requests", 429, "too many requests")                             \
    X(UNAVAILABLE, "unavailable", 503, "the service is not ready")                     \
    X(NO_STREAM, "no_stream", 409, "the camera has no stream address on file")         \
    X(BUSY, "busy", 503, "too many live streams are running; try again later")         \
    X(DB, "internal", 500, "internal error")                                            \
    X(CRYPTO, "internal", 500, "internal error")                                       \
    X(IO, "internal", 500, "internal error")                                           \
    X(INTERNAL, "internal", 500, "internal error")

enum err {
#define ERR__ENUM(name, code, status, msg) ERR_##name,
    ERR_TABLE(ERR__ENUM)
#undef ERR__ENUM
    ERR__COUNT
};

/* err_code returns the stable API code ("not_found") of rc; unknown values map to
 * "internal". err_status returns the HTTP status; err_message the default message. All
 * return static storage. */
const char *err_code(int rc);
int err_status(int rc);
const char *err_message(int rc);
/* err_name returns the enum name ("NOT_FOUND") for logs. */
const char *err_name(int rc);

#endif
