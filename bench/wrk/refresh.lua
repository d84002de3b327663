-- wrk: refresh-token grants with rotation. Every answer carries the next
-- refresh token, which goes back into the pool of this thread; a token is
-- never used twice, so each request is a real rotation.
--   BENCH_TOKENS     a file of refresh tokens, one per line, shared out
--                    between the threads (at least connections + threads)
--   BENCH_CLIENT_ID  the public client they were issued to
local client_id = os.getenv("BENCH_CLIENT_ID")
local pool = {}

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

function init(args)
  local total = tonumber(os.getenv("BENCH_THREADS") or "2")
  local i = 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if line ~= "" then
      if i % total == (number - 1) then pool[#pool + 1] = line end
      i = i + 1
    end
  end
end

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function request()
  local token = table.remove(pool) or "mar_exhausted"
  return wrk.format("POST", wrk.path, headers,
    "grant_type=refresh_token&client_id=" .. client_id .. "&refresh_token=" .. token)
end

function response(status, headers, body)
  local next_token = string.match(body, '"refresh_token":"([^"]+)"')
  if next_token then pool[#pool + 1] = next_token end
end

