// The telemetry, configuration and operations edges of issue 9, against the
// real binary: gzip members, lengths in characters, properties measured as
// received, plain-decimal numbers, U+0000 and other text PostgreSQL cannot
// carry (this suite also runs in production mode, on PostgreSQL), a corrupt
// presence snapshot, short JWT secrets, passwords in startup errors, and
// /readyz on a full disk (a small tmpfs mounted for the test).
#include <sys/mount.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

class TelemetryEdgesTest : public E2eTest {};

std::string events_body(const std::string& install, const std::string& events) {
    return R"({"context":{"installId":")" + install + R"("},"events":[)" + events + "]}";
}

// ---------------------------------------------------------------- gzip members

TEST_F(TelemetryEdgesTest, GzipBodiesOfSeveralMembersAreDecodedWhole) {
    const std::string id = uid();
    const std::string body = events_body(id, R"({"eventName":"gz_members"})");
    // Split anywhere: only the two members together are the JSON document.
    const std::string two = test::gzip_compress(body.substr(0, 25)) + test::gzip_compress(body.substr(25));
    auto r = client().post_json("/telemetry/events", two, {{"Content-Encoding", "gzip"}});
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(r.json().at("accepted"), 1);

    const std::string hb = R"({"installId":")" + id + R"("})";
    EXPECT_EQ(client()
                  .post_json("/telemetry/heartbeat",
                             test::gzip_compress(hb.substr(0, 5)) + test::gzip_compress(hb.substr(5)),
                             {{"Content-Encoding", "gzip"}})
                  .status,
              200);
}

TEST_F(TelemetryEdgesTest, GzipMemberFollowedByBytesThatAreNoMemberIs400) {
    const std::string id = uid();
    const std::string body = events_body(id, R"({"eventName":"gz_trailing"})");
    for (const std::string& tail : {std::string("garbage"), std::string(4, '\0'), std::string("\x1f")}) {
        auto r =
            client().post_json("/telemetry/events", test::gzip_compress(body) + tail, {{"Content-Encoding", "gzip"}});
        EXPECT_EQ(r.status, 400) << r.describe();
    }
    EXPECT_TRUE(list_all_events(client(), "installId=" + qenc(id)).empty()) << "nothing stored";
}

// ---------------------------------------------------------------- lengths in characters

TEST_F(TelemetryEdgesTest, EventIdAndUserIdCountCharactersNotBytes) {
    const std::string id = uid();
    std::string event_id;
    for (int i = 0; i < 64; ++i) {
        event_id += "\xc3\xa9";  // é: 64 characters, 128 bytes
    }
    std::string user_id;
    for (int i = 0; i < 128; ++i) {
        user_id += "\xe6\xbc\xa2";  // 漢: 128 characters, 384 bytes
    }
    json::array events{json::object{{"eventName", "chars"}, {"eventId", event_id}, {"userId", user_id}},
                       json::object{{"eventName", "chars"}, {"eventId", event_id + "x"}}};
    auto r = post_events(client(), {{"installId", id}}, events);
    ASSERT_EQ(r.status, 200) << r.describe();
    auto out = r.json().as_object();
    EXPECT_EQ(out.at("accepted"), 1) << r.body;
    ASSERT_EQ(out.at("rejected").as_array().size(), 1u) << r.body;
    EXPECT_EQ(out.at("rejected").as_array()[0].at("field"), "events[1].eventId");

    auto stored = list_all_events(client(), "installId=" + qenc(id));
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].at("eventId").as_string(), event_id) << "stored whole";
    EXPECT_EQ(stored[0].at("userId").as_string(), user_id);

    // The heartbeat's userId too.
    EXPECT_EQ(heartbeat(client(), {{"installId", id}, {"userId", user_id}}).status, 200);
    EXPECT_TRUE(
        IsProblem(heartbeat(client(), {{"installId", id}, {"userId", user_id + "x"}}), 400, "validation", "userId"));
}

// ---------------------------------------------------------------- properties as received

