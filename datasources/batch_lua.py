"""The Lua side of :mod:`datasources.batch`: every write kind, as a check and an apply.

A check returns nothing when its write cannot fail, else a short reason (no key
names: they may hold a producer's ids).  An apply may assume its check passed in
the same script call, so it makes no decision that could raise: corrupt values it
meets are overwritten (queue snapshots, maxima), never decoded blindly.

``unpack`` is bounded (Lua's C stack holds ~8,000 values): every variadic command
is sent in chunks of :data:`CHUNK` values.
"""

from __future__ import annotations

from typing import Final

CHUNK: Final = 1000

APPLY: Final = (
    """
local header = cjson.decode(ARGV[1])
local CHUNK = """
    + str(CHUNK)
    + """
local LIMIT = 4611686018427387904  -- 2^62: counters stay far from 2^63

local function typed(key, want)
  local t = redis.call('TYPE', key).ok
  if t ~= want and t ~= 'none' then return 'a ' .. want .. ' key holds a ' .. t end
end

local function chunks(command, key, head, list)
  for i = 1, #list, CHUNK do
    local part = {unpack(list, i, math.min(i + CHUNK - 1, #list))}
    local args = {}
    for _, h in ipairs(head) do args[#args + 1] = h end
    for _, x in ipairs(part) do args[#args + 1] = x end
    redis.call(command, key, unpack(args))
  end
end

local function decoded(args)
  if args.spec == nil then args.spec = cjson.decode(args[1]) end
  return args.spec
end

local OPS = {}

-- hash: one argument, JSON per key [ttl, {f: int}, {f: float}, {f: keep max},
-- {f: JSON snapshot, keep the newer by .ts}].  ttl 0 = keep.
OPS.hash = {
  check = function(keys, args)
    local specs = decoded(args)
    for k = 1, #keys do
      local bad = typed(keys[k], 'hash')
      if bad then return bad end
      local names, adds = {}, {}
      for f, n in pairs(specs[k][2]) do names[#names + 1] = f; adds[#names] = n end
      for f in pairs(specs[k][3]) do names[#names + 1] = f end
      for i = 1, #names, CHUNK do
        local last = math.min(i + CHUNK - 1, #names)
        local held = redis.call('HMGET', keys[k], unpack(names, i, last))
        for j = 1, #held do
          local n, h = i + j - 1, held[j]
          if adds[n] then
            if h and not string.match(h, '^%-?%d+$') then
              return 'a counter holds a non-integer'
            end
            if math.abs((tonumber(h) or 0) + adds[n]) >= LIMIT then
              return 'a counter would overflow'
            end
          elseif h and not tonumber(h) then
            return 'a sum holds a non-number'
          end
        end
      end
    end
  end,
  apply = function(keys, args)
    local specs = decoded(args)
    for k = 1, #keys do
      local key, spec = keys[k], specs[k]
      for f, n in pairs(spec[2]) do redis.call('HINCRBY', key, f, n) end
      for f, x in pairs(spec[3]) do redis.call('HINCRBYFLOAT', key, f, x) end
      for f, x in pairs(spec[4]) do
        local held = tonumber(redis.call('HGET', key, f))
        if not held or held < x then redis.call('HSET', key, f, x) end
      end
      for f, raw in pairs(spec[5]) do
        local held = redis.call('HGET', key, f)
        local ok, old = pcall(cjson.decode, held or '')
        local newer = not ok or type(old) ~= 'table' or type(old.ts) ~= 'number'
        if newer or old.ts <= cjson.decode(raw).ts then redis.call('HSET', key, f, raw) end
      end
      if spec[1] > 0 then redis.call('EXPIRE', key, spec[1]) end
    end
  end,
}

-- list: one argument, JSON per key [ttl, cap, [items, oldest first, at most cap]].
OPS.list = {
  check = function(keys, args)
    for k = 1, #keys do
      local bad = typed(keys[k], 'list')
      if bad then return bad end
    end
  end,
  apply = function(keys, args)
    local specs = decoded(args)
    for k = 1, #keys do
      local spec = specs[k]
      chunks('LPUSH', keys[k], {}, spec[3])
      redis.call('LTRIM', keys[k], 0, spec[2] - 1)
      if spec[1] > 0 then redis.call('EXPIRE', keys[k], spec[1]) end
    end
  end,
}

-- set: one argument, JSON list of members.
OPS.set = {
  check = function(keys, args) return typed(keys[1], 'set') end,
  apply = function(keys, args) chunks('SADD', keys[1], {}, decoded(args)) end,
}

-- conv: a batch of utterances (datasources/conversations_write.py builds it):
-- args {JSON, ttl, keep, horizon}.
OPS.conv = {
  check = function(keys, args)
    local batch = decoded(args)
    for _, key in ipairs(batch.indexes) do
      local bad = typed(key, 'zset')
      if bad then return bad end
    end
    for _, c in ipairs(batch.conversations) do
      local bad = typed(c.list, 'list') or typed(c.meta, 'hash')
      if bad then return bad end
    end
  end,
  apply = function(keys, args)
    local batch = decoded(args)
    local ttl, keep, horizon = tonumber(args[2]), tonumber(args[3]), args[4]
    for _, c in ipairs(batch.conversations) do
      chunks('RPUSH', c.list, {}, c.items)
      redis.call('LTRIM', c.list, -keep, -1)
      chunks('HSET', c.meta, {}, c.context)
      redis.call('HSETNX', c.meta, 'started', c.started)
      if c.customer_at then redis.call('HSETNX', c.meta, 'first_customer_ts', c.customer_at) end
      if c.agent_at then redis.call('HSETNX', c.meta, 'first_agent_ts', c.agent_at) end
      if c.robot then redis.call('HSET', c.meta, 'robot', '1') end
      if c.final then
        redis.call('HSET', c.meta, 'final', '1')
        redis.call('ZREM', batch.live, c.id)
        redis.call('ZREM', c.topic, c.id)
      else
        redis.call('ZADD', batch.live, c.last, c.id)
        redis.call('ZADD', c.topic, c.last, c.id)
      end
      redis.call('EXPIRE', c.list, ttl)
      redis.call('EXPIRE', c.meta, ttl)
    end
    for _, live in ipairs(batch.indexes) do
      redis.call('ZREMRANGEBYSCORE', live, '-inf', horizon)
      redis.call('EXPIRE', live, ttl)
    end
  end,
}

-- cust: customers' recent contacts, args {JSON [[list key, contact JSON], ...], keep, ttl}.
OPS.cust = {
  check = function(keys, args)
    for _, item in ipairs(decoded(args)) do
      local bad = typed(item[1], 'list')
      if bad then return bad end
    end
  end,
  apply = function(keys, args)
    local keep, ttl = tonumber(args[2]), tonumber(args[3])
    for _, item in ipairs(decoded(args)) do
      redis.call('LPUSH', item[1], item[2])
      redis.call('LTRIM', item[1], 0, keep - 1)
      redis.call('EXPIRE', item[1], ttl)
    end
  end,
}

local function entry(args, from)
  local fields = {}
  for i = from, #args do fields[#fields + 1] = args[i] end
  return fields
end

-- xadd: keys {stream}, args {maxlen, field, value, ...}.
OPS.xadd = {
  check = function(keys, args) return typed(keys[1], 'stream') end,
  apply = function(keys, args)
    redis.call('XADD', keys[1], 'MAXLEN', '~', args[1], '*', unpack(entry(args, 2)))
  end,
}

-- xadd_once: keys {marker, stream}, args {ttl, maxlen, field, value, ...}.
OPS.xadd_once = {
  check = function(keys, args) return typed(keys[1], 'string') or typed(keys[2], 'stream') end,
  apply = function(keys, args)
    if redis.call('SET', keys[1], '1', 'NX', 'EX', args[1]) then
      redis.call('XADD', keys[2], 'MAXLEN', '~', args[2], '*', unpack(entry(args, 3)))
    end
  end,
}

-- ack: keys {stream}, args {group, id, ...}.
OPS.ack = {
  check = function(keys, args)
    local bad = typed(keys[1], 'stream')
    if bad then return bad end
    local found = redis.pcall('XPENDING', keys[1], args[1])
    if type(found) == 'table' and found.err then return 'the consumer group is gone' end
  end,
  apply = function(keys, args) chunks('XACK', keys[1], {args[1]}, entry(args, 2)) end,
}

-- The guard (worker commits): KEYS fence, streams; header.guard {fence, group,
-- consumer, first id per stream}.
local k, a = 1, 2
local guard = header.guard
if guard then
  local fence = redis.call('GET', KEYS[1]) or ''
  if fence ~= guard[1] then return {'fenced'} end
  for i = 4, #guard do
    local mine = redis.pcall('XPENDING', KEYS[i - 2], guard[2], guard[i], guard[i], 1, guard[3])
    if mine.err then return {'rejected', 0, 'guard: the consumer group is gone'} end
    if #mine == 0 then return {'done'} end
  end
  k = #guard - 1
end

local ops = {}
for i, spec in ipairs(header.ops) do
  local keys, args = {}, {}
  for j = 1, spec[2] do keys[j] = KEYS[k]; k = k + 1 end
  for j = 1, spec[3] do args[j] = ARGV[a]; a = a + 1 end
  ops[i] = {OPS[spec[1]], keys, args, spec[1]}
end
for i, op in ipairs(ops) do
  local bad = op[1].check(op[2], op[3])
  if bad then
    local reason = op[4] .. ': ' .. bad
    if header.plain then return redis.error_reply('REJECTED ' .. reason) end
    return {'rejected', i, reason}
  end
end
for _, op in ipairs(ops) do op[1].apply(op[2], op[3]) end
return {'ok'}
"""
)
