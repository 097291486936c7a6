-- POST /api/events/ (with its conflict check) for one user, each followed by
-- the DELETE of an event the thread created, so that the user holds the same
-- number of events from the first request to the last (HISTORY + at most the
-- requests in flight).
--
-- Where the new events go: the history of HISTORY events sits at
-- [BASE + k h, BASE + k h + 30 min) for k < HISTORY (bench/flowstate/load.py).
-- Position q of this thread is the one-minute slot at minute 30 + q div
-- HISTORY of hour q mod HISTORY: inside the history's span, between its
-- events, never on one. Each thread cycles through CYCLE positions of its
-- own; a position comes round again only long after its event was deleted.
--
-- Settings from the environment: BENCH_TOKEN, BENCH_HISTORY, BENCH_BASE (UTC
-- seconds), BENCH_THREADS.
local token = os.getenv("BENCH_TOKEN")
local history = tonumber(os.getenv("BENCH_HISTORY"))
local base = tonumber(os.getenv("BENCH_BASE"))
local threads = tonumber(os.getenv("BENCH_THREADS"))
local cycle = math.min(1000, math.floor(30 * history / threads))

local counter = 0
local ids = {}       -- FIFO of ids created by this thread and not yet deleted
local head, tail = 1, 0
local errors = 0
local created_count, deleted_count = 0, 0

local n = 0
function setup(thread)
  n = n + 1
  thread:set("tid", n - 1)
end

local function iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
local del_headers = {["Authorization"] = "Bearer " .. token}

function request()
  if head <= tail then
    local id = ids[head]
    ids[head] = nil
    head = head + 1
    return wrk.format("DELETE", "/api/events/" .. id, del_headers)
  end
  local q = tid * cycle + (counter % cycle)
  counter = counter + 1
  local hour = q % history
  local minute = 30 + math.floor(q / history)
  local start = base + hour * 3600 + minute * 60
  local body = string.format('{"title":"bench %d","start_time":"%s","end_time":"%s","category":"bench"}',
                             q, iso(start), iso(start + 60))
  return wrk.format("POST", "/api/events/", headers, body)
end

function response(status, hdrs, body)
  if status == 201 then
    local id = string.match(body, '"id":"([0-9a-f%-]+)"')
    tail = tail + 1
    ids[tail] = id
    created_count = created_count + 1
  elseif status == 204 then
    deleted_count = deleted_count + 1
  else
    errors = errors + 1
    if errors <= 3 then io.stderr:write("bench/flowstate: answer " .. status .. ": " .. body .. "\n") end
  end
end
