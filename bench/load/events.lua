-- POST /telemetry/events: batches of 50 events (~300 bytes each as JSON),
-- one session per batch from a random install of the 1M pool, fresh eventIds
-- (so every event is stored, none is a duplicate) and timestamps of the last
-- minute.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local headers = {["Content-Type"] = "application/json"}
local names = {"page_view", "action", "page_view", "action", "page_view"}
local pages = {"/home", "/catalog/shoes/running", "/product/84213", "/cart", "/checkout/payment"}
local run_tag
local counter = 0

function init(args)
    common.seed()
    run_tag = string.format("%08x", math.random(0, 0x7fffffff))
end

local function iso(t_ms)
    return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(t_ms / 1000)) .. string.format(".%03dZ", t_ms % 1000)
end

function request()
    local n = math.random(0, common.pool - 1)
    local install = string.format("install-%07d", n)
    local now_ms = os.time() * 1000
    counter = counter + 1
    local parts = {}
    for i = 1, 50 do
        local name = i == 1 and "app_session_start" or names[i % 5 + 1]
        parts[i] = string.format(
            '{"eventId":"%s-%d-%02d","eventName":"%s","timestamp":"%s","properties":' ..
            '{"page":"%s","referrer":"%s","durationMs":%d,"experiment":"checkout-v2",' ..
            '"variant":"B","items":%d,"cartValue":129.5,"network":"wifi","coldStart":false}}',
            run_tag, counter, i, name, iso(now_ms - (50 - i) * 997), pages[i % 5 + 1],
            pages[(i + 1) % 5 + 1], math.random(50, 9000), i % 7)
    end
    local body = string.format(
        '{"context":{"installId":"%s","platform":"%s","appVersion":"2.1.0","osVersion":"14",' ..
        '"deviceModel":"Pixel 8","region":"%s","sessionId":"s-%s-%d"},"events":[%s]}',
        install, common.platforms[n % 2 + 1], common.regions[n % 5 + 1], run_tag, counter,
        table.concat(parts, ","))
    return wrk.format("POST", "/telemetry/events", headers, body)
end
