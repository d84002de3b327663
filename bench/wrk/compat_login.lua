-- wrk: the legacy Matrix password login (POST /_matrix/client/v3/login).
-- Each request creates a compat session and a device, as an old client's
-- login does.
--   BENCH_USER, BENCH_PASSWORD
local body = string.format(
  '{"type":"m.login.password","identifier":{"type":"m.id.user","user":"%s"},"password":"%s"}',
  os.getenv("BENCH_USER"), os.getenv("BENCH_PASSWORD"))
local headers = { ["Content-Type"] = "application/json" }

function request()
  return wrk.format("POST", wrk.path, headers, body)
end
