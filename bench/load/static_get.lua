-- A fixed GET of wrk's URL (GET /telemetry/online on Beacon, anything on the
-- nginx ceiling): no request() function, so wrk sends one pre-built request.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
require("common")
