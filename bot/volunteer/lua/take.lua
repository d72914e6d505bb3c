-- A volunteer takes a help request (KEYS[1], hash). The first press wins: the state moves from
-- pending to active in one step, so a second press, on any replica, sees it taken.
-- ARGV: volunteer id, volunteer first name, TTL ms.
-- Returns "ok", "taken" (someone else has it), "closed" (ended, cancelled or expired) or
-- "self" (the volunteer's own request).
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return 'closed' end
if st == 'active' then return 'taken' end
if st ~= 'pending' then return 'closed' end
if redis.call('HGET', KEYS[1], 'res') == ARGV[1] then return 'self' end
redis.call('HSET', KEYS[1], 'state', 'active', 'vol', ARGV[1], 'vname', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 'ok'
