-- Compare-and-set of a session: KEYS[1] session key, ARGV[1] expected revision ("0" when the
-- caller saw no session), ARGV[2] new value "<rev>|<json>", ARGV[3] TTL in milliseconds.
-- Returns 1 when saved, 0 when the stored revision differs.
local cur = redis.call('GET', KEYS[1])
local rev = '0'
if cur then
  rev = string.match(cur, '^(%d+)|') or '0'
end
if rev ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
