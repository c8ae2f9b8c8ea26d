package store

import "github.com/redis/go-redis/v9"

// The Lua scripts below run atomically on the server, so their checks and
// writes cannot interleave with another host's. Times come from the
// server's clock (TIME), so hosts with skewed clocks agree on expiry.
// Every key a script touches carries the {pairing} hash tag; keys derived
// inside a script (a channel's code key) are built from the prefixes that
// Go passes in ARGV and share that tag.

// luaPrelude defines the helpers every script uses.
const luaPrelude = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function request(key)
  return redis.call('HMGET', key, 'code', 'channel_type', 'channel_id',
    'user_name', 'created_at', 'expires_at', 'seq')
end

local function channel_field(typ, id)
  return string.len(typ) .. ':' .. typ .. ':' .. id
end

local function audit(stream, seq, maxlen, action, typ, id, actor, at, detail)
  local n = redis.call('INCR', seq)
  local args = {'XADD', stream}
  if tonumber(maxlen) > 0 then
    table.insert(args, 'MAXLEN')
    table.insert(args, '~')
    table.insert(args, maxlen)
  end
  table.insert(args, n .. '-0')
  for _, v in ipairs({'action', action, 'channel_type', typ, 'channel_id', id,
      'actor', actor, 'at', at, 'detail', detail}) do
    table.insert(args, v)
  end
  redis.call(unpack(args))
end
`

// generateScript opens a request or returns the channel's open one.
//
// KEYS: pending:<type>, pending, code:<candidate>, chan:<channel>,
// seq:pending (orders requests opened within one millisecond)
// ARGV: code prefix, candidate, type, channel id, user name, ttl ms, cap
// Reply: {0, request} new, {1, request} reused, {-1} cap, {-2} collision.
var generateScript = redis.NewScript(luaPrelude + `
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)

if ARGV[4] ~= '' then
  local open = redis.call('GET', KEYS[4])
  if open then
    local r = request(ARGV[1] .. open)
    if r[1] and tonumber(r[6]) > now then
      return {1, r}
    end
  end
end

if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[7]) then
  return {-1}
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {-2}
end

local exp = now + tonumber(ARGV[6])
redis.call('HSET', KEYS[3], 'code', ARGV[2], 'channel_type', ARGV[3],
  'channel_id', ARGV[4], 'user_name', ARGV[5], 'created_at', now,
  'expires_at', exp, 'seq', redis.call('INCR', KEYS[5]))
redis.call('PEXPIREAT', KEYS[3], exp)
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[4], ARGV[2], 'PXAT', exp)
end
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], exp, ARGV[2])
  -- An index outlives its last request by nothing: no stale keys stay.
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[6]) then
    redis.call('PEXPIREAT', KEYS[i], exp)
  end
end
return {0, request(KEYS[3])}
`)

// consumeScript approves or denies an open request; exactly one of racing
// calls finds the code.
//
// KEYS: code:<code>, pending:<type>, pending, paired, paired:index,
// audit, audit:seq
// ARGV: chan prefix, type, user id, user name, actor, action, audit cap
// Reply: {1, request, channel id, at, label} done, {0} not found,
// {-3} approval of an unbound request without a user id.
var consumeScript = redis.NewScript(luaPrelude + `
local now = now_ms()
local r = request(KEYS[1])
if not r[1] or r[2] ~= ARGV[2] or tonumber(r[6]) <= now then
  return {0}
end

local approve = ARGV[6] == 'approved'
local channel = r[3]
if channel == '' then channel = ARGV[3] end
if approve and channel == '' then
  return {-3}
end

redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], r[1])
redis.call('ZREM', KEYS[3], r[1])
if r[3] ~= '' then
  local ck = ARGV[1] .. channel_field(r[2], r[3])
  if redis.call('GET', ck) == r[1] then
    redis.call('DEL', ck)
  end
end

local label = ARGV[4]
if label == '' then label = r[4] end
if approve then
  local field = channel_field(r[2], channel)
  redis.call('HSET', KEYS[4], field, cjson.encode({
    channel_id = channel, channel_type = r[2], paired_at = now,
    label = label, approved_by = ARGV[5]}))
  redis.call('ZADD', KEYS[5], 0, field)
end
audit(KEYS[6], KEYS[7], ARGV[7], ARGV[6], r[2], channel, ARGV[5], now, label)
return {1, r, channel, now, label}
`)

// revokeScript removes a pairing and records it when one existed.
//
// KEYS: paired, paired:index, audit, audit:seq
// ARGV: type, id, actor, audit cap
// Reply: 1 revoked, 0 not paired.
var revokeScript = redis.NewScript(luaPrelude + `
local field = channel_field(ARGV[1], ARGV[2])
if redis.call('HDEL', KEYS[1], field) == 0 then
  return 0
end
redis.call('ZREM', KEYS[2], field)
audit(KEYS[3], KEYS[4], ARGV[4], 'revoked', ARGV[1], ARGV[2], ARGV[3], now_ms(), '')
return 1
`)

// pendingScript lists the open requests of one pending zset.
//
// KEYS: pending zset; ARGV: code prefix
// Reply: list of requests.
var pendingScript = redis.NewScript(luaPrelude + `
local now = now_ms()
local out = {}
for _, c in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')) do
  local r = request(ARGV[1] .. c)
  if r[1] and tonumber(r[6]) > now then
    table.insert(out, r)
  end
end
return out
`)

// pairedScript reads one page of paired channels in lex order of their
// fields, so a page and its records are read in one consistent step.
//
// KEYS: paired:index, paired; ARGV: start ("-" or "(" field), count
// Reply: {fields, records}.
var pairedScript = redis.NewScript(`
local fields = redis.call('ZRANGE', KEYS[1], ARGV[1], '+', 'BYLEX', 'LIMIT', 0, ARGV[2])
if #fields == 0 then
  return {{}, {}}
end
return {fields, redis.call('HMGET', KEYS[2], unpack(fields))}
`)
