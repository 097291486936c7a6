-- wrk script for bench/gather: each request reads results/ of a poll picked
-- at random, as one of its voters. Argument after "--": the data file
-- written by run.sh.
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local data = dofile(args[1])
  tokens, polls = data.tokens, data.polls
  math.randomseed(os.time() * 16 + tid)
end

function request()
  local poll = polls[math.random(#polls)]
  return wrk.format("GET", "/api/v1/voting/" .. poll.id .. "/results/",
                    {["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]})
end
