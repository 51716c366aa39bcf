-- wrk script of the benchmark suite: one figure's load, every answer checked.
--   GET:   wrk ... URL -s load.lua -- get EXPECT [HEADER VALUE]
--   lines: wrk ... URL -s load.lua -- lines EXPECT FILE NTHREADS HEADER [FIXED_HEADER VALUE]
-- EXPECT is a substring every 200 answer must hold ('-': any 200 answer). In lines mode every
-- request sends its own line of FILE, "<HEADER value>\t<body>", once: thread t of T sends lines
-- t+1, t+1+T, ... (distinct tickets or payments), and running out of lines is a failure.
-- A non-200 answer or one without EXPECT is counted by its result word (or HTTP status).
-- done() prints one line: "WRK_JSON {...}".

local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("tid", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

function init(args)
   ok, bad, exhausted = 0, 0, 0
   reasons = {}
   mode = args[1]
   expect = args[2]
   if mode == "get" then
      if args[3] then wrk.headers[args[3]] = args[4] end
      return
   end
   lines = {}
   for line in io.lines(args[3]) do
      if #line > 0 then lines[#lines + 1] = line end
   end
   step = tonumber(args[4])
   header = args[5]
   if args[6] then wrk.headers[args[6]] = args[7] end
   idx = tid + 1
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   if mode == "get" then
      return wrk.format()
   end
   local line = lines[idx]
   idx = idx + step
   if line == nil then
      exhausted = exhausted + 1
      return wrk.format(nil, "/bench-ran-out-of-prepared-requests")
   end
   local tab = string.find(line, "\t", 1, true)
   local headers = {}
   for k, v in pairs(wrk.headers) do headers[k] = v end
   headers[header] = string.sub(line, 1, tab - 1)
   return wrk.format(nil, nil, headers, string.sub(line, tab + 1))
end

function response(status, headers, body)
   if status == 200 and (expect == "-" or string.find(body, expect, 1, true)) then
      ok = ok + 1
      return
   end
   bad = bad + 1
   local word = string.match(body or "", '"result":"([%w_]+)"')
      or string.match(body or "", '"code":"([%w_]+)"')
      or ("http" .. status)
   reasons[word] = (reasons[word] or 0) + 1
end

function done(summary, latency, requests)
   local tok, tbad, texh = 0, 0, 0
   local treasons = {}
   for _, t in ipairs(threads) do
      tok = tok + t:get("ok")
      tbad = tbad + t:get("bad")
      texh = texh + t:get("exhausted")
      local r = t:get("reasons")
      if r then for k, v in pairs(r) do treasons[k] = (treasons[k] or 0) + v end end
   end
   local rs = {}
   for k, v in pairs(treasons) do rs[#rs + 1] = string.format('"%s":%d', k, v) end
   local seconds = summary.duration / 1e6
   io.write(string.format(
      'WRK_JSON {"requests":%d,"seconds":%.3f,"per_second":%.1f,' ..
      '"latency_ms":{"mean":%.3f,"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f},' ..
      '"ok":%d,"not_ok":%d,"not_ok_reasons":{%s},"ran_out":%d,' ..
      '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
      summary.requests, seconds, summary.requests / seconds,
      latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      tok, tbad, table.concat(rs, ","), texh,
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
