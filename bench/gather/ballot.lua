-- wrk script for bench/gather: each request casts one ballot as a distinct
-- (voter, poll) pair, so that every ballot is accepted and appended.
-- Arguments after "--": the data file written by run.sh, and the number of
-- wrk threads. Thread t takes pairs t, t + threads, t + 2 * threads, ...;
-- consecutive pairs fall on different polls.
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local data = dofile(args[1])
  tokens, polls = data.tokens, data.polls
  step = tonumber(args[2])
  k = tid
end

function request()
  local poll = polls[(k % #polls) + 1]
  local voter = math.floor(k / #polls) % #tokens + 1
  local option = poll.options[(k % 2) + 1]
  k = k + step
  return wrk.format("POST", "/api/v1/voting/" .. poll.id .. "/vote/",
                    {["Authorization"] = "Bearer " .. tokens[voter], ["Content-Type"] = "application/json"},
                    '{"options":[' .. option .. ']}')
end
