"""The Lua scripts behind :class:`RedisThrottle`: every change to an account's shared limit.

One hash per account holds the pace (``rate``, requests/s, 0 = unthrottled) and its schedule
(``tat``, the GCRA's theoretical arrival time), the shared pause (``pause``), the count of
successes (``accepted`` since ``mark``; before any 429 also ``prev`` over the ``prevspan``
seconds of the window before), the time of the last 429 (``limited``) and of the last growth
(``growth``), the accepted rate measured at the last 429 (``ceiling``) and the fixed quotas'
schedules (``qr``, ``qw``). Every time comes from ``redis.call('TIME')``, so the workers'
clocks never matter. Times are stored with ``%.6f`` (Lua's default number formatting keeps 14
digits, too few for microseconds).

The control law. What a server that answers 429 + ``Retry-After`` accepts is measured over a
whole cycle, from one 429 to the next, the pause included: the server's allowance is spent at
both ends, so successes / elapsed time is its sustained rate (measured from the end of the
pause instead, the allowance refilled during the pause reads as extra rate, the pace
overshoots and every few seconds a wave of 429s follows). At a 429 the pace becomes 95% of
that rate (never below half the current pace, unless the pace was only a guess); after a calm
second it grows 10% a second up to the measured rate and 2% a second above it; 30 quiet
seconds end the pacing. The first 429 of a spell has no cycle behind it: the pace starts at
95% of the successes of the last second or two spread over those seconds and the pause the
server asks for, a guess with no ceiling that grows 25% a second until a 429 measures a
whole cycle. So the end of the first pause is paced too, not a burst of every waiting
worker. A 429 answered while a pause runs (sent before it began) measures nothing and only
extends an explicit pause.
"""

from __future__ import annotations

_COMMON = """
local key = KEYS[1]
local function fmt(x) return string.format('%.6f', x) end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local MIN_INTERVAL, MIN_SAMPLES, HEADROOM = 0.2, 10, 0.95
local RECOVERY, GUESSED, ABOVE, CALM, QUIET, WINDOW = 0.1, 0.25, 0.02, 1.0, 30.0, 1.0
"""

RESERVE = (
    _COMMON
    + """
local n, kind, quota, ttl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local h = redis.call('HMGET', key, 'rate', 'tat', 'pause', 'limited', 'mark', 'accepted',
  'measuring', 'growth', 'ceiling', 'q' .. kind, 'prev', 'prevspan')
local rate, tat, pause = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
local limited, mark, accepted = tonumber(h[4]) or 0, tonumber(h[5]) or 0, tonumber(h[6]) or 0
local measuring, growth, ceiling = h[7] == '1', tonumber(h[8]) or 0, tonumber(h[9]) or 0
local qtat, prev, prevspan = tonumber(h[10]) or 0, tonumber(h[11]) or 0, tonumber(h[12]) or 0
if mark == 0 then mark = now end
if measuring and now - limited > QUIET then
  -- A long quiet spell: unthrottled again, counting afresh for the next first 429.
  rate, measuring, mark, accepted, prev, prevspan = 0, false, now, 0, 0, 0
end
if not measuring then
  -- Before any 429 only the last second or two count: one window behind the current one
  -- (none if that is older), and a window starts with its first answer, not in idle time.
  if now - mark > 2 * WINDOW then
    prev, prevspan, mark, accepted = 0, 0, now, 0
  elseif now - mark > WINDOW then
    prev, prevspan, mark, accepted = accepted, now - mark, now, 0
  end
  if accepted == 0 and prev == 0 then mark, prevspan = now, 0 end
end
if n > 0 then
  if now >= mark then accepted = accepted + n end
  if measuring and rate > 0 and now - limited >= CALM then
    local elapsed = math.min(now - growth, 1.0)
    if elapsed >= 0.1 then
      local step = RECOVERY
      if ceiling == 0 then step = GUESSED
      elseif rate >= ceiling then step = ABOVE end
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
  'measuring', m, 'growth', fmt(growth), 'mark', fmt(mark), 'prev', tostring(prev),
  'prevspan', fmt(prevspan), 'q' .. kind, fmt(qtat))
redis.call('PEXPIRE', key, ttl)
return {fmt(slot - now), fmt(pace_slot), fmt(quota_slot), fmt(math.max(pause - now, 0))}
"""
)

RATE_LIMITED = (
    _COMMON
    + """
local ra, fallback, max_pause = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local n = tonumber(ARGV[4]) or 0
local h = redis.call('HMGET', key, 'rate', 'pause', 'mark', 'accepted', 'measuring', 'prev',
  'prevspan', 'ceiling')
local rate, pause, mark = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
local accepted, measuring = (tonumber(h[4]) or 0) + n, h[5] == '1'
local prev, prevspan, ceiling = tonumber(h[6]) or 0, tonumber(h[7]) or 0, tonumber(h[8]) or 0
if mark == 0 then mark = now end
local p = fallback
if ra > 0 then p = ra end
if p > max_pause then p = max_pause end
local stale = now < pause  -- answered while a pause runs: sent before everyone paused
-- A later 429 pauses everyone only for an explicit Retry-After; without one each caller
-- backs off alone (global pauses on every 429 make the server look slower than it is).
if ra > 0 or not measuring then pause = math.max(pause, now + p) end
if stale and measuring then
  redis.call('HSET', key, 'pause', fmt(pause), 'accepted', tostring(accepted))
  return 0
end
redis.call('HSET', key, 'limited', fmt(now), 'pause', fmt(pause))
if measuring then
  local span = now - mark
  if span < MIN_INTERVAL or (accepted < MIN_SAMPLES and span < 2.0) then
    redis.call('HSET', key, 'accepted', tostring(accepted))
    return 0
  end
  -- One cycle, from the last 429 to this one (the pause included): the sustained rate.
  local measured = accepted / span
  local target
  if rate == 0 or ceiling == 0 then
    -- No pace yet, or only a first guess: the measurement replaces it.
    target = measured * HEADROOM
  else
    target = math.max(math.min(measured, rate) * HEADROOM, rate / 2)
  end
  redis.call('HSET', key, 'rate', fmt(math.max(target, 0.5)), 'growth', fmt(now),
    'ceiling', fmt(measured))
else
  -- The first 429 of a spell: what the last seconds let through, spread over them and the
  -- pause asked for. A first guess (no ceiling): the next 429 measures a whole cycle.
  local count, span = prev + accepted, prevspan + (now - mark) + (pause - now)
  if count >= MIN_SAMPLES and span > 0 then
    redis.call('HSET', key, 'rate', fmt(math.max(count / span * HEADROOM, 0.5)),
      'growth', fmt(now), 'ceiling', '0')
  end
end
redis.call('HSET', key, 'measuring', '1', 'accepted', '0', 'mark', fmt(now), 'prev', '0',
  'prevspan', '0')
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
