#pragma once

#include <string_view>
#include <utility>

#include "backends/postgres/connection.hpp"
#include "backends/postgres/queries.hpp"

namespace beacon::backends::postgres {

// Runs `body` (returning a Result) between `begin` (sql::kBegin, or a BEGIN
// with an isolation level) and COMMIT on `c`; rolls back when `body` or COMMIT
// fails, and returns `body`'s result or the first error. `what` names the
// work in error messages. A connection whose ROLLBACK fails too is left
// unusable, so the pool drops it.
template <typename Body>
auto in_transaction(PgConnection& c, std::string_view begin, std::string_view what, Body&& body) -> decltype(body()) {
    using R = decltype(body());
    if (auto r = c.exec_script(begin, what); !r) {
        return R(std::move(r).error());
    }
    R result = body();
    if (result) {
        if (auto done = c.exec_script(sql::kCommit, what); !done) {
            result = R(std::move(done).error());
        }
    }
    if (!result && c.usable() && c.in_transaction()) {
        (void)c.exec_script(sql::kRollback, what);  // if this fails too, the pool drops the connection
    }
    return result;
}

}  // namespace beacon::backends::postgres
