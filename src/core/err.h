/* core/err.h - the one error table of jiayuan.
 *
 * Every fallible function returns int: 0 (ERR_OK) on success, an ERR_* code otherwise.
 * Each row gives the enum name, the stable API code sent to clients, the HTTP status and
 * the default human message in English and in Chinese (the error envelope picks one by
 * Accept-Language, core/i18n.h). Internal failures (db, crypto, io) all surface to
 * clients as "internal" so no detail leaks (S4); the detail goes to the server log only.
 */
#ifndef JY_CORE_ERR_H
#define JY_CORE_ERR_H

#define ERR_TABLE(X)                                                                                    \
    X(OK, "ok", 200, "ok", "成功")                                                                      \
    X(INVALID, "invalid", 400, "the request is not valid", "提交的内容有误")                            \
    X(BAD_JSON, "bad_json", 400, "the body is not valid JSON", "请求内容不是有效的 JSON")               \
    X(UNAUTHENTICATED, "unauthenticated", 401, "authentication required", "请先登录")                   \
    X(LOGIN_FAILED, "login_failed", 401, "wrong username, password or code", "用户名或密码错误")        \
    X(LOGIN_LOCKED, "login_locked", 429, "too many failed attempts; try again later",                   \
      "登录失败次数过多，请稍后再试")                                                                   \
    X(TOTP_REQUIRED, "totp_required", 401, "a one-time code is required", "请输入动态验证码")           \
    X(TOTP_WRONG, "totp_wrong", 401, "the one-time code is wrong", "动态验证码错误")                    \
    X(FORBIDDEN, "forbidden", 403, "permission denied", "没有权限")                                     \
    X(CSRF, "csrf", 403, "missing or wrong CSRF token", "页面已过期，请刷新后重试")                     \
    X(PASSWORD_CHANGE, "password_change_required", 403, "the password must be changed first",          \
      "请先修改密码")                                                                                   \
    X(TOTP_ENROL, "totp_enrolment_required", 403, "two-factor enrolment is required first",            \
      "请先绑定双因素认证")                                                                             \
    X(NOT_FOUND, "not_found", 404, "not found", "未找到")                                               \
    X(METHOD, "method_not_allowed", 405, "method not allowed", "不支持该请求方法")                      \
    X(CONFLICT, "conflict", 409, "the resource already exists or has changed",                         \
      "数据已存在或已被他人修改，请刷新后重试")                                                         \
    X(TOO_LARGE, "too_large", 413, "the request is too large", "提交的内容过大")                        \
    X(MEDIA_TYPE, "unsupported_media_type", 415, "unsupported content type", "不支持的内容类型")        \
    X(WEAK_PASSWORD, "weak_password", 422, "the password does not meet the policy",                    \
      "密码不符合安全策略")                                                                             \
    X(RATE, "too_many_requests", 429, "too many requests", "请求过于频繁，请稍后再试")                  \
    X(UNAVAILABLE, "unavailable", 503, "the service is not ready", "服务尚未就绪，请稍后再试")           \
    X(NO_STREAM, "no_stream", 409, "the camera has no stream address on file", "该摄像头没有登记视频流地址") \
    X(BUSY, "busy", 503, "too many live streams are running; try again later",                         \
      "正在播放的实时视频过多，请稍后再试")                                                             \
    X(DB, "internal", 500, "internal error", "系统内部错误")                                            \
    X(CRYPTO, "internal", 500, "internal error", "系统内部错误")                                        \
    X(IO, "internal", 500, "internal error", "系统内部错误")                                            \
    X(INTERNAL, "internal", 500, "internal error", "系统内部错误")

enum err {
#define ERR__ENUM(name, code, status, msg, zh) ERR_##name,
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
/* err_message_zh returns the default message in Chinese (static storage). */
const char *err_message_zh(int rc);
/* err_name returns the enum name ("NOT_FOUND") for logs. */
const char *err_name(int rc);

#endif