TEST_F(TelemetryEdgesTest, PropertiesAreMeasuredOnTheirBytesAsReceived) {
    const std::string id = uid();
    const std::string value(8000, 'p');
    const std::string compact = R"({"k":")" + value + R"("})";                              // 8008 bytes
    const std::string spaced = "{" + std::string(200, ' ') + R"("k":")" + value + R"("})";  // 8208 bytes
    std::string escaped = R"({"k":")";  // 1400 x \u00e9: 8408 bytes received, 2808 stored
    for (int i = 0; i < 1400; ++i) {
        escaped += "\\u00e9";
    }
    escaped += R"("})";
    const std::string body =
        events_body(id,
                    R"({"eventName":"p1","properties":)" + compact + "}," + R"({"eventName":"p2","properties":)" +
                        spaced + "}," + R"({"eventName":"p3","properties":)" + escaped + "}");
    auto r = client().post_json("/telemetry/events", body);
    ASSERT_EQ(r.status, 200) << r.describe();
    auto out = r.json().as_object();
    EXPECT_EQ(out.at("accepted"), 1) << r.body;
    const auto& rejected = out.at("rejected").as_array();
    ASSERT_EQ(rejected.size(), 2u) << r.body;
    EXPECT_EQ(rejected[0].at("field"), "events[1].properties");
    EXPECT_EQ(rejected[1].at("field"), "events[2].properties");

    // Gzip changes nothing: the decompressed text is what counts.
    auto gz = client().post_json("/telemetry/events", test::gzip_compress(body), {{"Content-Encoding", "gzip"}});
    ASSERT_EQ(gz.status, 200) << gz.describe();
    EXPECT_EQ(gz.json().at("rejected").as_array().size(), 2u) << gz.body;
}

// ---------------------------------------------------------------- plain decimals

// No number in a response is written in exponent notation (1.24E1, 2E0, 1e21).
::testing::AssertionResult NoExponents(const std::string& body) {
    static const std::regex exponent(R"([:\[,]\s*-?[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]+)");
    std::smatch m;
    if (std::regex_search(body, m, exponent)) {
        return ::testing::AssertionFailure() << "exponent notation '" << m.str() << "' in " << body;
    }
    return ::testing::AssertionSuccess();
}

TEST_F(TelemetryEdgesTest, NumbersInResponsesArePlainDecimals) {
    auto& server = dedicated();
    auto c = server.client();
    const std::string id = uid();
    ASSERT_EQ(heartbeat(c, {{"installId", id}}).status, 200);
    std::this_thread::sleep_for(1100ms);  // past the online cache
    ASSERT_EQ(c.post("/admin/jobs/online-snapshot/run", "", admin()).status, 200);
    ASSERT_EQ(heartbeat(c, {{"installId", uid()}}).status, 200);
    std::this_thread::sleep_for(1100ms);
    ASSERT_EQ(c.post("/admin/jobs/online-snapshot/run", "", admin()).status, 200);

    // Two snapshots of 1 and 2 in one minute (or 1h) bucket: avg 1.5, which
    // boost::json wrote as 1.5E0 (and a whole 2 as 2E0).
    auto h = c.get("/admin/telemetry/online/history?interval=1h", admin());
    ASSERT_EQ(h.status, 200) << h.describe();
    EXPECT_NE(h.body.find("\"avg\":"), std::string::npos) << h.body;
    EXPECT_TRUE(NoExponents(h.body));
    const auto history = h.json();
    ASSERT_FALSE(history.at("points").as_array().empty()) << h.body;

    // Properties come back with their numbers as sent, not as 1.24E1.
    const std::string body = events_body(
        id, R"({"eventName":"numbers","properties":{"price":12.4,"half":0.5,"zero":0,"n":3,"tiny":1e-7,"big":1e21}})");
    ASSERT_EQ(c.post_json("/telemetry/events", body).status, 200);
    auto listed = c.get("/admin/telemetry/events?eventName=numbers&installId=" + qenc(id), admin());
    ASSERT_EQ(listed.status, 200) << listed.describe();
    EXPECT_TRUE(NoExponents(listed.body));
    EXPECT_NE(listed.body.find("\"price\":12.4"), std::string::npos) << listed.body;
    EXPECT_NE(listed.body.find("\"half\":0.5"), std::string::npos) << listed.body;
    EXPECT_NE(listed.body.find("\"tiny\":0.0000001"), std::string::npos) << listed.body;
    EXPECT_NE(listed.body.find("\"big\":1000000000000000000000"), std::string::npos) << listed.body;
}

