-- One write to a kv namespace, with its usage kept exact: the value and the usage change together
-- or not at all (a script runs atomically). The same rules as the embedded store: a write that
-- makes the entry larger (or new) must fit the quota; shrinking and deleting always succeed.
--
-- KEYS[1]: the namespace's usage hash (fields keys, bytes); KEYS[2]: the value.
-- ARGV[1]: 'set', 'del' or 'incr'; ARGV[2]: the kv key's length in bytes; ARGV[3], ARGV[4]: the
-- quota's most keys and most bytes; then the new value ('set'), or the delta's high and low 32 bits
-- in two's complement ('incr').
-- Returns {status, a, b}. Status 0: done (for 'del', a is 1 when the key existed; for 'incr', a and
-- b are the new counter's high and low 32 bits); 1: over quota; 2: not a counter; 3: overflow.
--
-- Counters are MessagePack integers. They are decoded and added here as two 32-bit halves, not
-- with cmsgpack: Lua's numbers are doubles, exact only to 2^53, and cmsgpack reads a float like an
-- integer. The result is encoded in the smallest form, as the host's MessagePack encoder does.

local TWO32 = 4294967296
local TWO31 = 2147483648

local function uint(s, from, n)
  local v = 0
  for i = from, from + n - 1 do
    v = v * 256 + string.byte(s, i)
  end
  return v
end

-- An n-byte two's complement value (range = 2^(8n), n < 8) widened to 64 bits.
local function widen(v, range)
  if v >= range / 2 then
    return TWO32 - 1, TWO32 - range + v
  end
  return 0, v
end

-- The high and low halves of the MessagePack integer `s`, or nil when `s` is anything else.
local function decode(s)
  local n = #s
  local b = string.byte(s, 1)
  if n == 1 and b < 0x80 then return 0, b end
  if n == 1 and b >= 0xe0 then return widen(b, 256) end
  if n == 2 and b == 0xcc then return 0, uint(s, 2, 1) end
  if n == 3 and b == 0xcd then return 0, uint(s, 2, 2) end
  if n == 5 and b == 0xce then return 0, uint(s, 2, 4) end
  if n == 9 and b == 0xcf then
    local hi = uint(s, 2, 4)
    if hi >= TWO31 then return nil end
    return hi, uint(s, 6, 4)
  end
  if n == 2 and b == 0xd0 then return widen(uint(s, 2, 1), 256) end
  if n == 3 and b == 0xd1 then return widen(uint(s, 2, 2), 65536) end
  if n == 5 and b == 0xd2 then return widen(uint(s, 2, 4), TWO32) end
  if n == 9 and b == 0xd3 then return uint(s, 2, 4), uint(s, 6, 4) end
  return nil
end

local function bytes(v, n)
  local out = {}
  for i = n, 1, -1 do
    out[i] = v % 256
    v = math.floor(v / 256)
  end
  return string.char(unpack(out))
end

local function encode(hi, lo)
  if hi == 0 then
    if lo < 0x80 then return string.char(lo) end
    if lo < 0x100 then return '\204' .. bytes(lo, 1) end
    if lo < 0x10000 then return '\205' .. bytes(lo, 2) end
    return '\206' .. bytes(lo, 4)
  end
  if hi < TWO31 then return '\207' .. bytes(hi, 4) .. bytes(lo, 4) end
  if hi == TWO32 - 1 and lo >= TWO31 then
    local v = lo - TWO32
    if v >= -32 then return string.char(256 + v) end
    if v >= -128 then return '\208' .. bytes(256 + v, 1) end
    if v >= -32768 then return '\209' .. bytes(65536 + v, 2) end
    return '\210' .. bytes(lo, 4)
  end
  return '\211' .. bytes(hi, 4) .. bytes(lo, 4)
end

local op = ARGV[1]
local key_len = tonumber(ARGV[2])
local old = redis.call('GET', KEYS[2])
local new = false
local result_hi, result_lo = 0, 0

if op == 'set' then
  new = ARGV[5]
elseif op == 'incr' then
  local hi, lo = 0, 0
  if old then
    hi, lo = decode(old)
    if hi == nil then return {2, 0, 0} end
  end
  local delta_hi, delta_lo = tonumber(ARGV[5]), tonumber(ARGV[6])
  lo = lo + delta_lo
  local carry = 0
  if lo >= TWO32 then
    lo = lo - TWO32
    carry = 1
  end
  local sum_hi = (hi + delta_hi + carry) % TWO32
  -- Overflow: both operands have one sign and the sum has the other.
  if (hi >= TWO31) == (delta_hi >= TWO31) and (sum_hi >= TWO31) ~= (hi >= TWO31) then
    return {3, 0, 0}
  end
  result_hi, result_lo = sum_hi, lo
  new = encode(sum_hi, lo)
end

local function size(value)
  if value then return key_len + #value end
  return 0
end

local keys = tonumber(redis.call('HGET', KEYS[1], 'keys') or '0')
local used = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')
local new_keys = keys
if new and not old then new_keys = keys + 1 end
if old and not new then new_keys = math.max(keys - 1, 0) end
local new_used = math.max(used + size(new) - size(old), 0)
local grows = size(new) > size(old) or (new and not old)
if grows and (new_keys > tonumber(ARGV[3]) or new_used > tonumber(ARGV[4])) then
  return {1, 0, 0}
end

if new then
  redis.call('SET', KEYS[2], new)
elseif old then
  redis.call('DEL', KEYS[2])
end
if new_keys == 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'keys', string.format('%d', new_keys), 'bytes', string.format('%d', new_used))
end

if op == 'del' then
  if old then return {0, 1, 0} end
  return {0, 0, 0}
end
return {0, result_hi, result_lo}
