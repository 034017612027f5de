-- A new query string on every request, so the mock's verdict cache never applies
-- and kin-openapi validates each request in full.
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/contacts/bench-app?page=1&limit=10&n=" .. n)
end
