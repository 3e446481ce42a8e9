#pragma once

// Production-mode peers for end-to-end tests: each beacon server gets a fresh
// PostgreSQL database and its own Redis key prefix, so tests on PostgreSQL +
// Redis are as isolated from each other as tests on a fresh SQLite data dir.
// The peers come from BEACON_TEST_PG_URL (a role that may CREATE DATABASE) and
// BEACON_TEST_REDIS_URL; tools/test-services/*.sh start them.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace beacon::test {

struct ProductionPeers {
    std::string pg_url;     // any database of the cluster; new ones are created beside it
    std::string redis_url;  // redis://host:port[/db]
};

// Both BEACON_TEST_PG_URL and BEACON_TEST_REDIS_URL, or nullopt when either is unset or empty.
std::optional<ProductionPeers> production_peers_from_env();

// Runs one statement that returns no rows; empty on success, else the error.
std::string pg_exec(const std::string& url, const std::string& sql);

// postgres://u:p@h:port/db[?q] -> the same URL naming database `db`.
std::string with_database(const std::string& url, const std::string& db);

// Deletes every key of `key_prefix` (the adapter's keys are "{<prefix>:...}")
// with SCAN + DEL, bounded in rounds; empty on success, else the error.
std::string redis_delete_prefix(const std::string& url, const std::string& key_prefix);

// One database and one Redis key prefix for one beacon server (or for several
// replicas that must share them). Not thread-safe; owned by one test.
class ProductionBackends {
public:
    // Creates database `<name_prefix>_<random>` (name_prefix: [a-z0-9_]) and
    // picks the key prefix "<name_prefix>-<random>". Null, with the reason in
    // *error, when PostgreSQL or Redis cannot be reached.
    static std::unique_ptr<ProductionBackends> create(const ProductionPeers& peers,
                                                      std::string_view name_prefix,
                                                      std::string* error);
    // Drops the database WITH (FORCE) and deletes the keys; failures are
    // printed to stderr (a destructor cannot fail a test reliably).
    ~ProductionBackends();
    ProductionBackends(const ProductionBackends&) = delete;
    ProductionBackends& operator=(const ProductionBackends&) = delete;

    const std::string& database_url() const { return database_url_; }
    const std::string& redis_url() const { return peers_.redis_url; }
    const std::string& redis_key_prefix() const { return key_prefix_; }
    // BEACON_DATABASE_URL, BEACON_REDIS_URL and BEACON_REDIS_KEY_PREFIX for a beacon process.
    std::map<std::string, std::string> env() const;

private:
    ProductionBackends(ProductionPeers peers, std::string database, std::string key_prefix);

    ProductionPeers peers_;
    std::string database_;
    std::string database_url_;
    std::string key_prefix_;
};

}  // namespace beacon::test
