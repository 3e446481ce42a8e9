#include "telemetry/event_batch.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include <boost/json.hpp>

#include "core/json_write.hpp"
#include "core/time_format.hpp"
#include "telemetry/properties_spans.hpp"
#include "telemetry/version_code.hpp"

namespace beacon::telemetry {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxShortText = 128;

// The context fields; an event may set any of them and then wins.
struct Context {
    std::optional<std::string> install_id;
    std::optional<std::string> user_id;
    std::optional<Platform> platform;
    std::optional<std::string> app_version;
    std::optional<std::string> os_version;
    std::optional<std::string> device_model;
    std::optional<std::string> region;
    std::optional<std::string> session_id;
    std::optional<VersionCode> version_code;
};

// Reads one context field from `obj` into `ctx`. Returns an error message, or
// empty on success. An absent or null field leaves ctx unchanged.
std::string read_context_field(const json::object& obj, std::string_view key, Context& ctx) {
    const json::value* v = obj.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return {};
    }
    if (key == "versionCode") {  // the one context field that is a number
        ctx.version_code = read_version_code(*v);
        return ctx.version_code ? std::string() : std::string(kVersionCodeRule);
    }
    const json::string* s = v->if_string();
    if (s == nullptr) {
        return "must be a string";
    }
    std::string_view text(*s);
    if (key == "installId") {
        if (!is_valid_install_id(text)) {
            return "must be 8 to 128 characters of [A-Za-z0-9._:-]";
        }
        ctx.install_id = std::string(text);
    } else if (key == "userId") {
        if (!is_valid_user_id(text)) {
            return "must be 1 to 128 characters without control characters";
        }
        ctx.user_id = std::string(text);
    } else if (key == "platform") {
        auto p = parse_platform(text);
        if (!p) {
            return "must be one of android, ios, web, desktop, other";
        }
        ctx.platform = *p;
    } else if (key == "region") {
        auto r = normalize_region(text);
        if (!r) {
            return "must be two ASCII letters (ISO 3166-1 alpha-2)";
        }
        ctx.region = std::move(*r);
    } else {
        if (!is_valid_text(text, kMaxShortText)) {
            return "must be 1 to 128 characters without control characters";
        }
        std::optional<std::string>* slot = key == "appVersion"    ? &ctx.app_version
                                           : key == "osVersion"   ? &ctx.os_version
                                           : key == "deviceModel" ? &ctx.device_model
                                                                  : &ctx.session_id;
        *slot = std::string(text);
    }
    return {};
}

constexpr std::string_view kContextKeys[] = {
    "installId", "userId", "platform", "appVersion", "osVersion", "deviceModel", "region", "sessionId", "versionCode"};

// Fills `ctx` from `obj`; on the first bad field returns its key and message.
std::optional<std::pair<std::string_view, std::string>> read_context(const json::object& obj, Context& ctx) {
    for (std::string_view key : kContextKeys) {
        std::string msg = read_context_field(obj, key, ctx);
        if (!msg.empty()) {
            return std::make_pair(key, std::move(msg));
        }
    }
    return std::nullopt;
}

std::optional<TimePoint> read_timestamp(const json::value& v) {
    if (const auto* s = v.if_string()) {
        return parse_iso8601(std::string_view(*s));
    }
    std::int64_t ms = 0;
    if (const auto* i = v.if_int64()) {
        ms = *i;
    } else if (const auto* u = v.if_uint64()) {
        if (*u > static_cast<std::uint64_t>(INT64_MAX)) {
            return std::nullopt;
        }
        ms = static_cast<std::int64_t>(*u);
    } else if (const auto* d = v.if_double()) {
        if (!std::isfinite(*d) || std::floor(*d) != *d || std::fabs(*d) > 1e15) {
            return std::nullopt;
        }
        ms = static_cast<std::int64_t>(*d);
    } else {
        return std::nullopt;
    }
    if (ms < 0 || ms > 253402300799999) {
        return std::nullopt;
    }
    return from_epoch_ms(ms);
}

std::string event_field(std::size_t i, std::string_view key) {
    std::string f = "events[" + std::to_string(i) + "]";
    if (!key.empty()) {
        f.append(".").append(key);
    }
    return f;
}

