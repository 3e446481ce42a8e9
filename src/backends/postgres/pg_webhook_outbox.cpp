#include "backends/postgres/pg_webhook_outbox.hpp"

#include <algorithm>
#include <utility>

#include "backends/postgres/webhook_queries.hpp"

namespace beacon::backends::postgres {
namespace {

using webhooks::AttemptRecord;
using webhooks::Delivery;

constexpr std::string_view kUniqueViolation = "23505";

std::optional<TimePoint> optional_time(const PgResult& r, int row, int column) {
    if (r.is_null(row, column)) {
        return std::nullopt;
    }
    return from_epoch_ms(r.int64(row, column));
}

void add_time(Params& p, std::optional<TimePoint> t) {
    if (t) {
        p.add(*t);
    } else {
        p.add_null();
    }
}

// A row of the columns BEACON_WEBHOOK_COLUMNS lists (webhook_queries.hpp).
std::pair<std::int64_t, Delivery> read_row(const PgResult& r, int i) {
    Delivery d;
    d.id = std::string(r.text(i, 1));
    d.type = std::string(r.text(i, 2));
    d.ordering_key = std::string(r.text(i, 3));
    d.body = std::string(r.text(i, 4));
    d.created_at = from_epoch_ms(r.int64(i, 5));
    d.attempts = static_cast<int>(r.int64(i, 6));
    d.next_attempt_at = from_epoch_ms(r.int64(i, 7));
    d.last_attempt_at = optional_time(r, i, 8);
    if (!r.is_null(i, 9)) {
        d.last_status = static_cast<int>(r.int64(i, 9));
    }
    d.last_error = r.optional_text(i, 10);
    d.delivered_at = optional_time(r, i, 11);
    d.given_up_at = optional_time(r, i, 12);
    return {r.int64(i, 0), std::move(d)};
}

std::vector<Delivery> read_rows(const PgResult& r) {
    std::vector<Delivery> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(read_row(r, i).second);
    }
    return out;
}

}  // namespace

Result<void> enqueue_webhook_delivery(PgConnection& c, const Delivery& d) {
    Params p;
    p.add(d.id).add(d.type).add(d.ordering_key).add(d.body).add(d.created_at).add(d.next_attempt_at);
    auto r = c.exec(sql::kInsertDelivery, p, "storing webhook delivery");
    if (!r) {
        Error e = std::move(r).error();
        if (c.usable() && c.last_error_sqlstate() == kUniqueViolation) {
            e.code = ErrorCode::Conflict;
        }
        return e;
    }
    return ok();
}

Result<std::unique_ptr<PgWebhookOutbox>> PgWebhookOutbox::open(std::string url, PgOptions options) {
    if (auto migrated = PgDatabase::migrate(url, options); !migrated) {
        return std::move(migrated).error();
    }
    auto pool = std::make_unique<ConnectionPool>(pool_settings(std::move(url), options));
    return std::unique_ptr<PgWebhookOutbox>(new PgWebhookOutbox(std::move(pool)));
}

Result<void> PgWebhookOutbox::enqueue(const Delivery& d) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    // One statement: its own transaction.
    return enqueue_webhook_delivery(**lease, d);
}

Result<std::vector<Delivery>> PgWebhookOutbox::claim_due(TimePoint now, TimePoint lease_until, int limit) {
    Params p;
    p.add(now).add(lease_until).add(std::int64_t{limit});
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kClaimDueDeliveries, p, "claiming webhook deliveries");
    if (!rows) {
        return std::move(rows).error();
    }
    std::vector<std::pair<std::int64_t, Delivery>> claimed;
    for (int i = 0; i < rows->rows(); ++i) {
        claimed.push_back(read_row(*rows, i));
    }
    // RETURNING comes in no particular order: earliest due first, as selected.
    std::sort(claimed.begin(), claimed.end(), [](const auto& a, const auto& b) {
        return std::pair(a.second.next_attempt_at, a.first) < std::pair(b.second.next_attempt_at, b.first);
    });
    std::vector<Delivery> out;
    out.reserve(claimed.size());
    for (auto& c : claimed) {
        out.push_back(std::move(c.second));
    }
    return out;
}

Result<void> PgWebhookOutbox::record_attempt(std::string_view id, const AttemptRecord& a) {
    Params p;
    p.add(id).add(a.at);
    if (a.http_status) {
        p.add(std::int64_t{*a.http_status});
    } else {
        p.add_null();
    }
    p.add(a.error);
    add_time(p, a.next == AttemptRecord::Next::Delivered ? std::optional(a.at) : std::nullopt);
    add_time(p, a.next == AttemptRecord::Next::Retry ? std::optional(a.retry_at) : std::nullopt);
    add_time(p, a.next == AttemptRecord::Next::GiveUp ? std::optional(a.at) : std::nullopt);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto r = (*lease)->exec(sql::kRecordAttempt, p, "recording webhook attempt");
    if (!r) {
        return std::move(r).error();
    }
    if (r->affected() == 0) {
        return make_error(ErrorCode::NotFound, "no webhook delivery " + std::string(id));
    }
    return ok();
}

Result<std::vector<Delivery>> PgWebhookOutbox::latest(int limit) {
    Params p;
    p.add(std::int64_t{limit});
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kLatestDeliveries, p, "listing webhook deliveries");
    if (!rows) {
        return std::move(rows).error();
    }
    return read_rows(*rows);
}

Result<Delivery> PgWebhookOutbox::get(std::string_view id) {
    Params p;
    p.add(id);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kGetDelivery, p, "reading webhook delivery");
    if (!rows) {
        return std::move(rows).error();
    }
    if (rows->rows() == 0) {
        return make_error(ErrorCode::NotFound, "no webhook delivery " + std::string(id));
    }
    return read_row(*rows, 0).second;
}

}  // namespace beacon::backends::postgres
