#include "telemetry/event_listing.hpp"

#include <string>

namespace beacon::telemetry {

Result<EventPage> list_events(EventStore& store, const EventQuery& q) {
    if (q.limit < 1 || q.limit > kMaxEventPageSize) {
        return invalid_field("limit", "must be an integer from 1 to " + std::to_string(kMaxEventPageSize));
    }
    return store.list(q);
}

}  // namespace beacon::telemetry
