#pragma once

#include "core/result.hpp"

namespace beacon {

// Implemented by every backend adapter so /readyz can ask it whether it answers.
// ping() must return within a few seconds; thread-safe.
class HealthProbe {
public:
    virtual ~HealthProbe() = default;
    virtual Result<void> ping() = 0;
};

// Implemented by adapters that keep state in memory and write it out
// (snapshots on disk): called periodically and at shutdown.
class Flushable {
public:
    virtual ~Flushable() = default;
    virtual Result<void> flush() = 0;
};

}  // namespace beacon
