#pragma once

// Shared pieces of the releases end-to-end tests: artifacts built with the
// real tools into a per-test temp dir, upload / create helpers.

#include <unistd.h>

#include <atomic>
#include <string>

#include "integration/e2e.hpp"
#include "support/release_fixtures.hpp"

namespace beacon::e2e {

class ReleasesTest : public E2eTest {
protected:
    test::TempDir work_;

    // A unique channel name ([a-z0-9-], <= 32) for this test's versions.
    static std::string channel() {
        static std::atomic<int> n{0};
        return "c" + std::to_string(::getpid() % 100000) + "-" + std::to_string(++n);
    }
    static std::int64_t next_code() {
        static std::atomic<std::int64_t> n{1000};
        return n += 10;
    }

    std::string apk(test::ApkSpec spec, const std::string& name = "") {
        std::string err;
        auto file =
            name.empty() ? "app-" + std::to_string(spec.version_code) + "-" + std::to_string(spec.seed) + ".apk" : name;
        auto p = test::build_apk(work_.path(), file, spec, &err);
        EXPECT_TRUE(p.has_value()) << err;
        return p ? test::read_bytes(*p) : std::string();
    }
    std::string ipa(const test::IpaSpec& spec, const std::string& name) {
        std::string err;
        auto p = test::build_ipa(work_.path(), name, spec, &err);
        EXPECT_TRUE(p.has_value()) << err;
        return p ? test::read_bytes(*p) : std::string();
    }

    static HttpResponse upload_raw(HttpClient& c,
                                   const std::string& bytes,
                                   const std::string& name,
                                   const std::string& type = "application/octet-stream",
                                   Headers auth = admin()) {
        Headers h = std::move(auth);
        h.emplace_back("Content-Type", type);
        if (!name.empty()) {
            h.emplace_back("X-File-Name", name);
        }
        return c.post("/admin/versions/upload", bytes, h);
    }
    static HttpResponse upload_multipart(HttpClient& c, const std::string& bytes, const std::string& name) {
        Headers h = admin();
        h.emplace_back("Content-Type", "multipart/form-data; boundary=beaconBoundary7MA4YWxk");
        return c.post("/admin/versions/upload", test::multipart_body("beaconBoundary7MA4YWxk", "file", name, bytes), h);
    }
    // Uploads and returns the artifact key (failure: empty).
    static std::string upload_key(HttpClient& c, const std::string& bytes, const std::string& name) {
        auto r = upload_raw(c, bytes, name);
        EXPECT_TRUE(r.status == 201 || r.status == 200) << r.describe();
        if (r.status != 201 && r.status != 200) {
            return {};
        }
        return std::string(r.json().at("artifact").at("key").as_string());
    }
    static HttpResponse create(HttpClient& c, const json::object& body) {
        return c.post_json("/admin/versions", body, admin());
    }
    // Creates and returns the version object (failure: empty object).
    static json::object create_ok(HttpClient& c, const json::object& body) {
        auto r = create(c, body);
        EXPECT_EQ(r.status, 201) << r.describe();
        return r.status == 201 ? r.json().as_object() : json::object{};
    }
    static json::object check(HttpClient& c, const std::string& query) {
        auto r = c.get("/app/version/check?" + query);
        EXPECT_EQ(r.status, 200) << r.describe();
        return r.status == 200 ? r.json().as_object() : json::object{};
    }
    // "http://host:port/files/..." -> "/files/..."; host-relative stays.
    static std::string target_of(const std::string& url) {
        if (url.starts_with("http://")) {
            auto slash = url.find('/', 7);
            return slash == std::string::npos ? "/" : url.substr(slash);
        }
        return url;
    }
};

}  // namespace beacon::e2e
