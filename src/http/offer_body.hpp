#pragma once

// The update check's answer body and its ETag (API.md, "Choice (ETag)").
// Every client offered the same version in one link window gets the same
// bytes, so each I/O thread keeps the bodies it built, per version and
// flags, and builds one again only when what it shows moved: the version's
// revision, the download link or the signature. Building the JSON and
// hashing it for the ETag were the largest part of a check that offers an
// update (docs/PERFORMANCE.md, issue 15).

#include <string>

#include "releases/release_service.hpp"

namespace beacon::http {

struct OfferBody {
    std::string body;  // {"needUpdate":..,"forceUpdate":..,"latest":..}
    std::string etag;  // body_etag(body)
};

// The body for `check`: built as release_routes always built it, or the
// calling thread's copy of the same bytes. Valid until the calling thread
// asks again.
const OfferBody& offer_body(const releases::UpdateCheck& check);

// The same, built every time (what the cache must equal; for tests).
OfferBody build_offer_body(const releases::UpdateCheck& check);

}  // namespace beacon::http
