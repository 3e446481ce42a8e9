#include "jobs/scheduler.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "backends/sqlite/sqlite_database.hpp"
#include "core/time_format.hpp"
#include "jobs/local_run_claims.hpp"
#include "support/temp_dir.hpp"

namespace beacon::jobs {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using backends::sqlite::SqliteDatabase;

TimePoint T(std::string_view s) {
    return *parse_iso8601(s);
}

const TimePoint kStart = T("2026-11-25T12:00:30Z");

// A job that records every context it runs with; its behaviour per run can be
// replaced. Thread-safe.
class Probe {
public:
    using Body = std::function<Result<json::object>(const JobContext&)>;

    Job job(std::string name, Millis period = 1min) {
        return Job{std::move(name),
                   "every minute",
                   [period](TimePoint t) { return next_multiple(t, period); },
                   [this](const JobContext& c) {
                       Body body;
                       {
                           std::lock_guard lock(mu_);
                           runs_.push_back(c);
                           body = body_;
                       }
                       return body ? body(c) : Result<json::object>(json::object{{"ok", true}});
                   }};
    }
    void set_body(Body b) {
        std::lock_guard lock(mu_);
        body_ = std::move(b);
    }
    std::vector<JobContext> runs() {
        std::lock_guard lock(mu_);
        return runs_;
    }
    std::size_t count() { return runs().size(); }

private:
    std::mutex mu_;
    std::vector<JobContext> runs_;
    Body body_;
};

// A ledger whose tick claims fail; its run claims are granted (in process).
class FailingLedger final : public JobLedger {
public:
    Result<bool> try_claim(std::string_view, TimePoint) override {
        return make_error(ErrorCode::Unavailable, "database is down");
    }
    Result<void> record_run(const JobRunRecord&) override { return ok(); }
    Result<std::vector<JobRunRecord>> last_runs() override { return std::vector<JobRunRecord>{}; }
    Result<void> prune_claims_before(TimePoint) override { return ok(); }
    Result<std::unique_ptr<RunClaim>> try_claim_run(std::string_view job) override {
        return run_claims_.try_claim(job);
    }

private:
    LocalRunClaims run_claims_;
};

// A ledger (over a real one) whose run claims are held by "another replica"
// or cannot be checked. Counts the tick claims it is asked for.
class RunClaimLedger final : public JobLedger {
public:
    enum class Mode { HeldElsewhere, Unavailable };
    RunClaimLedger(JobLedger& inner, Mode mode) : inner_(inner), mode_(mode) {}

    Result<bool> try_claim(std::string_view job, TimePoint tick) override {
        ++tick_claims;
        return inner_.try_claim(job, tick);
    }
    Result<void> record_run(const JobRunRecord& r) override { return inner_.record_run(r); }
    Result<std::vector<JobRunRecord>> last_runs() override { return inner_.last_runs(); }
    Result<void> prune_claims_before(TimePoint t) override { return inner_.prune_claims_before(t); }
    Result<std::unique_ptr<RunClaim>> try_claim_run(std::string_view) override {
        if (mode_ == Mode::Unavailable) {
            return make_error(ErrorCode::Unavailable, "database is down");
        }
        return std::unique_ptr<RunClaim>();
    }

    std::atomic<int> tick_claims{0};

private:
    JobLedger& inner_;
    Mode mode_;
};

struct Observed {
    std::string job;
    bool ok;
    std::string error;
};

class SchedulerTest : public ::testing::Test {
protected:
    SchedulerTest() : db_(SqliteDatabase::open(dir_.path() / "t.db").value()) {}

    std::unique_ptr<Scheduler> make(std::vector<Job> jobs, JobLedger* ledger = nullptr) {
        return std::make_unique<Scheduler>(
            std::move(jobs),
            ledger ? *ledger : *db_,
            clock_,
            [this](const std::string& job, const Result<RunReport>& r) {
                std::lock_guard lock(observed_mu_);
                observed_.push_back({job, r.ok(), r.ok() ? std::string() : r.error().message});
            });
    }

