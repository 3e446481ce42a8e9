#include "backends/sqlite/sqlite_webhook_outbox.hpp"

#include <algorithm>
#include <utility>

#include "backends/sqlite/connection.hpp"
#include "backends/sqlite/queries.hpp"
#include "backends/sqlite/webhook_queries.hpp"

namespace beacon::backends::sqlite {
namespace {

using webhooks::AttemptRecord;
using webhooks::Delivery;

std::optional<TimePoint> optional_time(const Statement& row, int column) {
    if (row.is_null(column)) {
        return std::nullopt;
    }
    return from_epoch_ms(row.int64(column));
}

void bind_time(Statement& s, int index, std::optional<TimePoint> t) {
    if (t) {
        s.bind(index, to_epoch_ms(*t));
    } else {
        s.bind_null(index);
    }
}

// A row of the columns BEACON_WEBHOOK_COLUMNS lists (webhook_queries.hpp).
struct Row {
    std::int64_t seq = 0;
    Delivery d;
};

Row read_row(const Statement& row) {
    Row out;
    out.seq = row.int64(0);
    Delivery& d = out.d;
    d.id = std::string(row.text(1));
    d.type = std::string(row.text(2));
    d.ordering_key = std::string(row.text(3));
    d.body = std::string(row.text(4));
    d.created_at = from_epoch_ms(row.int64(5));
    d.attempts = static_cast<int>(row.int64(6));
    d.next_attempt_at = from_epoch_ms(row.int64(7));
    d.last_attempt_at = optional_time(row, 8);
    if (!row.is_null(9)) {
        d.last_status = static_cast<int>(row.int64(9));
    }
    d.last_error = row.optional_text(10);
    d.delivered_at = optional_time(row, 11);
    d.given_up_at = optional_time(row, 12);
    return out;
}

}  // namespace

Result<void> enqueue_webhook_delivery(Connection& c, const Delivery& d) {
    auto r = execute(c, sql::kInsertDelivery, "storing webhook delivery", [&](Statement& s) {
        s.bind(1, d.id);
        s.bind(2, d.type);
        s.bind(3, d.ordering_key);
        s.bind(4, d.body);
        s.bind(5, to_epoch_ms(d.created_at));
        s.bind(6, to_epoch_ms(d.next_attempt_at));
    });
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

SqliteWebhookOutbox::SqliteWebhookOutbox(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> reader)
    : writer_(std::move(writer)), reader_(std::move(reader)) {}

SqliteWebhookOutbox::~SqliteWebhookOutbox() = default;

Result<std::unique_ptr<SqliteWebhookOutbox>> SqliteWebhookOutbox::open(const std::filesystem::path& file,
                                                                       const SqliteOptions& options) {
    auto pair = open_migrated_pair(file, options);
    if (!pair) {
        return std::move(pair).error();
    }
    pair->writer->report_duplicates_as_conflict();
    return std::unique_ptr<SqliteWebhookOutbox>(
        new SqliteWebhookOutbox(std::move(pair->writer), std::move(pair->reader)));
}

Result<void> SqliteWebhookOutbox::enqueue(const Delivery& d) {
    std::lock_guard lock(writer_mutex_);
    // One statement: its own (autocommit) transaction.
    return enqueue_webhook_delivery(*writer_, d);
}

Result<std::vector<Delivery>> SqliteWebhookOutbox::claim_due(TimePoint now, TimePoint lease_until, int limit) {
    std::lock_guard lock(writer_mutex_);
    std::vector<Row> rows;
    auto r = query(
        *writer_,
        sql::kClaimDueDeliveries,
        "claiming webhook deliveries",
        [&](Statement& s) {
            s.bind(1, to_epoch_ms(now));
            s.bind(2, to_epoch_ms(lease_until));
            s.bind(3, std::int64_t{limit});
        },
        [&](Statement& row) { rows.push_back(read_row(row)); });
    if (!r) {
        return std::move(r).error();
    }
    // RETURNING comes in no particular order: earliest due first, as selected.
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        return std::pair(a.d.next_attempt_at, a.seq) < std::pair(b.d.next_attempt_at, b.seq);
    });
    std::vector<Delivery> out;
    out.reserve(rows.size());
    for (Row& row : rows) {
        out.push_back(std::move(row.d));
    }
    return out;
}

Result<void> SqliteWebhookOutbox::record_attempt(std::string_view id, const AttemptRecord& a) {
    std::lock_guard lock(writer_mutex_);
    const std::string key(id);
    auto n = execute(*writer_, sql::kRecordAttempt, "recording webhook attempt", [&](Statement& s) {
        s.bind(1, key);
        s.bind(2, to_epoch_ms(a.at));
        if (a.http_status) {
            s.bind(3, std::int64_t{*a.http_status});
        } else {
            s.bind_null(3);
        }
        s.bind(4, a.error);
        bind_time(s, 5, a.next == AttemptRecord::Next::Delivered ? std::optional(a.at) : std::nullopt);
        bind_time(s, 6, a.next == AttemptRecord::Next::Retry ? std::optional(a.retry_at) : std::nullopt);
        bind_time(s, 7, a.next == AttemptRecord::Next::GiveUp ? std::optional(a.at) : std::nullopt);
    });
    if (!n) {
        return std::move(n).error();
    }
    if (*n == 0) {
        return make_error(ErrorCode::NotFound, "no webhook delivery " + key);
    }
    return ok();
}

Result<std::vector<Delivery>> SqliteWebhookOutbox::latest(int limit) {
    std::lock_guard lock(reader_mutex_);
    std::vector<Delivery> out;
    auto r = query(
        *reader_,
        sql::kLatestDeliveries,
        "listing webhook deliveries",
        [&](Statement& s) { s.bind(1, std::int64_t{limit}); },
        [&](Statement& row) { out.push_back(read_row(row).d); });
    if (!r) {
        return std::move(r).error();
    }
    return out;
}

Result<Delivery> SqliteWebhookOutbox::get(std::string_view id) {
    std::lock_guard lock(reader_mutex_);
    const std::string key(id);
    auto found = query_one<Delivery>(
        *reader_,
        sql::kGetDelivery,
        "reading webhook delivery",
        [&](Statement& s) { s.bind(1, key); },
        [](Statement& row) { return read_row(row).d; });
    if (!found) {
        return std::move(found).error();
    }
    if (!*found) {
        return make_error(ErrorCode::NotFound, "no webhook delivery " + key);
    }
    return std::move(**found);
}

}  // namespace beacon::backends::sqlite
