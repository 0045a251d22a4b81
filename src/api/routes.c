/* api/routes.c - every route table the server serves, in one list. */
#include "api/api.h"

const struct route *const api_routes[] = {
    api_health_routes, api_auth_routes, api_kiosk_routes, api_users_routes, api_tokens_routes,
    api_audit_routes, api_divisions_routes, api_settings_routes, api_samples_routes,
    api_events_routes, api_transports_routes, api_results_routes, api_stats_routes,
    api_sites_routes, api_plans_routes, api_actuals_routes, api_corrections_routes, api_checkins_routes, api_map_routes,
    api_webhooks_routes, api_people_routes, api_people_frequency_routes, api_batches_routes, api_people_export_routes,
    api_places_export_routes, api_places_routes, api_cameras_routes, api_bindings_routes, api_toilet_import_routes,
    api_reconcile_routes, api_outlines_routes, api_video_routes, api_media_routes,
    api_site_matches_routes, api_hotline_routes, api_hotline_store_routes, api_health_exchange_routes, api_emergency_routes, api_history_routes,
    api_retention_routes, /* issue 12: retention limits, erasure on request */
    api_lookup_audit_routes, /* issue 12: who looked up a person */
    NULL,
};