// Where each event's `properties` stand against the limit, measured on
// their bytes in the body (API.md 1.1). Filled while the events are parsed
// (pass 1); settled after all of them (pass 2, settle_properties_sizes).
struct PropertiesSize {
    bool present = false;
    std::size_t compact = 0;  // its compact serialization
    std::size_t least = 0;    // min_json_text_size of the value
};

// Parses one item of `events`; a Rejection when it is invalid.
std::optional<Rejection> parse_event(std::size_t index,
                                     const json::value& item,
                                     const Context& base,
                                     TimePoint now,
                                     const std::optional<std::string>& token_user,
                                     const EventLimits& limits,
                                     PropertiesSize& size,
                                     Event& out) {
    auto reject = [&](std::string_view key, std::string msg) {
        return Rejection{index, event_field(index, key), std::move(msg)};
    };
    const json::object* obj = item.if_object();
    if (obj == nullptr) {
        return reject("", "must be an object");
    }
    Context ctx = base;
    if (auto bad = read_context(*obj, ctx)) {
        return reject(bad->first, std::move(bad->second));
    }
    if (token_user) {
        ctx.user_id = token_user;
    }
    if (!ctx.install_id) {
        return reject("installId", "is required (in the event or in context)");
    }

    const json::value* name = obj->if_contains("eventName");
    if (name == nullptr || name->is_null()) {
        return reject("eventName", "is required");
    }
    if (!name->is_string() || !is_valid_event_name(std::string_view(name->get_string()))) {
        return reject("eventName", "must be 1 to 64 characters of [A-Za-z0-9_.:-]");
    }

    std::optional<std::string> event_id;
    if (const json::value* id = obj->if_contains("eventId"); id != nullptr && !id->is_null()) {
        const json::string* s = id->if_string();
        if (s == nullptr || !is_valid_text(std::string_view(*s), 64)) {
            return reject("eventId", "must be a string of 1 to 64 characters");
        }
        event_id = std::string(*s);
    }

    TimePoint when = now;
    if (const json::value* ts = obj->if_contains("timestamp"); ts != nullptr && !ts->is_null()) {
        auto t = read_timestamp(*ts);
        if (!t) {
            return reject("timestamp", "must be ISO-8601 with a zone or epoch milliseconds");
        }
        if (*t > now + limits.max_future) {
            return reject("timestamp", "is more than 10 minutes in the future");
        }
        if (*t < now - limits.max_past) {
            return reject("timestamp", "is more than 30 days in the past");
        }
        when = *t;
    }

    std::string properties;
    if (const json::value* props = obj->if_contains("properties"); props != nullptr && !props->is_null()) {
        if (!props->is_object()) {
            return reject("properties", "must be an object");
        }
        const PropertiesShape shape = inspect_properties(*props);
        if (shape.depth > limits.max_properties_depth) {
            return reject("properties", "nests deeper than 8 levels");
        }
        // PostgreSQL's jsonb (and text) cannot store U+0000; refuse it on every backend alike.
        if (shape.has_nul) {
            return reject("properties", "must not contain the character U+0000");
        }
        // boost::json reads 1e400 as infinity, which JSON cannot spell.
        if (shape.has_non_finite) {
            return reject("properties", "holds a number outside the range of a double");
        }
        // Stored compact, doubles in their shortest spelling (not boost's 1.24E1).
        properties = json_write(*props, JsonNumbers::Shortest);
        // The size as received is settled once every event is read.
        size = PropertiesSize{true, properties.size(), shape.min_size};
    }

    out.event_id = std::move(event_id);
    out.install_id = std::move(*ctx.install_id);
    out.user_id = std::move(ctx.user_id);
    out.event_name = std::string(name->get_string());
    out.event_time = when;
    out.received_at = now;
    out.platform = ctx.platform;
    out.app_version = std::move(ctx.app_version);
    out.os_version = std::move(ctx.os_version);
    out.device_model = std::move(ctx.device_model);
    out.region = std::move(ctx.region);
    out.session_id = std::move(ctx.session_id);
    out.version_code = ctx.version_code;
    out.properties_json = std::move(properties);
    return std::nullopt;
}

}  // namespace

int json_depth(const json::value& v) {
    return inspect_properties(v).depth;
}

