-- ARGV: 2 id, 3 dedupe key or '', 4 queue, 5 run_at, 6.. field/value pairs of the job hash.
local id = ARGV[2]
local dedupe = ARGV[3]
if dedupe ~= '' then
  local existing = redis.call('GET', ns .. 'dedupe:' .. dedupe)
  if existing then return existing end
  redis.call('SET', ns .. 'dedupe:' .. dedupe, id)
end
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', job_key(id), unpack(fields))
redis.call('ZADD', set_key('queued', ARGV[4]), tonumber(ARGV[5]), id)
return id
