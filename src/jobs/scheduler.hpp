#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "jobs/job_ledger.hpp"

namespace beacon::jobs {

// What a run is asked to do: `tick` is the scheduled instant (or now for a
// manual run); `day` is the optional ?day= of a manual nightly-dau run.
struct JobContext {
    TimePoint tick;
    std::optional<Day> day;
    bool manual = false;
};

struct Job {
    std::string name;      // "online-snapshot"
    std::string schedule;  // human text: "every minute"
    // The first scheduled instant strictly after `t`.
    std::function<TimePoint(TimePoint t)> next_tick;
    std::function<Result<boost::json::object>(const JobContext&)> run;
    // Optional: checks a manual run's arguments (InvalidArgument naming the
    // field) before anything is claimed, so a bad request is a 400 even
    // while the job runs elsewhere (API.md: validation before conflicts).
    std::function<Result<void>(const JobContext&)> validate = nullptr;
};

struct JobStatus {
    std::string name;
    std::string schedule;
    std::optional<JobRunRecord> last_run;
    TimePoint next_run_at;
};

struct RunReport {
    std::string name;
    TimePoint ran_at;
    std::int64_t duration_ms = 0;
    boost::json::object result;
};

// Runs periodic jobs, one thread per job, each sleeping until its next tick.
// Every replica runs a Scheduler; JobLedger::try_claim makes each tick run
// once cluster-wide. A failed run is recorded (lastError), reported through
// `on_run`, and simply tried again at the next tick. A job never runs twice
// at once anywhere: every run, scheduled or manual, first holds the job's
// run claim (JobLedger::try_claim_run) for its whole length; a scheduled
// tick whose run claim is held elsewhere is skipped here (the holder is
// running the job, or taking that very tick). Thread-safe.
class Scheduler {
public:
    // Called after every run attempt (for logs and metrics); must not throw.
    using RunObserver = std::function<void(const std::string& job, const Result<RunReport>& outcome)>;

    Scheduler(std::vector<Job> jobs, JobLedger& ledger, const Clock& clock, RunObserver observer);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Starts the job threads; stop() (or the destructor) ends them, waiting
    // for runs in progress.
    void start();
    void stop();

    // Runs every job whose next tick is at or before `now`, on the calling
    // thread (what the threads do; tests call it with a manual clock).
    void run_due(TimePoint now);

    // Runs `name` now. NotFound for an unknown job; the job's validate()
    // error (before any claim is tried); Conflict when it is running
    // already, in this process or on another replica (its run claim is
    // held); the ledger's error when the claim cannot be checked; else the
    // run's own error or its report.
    Result<RunReport> run_now(std::string_view name, std::optional<Day> day);

    Result<std::vector<JobStatus>> statuses();

private:
    struct Entry {
        Job job;
        std::mutex running;  // held for the length of a run
        TimePoint next_due;  // guarded by mu_
    };

    Entry* find(std::string_view name);
    Result<RunReport> execute(Entry& e, const JobContext& ctx);
    void run_entry_if_due(Entry& e, TimePoint now);
    void thread_main(Entry& e);

    std::vector<std::unique_ptr<Entry>> entries_;
    JobLedger& ledger_;
    const Clock& clock_;
    RunObserver observer_;

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// Schedules: the first instant strictly after `t` that is a multiple of
// `period` since the Unix epoch (minutes, ten minutes, hours are UTC-aligned).
TimePoint next_multiple(TimePoint t, Millis period);

}  // namespace beacon::jobs
