/* api/routes.c - every route table the server serves, in one list. */
#include "api/api.h"

const struct route *const api_routes[] = {
    api_health_routes, api_auth_routes, api_users_routes, api_tokens_routes,
    api_audit_routes, api_divisions_routes, api_settings_routes, api_samples_routes,
    api_events_routes, NULL,
};
