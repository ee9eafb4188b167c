local offset, need = tonumber(ARGV[1]), tonumber(ARGV[2])
local own_at, own_len = tonumber(ARGV[3]), tonumber(ARGV[4])
local out, own_from, own_take, splice_at = {}, 0, 0, 0
local n = #KEYS / 2
for i = 0, n do
  if i == own_at and need > 0 then
    if offset >= own_len then
      offset = offset - own_len
    else
      own_from, own_take, splice_at = offset, math.min(own_len - offset, need), #out
      need, offset = need - own_take, 0
    end
  end
  if i < n and need > 0 then
    local signed, all = KEYS[2 * i + 1], KEYS[2 * i + 2]
    local count = redis.call('ZCARD', signed)
    if offset >= count then
      offset = offset - count
    else
      local ids = redis.call('ZRANGE', signed, offset, offset + need - 1)
      offset = 0
      if #ids > 0 then
        for _, session in ipairs(redis.call('HMGET', all, unpack(ids))) do
          if session then
            out[#out + 1] = session
            need = need - 1
          end
        end
      end
    end
  end
end
return {own_from, own_take, splice_at, out}
