#pragma once

#include "core/result.hpp"
#include "telemetry/event_store.hpp"

namespace beacon::telemetry {

// Page sizes of GET /admin/telemetry/events.
inline constexpr int kDefaultEventPageSize = 50;
inline constexpr int kMaxEventPageSize = 500;

// One page of the admin event listing: q.limit must be 1 to 500 (else
// InvalidArgument naming `limit`); newest first, from the cursor on.
Result<EventPage> list_events(EventStore& store, const EventQuery& q);

}  // namespace beacon::telemetry
