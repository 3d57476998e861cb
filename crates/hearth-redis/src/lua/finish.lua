-- ARGV: 2 id, 3 worker, 4 outcome (succeeded | failed | retry | release), 5 reason, 6 retry delay in ms.
-- Returns 1 when recorded, 0 when the worker no longer holds the job.
local id = ARGV[2]
local key = job_key(id)
local job = redis.call('HMGET', key, 'state', 'worker', 'queue', 'attempt', 'max_attempts')
if job[1] ~= 'running' or job[2] ~= ARGV[3] then return 0 end
local queue = job[3]
local outcome = ARGV[4]
redis.call('ZREM', set_key('running', queue), id)
if outcome == 'retry' and tonumber(job[4]) >= tonumber(job[5]) then outcome = 'failed' end
if outcome == 'succeeded' then
  redis.call('HSET', key, 'state', 'succeeded', 'lease_until', '', 'last_error', '', 'updated_at', int(now))
  redis.call('ZADD', set_key('succeeded', queue), now, id)
elseif outcome == 'failed' then
  redis.call('HSET', key, 'state', 'dead', 'lease_until', '', 'last_error', ARGV[5], 'updated_at', int(now))
  redis.call('ZADD', set_key('dead', queue), now, id)
elseif outcome == 'retry' then
  local run_at = now + tonumber(ARGV[6])
  redis.call('HSET', key, 'state', 'queued', 'lease_until', '', 'last_error', ARGV[5], 'run_at', int(run_at), 'updated_at', int(now))
  redis.call('ZADD', set_key('queued', queue), run_at, id)
else
  -- Released unrun by a stopping worker: the attempt does not count.
  redis.call('HINCRBY', key, 'attempt', -1)
  redis.call('HSET', key, 'state', 'queued', 'lease_until', '', 'worker', '', 'run_at', int(now), 'updated_at', int(now))
  redis.call('ZADD', set_key('queued', queue), now, id)
end
return 1
