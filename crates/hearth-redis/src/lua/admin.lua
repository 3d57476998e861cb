-- ARGV: 2 action (cancel | retry | discard), 3 id.
-- Returns 'done', 'missing', or the job's state when the action does not apply to it.
local action = ARGV[2]
local id = ARGV[3]
local key = job_key(id)
local job = redis.call('HMGET', key, 'state', 'queue', 'dedupe_key')
if not job[1] then return 'missing' end
local state, queue = job[1], job[2]
if action == 'cancel' then
  if state ~= 'queued' and state ~= 'running' then return state end
  redis.call('ZREM', set_key(state, queue), id)
  redis.call('HSET', key, 'state', 'cancelled', 'lease_until', '', 'updated_at', int(now))
  redis.call('ZADD', set_key('cancelled', queue), now, id)
elseif action == 'retry' then
  if state ~= 'dead' and state ~= 'cancelled' then return state end
  redis.call('ZREM', set_key(state, queue), id)
  redis.call('HSET', key, 'state', 'queued', 'attempt', '0', 'run_at', int(now), 'worker', '', 'updated_at', int(now))
  redis.call('ZADD', set_key('queued', queue), now, id)
else
  if state == 'queued' or state == 'running' then return state end
  redis.call('ZREM', set_key(state, queue), id)
  redis.call('DEL', key)
  local dedupe = job[3]
  if dedupe and dedupe ~= '' and redis.call('GET', ns .. 'dedupe:' .. dedupe) == id then
    redis.call('DEL', ns .. 'dedupe:' .. dedupe)
  end
end
return 'done'
