-- ARGV: 2 cut-off in ms, 3.. queues. Deletes up to 1,000 succeeded or cancelled jobs last changed
-- before the cut-off; returns how many (the caller repeats until 0).
local before = ARGV[2]
local deleted = 0
for i = 3, #ARGV do
  for _, state in ipairs({'succeeded', 'cancelled'}) do
    local set = set_key(state, ARGV[i])
    local ids = redis.call('ZRANGEBYSCORE', set, '-inf', '(' .. before, 'LIMIT', 0, 1000 - deleted)
    for _, id in ipairs(ids) do
      local key = job_key(id)
      local dedupe = redis.call('HGET', key, 'dedupe_key')
      if dedupe and dedupe ~= '' and redis.call('GET', ns .. 'dedupe:' .. dedupe) == id then
        redis.call('DEL', ns .. 'dedupe:' .. dedupe)
      end
      redis.call('DEL', key)
      redis.call('ZREM', set, id)
      deleted = deleted + 1
    end
    if deleted >= 1000 then return deleted end
  end
end
return deleted