    std::optional<JobRunRecord> last_run(Scheduler& s, std::string_view name) {
        auto st = s.statuses();
        EXPECT_TRUE(st.ok());
        for (auto& j : *st) {
            if (j.name == name) {
                return j.last_run;
            }
        }
        ADD_FAILURE() << "no job " << name;
        return std::nullopt;
    }

    TimePoint next_run_at(Scheduler& s, std::string_view name) {
        auto st = s.statuses();
        EXPECT_TRUE(st.ok());
        for (auto& j : *st) {
            if (j.name == name) {
                return j.next_run_at;
            }
        }
        ADD_FAILURE() << "no job " << name;
        return {};
    }

    std::vector<Observed> observed() {
        std::lock_guard lock(observed_mu_);
        return observed_;
    }

    test::TempDir dir_;
    std::unique_ptr<SqliteDatabase> db_;
    ManualClock clock_{kStart};
    Probe probe_;
    std::mutex observed_mu_;
    std::vector<Observed> observed_;
};

TEST(NextMultiple, IsTheFirstMultipleStrictlyAfter) {
    EXPECT_EQ(next_multiple(T("2026-11-25T12:00:00Z"), 1min), T("2026-11-25T12:01:00Z"));
    EXPECT_EQ(next_multiple(T("2026-11-25T12:00:59.999Z"), 1min), T("2026-11-25T12:01:00Z"));
    EXPECT_EQ(next_multiple(T("2026-11-25T12:03:00Z"), 10min), T("2026-11-25T12:10:00Z"));
    EXPECT_EQ(next_multiple(T("2026-11-25T12:10:00Z"), 10min), T("2026-11-25T12:20:00Z"));
    EXPECT_EQ(next_multiple(T("2026-11-25T23:59:00Z"), 1h), T("2026-11-26T00:00:00Z"));
}

TEST_F(SchedulerTest, RunsAJobOnlyWhenItsTickIsDue) {
    auto s = make({probe_.job("snap")});
    s->run_due(T("2026-11-25T12:00:59.999Z"));
    EXPECT_EQ(probe_.count(), 0u);

    s->run_due(T("2026-11-25T12:01:00Z"));
    ASSERT_EQ(probe_.count(), 1u);
    EXPECT_EQ(probe_.runs()[0].tick, T("2026-11-25T12:01:00Z"));
    EXPECT_FALSE(probe_.runs()[0].manual);
    EXPECT_FALSE(probe_.runs()[0].day);

    s->run_due(T("2026-11-25T12:01:30Z"));  // the 12:01 tick ran already
    EXPECT_EQ(probe_.count(), 1u);
    s->run_due(T("2026-11-25T12:02:00Z"));
    ASSERT_EQ(probe_.count(), 2u);
    EXPECT_EQ(probe_.runs()[1].tick, T("2026-11-25T12:02:00Z"));
}

TEST_F(SchedulerTest, RunsOnlyTheJobsThatAreDue) {
    Probe hourly;
    auto s = make({probe_.job("minutely"), hourly.job("hourly", 1h)});
    s->run_due(T("2026-11-25T12:01:00Z"));
    EXPECT_EQ(probe_.count(), 1u);
    EXPECT_EQ(hourly.count(), 0u);
    s->run_due(T("2026-11-25T13:00:00Z"));
    EXPECT_EQ(probe_.count(), 2u);
    EXPECT_EQ(hourly.count(), 1u);
}

TEST_F(SchedulerTest, EachTickRunsOnceAcrossSchedulersSharingALedger) {
    Probe other;
    auto a = make({probe_.job("snap")});
    auto b = make({other.job("snap")});
    TimePoint tick = T("2026-11-25T12:01:00Z");
    for (int i = 0; i < 20; ++i, tick += 1min) {
        // Both replicas reach the tick at the same moment.
        std::thread ta([&, tick] { a->run_due(tick); });
        std::thread tb([&, tick] { b->run_due(tick); });
        ta.join();
        tb.join();
        ASSERT_EQ(probe_.count() + other.count(), static_cast<std::size_t>(i + 1)) << format_iso8601(tick);
    }
}

TEST_F(SchedulerTest, MissedTicksAreNotReplayedOneByOne) {
    auto s = make({probe_.job("snap")});
    // Due at 12:01; nothing ran until 12:05:30.
    s->run_due(T("2026-11-25T12:05:30Z"));
    ASSERT_EQ(probe_.count(), 1u);
    EXPECT_EQ(probe_.runs()[0].tick, T("2026-11-25T12:05:00Z"));  // the latest due tick
    EXPECT_EQ(next_run_at(*s, "snap"), T("2026-11-25T12:06:00Z"));

    s->run_due(T("2026-11-25T12:05:59Z"));
    EXPECT_EQ(probe_.count(), 1u);
    s->run_due(T("2026-11-25T12:06:00Z"));
    EXPECT_EQ(probe_.count(), 2u);
}

TEST_F(SchedulerTest, FailureIsRecordedAndRetriedAtTheNextTick) {
    auto s = make({probe_.job("snap")});
    probe_.set_body([](const JobContext&) -> Result<json::object> {
        return make_error(ErrorCode::Unavailable, "presence is down");
    });
    clock_.set(T("2026-11-25T12:01:00Z"));
    s->run_due(clock_.now());
    auto failed = last_run(*s, "snap");
    ASSERT_TRUE(failed);
    ASSERT_TRUE(failed->last_error);
    EXPECT_NE(failed->last_error->find("presence is down"), std::string::npos);
    EXPECT_EQ(failed->last_run_at, T("2026-11-25T12:01:00Z"));
    ASSERT_EQ(observed().size(), 1u);
    EXPECT_FALSE(observed()[0].ok);

    probe_.set_body(nullptr);
    clock_.set(T("2026-11-25T12:02:00Z"));
    s->run_due(clock_.now());
    EXPECT_EQ(probe_.count(), 2u);
    auto recovered = last_run(*s, "snap");
    ASSERT_TRUE(recovered);
    EXPECT_FALSE(recovered->last_error);
    EXPECT_EQ(recovered->last_run_at, T("2026-11-25T12:02:00Z"));
    ASSERT_EQ(observed().size(), 2u);
    EXPECT_TRUE(observed()[1].ok);
}

TEST_F(SchedulerTest, ExceptionFromAJobIsCaughtAndRecorded) {
    auto s = make({probe_.job("snap")});
    probe_.set_body([](const JobContext&) -> Result<json::object> { throw std::runtime_error("boom"); });
    s->run_due(T("2026-11-25T12:01:00Z"));
    auto rec = last_run(*s, "snap");
    ASSERT_TRUE(rec);
    ASSERT_TRUE(rec->last_error);
    EXPECT_NE(rec->last_error->find("boom"), std::string::npos);
    ASSERT_EQ(observed().size(), 1u);
    EXPECT_FALSE(observed()[0].ok);

    auto manual = s->run_now("snap", std::nullopt);
    ASSERT_FALSE(manual.ok());
    EXPECT_EQ(manual.error().code, ErrorCode::Internal);

    probe_.set_body(nullptr);
    s->run_due(T("2026-11-25T12:02:00Z"));  // the scheduler keeps going
    EXPECT_EQ(probe_.count(), 3u);
    EXPECT_FALSE(last_run(*s, "snap")->last_error);
}

TEST_F(SchedulerTest, ExceptionOfUnknownTypeIsCaughtToo) {
    auto s = make({probe_.job("snap")});
    probe_.set_body([](const JobContext&) -> Result<json::object> { throw 42; });
    s->run_due(T("2026-11-25T12:01:00Z"));
    auto rec = last_run(*s, "snap");
    ASSERT_TRUE(rec);
    EXPECT_TRUE(rec->last_error);
}

TEST_F(SchedulerTest, ClaimFailureIsReportedAndTheJobDoesNotRun) {
    FailingLedger ledger;
    auto s = make({probe_.job("snap")}, &ledger);
    s->run_due(T("2026-11-25T12:01:00Z"));
    EXPECT_EQ(probe_.count(), 0u);
    ASSERT_EQ(observed().size(), 1u);
    EXPECT_FALSE(observed()[0].ok);
    EXPECT_NE(observed()[0].error.find("database is down"), std::string::npos);
}

TEST_F(SchedulerTest, RunNowOfUnknownJobIsNotFound) {
    auto s = make({probe_.job("snap")});
    auto r = s->run_now("nope", std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
    EXPECT_EQ(probe_.count(), 0u);
}

TEST_F(SchedulerTest, RunNowReportsTheRunAndPassesTheDay) {
    auto s = make({probe_.job("nightly")});
    clock_.set(T("2026-11-25T12:00:45Z"));
    auto r = s->run_now("nightly", *parse_day("2026-11-20"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->name, "nightly");
    EXPECT_EQ(r->ran_at, T("2026-11-25T12:00:45Z"));
    EXPECT_GE(r->duration_ms, 0);
    EXPECT_EQ(r->result, (json::object{{"ok", true}}));
    ASSERT_EQ(probe_.count(), 1u);
    EXPECT_TRUE(probe_.runs()[0].manual);
    EXPECT_EQ(probe_.runs()[0].day, *parse_day("2026-11-20"));
    EXPECT_EQ(probe_.runs()[0].tick, T("2026-11-25T12:00:45Z"));
    auto rec = last_run(*s, "nightly");
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->last_run_at, T("2026-11-25T12:00:45Z"));
    // A manual run does not move the schedule.
    EXPECT_EQ(next_run_at(*s, "nightly"), T("2026-11-25T12:01:00Z"));
}

TEST_F(SchedulerTest, RunNowReturnsTheJobsOwnError) {
    auto s = make({probe_.job("nightly")});
    probe_.set_body([](const JobContext&) -> Result<json::object> { return invalid_field("day", "too late"); });
    auto r = s->run_now("nightly", std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    ASSERT_EQ(r.error().fields.size(), 1u);
    EXPECT_EQ(r.error().fields[0].field, "day");
}

// Blocks the probe's job inside its run until released.
struct Gate {
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
};

TEST_F(SchedulerTest, RunNowWhileTheJobRunsIsConflict) {
    auto s = make({probe_.job("snap")});
    Gate gate;
    probe_.set_body([&gate](const JobContext&) -> Result<json::object> {
        gate.entered.set_value();
        gate.released.wait();
        return json::object{};
    });
    auto entered = gate.entered.get_future();
    std::future<Result<RunReport>> first =
        std::async(std::launch::async, [&] { return s->run_now("snap", std::nullopt); });
    entered.wait();

    auto second = s->run_now("snap", std::nullopt);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, ErrorCode::Conflict);
    // A scheduled tick that comes due meanwhile does not start a second run either.
    s->run_due(T("2026-11-25T12:01:00Z"));
    EXPECT_EQ(probe_.count(), 1u);

    gate.release.set_value();
    EXPECT_TRUE(first.get().ok());
    probe_.set_body(nullptr);
    EXPECT_TRUE(s->run_now("snap", std::nullopt).ok());  // free again
}

TEST_F(SchedulerTest, TickDueDuringAManualRunIsSkippedEverywhereAndLeftUnclaimed) {
    Probe other;
    auto a = make({probe_.job("snap")});
    auto b = make({other.job("snap")});  // another replica on the same ledger
    Gate gate;
    probe_.set_body([&gate](const JobContext&) -> Result<json::object> {
        gate.entered.set_value();
        gate.released.wait();
        return json::object{};
    });
    auto entered = gate.entered.get_future();
    auto manual = std::async(std::launch::async, [&] { return a->run_now("snap", std::nullopt); });
    entered.wait();

    a->run_due(T("2026-11-25T12:01:00Z"));  // busy here
    b->run_due(T("2026-11-25T12:01:00Z"));  // busy on the other replica: the job must not run twice at once
    EXPECT_EQ(other.count(), 0u);
    EXPECT_EQ(probe_.count(), 1u);
    auto tick_free = db_->try_claim("snap", T("2026-11-25T12:01:00Z"));
    ASSERT_TRUE(tick_free.ok());
    EXPECT_TRUE(*tick_free) << "a skipped tick is not claimed";

    gate.release.set_value();
    EXPECT_TRUE(manual.get().ok());
}

TEST_F(SchedulerTest, ScheduledRunHoldsTheRunClaimForItsLength) {
    auto s = make({probe_.job("snap")});
    Gate gate;
    probe_.set_body([&gate](const JobContext&) -> Result<json::object> {
        gate.entered.set_value();
        gate.released.wait();
        return json::object{};
    });
    auto entered = gate.entered.get_future();
    auto scheduled = std::async(std::launch::async, [&] { s->run_due(T("2026-11-25T12:01:00Z")); });
    entered.wait();
    auto held = db_->try_claim_run("snap");
    ASSERT_TRUE(held.ok());
    EXPECT_EQ(*held, nullptr) << "another replica sees the job running";
    gate.release.set_value();
    scheduled.get();
    auto free = db_->try_claim_run("snap");
    ASSERT_TRUE(free.ok());
    EXPECT_NE(*free, nullptr) << "released when the run ends";
}

TEST_F(SchedulerTest, RunNowWhileAnotherReplicaRunsTheJobIsConflict) {
    RunClaimLedger ledger(*db_, RunClaimLedger::Mode::HeldElsewhere);
    auto s = make({probe_.job("snap")}, &ledger);
    auto r = s->run_now("snap", std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Conflict);
    EXPECT_NE(r.error().message.find("another instance"), std::string::npos) << r.error().message;
    s->run_due(T("2026-11-25T12:01:00Z"));
    EXPECT_EQ(probe_.count(), 0u);
    EXPECT_EQ(ledger.tick_claims.load(), 0) << "the tick is left for the replica that holds the run";
    EXPECT_TRUE(observed().empty()) << "a job running elsewhere is not an error";
}

// API.md: validation comes before conflicts. A manual run with a bad
// argument is refused before any claim, so it is a 400 even while the job
// runs here or elsewhere, or while the claim cannot be checked.
Job with_validation(Job job) {
    job.validate = [](const JobContext& c) -> Result<void> {
        if (c.day && *c.day >= *parse_day("2026-11-25")) {
            return invalid_field("day", "must be a day before today");
        }
        return ok();
    };
    return job;
}

void expect_invalid_day(const Result<RunReport>& r) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument) << r.error().message;
    ASSERT_EQ(r.error().fields.size(), 1u);
    EXPECT_EQ(r.error().fields[0].field, "day");
}

