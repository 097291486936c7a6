-- POST /users/register with a username no other request of the run uses.
-- Each wrk thread gets its own id in setup(); the counter is per thread.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
local run = tostring(os.time())

function request()
  counter = counter + 1
  local name = string.format("r%s_%d_%d", run, tid, counter)
  local body = string.format('{"username":"%s","email":"%s@bench.example","password":"bench-password-1"}', name, name)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
