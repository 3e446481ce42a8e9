-- POST /telemetry/heartbeat from installs drawn at random from a pool of 1M.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local headers = {["Content-Type"] = "application/json"}

function init(args)
    common.seed()
end

function request()
    local n = math.random(0, common.pool - 1)
    local body = string.format(
        '{"installId":"install-%07d","platform":"%s","appVersion":"2.1.0","region":"%s"}',
        n, common.platforms[n % 2 + 1], common.regions[n % 5 + 1])
    return wrk.format("POST", "/telemetry/heartbeat", headers, body)
end