// ---------------------------------------------------------------- text PostgreSQL cannot carry

// jsonb and text cannot hold U+0000, and boost reads 1e400 as infinity: such
// an event is rejected with its field, never a 500 or 503 (run on PostgreSQL
// in production mode).
TEST_F(TelemetryEdgesTest, NulAndHugeNumbersAreRejectedWithTheirFieldNeverA5xx) {
    const std::string id = uid();
    const std::string body = events_body(id,
                                         R"({"eventName":"nul_ok"},)"
                                         R"({"eventName":"nul","properties":{"note":"a\u0000b"}},)"
                                         R"({"eventName":"nul","properties":{"k\u0000":1}},)"
                                         R"({"eventName":"nul","properties":{"deep":[{"x":"\u0000"}]}},)"
                                         R"({"eventName":"nul","userId":"u\u0000"},)"
                                         R"({"eventName":"nul","sessionId":"s\u0000"},)"
                                         R"({"eventName":"nul","eventId":"e\u0000"},)"
                                         R"({"eventName":"nul\u0000"},)"
                                         R"({"eventName":"nul","properties":{"n":1e400}},)"
                                         R"({"eventName":"nul_text","properties":{"path":"C:\\u0000"}})");
    auto r = client().post_json("/telemetry/events", body);
    ASSERT_EQ(r.status, 200) << r.describe();
    auto out = r.json().as_object();
    EXPECT_EQ(out.at("accepted"), 2) << r.body;
    std::vector<std::string> fields;
    for (const auto& rej : out.at("rejected").as_array()) {
        fields.emplace_back(rej.at("field").as_string());
    }
    EXPECT_EQ(fields,
              (std::vector<std::string>{"events[1].properties",
                                        "events[2].properties",
                                        "events[3].properties",
                                        "events[4].userId",
                                        "events[5].sessionId",
                                        "events[6].eventId",
                                        "events[7].eventName",
                                        "events[8].properties"}))
        << r.body;
    auto stored = list_all_events(client(), "installId=" + qenc(id));
    ASSERT_EQ(stored.size(), 2u);
    for (const auto& e : stored) {
        if (e.at("eventName") == "nul_text") {
            EXPECT_EQ(e.at("properties").at("path"), "C:\\u0000") << "a backslash then u0000 is text, kept";
        }
    }

    // In the context, a NUL is a 400 for the batch; in a token's sub too.
    EXPECT_TRUE(IsProblem(client().post_json("/telemetry/events",
                                             R"({"context":{"installId":")" + id +
                                                 R"(","appVersion":"1\u0000"},"events":[{"eventName":"x"}]})"),
                          400,
                          "validation",
                          "context.appVersion"));
    // A token's sub is the userId: one that is no valid userId is a 400 on
    // userId (with U+0000 the token itself is refused by the JWT parser: 401).
    EXPECT_TRUE(IsProblem(post_events(client(),
                                      {{"installId", id}},
                                      json::array{json::object{{"eventName", "x"}}},
                                      test::bearer(user_token("tab\there"))),
                          400,
                          "validation",
                          "userId"));
    EXPECT_TRUE(IsProblem(heartbeat(client(), {{"installId", id}}, test::bearer(user_token(std::string(129, 'u')))),
                          400,
                          "validation",
                          "userId"));
    const auto nul_sub = post_events(client(),
                                     {{"installId", id}},
                                     json::array{json::object{{"eventName", "x"}}},
                                     test::bearer(user_token(std::string("a\0b", 3))));
    EXPECT_TRUE(nul_sub.status == 400 || nul_sub.status == 401) << nul_sub.describe();

    // Query parameters with a NUL reach the listing's SQL as text: never a 5xx.
    for (const char* q : {"userId=%00", "installId=a%00b", "eventName=x%00"}) {
        auto listed = client().get(std::string("/admin/telemetry/events?") + q, admin());
        EXPECT_LT(listed.status, 500) << q << ": " << listed.describe();
    }
}

