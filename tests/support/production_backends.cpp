#include "support/production_backends.hpp"

#include <unistd.h>

#include <hiredis.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <vector>

namespace beacon::test {
namespace {

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
}

struct RedisAddress {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string password;
    int db = 0;
};

// redis://[:password@]host[:port][/db]: the shape tools/test-services/redis.sh
// and our tests use (no TLS, no unix sockets).
std::optional<RedisAddress> parse_address(const std::string& url) {
    constexpr std::string_view kScheme = "redis://";
    if (!url.starts_with(kScheme)) {
        return std::nullopt;
    }
    RedisAddress a;
    std::string rest = url.substr(kScheme.size());
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        std::string db = rest.substr(slash + 1);
        rest.resize(slash);
        if (!db.empty()) {
            a.db = std::atoi(db.c_str());
        }
    }
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        std::string auth = rest.substr(0, at);
        a.password = auth.substr(auth.find(':') == std::string::npos ? 0 : auth.find(':') + 1);
        rest = rest.substr(at + 1);
    }
    if (auto colon = rest.rfind(':'); colon != std::string::npos) {
        a.port = std::atoi(rest.substr(colon + 1).c_str());
        rest.resize(colon);
    }
    if (!rest.empty()) {
        a.host = rest == "localhost" ? "127.0.0.1" : rest;
    }
    return a;
}

struct RedisDeleter {
    void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisPtr = std::unique_ptr<redisContext, RedisDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr command(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return ReplyPtr(
        static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data())));
}

// Connected (5 s timeouts), authenticated and on the URL's db; null + *error otherwise.
RedisPtr connect_redis(const std::string& url, std::string* error) {
    auto a = parse_address(url);
    if (!a) {
        *error = "unsupported Redis URL " + url;
        return nullptr;
    }
    timeval tv{5, 0};
    RedisPtr c(redisConnectWithTimeout(a->host.c_str(), a->port, tv));
    if (!c || c->err != 0) {
        *error = "cannot connect to Redis at " + a->host + ":" + std::to_string(a->port) + ": " +
                 (c ? c->errstr : "out of memory");
        return nullptr;
    }
    redisSetTimeout(c.get(), tv);
    std::vector<std::vector<std::string>> setup;
    if (!a->password.empty()) {
        setup.push_back({"AUTH", a->password});
    }
    setup.push_back({"SELECT", std::to_string(a->db)});
    for (const auto& args : setup) {
        auto r = command(c.get(), args);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            *error = "Redis " + args[0] + ": " + (r ? std::string(r->str, r->len) : std::string(c->errstr));
            return nullptr;
        }
    }
    return c;
}

}  // namespace

std::optional<ProductionPeers> production_peers_from_env() {
    ProductionPeers p{env_or_empty("BEACON_TEST_PG_URL"), env_or_empty("BEACON_TEST_REDIS_URL")};
    if (p.pg_url.empty() || p.redis_url.empty()) {
        return std::nullopt;
    }
    return p;
}

std::string pg_exec(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    std::string err;
    if (PQstatus(conn) != CONNECTION_OK) {
        err = std::string("connect: ") + PQerrorMessage(conn);
    } else {
        PGresult* r = PQexec(conn, sql.c_str());
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            err = sql + ": " + PQresultErrorMessage(r);
        }
        PQclear(r);
    }
    PQfinish(conn);
    return err;
}

std::string with_database(const std::string& url, const std::string& db) {
    auto query = url.find('?');
    std::string base = url.substr(0, query), tail = query == std::string::npos ? "" : url.substr(query);
    auto scheme = base.find("://");
    auto slash = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (slash != std::string::npos) {
        base.resize(slash);
    }
    return base + "/" + db + tail;
}

std::string redis_delete_prefix(const std::string& url, const std::string& key_prefix) {
    std::string error;
    auto c = connect_redis(url, &error);
    if (!c) {
        return error;
    }
    // A test server writes a handful of keys; 1000 rounds of 1000 is far more
    // than any test makes, and bounds the loop if SCAN misbehaves.
    std::string cursor = "0";
    for (int round = 0; round < 1000; ++round) {
        auto r = command(c.get(), {"SCAN", cursor, "MATCH", "{" + key_prefix + ":*", "COUNT", "1000"});
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            return "Redis SCAN: " + (r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : c->errstr);
        }
        cursor.assign(r->element[0]->str, r->element[0]->len);
        const redisReply* keys = r->element[1];
        if (keys->elements > 0) {
            std::vector<std::string> del{"DEL"};
            for (std::size_t i = 0; i < keys->elements; ++i) {
                del.emplace_back(keys->element[i]->str, keys->element[i]->len);
            }
            auto d = command(c.get(), del);
            if (!d || d->type == REDIS_REPLY_ERROR) {
                return "Redis DEL: " + (d ? std::string(d->str, d->len) : std::string(c->errstr));
            }
        }
        if (cursor == "0") {
            return {};
        }
    }
    return "Redis SCAN did not finish in 1000 rounds";
}

ProductionBackends::ProductionBackends(ProductionPeers peers, std::string database, std::string key_prefix)
    : peers_(std::move(peers)),
      database_(std::move(database)),
      database_url_(with_database(peers_.pg_url, database_)),
      key_prefix_(std::move(key_prefix)) {}

std::unique_ptr<ProductionBackends> ProductionBackends::create(const ProductionPeers& peers,
                                                               std::string_view name_prefix,
                                                               std::string* error) {
    // Another test process may be creating databases at the same moment, so
    // the name needs more than the pid; the random part keeps reruns apart.
    static std::mt19937_64 rng{std::random_device{}() ^ static_cast<std::uint64_t>(::getpid())};
    std::string suffix = std::to_string(::getpid()) + "_" + std::to_string(rng() % 1'000'000'000ULL);
    std::string database = std::string(name_prefix) + "_" + suffix;
    std::string key_prefix = std::string(name_prefix) + "-" + suffix;

    // Redis first: nothing to undo when it is down.
    std::string redis_error;
    if (!connect_redis(peers.redis_url, &redis_error)) {
        *error = redis_error;
        return nullptr;
    }
    if (auto err = pg_exec(peers.pg_url, "CREATE DATABASE " + database); !err.empty()) {
        *error = err;
        return nullptr;
    }
    return std::unique_ptr<ProductionBackends>(new ProductionBackends(peers, database, key_prefix));
}

ProductionBackends::~ProductionBackends() {
    if (auto err = pg_exec(peers_.pg_url, "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)"); !err.empty()) {
        std::cerr << "dropping test database " << database_ << ": " << err << std::endl;
    }
    if (auto err = redis_delete_prefix(peers_.redis_url, key_prefix_); !err.empty()) {
        std::cerr << "deleting Redis keys of " << key_prefix_ << ": " << err << std::endl;
    }
}

std::map<std::string, std::string> ProductionBackends::env() const {
    return {{"BEACON_DATABASE_URL", database_url_},
            {"BEACON_REDIS_URL", peers_.redis_url},
            {"BEACON_REDIS_KEY_PREFIX", key_prefix_}};
}

}  // namespace beacon::test
