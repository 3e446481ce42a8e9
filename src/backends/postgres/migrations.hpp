#pragma once

#include <span>
#include <string_view>

namespace beacon::backends::postgres {

// One schema migration: migrations/NNNN_name.sql, embedded into the binary at
// build time by beacon_embed_migrations (cmake/BeaconModule.cmake) into the generated embedded_migrations.cpp.
struct Migration {
    int version;            // NNNN
    std::string_view name;  // "init" for 0001_init.sql
    std::string_view sql;   // the file's text; may hold several statements
};

// Every embedded migration, sorted by version (ascending and unique; the
// generator refuses anything else).
std::span<const Migration> embedded_migrations();

}  // namespace beacon::backends::postgres
