-- Flat paging, measured through the store: a window of 1,000 pages read one
-- after another, from FIRST (default 1) of app APP (default big), LIMIT a page
-- (default 50). The window holds more pages than the mock's answer memory
-- (256), so each page is read from the store, not served again from memory.
local first = tonumber(os.getenv("FIRST") or "1")
local app = os.getenv("APP") or "big"
local limit = os.getenv("LIMIT") or "50"
local n = 0
request = function()
  local page = first + n % 1000
  n = n + 1
  return wrk.format("GET", "/contacts/" .. app .. "?page=" .. page .. "&limit=" .. limit)
end
