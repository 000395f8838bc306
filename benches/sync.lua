-- wrk script for benches/sync.sh: every request is POST /api/v1/sync/activations with a
-- batch of fresh items (new UUIDv7 ids, a quarter failed, half with a valid random NIK).
-- Arguments (after `--`): <event_id> <batch size> <access token>.

local threads = {}
local hex = "0123456789abcdef"
local batch, event_id

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  event_id = args[1]
  batch = tonumber(args[2] or "50")
  wrk.method = "POST"
  wrk.path = "/api/v1/sync/activations"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[3]
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

local function rhex(n)
  local t = {}
  for i = 1, n do
    local r = math.random(1, 16)
    t[i] = hex:sub(r, r)
  end
  return table.concat(t)
end

-- UUIDv7, as api-docs/SYNC.md asks of the phone, built as RFC 9562 (section 6.2, method 1)
-- does: 48 bits of Unix milliseconds, then a 12-bit counter, so each thread's ids only ever
-- grow, as a phone's do (and as the raw baseline's `Uuid::now_v7()` do). os.time only has
-- seconds: within one, the counter carries into the milliseconds when it runs out.
local last_ms, seq = 0, 0
local function uuid7()
  local now = os.time() * 1000
  if now > last_ms then
    last_ms, seq = now, 0
  else
    seq = seq + 1
    if seq > 4095 then
      last_ms, seq = last_ms + 1, 0
    end
  end
  local ts = string.format("%012x", last_ms)
  local v = math.random(1, 4)
  return ts:sub(1, 8) .. "-" .. ts:sub(9, 12) .. "-7" .. string.format("%03x", seq) .. "-" ..
    ("89ab"):sub(v, v) .. rhex(3) .. "-" .. rhex(12)
end

local function nik()
  return string.format("630101%02d%02d%02d%04d", math.random(1, 28), math.random(1, 12),
    math.random(0, 99), math.random(0, 9999))
end

function request()
  local items = {}
  for i = 1, batch do
    local item
    if i % 4 == 0 then
      item = '{"id":"' .. uuid7() .. '","event_id":"' .. event_id ..
        '","recorded_at":"2024-03-18T11:00:00+08:00","outcome":"failed",' ..
        '"failure_reason":"no_smartphone","age_band":"60+"'
    else
      item = '{"id":"' .. uuid7() .. '","event_id":"' .. event_id ..
        '","recorded_at":"2024-03-18T10:15:00+08:00","outcome":"activated",' ..
        '"age_band":"25-39","sex":"female"'
    end
    if i % 2 == 1 then
      item = item .. ',"nik":"' .. nik() .. '"'
    end
    items[i] = item .. "}"
  end
  return wrk.format(nil, nil, nil, '{"items":[' .. table.concat(items, ",") .. ']}')
end
