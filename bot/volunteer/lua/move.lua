-- Moves a help request (KEYS[1], hash) to state ARGV[2] if it is in one of the states listed
-- in ARGV[1] (comma-separated). Returns the state it was in, or "" when nothing changed.
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return '' end
for s in string.gmatch(ARGV[1], '[^,]+') do
  if s == st then
    redis.call('HSET', KEYS[1], 'state', ARGV[2])
    return st
  end
end
return ''
