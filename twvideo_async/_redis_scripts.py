"""The Lua scripts behind :class:`RedisThrottle`: every change to an account's shared limit.

One hash per account holds the pace (``rate``, requests/s, 0 = unthrottled) and its schedule
(``tat``, the GCRA's theoretical arrival time), the shared pause (``pause``), the measurement
of what the server accepts (``measuring``, ``mark``, ``accepted``), the time of the last 429
(``limited``) and of the last growth (``growth``), the accepted rate measured at the last 429
(``ceiling``) and the fixed quotas' schedules (``qr``, ``qw``). Every time comes from
``redis.call('TIME')``, so the workers' clocks never matter. Times are stored with
``%.6f`` (Lua's default number formatting keeps 14 digits, too few for microseconds).

The adaptive rules are those of the per-process ``AdaptiveThrottle``: the first 429 of a calm
spell pauses everyone and starts measuring from the end of the pause; a 429 after at least a
0.2 s (and ten answers, or two seconds) sets the pace to 95% of the accepted rate, never
below half the current pace; after a calm second the pace grows 10% a second up to the rate
last seen accepted and 1% a second above it; 30 quiet seconds end the pacing.
"""

from __future__ import annotations

_COMMON = """
local key = KEYS[1]
local function fmt(x) return string.format('%.6f', x) end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local MIN_INTERVAL, MIN_SAMPLES, HEADROOM = 0.2, 10, 0.95
local RECOVERY, CALM, QUIET = 0.1, 1.0, 30.0
"""

RESERVE = (
    _COMMON
    + """
local n, kind, quota, ttl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local h = redis.call('HMGET', key, 'rate', 'tat', 'pause', 'limited', 'mark', 'accepted',
  'measuring', 'growth', 'ceiling', 'q' .. kind)
local rate, tat, pause = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
local limited, mark, accepted = tonumber(h[4]) or 0, tonumber(h[5]) or 0, tonumber(h[6]) or 0
local measuring, growth, ceiling = h[7] == '1', tonumber(h[8]) or 0, tonumber(h[9]) or 0
local qtat = tonumber(h[10]) or 0
if measuring and n > 0 then
  if now >= mark then accepted = accepted + n end
  local since = now - limited
  if since > QUIET then
    rate, measuring = 0, false
  elseif rate > 0 and since >= CALM then
    local elapsed = math.min(now - growth, 1.0)
    if elapsed >= 0.1 then
      local step = RECOVERY
      if ceiling > 0 and rate >= ceiling then step = RECOVERY / 10 end
      rate, growth = rate * (1 + step * elapsed), now
    end
  end
end
local slot = math.max(now, pause)
local pace_slot, quota_slot = -1, -1
if rate > 0 then
  slot = math.max(tat, slot)
  pace_slot, tat = slot, slot + 1 / rate
end
if quota > 0 then
  slot = math.max(qtat, slot)
  quota_slot, qtat = slot, slot + 1 / quota
end
local m = '0'
if measuring then m = '1' end
redis.call('HSET', key, 'rate', fmt(rate), 'tat', fmt(tat), 'accepted', tostring(accepted),
  'measuring', m, 'growth', fmt(growth), 'q' .. kind, fmt(qtat))
redis.call('PEXPIRE', key, ttl)
return {fmt(slot - now), fmt(pace_slot), fmt(quota_slot)}
"""
)

RATE_LIMITED = (
    _COMMON
    + """
local ra, fallback, max_pause = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', key, 'rate', 'pause', 'mark', 'accepted', 'measuring')
local rate, pause, mark = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
local accepted, measuring = tonumber(h[4]) or 0, h[5] == '1'
local p = fallback
if ra > 0 then p = ra end
if p > max_pause then p = max_pause end
-- A later 429 pauses everyone only for an explicit Retry-After; without one each caller
-- backs off alone (global pauses on every 429 make the server look slower than it is).
if ra > 0 or not measuring then pause = math.max(pause, now + p) end
redis.call('HSET', key, 'limited', fmt(now), 'pause', fmt(pause))
if measuring then
  local span = now - mark
  if span < MIN_INTERVAL or (accepted < MIN_SAMPLES and span < 2.0) then return 0 end
  local measured = accepted / span
  local target
  if rate == 0 then
    target = measured * HEADROOM
  else
    target = math.max(math.min(measured, rate) * HEADROOM, rate / 2)
  end
  redis.call('HSET', key, 'rate', fmt(math.max(target, 0.5)), 'growth', fmt(now),
    'ceiling', fmt(measured))
end
redis.call('HSET', key, 'measuring', '1', 'accepted', '0', 'mark', fmt(math.max(now, pause)))
return 1
"""
)

RELEASE = (
    _COMMON
    + """
local kind, pace_slot, quota_slot = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', key, 'rate', 'tat', 'q' .. kind)
local rate, tat, qtat = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
if pace_slot >= 0 and rate > 0 then
  redis.call('HSET', key, 'tat', fmt(math.max(tat - 1 / rate, now)))
end
if quota_slot >= 0 and tonumber(ARGV[4]) > 0 then
  redis.call('HSET', key, 'q' .. kind, fmt(math.max(qtat - 1 / tonumber(ARGV[4]), now)))
end
return 1
"""
)
