-- ARGV: 2 id, 3 worker, 4 lease in ms. Returns 1 while the worker holds the job, else 0.
local id = ARGV[2]
local key = job_key(id)
local job = redis.call('HMGET', key, 'state', 'worker', 'queue')
if job[1] ~= 'running' or job[2] ~= ARGV[3] then return 0 end
local lease_until = now + tonumber(ARGV[4])
redis.call('HSET', key, 'lease_until', int(lease_until), 'updated_at', int(now))
redis.call('ZADD', set_key('running', job[3]), lease_until, id)
return 1