TEST_F(SchedulerTest, RunNowValidatesBeforeTheRunClaimHeldElsewhere) {
    RunClaimLedger ledger(*db_, RunClaimLedger::Mode::HeldElsewhere);
    auto s = make({with_validation(probe_.job("nightly"))}, &ledger);
    expect_invalid_day(s->run_now("nightly", *parse_day("2026-11-26")));
    auto valid = s->run_now("nightly", *parse_day("2026-11-24"));
    ASSERT_FALSE(valid.ok());
    EXPECT_EQ(valid.error().code, ErrorCode::Conflict) << "a valid request meets the conflict";
    EXPECT_EQ(probe_.count(), 0u);
}

TEST_F(SchedulerTest, RunNowValidatesBeforeTheClaimCanBeChecked) {
    RunClaimLedger ledger(*db_, RunClaimLedger::Mode::Unavailable);
    auto s = make({with_validation(probe_.job("nightly"))}, &ledger);
    expect_invalid_day(s->run_now("nightly", *parse_day("2026-11-25")));
    EXPECT_EQ(s->run_now("nightly", std::nullopt).error().code, ErrorCode::Unavailable);
}

TEST_F(SchedulerTest, RunNowValidatesBeforeTheLocalRunLock) {
    auto s = make({with_validation(probe_.job("nightly"))});
    Gate gate;
    probe_.set_body([&gate](const JobContext&) -> Result<json::object> {
        gate.entered.set_value();
        gate.released.wait();
        return json::object{};
    });
    auto entered = gate.entered.get_future();
    auto first = std::async(std::launch::async, [&] { return s->run_now("nightly", std::nullopt); });
    entered.wait();
    expect_invalid_day(s->run_now("nightly", *parse_day("2026-12-01")));
    gate.release.set_value();
    EXPECT_TRUE(first.get().ok());
    EXPECT_EQ(probe_.count(), 1u);
}

