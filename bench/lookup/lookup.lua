-- wrk script: POST /api/v1/people/lookup with a rotating list of ID numbers (from ids.txt),
-- session cookie and CSRF token from the environment.
local ids = {}
for line in io.lines(os.getenv("IDS") or "/tmp/lk/ids.txt") do ids[#ids + 1] = line end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.headers["X-CSRF-Token"] = os.getenv("CSRF")
request = function()
  n = n + 1
  return wrk.format(nil, "/api/v1/people/lookup", nil, '{"id_number":"' .. ids[(n % #ids) + 1] .. '"}')
end
