/* api/platform/divisions.c - reference data: /api/v1/divisions and /api/v1/industries (R1.x). */
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/platform/division.h"

/* GET /api/v1/divisions?level=1|2|3&parent=CODE -> {"items","total","next":null} */
static int
divisions_list(struct req *req)
{
    const char *level_s = req_query(req, "level"), *parent = req_query(req, "parent");
    int64_t level = 0;
    struct division *items = NULL;
    size_t n = 0;
    json_t *arr;
    int rc;
    if (level_s && cstr_to_i64(level_s, &level, 1, 3))
        return req_fail(req, ERR_INVALID, "'level' must be 1, 2 or 3");
    if ((rc = api_text(req, "parent", parent, 12)) ||
        (rc = division_list(req->db, (int)level, parent, &req->arena, &items, &n)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s?}", "code", items[i].code, "name",
                                             items[i].name, "level", items[i].level, "parent",
                                             items[i].parent[0] ? items[i].parent : NULL));
    return api_reply(req, 200, json_pack("{s:o, s:I, s:n}", "items", arr, "total", (json_int_t)n, "next"));
}

/* GET /api/v1/industries -> {"items":[{"code","name","name_en"}],"total","next":null} */
static int
industries_list(struct req *req)
{
    struct industry *items = NULL;
    size_t n = 0;
    json_t *arr;
    int rc;
    if ((rc = industry_list(req->db, &req->arena, &items, &n)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "code", items[i].code, "name", items[i].name,
                                             "name_en", items[i].name_en));
    return api_reply(req, 200, json_pack("{s:o, s:I, s:n}", "items", arr, "total", (json_int_t)n, "next"));
}

const struct route api_divisions_routes[] = {
    { "GET", "/api/v1/divisions", divisions_list, PERM_DIVISIONS_READ, 0, 0 },
    { "GET", "/api/v1/industries", industries_list, PERM_DIVISIONS_READ, 0, 0 },
    ROUTE_END
};
