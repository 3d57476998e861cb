-- Shared by every job-queue script. KEYS[1] is the namespace, a hash-tagged prefix such as
-- "{hearth:jobs}:", so every key a script touches lives in one Redis Cluster slot.
-- ARGV[1] is the caller's clock in Unix milliseconds.
-- Layout: <ns>job:<id> is a hash per job; <ns>q:<state>:<queue> is a sorted set per state and queue
-- (scored by due time when queued, lease end when running, last change otherwise);
-- <ns>dedupe:<key> maps a dedupe key to its job.
local ns = KEYS[1]
local now = tonumber(ARGV[1])
local function int(x) return string.format('%d', x) end
local function job_key(id) return ns .. 'job:' .. id end
local function set_key(state, queue) return ns .. 'q:' .. state .. ':' .. queue end
local LOST = "its worker stopped renewing the lease (killed or stuck) on the job's last attempt"
