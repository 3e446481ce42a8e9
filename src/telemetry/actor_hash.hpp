#pragma once
// A 64-bit key for an actor (actor_key), for the per-session table of release
// health: counting distinct 64-bit integers is several times cheaper than
// counting distinct text, in SQLite and in PostgreSQL alike.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beacon::telemetry {

// The first 8 bytes of the MD5 of actor_key(install_id, user_id), big-endian,
// as a signed integer (two's complement). MD5 because both databases can
// compute the same value in SQL for a migration's backfill: PostgreSQL as
// ('x' || substr(md5(actor), 1, 16))::bit(64)::bigint, SQLite through the
// beacon_actor_hash() function the adapter registers. Not for security; two
// actors share a key with a probability of about n^2 / 2^65 (3e-8 at 1 M).
std::int64_t actor_hash(std::string_view install_id, const std::optional<std::string>& user_id);

// The same for an actor_key already built.
std::int64_t actor_hash(std::string_view actor_key);

}  // namespace beacon::telemetry