// ---------------------------------------------------------------- corrupt presence snapshot

TEST_F(TelemetryEdgesTest, ACorruptPresenceSnapshotIsSetAsideAndTheServerStarts) {
    if (production_mode()) {
        GTEST_SKIP() << "embedded only: production keeps presence in Redis";
    }
    auto& server = dedicated();
    auto before = server.client();
    ASSERT_EQ(heartbeat(before, {{"installId", uid()}}).status, 200);
    ASSERT_EQ(server.process().stop(), 0);
    const auto snapshot = server.dir() / "data" / "presence.snapshot";
    ASSERT_TRUE(std::filesystem::exists(snapshot));
    {
        std::ofstream out(snapshot, std::ios::binary | std::ios::trunc);
        out << "this is not a presence snapshot";
    }
    ASSERT_TRUE(server.start()) << server.process().error() << "\n" << server.process().log();
    auto c = server.client();
    EXPECT_EQ(c.get("/readyz").status, 200);
    EXPECT_EQ(c.get("/telemetry/online").json().at("online"), 0) << "started with an empty online set";
    EXPECT_NE(server.process().log().find("presence snapshot"), std::string::npos) << server.process().log();
    bool set_aside = false;
    for (const auto& entry : std::filesystem::directory_iterator(server.dir() / "data")) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("presence.snapshot.corrupt-")) {
            set_aside = true;
            std::ifstream in(entry.path(), std::ios::binary);
            std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            EXPECT_EQ(kept, "this is not a presence snapshot");
        }
    }
    EXPECT_TRUE(set_aside) << "kept beside, for a post-mortem";
    ASSERT_EQ(heartbeat(c, {{"installId", uid()}}).status, 200);
    EXPECT_EQ(wait_online(c, 1, 3s), 1);
}

// ---------------------------------------------------------------- startup refusals

TEST_F(TelemetryEdgesTest, AJwtSecretUnderThirtyTwoBytesStopsTheStart) {
    for (const std::string& secret : {std::string("x"), std::string(31, 's')}) {
        Server refused({}, {{"BEACON_JWT_SECRET", secret}});
        EXPECT_FALSE(refused.start());
        const std::string log = refused.process().log();
        EXPECT_NE(log.find("BEACON_JWT_SECRET"), std::string::npos) << log;
        EXPECT_NE(log.find("openssl rand -hex 32"), std::string::npos) << log;
    }
    auto token = test::run_command(beacon_binary(), {"token", "--admin"}, {{"BEACON_JWT_SECRET", "short"}});
    EXPECT_NE(token.exit_code, 0);
    EXPECT_NE(token.err.find("BEACON_JWT_SECRET"), std::string::npos) << token.err;
    EXPECT_TRUE(token.out.empty()) << "no token signed with a short secret";
}

TEST_F(TelemetryEdgesTest, StartupErrorsNeverShowPasswords) {
    const std::string pw = "Pw-7Qz-s3cret";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"BEACON_DATABASE_URL", "host=127.0.0.1 port=1 user=beacon password=" + pw + " dbname=beacon"},
        {"BEACON_DATABASE_URL", "postgres:/beacon:" + pw + "@127.0.0.1:1/beacon"},
        {"BEACON_DATABASE_URL", "beacon:" + pw + "@127.0.0.1:1/beacon"},
        // libpq's URI parser quotes the whole URI in its error.
        {"BEACON_DATABASE_URL", "postgres://beacon:" + pw + "@[::1/beacon"},
        {"BEACON_DATABASE_URL", "postgres://beacon:" + pw + "@127.0.0.1:1/beacon?sslmode=nonsense"},
        {"BEACON_DATABASE_URL", "postgres://beacon@127.0.0.1:1/beacon?password=" + pw + "&bogus=1"},
        {"BEACON_REDIS_URL", "redis:/:" + pw + "@127.0.0.1:1"},
        {"BEACON_REDIS_URL", "redis://:" + pw + "@[::1"},
        {"BEACON_STORAGE_URL", "s3:/bucket?secret_access_key=" + pw},
    };
    for (const auto& [name, value] : cases) {
        Server refused({}, {{name, value}});
        EXPECT_FALSE(refused.start()) << name << "=" << value;
        const std::string log = refused.process().log();
        EXPECT_EQ(log.find(pw), std::string::npos) << name << "=" << value << " logged its password:\n" << log;
        EXPECT_FALSE(log.empty()) << "the refusal says why";
    }
}

