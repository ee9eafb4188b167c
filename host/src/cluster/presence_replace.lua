redis.call('DEL', KEYS[1], KEYS[2])
for i = 1, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if ARGV[i + 1] ~= '' then redis.call('ZADD', KEYS[2], 0, ARGV[i]) end
end
return 0
