-- Helpers for the scenario scripts: the path of this folder (to load
-- report.lua), a per-run seed, and the 1M-install pool every scenario draws from.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local common = {}

common.pool = 1000000
common.platforms = {"android", "ios"}
common.regions = {"CN", "US", "DE", "BR", "IN"}

-- A seed that differs between runs and between wrk threads.
function common.seed(extra)
    local t = os.time()
    local c = math.floor((os.clock() * 1e6) % 1e6)
    math.randomseed(t * 1000003 + c + (extra or 0))
end

-- "install-0123456": one of the pool's ids, at random.
function common.install_id()
    return string.format("install-%07d", math.random(0, common.pool - 1))
end

return common
