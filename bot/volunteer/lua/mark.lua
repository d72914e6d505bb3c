-- A resident's counting marks for one guide, in the resident's own key (KEYS[1], hash):
--   p:<flow>  "<lang>|<step>" the last step reached (for drop-off)
--   s:<flow>  id of the volunteer whose link started it (first link wins)
--   f:<flow>  "1" once finished
-- ARGV: flow, lang|step, finished ("1"/"0"), referring volunteer id ("" for none), TTL ms.
-- Returns {new start (0/1), previous "<lang>|<step>" or "", new finish (0/1),
--          volunteer credited with the start or "", volunteer credited with the finish or ""}.
local flow = ARGV[1]
local prev = redis.call('HGET', KEYS[1], 'p:' .. flow)
local started = 0
if not prev then started = 1 end
redis.call('HSET', KEYS[1], 'p:' .. flow, ARGV[2])
local credited = ''
if ARGV[4] ~= '' and redis.call('HSETNX', KEYS[1], 's:' .. flow, ARGV[4]) == 1 then
  credited = ARGV[4]
end
local finished = 0
local finisher = ''
if ARGV[3] == '1' and redis.call('HSETNX', KEYS[1], 'f:' .. flow, '1') == 1 then
  finished = 1
  finisher = redis.call('HGET', KEYS[1], 's:' .. flow) or ''
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {started, prev or '', finished, credited, finisher}
