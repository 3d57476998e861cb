-- ARGV: 2 worker, 3 lease in ms, 4.. queues, most urgent first. Returns the job's fields, or nil.
local worker = ARGV[2]
local lease_until = now + tonumber(ARGV[3])
for i = 4, #ARGV do
  local queue = ARGV[i]
  -- Jobs whose worker stopped renewing its lease run again, or die on their last attempt.
  local expired = redis.call('ZRANGEBYSCORE', set_key('running', queue), '-inf', '(' .. int(now), 'LIMIT', 0, 100)
  for _, id in ipairs(expired) do
    local key = job_key(id)
    local job = redis.call('HMGET', key, 'attempt', 'max_attempts', 'run_at')
    redis.call('ZREM', set_key('running', queue), id)
    if tonumber(job[1] or 0) >= tonumber(job[2] or 1) then
      redis.call('HSET', key, 'state', 'dead', 'last_error', LOST, 'lease_until', '', 'updated_at', int(now))
      redis.call('ZADD', set_key('dead', queue), now, id)
    else
      redis.call('HSET', key, 'state', 'queued', 'lease_until', '', 'updated_at', int(now))
      redis.call('ZADD', set_key('queued', queue), tonumber(job[3] or now), id)
    end
  end
  while true do
    local due = redis.call('ZRANGEBYSCORE', set_key('queued', queue), '-inf', int(now), 'LIMIT', 0, 1)
    if #due == 0 then break end
    local id = due[1]
    local key = job_key(id)
    redis.call('ZREM', set_key('queued', queue), id)
    -- An id without its hash (deleted by hand) is dropped; any other job is leased.
    if redis.call('EXISTS', key) == 1 then
      redis.call('HINCRBY', key, 'attempt', 1)
      redis.call('HSET', key, 'state', 'running', 'worker', worker, 'lease_until', int(lease_until), 'updated_at', int(now))
      redis.call('ZADD', set_key('running', queue), lease_until, id)
      local fields = redis.call('HGETALL', key)
      fields[#fields + 1] = 'id'
      fields[#fields + 1] = id
      return fields
    end
  end
end
return false