namespace {

// One walk for all of PropertiesShape. Recursive: the JSON parser bounds the
// depth of any document (64 levels), so the stack is bounded too.
// Returns min_json_text_size(v) (the same rules, in the same walk).
std::size_t inspect(const json::value& v, int depth, PropertiesShape& shape) {
    switch (v.kind()) {
        case json::kind::object: {
            shape.depth = std::max(shape.depth, depth);
            const auto& o = v.get_object();
            std::size_t n = 2 + (o.empty() ? 0 : o.size() - 1);
            for (const auto& kv : o) {
                if (kv.key().find('\0') != json::string_view::npos) {
                    shape.has_nul = true;
                }
                n += 2 + kv.key().size() + 1 + inspect(kv.value(), depth + 1, shape);
            }
            return n;
        }
        case json::kind::array: {
            shape.depth = std::max(shape.depth, depth);
            const auto& a = v.get_array();
            std::size_t n = 2 + (a.empty() ? 0 : a.size() - 1);
            for (const auto& e : a) {
                n += inspect(e, depth + 1, shape);
            }
            return n;
        }
        case json::kind::string:
            if (v.get_string().find('\0') != json::string::npos) {
                shape.has_nul = true;
            }
            return 2 + v.get_string().size();
        case json::kind::double_:
            if (!std::isfinite(v.get_double())) {
                shape.has_non_finite = true;
            }
            return 1;
        default:
            return min_json_text_size(v);
    }
}

}  // namespace

PropertiesShape inspect_properties(const json::value& v) {
    PropertiesShape shape;
    shape.min_size = inspect(v, 1, shape);
    return shape;
}

namespace {

std::size_t decimal_digits(std::uint64_t n) {
    std::size_t d = 1;
    while (n >= 10) {
        n /= 10;
        ++d;
    }
    return d;
}

}  // namespace

std::size_t min_json_text_size(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null:
        case json::kind::bool_:
            return v.is_bool() && !v.get_bool() ? 5 : 4;
        case json::kind::int64: {
            // An integer literal is its digits (JSON has no leading zeros),
            // and a sign; "-0" reads as 0 and is longer than "0".
            const std::int64_t n = v.get_int64();
            return n < 0 ? 1 + decimal_digits(0 - static_cast<std::uint64_t>(n))
                         : decimal_digits(static_cast<std::uint64_t>(n));
        }
        case json::kind::uint64:
            return decimal_digits(v.get_uint64());
        case json::kind::double_:
            return 1;  // "0e999" reads as 0.0, "1e5" as 100000.0: no useful bound
        case json::kind::string:
            // An escape is never shorter than what it decodes to.
            return 2 + v.get_string().size();
        case json::kind::array: {
            const auto& a = v.get_array();
            std::size_t n = 2 + (a.empty() ? 0 : a.size() - 1);
            for (const auto& e : a) {
                n += min_json_text_size(e);
            }
            return n;
        }
        case json::kind::object: {
            const auto& o = v.get_object();
            std::size_t n = 2 + (o.empty() ? 0 : o.size() - 1);
            for (const auto& kv : o) {
                n += 2 + kv.key().size() + 1 + min_json_text_size(kv.value());
            }
            return n;
        }
    }
    return 0;
}

