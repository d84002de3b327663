-- wrk: POST a form to the introspection endpoint, as a homeserver does.
--   BENCH_AUTH    the Authorization header (Bearer <secret> or Basic ...)
--   BENCH_TOKEN   one token, introspected by every request; or
--   BENCH_TOKENS  a file of tokens, one per line, taken in turn (each
--                 thread starts at a different place)
local auth = os.getenv("BENCH_AUTH")
local single = os.getenv("BENCH_TOKEN")
local tokens = {}
local index = 0

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads * 7919)
end

local headers = {
  ["Authorization"] = auth,
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["X-MAS-Supports-Device-Id"] = "1",
}

-- With one token every request is the same bytes: built once per thread,
-- so that the load generator spends its CPU on the traffic, not on Lua.
local fixed = nil

function init(args)
  local file = os.getenv("BENCH_TOKENS")
  if file and file ~= "" then
    for line in io.lines(file) do
      if line ~= "" then tokens[#tokens + 1] = line end
    end
    index = offset or 0
  else
    fixed = wrk.format("POST", wrk.path, headers, "token=" .. single)
  end
end

function request()
  if fixed then return fixed end
  index = index + 1
  return wrk.format("POST", wrk.path, headers, "token=" .. tokens[(index % #tokens) + 1])
end

-- An answer that says the token is not active is a failure of the run.
inactive = 0
function response(status, headers, body)
  if status == 200 and not string.find(body, '"active":true', 1, true) then
    inactive = inactive + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("inactive") or 0) end
  io.write(string.format("inactive answers: %d\n", total))
end
