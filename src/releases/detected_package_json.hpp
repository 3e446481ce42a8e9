#pragma once

// DetectedPackage as JSON, in the contract's `detected` shape (API.md, upload):
//   {"platform": "android", "packageName": "..." | null, "versionCode": 210 | null,
//    "versionName": "2.1.0" | null, "minOsVersion": "24" | null}
// Database adapters store it in artifacts.detected (TEXT on SQLite, JSONB on
// PostgreSQL) through these two functions, so every backend reads what any
// other wrote.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "releases/package_inspector.hpp"

namespace beacon::releases {

inline boost::json::object detected_package_to_json_object(const DetectedPackage& d) {
    boost::json::object o;
    o["platform"] = to_string(d.platform);
    o["packageName"] = d.package_name ? boost::json::value(*d.package_name) : boost::json::value(nullptr);
    o["versionCode"] = d.version_code ? boost::json::value(*d.version_code) : boost::json::value(nullptr);
    o["versionName"] = d.version_name ? boost::json::value(*d.version_name) : boost::json::value(nullptr);
    o["minOsVersion"] = d.min_os_version ? boost::json::value(*d.min_os_version) : boost::json::value(nullptr);
    return o;
}

inline std::string detected_package_to_json(const DetectedPackage& d) {
    return boost::json::serialize(detected_package_to_json_object(d));
}

// nullopt when `text` is not an object of that shape.
inline std::optional<DetectedPackage> detected_package_from_json(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) {
        return std::nullopt;
    }
    const boost::json::object& o = v.get_object();
    auto string_at = [&](std::string_view name) -> const boost::json::string* {
        const boost::json::value* f = o.if_contains(name);
        return f != nullptr ? f->if_string() : nullptr;
    };
    auto optional_string_at = [&](std::string_view name, std::optional<std::string>& out) {
        if (const boost::json::string* s = string_at(name)) {
            out = std::string(*s);
        }
    };
    const boost::json::string* platform_text = string_at("platform");
    if (platform_text == nullptr) {
        return std::nullopt;
    }
    std::optional<Platform> platform = parse_platform(*platform_text);
    if (!platform) {
        return std::nullopt;
    }
    DetectedPackage d;
    d.platform = *platform;
    optional_string_at("packageName", d.package_name);
    if (const boost::json::value* code = o.if_contains("versionCode"); code != nullptr && code->is_int64()) {
        d.version_code = code->get_int64();
    }
    optional_string_at("versionName", d.version_name);
    optional_string_at("minOsVersion", d.min_os_version);
    return d;
}

}  // namespace beacon::releases
