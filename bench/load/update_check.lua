-- GET /app/version/check for a random install of the 1M pool, a random
-- platform and a random current version (the catalog make bench seeds has
-- version codes 1..100 per platform, some in staged rollout).
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

function init(args)
    common.seed()
end

function request()
    local path = string.format("/app/version/check?platform=%s&current_version_code=%d&installId=%s",
        common.platforms[math.random(1, 2)], math.random(1, 100), common.install_id())
    return wrk.format("GET", path)
end
