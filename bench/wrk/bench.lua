-- wrk script for ./x bench. Environment:
--   BENCH_BODIES  a file of request bodies, one per line (POST); absent: GET with no body
--   BENCH_THREADS the -t value, so thread t of n sends lines t, t+n, t+2n… and no two requests
--                 carry the same body (a unique receipt id each) until the file is used up
--   BENCH_AUTH    an Authorization header value (optional)
-- Prints one line `BENCHJSON {…}` with requests, duration, latency percentiles, status counts,
-- how many responses said Kelisim-Replayed and how many times a thread ran out of bodies.
local threads = {}
local count = 0

function setup(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  replayed = 0
  wrapped = 0
  idx = 0
  bodies = {}
  local file = os.getenv("BENCH_BODIES")
  if file and file ~= "" then
    local n = tonumber(os.getenv("BENCH_THREADS") or "1")
    local all = {}
    for line in io.lines(file) do all[#all + 1] = line end
    for i, line in ipairs(all) do
      -- Fewer bodies than threads (a replay, a refused body): every thread sends them all.
      if #all < n or (i - 1) % n == tid then bodies[#bodies + 1] = line end
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
  local auth = os.getenv("BENCH_AUTH")
  if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
end

function request()
  if #bodies == 0 then return wrk.format() end
  idx = idx + 1
  if idx > #bodies then
    idx = 1
    wrapped = wrapped + 1
  end
  return wrk.format(nil, nil, nil, bodies[idx])
end

function response(status, headers, body)
  local k = tostring(status)
  statuses[k] = (statuses[k] or 0) + 1
  if headers["Kelisim-Replayed"] or headers["kelisim-replayed"] then replayed = replayed + 1 end
end

function done(summary, latency, requests)
  local agg, rep, wr = {}, 0, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do agg[k] = (agg[k] or 0) + v end
    rep = rep + t:get("replayed")
    wr = wr + t:get("wrapped")
  end
  local parts = {}
  for k, v in pairs(agg) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"statuses":{%s},"replayed":%d,"wrapped":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ","), rep, wr))
end
