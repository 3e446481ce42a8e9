#include "jobs/scheduler.hpp"

#include <algorithm>
#include <exception>

namespace beacon::jobs {

TimePoint next_multiple(TimePoint t, Millis period) {
    auto ms = to_epoch_ms(t);
    auto p = period.count();
    return from_epoch_ms((ms / p + 1) * p);
}

Scheduler::Scheduler(std::vector<Job> jobs, JobLedger& ledger, const Clock& clock, RunObserver observer)
    : ledger_(ledger), clock_(clock), observer_(std::move(observer)) {
    TimePoint now = clock_.now();
    for (auto& j : jobs) {
        auto e = std::make_unique<Entry>();
        e->next_due = j.next_tick(now);
        e->job = std::move(j);
        entries_.push_back(std::move(e));
    }
}

Scheduler::~Scheduler() {
    stop();
}

void Scheduler::start() {
    std::lock_guard lock(mu_);
    if (!threads_.empty()) {
        return;
    }
    stopping_ = false;
    for (auto& e : entries_) {
        threads_.emplace_back([this, entry = e.get()] { thread_main(*entry); });
    }
}

void Scheduler::stop() {
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
        threads.swap(threads_);
    }
    cv_.notify_all();
    for (auto& t : threads) {
        t.join();
    }
}

void Scheduler::thread_main(Entry& e) {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        TimePoint now = clock_.now();
        if (now < e.next_due) {
            // Sleep in slices of at most a second so a clock that jumps
            // (NTP, a test clock) is noticed soon.
            auto wait = std::min<Millis>(e.next_due - now, std::chrono::seconds(1));
            cv_.wait_for(lock, wait);
            continue;
        }
        lock.unlock();
        run_entry_if_due(e, now);
        lock.lock();
    }
}

void Scheduler::run_due(TimePoint now) {
    for (auto& e : entries_) {
        run_entry_if_due(*e, now);
    }
}

void Scheduler::run_entry_if_due(Entry& e, TimePoint now) {
    TimePoint tick;
    {
        std::lock_guard lock(mu_);
        if (now < e.next_due) {
            return;
        }
        // Missed ticks are not replayed one by one: one run, for the latest
        // tick that is due (so a late snapshot is stamped with the minute it
        // describes, not the first one missed), then the next tick after now.
        tick = e.next_due;
        for (TimePoint t = e.job.next_tick(tick); t <= now; t = e.job.next_tick(t)) {
            tick = t;
        }
        e.next_due = e.job.next_tick(now);
    }
    // Take the run claims before the tick: a tick claimed here and then
    // skipped would be lost for the whole cluster. The local mutex first (no
    // round trip when this process runs the job already), then the
    // cluster-wide claim.
    std::unique_lock running(e.running, std::try_to_lock);
    if (!running.owns_lock()) {
        return;  // a manual run of this job is still going here: the tick is skipped, unclaimed
    }
    auto run_claim = ledger_.try_claim_run(e.job.name);
    if (!run_claim) {
        observer_(e.job.name, run_claim.error().with_context("claiming the run of " + e.job.name));
        return;
    }
    if (!*run_claim) {
        return;  // the job runs on another replica (or that replica is taking this tick)
    }
    auto claimed = ledger_.try_claim(e.job.name, tick);
    if (!claimed) {
        observer_(e.job.name, claimed.error().with_context("claiming " + e.job.name));
        return;
    }
    if (!*claimed) {
        return;  // another replica runs this tick
    }
    auto report = execute(e, JobContext{tick, std::nullopt, false});
    (void)report;
}

Result<RunReport> Scheduler::execute(Entry& e, const JobContext& ctx) {
    TimePoint started = clock_.now();
    auto t0 = std::chrono::steady_clock::now();
    Result<boost::json::object> result = make_error(ErrorCode::Internal, "not run");
    try {
        result = e.job.run(ctx);
    } catch (const std::exception& ex) {
        // Third-party code may throw; a job failure must not end the thread.
        result = make_error(ErrorCode::Internal, std::string("exception: ") + ex.what());
    } catch (...) {
        // Not a std::exception: escaping the job thread would terminate the process.
        result = make_error(ErrorCode::Internal, "exception of unknown type");
    }
    auto duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    JobRunRecord record{e.job.name, started, duration, std::nullopt};
    if (!result) {
        record.last_error = result.error().message;
    }
    // Bookkeeping failures must not hide the run's own outcome.
    (void)ledger_.record_run(record);
    Result<RunReport> outcome = result ? Result<RunReport>(RunReport{e.job.name, started, duration, std::move(*result)})
                                       : Result<RunReport>(result.error());
    observer_(e.job.name, outcome);
    return outcome;
}

Scheduler::Entry* Scheduler::find(std::string_view name) {
    for (auto& e : entries_) {
        if (e->job.name == name) {
            return e.get();
        }
    }
    return nullptr;
}

Result<RunReport> Scheduler::run_now(std::string_view name, std::optional<Day> day) {
    Entry* e = find(name);
    if (e == nullptr) {
        return make_error(ErrorCode::NotFound, "no job named '" + std::string(name) + "'");
    }
    const JobContext ctx{clock_.now(), day, true};
    if (e->job.validate) {
        if (auto valid = e->job.validate(ctx); !valid) {
            return std::move(valid).error();
        }
    }
    std::unique_lock running(e->running, std::try_to_lock);
    if (!running.owns_lock()) {
        return make_error(ErrorCode::Conflict, "job '" + std::string(name) + "' is running already");
    }
    auto run_claim = ledger_.try_claim_run(name);
    if (!run_claim) {
        return std::move(run_claim).error().with_context("claiming the run of " + std::string(name));
    }
    if (!*run_claim) {
        return make_error(ErrorCode::Conflict, "job '" + std::string(name) + "' is running on another instance");
    }
    return execute(*e, JobContext{clock_.now(), day, true});  // now, after any wait for the claim
}

Result<std::vector<JobStatus>> Scheduler::statuses() {
    auto runs = ledger_.last_runs();
    if (!runs) {
        return std::move(runs).error();
    }
    std::vector<JobStatus> out;
    std::lock_guard lock(mu_);
    for (auto& e : entries_) {
        JobStatus s{e->job.name, e->job.schedule, std::nullopt, e->next_due};
        for (auto& r : *runs) {
            if (r.job == e->job.name) {
                s.last_run = r;
            }
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace beacon::jobs