namespace {

// min_json_text_size of the body, reusing each event's properties size from
// pass 1 instead of walking those values again.
std::size_t least_body_size(const json::object& root,
                            const json::array& items,
                            const std::vector<PropertiesSize>& sizes) {
    const json::value* events = root.if_contains("events");
    std::size_t n = 2 + (root.empty() ? 0 : root.size() - 1);
    for (const auto& kv : root) {
        n += 2 + kv.key().size() + 1;
        if (&kv.value() != events) {
            n += min_json_text_size(kv.value());
            continue;
        }
        n += 2 + (items.empty() ? 0 : items.size() - 1);
        for (std::size_t i = 0; i < items.size(); ++i) {
            const json::object* item = items[i].if_object();
            if (item == nullptr || !sizes[i].present) {
                n += min_json_text_size(items[i]);
                continue;
            }
            const json::value* props = item->if_contains("properties");
            n += 2 + (item->empty() ? 0 : item->size() - 1);
            for (const auto& member : *item) {
                n += 2 + member.key().size() + 1 +
                     (&member.value() == props ? sizes[i].least : min_json_text_size(member.value()));
            }
        }
    }
    return n;
}

// Pass 2 of the properties limit. Finding a value's bytes takes a scan of the
// body text, so it is done only when a bound cannot settle the question: no
// text of a value is shorter than its min_json_text_size, and the body's text
// is longer than the least its value could take by `slack` bytes in all, so
// one value's text is at most its least size plus the slack. For a compactly
// written body (what SDKs send) the slack is a few bytes and nothing is
// scanned; otherwise the body is scanned once (find_properties_spans). An
// accepted event over the limit becomes a rejection on `properties`.
void settle_properties_sizes(std::string_view text,
                             const json::object& root,
                             const json::array& items,
                             const std::vector<PropertiesSize>& sizes,
                             std::size_t limit,
                             const std::vector<std::size_t>& accepted,
                             ParsedBatch& batch) {
    if (text.size() <= limit) {
        return;  // no part of the body is larger than the body
    }
    const std::size_t least = least_body_size(root, items, sizes);
    const std::size_t slack = text.size() > least ? text.size() - least : 0;
    std::optional<std::optional<std::vector<std::string_view>>> spans;  // scanned on first need
    std::vector<bool> over(batch.events.size(), false);
    bool any = false;
    for (std::size_t k = 0; k < accepted.size(); ++k) {
        const PropertiesSize& size = sizes[accepted[k]];
        if (!size.present || size.least + slack <= limit) {
            continue;
        }
        if (!spans) {
            spans = find_properties_spans(text);
            if (*spans && (*spans)->size() != items.size()) {
                spans->reset();  // not the text of this body: measure the compact form
            }
        }
        const std::size_t received = *spans ? (**spans)[accepted[k]].size() : size.compact;
        if (received > limit) {
            over[k] = true;
            any = true;
        }
    }
    if (!any) {
        return;
    }
    std::vector<Event> kept;
    kept.reserve(batch.events.size());
    for (std::size_t k = 0; k < batch.events.size(); ++k) {
        if (over[k]) {
            batch.rejected.push_back(
                Rejection{accepted[k], event_field(accepted[k], "properties"), "is larger than 8 KiB"});
        } else {
            kept.push_back(std::move(batch.events[k]));
        }
    }
    batch.events = std::move(kept);
    std::sort(batch.rejected.begin(), batch.rejected.end(), [](const Rejection& a, const Rejection& b) {
        return a.index < b.index;
    });
}

}  // namespace

Result<ParsedBatch> parse_event_batch(const json::value& body,
                                      std::string_view text,
                                      TimePoint now,
                                      const std::optional<std::string>& token_user,
                                      const EventLimits& limits) {
    const json::object* root = body.if_object();
    if (root == nullptr) {
        return invalid_field("", "the body must be a JSON object");
    }
    Context base;
    if (const json::value* c = root->if_contains("context"); c != nullptr && !c->is_null()) {
        const json::object* co = c->if_object();
        if (co == nullptr) {
            return invalid_field("context", "must be an object");
        }
        if (auto bad = read_context(*co, base)) {
            return invalid_field("context." + std::string(bad->first), std::move(bad->second));
        }
    }
    const json::value* ev = root->if_contains("events");
    if (ev == nullptr || ev->is_null()) {
        return invalid_field("events", "is required");
    }
    const json::array* items = ev->if_array();
    if (items == nullptr) {
        return invalid_field("events", "must be an array");
    }
    if (items->empty()) {
        return invalid_field("events", "must hold at least one event");
    }
    if (items->size() > limits.max_events) {
        return invalid_field("events", "holds more than 500 events");
    }
    if (token_user && !is_valid_user_id(*token_user)) {
        return invalid_field(
            "userId", "the token's sub is the userId and must be 1 to 128 characters without control characters");
    }
    ParsedBatch batch;
    batch.events.reserve(items->size());
    std::vector<std::size_t> accepted;  // the index of each of batch.events
    accepted.reserve(items->size());
    std::vector<PropertiesSize> sizes(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
        Event e;
        if (auto r = parse_event(i, (*items)[i], base, now, token_user, limits, sizes[i], e)) {
            batch.rejected.push_back(std::move(*r));
        } else {
            batch.events.push_back(std::move(e));
            accepted.push_back(i);
        }
    }
    settle_properties_sizes(text, *root, *items, sizes, limits.max_properties_bytes, accepted, batch);
    return batch;
}

}  // namespace beacon::telemetry