TEST_F(SchedulerTest, RunClaimFailureFailsRunNowAndIsReportedForTicks) {
    RunClaimLedger ledger(*db_, RunClaimLedger::Mode::Unavailable);
    auto s = make({probe_.job("snap")}, &ledger);
    auto r = s->run_now("snap", std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
    s->run_due(T("2026-11-25T12:01:00Z"));
    EXPECT_EQ(probe_.count(), 0u);
    EXPECT_EQ(ledger.tick_claims.load(), 0);
    ASSERT_EQ(observed().size(), 1u);
    EXPECT_FALSE(observed()[0].ok);
    EXPECT_NE(observed()[0].error.find("database is down"), std::string::npos);
}

TEST_F(SchedulerTest, StatusesListEveryJobWithNextRunAndLastRun) {
    Probe hourly;
    auto s = make({probe_.job("snap"), hourly.job("cleanup", 1h)});
    auto before = s->statuses();
    ASSERT_TRUE(before.ok());
    ASSERT_EQ(before->size(), 2u);
    EXPECT_EQ((*before)[0].name, "snap");
    EXPECT_EQ((*before)[0].schedule, "every minute");
    EXPECT_FALSE((*before)[0].last_run);
    EXPECT_EQ((*before)[0].next_run_at, T("2026-11-25T12:01:00Z"));
    EXPECT_EQ((*before)[1].name, "cleanup");
    EXPECT_EQ((*before)[1].next_run_at, T("2026-11-25T13:00:00Z"));

    clock_.set(T("2026-11-25T12:01:00Z"));
    s->run_due(clock_.now());
    auto after = s->statuses();
    ASSERT_TRUE(after.ok());
    ASSERT_TRUE((*after)[0].last_run);
    EXPECT_EQ((*after)[0].last_run->job, "snap");
    EXPECT_EQ((*after)[0].last_run->last_run_at, T("2026-11-25T12:01:00Z"));
    EXPECT_FALSE((*after)[0].last_run->last_error);
    EXPECT_GE((*after)[0].last_run->last_duration_ms, 0);
    EXPECT_EQ((*after)[0].next_run_at, T("2026-11-25T12:02:00Z"));
    EXPECT_FALSE((*after)[1].last_run);
}

TEST_F(SchedulerTest, StatusesShowRunsRecordedByAnotherReplica) {
    Probe other;
    auto a = make({probe_.job("snap")});
    auto b = make({other.job("snap")});
    clock_.set(T("2026-11-25T12:01:00Z"));
    b->run_due(clock_.now());
    auto rec = last_run(*a, "snap");
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->last_run_at, T("2026-11-25T12:01:00Z"));
}

TEST_F(SchedulerTest, StartedThreadsRunDueJobsAndStopJoinsThem) {
    std::promise<TimePoint> ran;
    std::atomic<bool> once{false};
    probe_.set_body([&](const JobContext& c) -> Result<json::object> {
        if (!once.exchange(true)) {
            ran.set_value(c.tick);
        }
        return json::object{};
    });
    auto s = make({probe_.job("snap")});
    clock_.set(T("2026-11-25T12:01:00Z"));  // the first tick is due already
    s->start();
    EXPECT_EQ(ran.get_future().get(), T("2026-11-25T12:01:00Z"));
    s->stop();
    std::size_t runs = probe_.count();
    s->stop();  // idempotent
    EXPECT_EQ(probe_.count(), runs);
}

}  // namespace
}  // namespace beacon::jobs
