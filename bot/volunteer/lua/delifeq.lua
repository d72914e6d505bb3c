-- Deletes KEYS[1] if it still holds ARGV[1]: a pointer to a help request is removed only by
-- that request, never one that replaced it.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
