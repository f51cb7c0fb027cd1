-- wrk script for bench/run_server_bench.sh: POSTs the JSON file $BODY and prints one RESULT line.
local file = assert(io.open(assert(os.getenv("BODY"), "set BODY to the request body file"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d errors=%d non2xx=%d p50_ms=%.1f p99_ms=%.1f mean_ms=%.1f rps=%.2f\n",
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000,
    summary.requests / (summary.duration / 1e6)))
end
