#!/usr/bin/env python3
"""tests/security/endpoints.py - the endpoints that take input, for tests/security/sqlmap.sh
(issue 12 "Evidence", S5).

The route list is docs/security/authz-matrix.md, which tests/e2e/e2e_authz_matrix.c writes
from the route tables the server serves (and fails on when stale); parameter names and body
shapes come from docs/api/openapi.yaml. Prints one tab-separated line per target:

    METHOD  PATH?query  JSON-body-or-"-"  principal(token|session|public)

Path parameters get the value 1 (they are parsed as integers before any query); a GET with no
query parameter gets sqlmap's custom marker on its path parameter instead. Multipart uploads are
listed with the body "multipart" (their parsers are fuzzed; sqlmap does not build forms), the
event stream with "stream".
Routes a token may call use the token; the others use a signed-in session of the principal
that holds the permission (session: cookie + X-CSRF-Token).
"""
import re
import sys
from urllib.parse import quote

import yaml

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
TOKEN_SCOPES = None  # the token column of the matrix says what a token may call


def load():
    with open(f"{ROOT}/docs/security/authz-matrix.md", encoding="utf-8") as f:
        lines = [l for l in f if l.startswith("| ")]
    head = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    rows = []
    for l in lines[1:]:
        cells = [c.strip() for c in l.strip().strip("|").split("|")]
        if len(cells) != len(head):
            continue
        rows.append(dict(zip(head, cells)))
    with open(f"{ROOT}/docs/api/openapi.yaml", encoding="utf-8") as f:
        api = yaml.safe_load(f)
    return rows, api


def deref(api, node):
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        node = api
        for p in parts:
            node = node[p]
    return node


def sample(api, schema, depth=0):
    schema = deref(api, schema or {})
    if depth > 3:
        return "1"
    for k in ("example", "default"):
        if k in schema:
            return schema[k]
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    for k in ("allOf", "oneOf", "anyOf"):
        if k in schema and schema[k]:
            return sample(api, schema[k][0], depth + 1)
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t == "object" or "properties" in schema:
        props = schema.get("properties", {})
        req = schema.get("required", list(props)[:6])
        return {k: sample(api, props[k], depth + 1) for k in req if k in props}
    if t == "array":
        return [sample(api, schema.get("items", {}), depth + 1)]
    if t == "integer" or t == "number":
        return 1
    if t == "boolean":
        return True
    return "a"


def main():
    import json
    rows, api = load()
    paths = api.get("paths", {})
    for row in rows:
        method, path = row["Method"], row["Path"].strip("`")
        if row.get("anonymous") == "open":
            who = "public"
        elif row.get("token", "").startswith("ok"):
            who = "token"
        else:
            who = "session"
        op = deref(api, paths.get(path, {}).get(method.lower(), {}))
        params = [deref(api, p) for p in op.get("parameters", []) + paths.get(path, {}).get("parameters", [])]
        # a query parameter is sent when a valid value is known (required, example, default,
        # enum, or free text): an invalid one would end every request at validation (400)
        def known(p):
            sc = deref(api, p.get("schema", {}))
            return (p.get("required") or "example" in p or any(k in sc for k in ("example", "default", "enum"))
                    or p.get("name") in ("q", "name", "search"))
        query = [p for p in params if p.get("in") == "query" and p.get("name") not in ("next", "reveal", "reason")
                 and known(p)]
        body = "-"
        rb = deref(api, op.get("requestBody", {}))
        content = rb.get("content", {})
        if "multipart/form-data" in content:
            body = "multipart"
        elif "application/json" in content:
            body = json.dumps(sample(api, content["application/json"].get("schema", {})), ensure_ascii=False)
            if body in ("{}", "[]", "\"a\""):
                body = "-"
        streams = any("text/event-stream" in deref(api, r).get("content", {})
                      for r in op.get("responses", {}).values())
        if streams:
            body = "stream"  # an open event stream: sqlmap would wait on every request
        has_path_param = "{" in path
        if method == "GET" and not query and not has_path_param:
            continue  # takes no input
        if method != "GET" and body == "-" and not has_path_param and not query:
            continue
        mark = "1*" if (not query and body == "-") else "1"
        url = re.sub(r"\{[^}]+\}", mark, path)
        if query:
            qs = []
            for p in query:
                v = p.get("example", sample(api, p.get("schema", {})))
                if isinstance(v, bool):
                    v = "true" if v else "false"
                qs.append(f"{p['name']}={quote(str(v), safe='')}")
            url += "?" + "&".join(qs)
        print(f"{method}\t{url}\t{body}\t{who}")


if __name__ == "__main__":
    main()