// ---------------------------------------------------------------- a full disk

// A tmpfs of its own for the data dir, unmounted when the test ends.
class SmallDisk {
public:
    SmallDisk(const std::filesystem::path& at, std::size_t bytes) : at_(at) {
        std::filesystem::create_directories(at);
        const std::string options = "size=" + std::to_string(bytes);
        if (::mount("tmpfs", at.c_str(), "tmpfs", 0, options.c_str()) != 0) {
            error_ = std::string("mount -t tmpfs: ") + std::strerror(errno);
            return;
        }
        mounted_ = true;
    }
    ~SmallDisk() {
        if (mounted_) {
            ::umount2(at_.c_str(), MNT_DETACH);
        }
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    bool mounted() const { return mounted_; }
    const std::string& error() const { return error_; }

    // Writes zeros to `file` until the file system is full.
    static void fill(const std::filesystem::path& file) {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        const std::string block(64 * 1024, '\0');
        while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
        }
        out.close();
        std::ofstream tail(file.string() + ".tail", std::ios::binary | std::ios::trunc);
        while (tail.put('\0')) {
        }
    }

private:
    std::filesystem::path at_;
    bool mounted_ = false;
    std::string error_;
};

TEST_F(TelemetryEdgesTest, ReadyzReportsTheDatabaseDownWhileTheDiskIsFullAndRecovers) {
    if (production_mode()) {
        GTEST_SKIP() << "embedded only: the database is SQLite in the data dir";
    }
    Server server({}, {});
    server.name = "full-disk";
    SmallDisk disk(server.dir() / "data", 16u << 20);
    if (!disk.mounted()) {
        GTEST_SKIP() << disk.error() << " (needs root and mount permission: the test environment forbids it)";
    }
    ASSERT_TRUE(server.start()) << server.process().error() << "\n" << server.process().log();
    auto c = server.client();
    ASSERT_EQ(c.get("/readyz").status, 200);
    const std::string id = uid();
    ASSERT_EQ(post_events(c, {{"installId", id}}, json::array{json::object{{"eventName", "before_full"}}}).status, 200);

    const auto filler = server.dir() / "data" / "filler";
    SmallDisk::fill(filler);
    // Writes now fail for lack of space: 503, and /readyz names the database.
    const std::string padding(6000, 'x');
    int unavailable = 0;
    for (int i = 0; i < 200 && unavailable == 0; ++i) {
        json::array batch;
        for (int k = 0; k < 50; ++k) {
            batch.push_back(json::object{{"eventName", "while_full"}, {"properties", json::object{{"pad", padding}}}});
        }
        auto r = post_events(c, {{"installId", id}}, batch);
        ASSERT_TRUE(r.status == 200 || r.status == 503) << r.describe();
        unavailable += r.status == 503 ? 1 : 0;
    }
    ASSERT_GT(unavailable, 0) << "the disk never filled";
    auto down = c.get("/readyz");
    EXPECT_EQ(down.status, 503) << down.describe();
    const auto checks = down.json().at("checks").as_object();
    EXPECT_NE(std::string(checks.at("database").as_string()).find("no space left"), std::string::npos) << down.body;
    EXPECT_EQ(checks.at("presence"), "ok");
    EXPECT_EQ(c.get("/healthz").status, 200) << "the process still serves";

    // Space comes back: ready again by itself, and events are stored.
    std::filesystem::remove(filler);
    std::filesystem::remove(filler.string() + ".tail");
    auto up = c.get("/readyz");
    EXPECT_EQ(up.status, 200) << up.describe();
    EXPECT_EQ(post_events(c, {{"installId", id}}, json::array{json::object{{"eventName", "after_full"}}}).status, 200);
    EXPECT_EQ(c.get("/readyz").status, 200);
    EXPECT_EQ(server.process().stop(), 0);
}

}  // namespace
}  // namespace beacon::e2e
