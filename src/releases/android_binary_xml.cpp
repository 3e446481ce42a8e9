#include "releases/android_binary_xml.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace beacon::releases {
namespace {

constexpr std::uint16_t kResStringPoolType = 0x0001;
constexpr std::uint16_t kResXmlType = 0x0003;
constexpr std::uint16_t kResXmlStartElementType = 0x0102;
constexpr std::uint16_t kResXmlEndElementType = 0x0103;
constexpr std::uint16_t kResXmlResourceMapType = 0x0180;

constexpr std::uint32_t kUtf8Flag = 0x100;
constexpr std::uint32_t kNoIndex = 0xFFFFFFFF;

constexpr std::uint64_t kStringPoolHeaderSize = 28;
constexpr std::uint64_t kNodeHeaderSize = 16;   // chunk header + lineNumber + comment
constexpr std::uint64_t kAttrExtSize = 20;      // ResXMLTree_attrExt
constexpr std::uint64_t kAttributeSize = 20;    // ResXMLTree_attribute
constexpr std::uint64_t kElementOverhead = 64;  // budget charged per element / attribute

// android.R.attr ids (stable since API 1).
constexpr std::uint32_t kAttrVersionCode = 0x0101021b;
constexpr std::uint32_t kAttrVersionName = 0x0101021c;
constexpr std::uint32_t kAttrMinSdkVersion = 0x0101020c;

Error malformed(std::string what) {
    return make_error(ErrorCode::Unprocessable, "binary XML: " + std::move(what));
}

// A bounds-checked little-endian view. Callers check has() before reading;
// the readers assert nothing and read nothing outside the span.
class Bytes {
public:
    explicit Bytes(std::span<const std::uint8_t> d) : d_(d) {}
    std::uint64_t size() const { return d_.size(); }
    bool has(std::uint64_t off, std::uint64_t len) const { return off <= d_.size() && len <= d_.size() - off; }
    std::uint8_t u8(std::uint64_t off) const { return has(off, 1) ? d_[off] : 0; }
    std::uint16_t u16(std::uint64_t off) const {
        if (!has(off, 2)) {
            return 0;
        }
        return static_cast<std::uint16_t>(d_[off] | (d_[off + 1] << 8));
    }
    std::uint32_t u32(std::uint64_t off) const {
        if (!has(off, 4)) {
            return 0;
        }
        return static_cast<std::uint32_t>(d_[off]) | (static_cast<std::uint32_t>(d_[off + 1]) << 8) |
               (static_cast<std::uint32_t>(d_[off + 2]) << 16) | (static_cast<std::uint32_t>(d_[off + 3]) << 24);
    }
    Bytes sub(std::uint64_t off, std::uint64_t len) const { return Bytes(d_.subspan(off, len)); }
    std::span<const std::uint8_t> span() const { return d_; }

private:
    std::span<const std::uint8_t> d_;
};

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

constexpr std::uint32_t kReplacement = 0xFFFD;

// Copies UTF-8, replacing each invalid byte with U+FFFD, so what reaches JSON
// is always valid UTF-8.
std::string utf8_lossy(std::span<const std::uint8_t> s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const std::uint8_t b = s[i];
        std::size_t n = 0;
        std::uint8_t lo = 0x80;
        std::uint8_t hi = 0xBF;
        if (b < 0x80) {
            out.push_back(static_cast<char>(b));
            ++i;
            continue;
        } else if (b >= 0xC2 && b <= 0xDF) {
            n = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            n = 2;
            lo = b == 0xE0 ? 0xA0 : 0x80;
            hi = b == 0xED ? 0x9F : 0xBF;
        } else if (b >= 0xF0 && b <= 0xF4) {
            n = 3;
            lo = b == 0xF0 ? 0x90 : 0x80;
            hi = b == 0xF4 ? 0x8F : 0xBF;
        }
        bool ok = n > 0 && n < s.size() - i;  // the n continuation bytes exist
        if (ok) {
            ok = s[i + 1] >= lo && s[i + 1] <= hi;
            for (std::size_t k = 2; ok && k <= n; ++k) {
                ok = s[i + k] >= 0x80 && s[i + k] <= 0xBF;
            }
        }
        if (!ok) {
            append_utf8(out, kReplacement);
            ++i;
            continue;
        }
        out.append(reinterpret_cast<const char*>(s.data() + i), n + 1);
        i += n + 1;
    }
    return out;
}

// The string pool, decoding strings on demand. Each string is decoded once;
// all decoding and copying is charged to a shared byte budget.
class StringPool {
public:
    static Result<StringPool> parse(Bytes chunk, std::uint64_t header_size, std::uint64_t* budget) {
        if (header_size < kStringPoolHeaderSize) {
            return malformed("string pool header too small");
        }
        StringPool p(chunk, budget);
        p.count_ = chunk.u32(8);
        const std::uint32_t style_count = chunk.u32(12);
        const std::uint32_t flags = chunk.u32(16);
        const std::uint64_t strings_start = chunk.u32(20);
        const std::uint64_t styles_start = chunk.u32(24);
        p.utf8_ = (flags & kUtf8Flag) != 0;
        p.offsets_ = header_size;
        const std::uint64_t index_bytes = 4 * (static_cast<std::uint64_t>(p.count_) + style_count);
        if (!chunk.has(header_size, index_bytes)) {
            return malformed("string pool index runs past its chunk");
        }
        if (p.count_ == 0) {
            return p;
        }
        p.data_begin_ = strings_start;
        p.data_end_ = style_count > 0 ? styles_start : chunk.size();
        if (p.data_begin_ < header_size + index_bytes || p.data_begin_ > p.data_end_ || p.data_end_ > chunk.size()) {
            return malformed("string pool data outside its chunk");
        }
        return p;
    }

    std::uint32_t count() const { return count_; }

    // The string at `index`; kNoIndex gives the empty string (an absent
    // namespace, say). The pointer lives as long as the pool.
    Result<const std::string*> get(std::uint32_t index) {
        static const std::string kEmpty;
        if (index == kNoIndex) {
            return &kEmpty;
        }
        if (index >= count_) {
            return malformed("string index " + std::to_string(index) + " out of range");
        }
        if (auto it = cache_.find(index); it != cache_.end()) {
            return &it->second;
        }
        auto decoded = decode(index);
        if (!decoded) {
            return std::move(decoded).error();
        }
        if (!charge(decoded->size() + 32)) {
            return malformed("decoded strings exceed the size limit");
        }
        auto [it, inserted] = cache_.emplace(index, std::move(*decoded));
        return &it->second;
    }

    // Charges `n` bytes of output; false when the budget is spent.
    bool charge(std::uint64_t n) {
        if (n > *budget_) {
            return false;
        }
        *budget_ -= n;
        return true;
    }

private:
    StringPool(Bytes chunk, std::uint64_t* budget) : chunk_(chunk), budget_(budget) {}

    Result<std::string> decode(std::uint32_t index) const {
        const std::uint64_t rel = chunk_.u32(offsets_ + 4 * static_cast<std::uint64_t>(index));
        const std::uint64_t pos = data_begin_ + rel;
        if (rel >= data_end_ - data_begin_) {
            return malformed("string " + std::to_string(index) + " starts outside the pool");
        }
        const Bytes data = chunk_.sub(0, data_end_);
        return utf8_ ? decode_utf8(data, pos, index) : decode_utf16(data, pos, index);
    }

    static Result<std::string> decode_utf8(Bytes data, std::uint64_t pos, std::uint32_t index) {
        // UTF-16 length first (unused), then the byte length.
        for (int field = 0; field < 2; ++field) {
            if (!data.has(pos, 1)) {
                return malformed("string " + std::to_string(index) + " truncated");
            }
            std::uint64_t len = data.u8(pos);
            ++pos;
            if (len & 0x80) {
                if (!data.has(pos, 1)) {
                    return malformed("string " + std::to_string(index) + " truncated");
                }
                len = ((len & 0x7F) << 8) | data.u8(pos);
                ++pos;
            }
            if (field == 1) {
                if (!data.has(pos, len)) {
                    return malformed("string " + std::to_string(index) + " runs past the pool");
                }
                return utf8_lossy(data.span().subspan(pos, len));
            }
        }
        return malformed("unreachable");  // the loop returns on its second pass
    }

    static Result<std::string> decode_utf16(Bytes data, std::uint64_t pos, std::uint32_t index) {
        if (!data.has(pos, 2)) {
            return malformed("string " + std::to_string(index) + " truncated");
        }
        std::uint64_t len = data.u16(pos);
        pos += 2;
        if (len & 0x8000) {
            if (!data.has(pos, 2)) {
                return malformed("string " + std::to_string(index) + " truncated");
            }
            len = ((len & 0x7FFF) << 16) | data.u16(pos);
            pos += 2;
        }
        if (!data.has(pos, 2 * len)) {
            return malformed("string " + std::to_string(index) + " runs past the pool");
        }
        std::string out;
        out.reserve(len);
        for (std::uint64_t i = 0; i < len; ++i) {
            const std::uint32_t u = data.u16(pos + 2 * i);
            if (u >= 0xD800 && u <= 0xDBFF && i + 1 < len) {
                const std::uint32_t v = data.u16(pos + 2 * (i + 1));
                if (v >= 0xDC00 && v <= 0xDFFF) {
                    append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
                    ++i;
                    continue;
                }
            }
            append_utf8(out, (u >= 0xD800 && u <= 0xDFFF) ? kReplacement : u);
        }
        return out;
    }

    Bytes chunk_;
    std::uint64_t* budget_;
    std::uint32_t count_ = 0;
    bool utf8_ = false;
    std::uint64_t offsets_ = 0;
    std::uint64_t data_begin_ = 0;
    std::uint64_t data_end_ = 0;
    std::unordered_map<std::uint32_t, std::string> cache_;
};

AxmlValueType classify(std::uint8_t t) {
    switch (t) {
        case 0x00:
            return AxmlValueType::Null;
        case 0x01:
            return AxmlValueType::Reference;
        case 0x03:
            return AxmlValueType::String;
        case 0x10:
            return AxmlValueType::IntDec;
        case 0x11:
            return AxmlValueType::IntHex;
        case 0x12:
            return AxmlValueType::Boolean;
        default:
            return AxmlValueType::Other;
    }
}

// Copies a pooled string into the output, charging the budget.
Result<std::string> take(StringPool& pool, std::uint32_t index) {
    auto s = pool.get(index);
    if (!s) {
        return std::move(s).error();
    }
    if (!pool.charge((*s)->size())) {
        return malformed("decoded strings exceed the size limit");
    }
    return **s;
}

Result<AxmlElement> parse_start_element(
    Bytes chunk, std::uint64_t header_size, StringPool& pool, Bytes resource_map, int depth) {
    if (header_size < kNodeHeaderSize || !chunk.has(header_size, kAttrExtSize)) {
        return malformed("start element chunk too small");
    }
    const std::uint64_t ext = header_size;
    AxmlElement el;
    el.depth = depth;
    auto ns = take(pool, chunk.u32(ext));
    if (!ns) {
        return std::move(ns).error();
    }
    auto name = take(pool, chunk.u32(ext + 4));
    if (!name) {
        return std::move(name).error();
    }
    el.ns = std::move(*ns);
    el.name = std::move(*name);

    const std::uint64_t attr_start = chunk.u16(ext + 8);
    const std::uint64_t attr_size = chunk.u16(ext + 10);
    const std::uint64_t attr_count = chunk.u16(ext + 12);
    if (attr_count == 0) {
        return el;
    }
    if (attr_size < kAttributeSize) {
        return malformed("attribute size " + std::to_string(attr_size) + " too small");
    }
    if (!chunk.has(ext + attr_start, attr_count * attr_size)) {
        return malformed("attributes run past their element");
    }
    if (!pool.charge(attr_count * kElementOverhead)) {
        return malformed("decoded strings exceed the size limit");
    }
    el.attributes.reserve(attr_count);
    for (std::uint64_t i = 0; i < attr_count; ++i) {
        const std::uint64_t a = ext + attr_start + i * attr_size;
        AxmlAttribute attr;
        const std::uint32_t name_index = chunk.u32(a + 4);
        auto ans = take(pool, chunk.u32(a));
        if (!ans) {
            return std::move(ans).error();
        }
        auto aname = take(pool, name_index);
        if (!aname) {
            return std::move(aname).error();
        }
        attr.ns = std::move(*ans);
        attr.name = std::move(*aname);
        if (static_cast<std::uint64_t>(name_index) < resource_map.size() / 4) {
            attr.resource_id = resource_map.u32(4 * static_cast<std::uint64_t>(name_index));
        }
        const std::uint32_t raw = chunk.u32(a + 8);
        attr.value.raw_type = chunk.u8(a + 15);
        attr.value.type = classify(attr.value.raw_type);
        attr.value.data = chunk.u32(a + 16);
        const std::uint32_t text_index = attr.value.type == AxmlValueType::String ? attr.value.data : raw;
        if (text_index != kNoIndex) {
            auto text = take(pool, text_index);
            if (!text) {
                return std::move(text).error();
            }
            attr.value.text = std::move(*text);
        }
        el.attributes.push_back(std::move(attr));
    }
    return el;
}

// A matcher for android: attributes: by resource id when the file maps the
// name to one, else by namespace and name.
const AxmlAttribute* find_android_attr(const AxmlElement& el, std::uint32_t id, std::string_view name) {
    for (const AxmlAttribute& a : el.attributes) {
        if (a.resource_id != 0 ? a.resource_id == id : (a.ns == kAndroidNamespace && a.name == name)) {
            return &a;
        }
    }
    return nullptr;
}

const AxmlAttribute* find_plain_attr(const AxmlElement& el, std::string_view name) {
    for (const AxmlAttribute& a : el.attributes) {
        if (a.ns.empty() && a.name == name) {
            return &a;
        }
    }
    return nullptr;
}

bool is_int(const AxmlValue& v) {
    return v.type == AxmlValueType::IntDec || v.type == AxmlValueType::IntHex;
}

// A non-negative decimal that fits a signed 32-bit integer.
std::optional<std::int64_t> parse_code(std::string_view s) {
    if (s.empty() || s.size() > 10) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
    }
    if (v > 0x7FFFFFFF) {
        return std::nullopt;
    }
    return v;
}

}  // namespace

Result<std::vector<AxmlElement>> parse_binary_xml(std::span<const std::uint8_t> input) {
    const Bytes file(input);
    if (!file.has(0, 8)) {
        return malformed("shorter than a chunk header");
    }
    if (file.u16(0) != kResXmlType) {
        return malformed("not a binary XML document");
    }
    const std::uint64_t file_header = file.u16(2);
    const std::uint64_t file_size = file.u32(4);
    if (file_header < 8 || file_header > file_size) {
        return malformed("bad document header");
    }
    if (file_size > file.size()) {
        return malformed("truncated: header says " + std::to_string(file_size) + " bytes, have " +
                         std::to_string(file.size()));
    }

    std::uint64_t budget = kMaxDecodedBytes;
    std::optional<StringPool> pool;
    Bytes resource_map(std::span<const std::uint8_t>{});
    std::vector<AxmlElement> elements;
    int depth = 0;
    std::uint64_t pos = file_header;
    while (pos < file_size) {
        if (!file.has(pos, 8) || file_size - pos < 8) {
            return malformed("truncated chunk header at offset " + std::to_string(pos));
        }
        const std::uint16_t type = file.u16(pos);
        const std::uint64_t header_size = file.u16(pos + 2);
        const std::uint64_t size = file.u32(pos + 4);
        if (header_size < 8 || size < header_size || size > file_size - pos) {
            return malformed("bad chunk at offset " + std::to_string(pos));
        }
        const Bytes chunk = file.sub(pos, size);
        switch (type) {
            case kResStringPoolType: {
                if (pool) {
                    return malformed("second string pool");
                }
                auto p = StringPool::parse(chunk, header_size, &budget);
                if (!p) {
                    return std::move(p).error();
                }
                pool.emplace(std::move(*p));
                break;
            }
            case kResXmlResourceMapType:
                resource_map = chunk.sub(header_size, size - header_size);
                break;
            case kResXmlStartElementType: {
                if (!pool) {
                    return malformed("element before the string pool");
                }
                if (elements.size() >= kMaxAxmlElements || !pool->charge(kElementOverhead)) {
                    return malformed("too many elements");
                }
                auto el = parse_start_element(chunk, header_size, *pool, resource_map, depth + 1);
                if (!el) {
                    return std::move(el).error().with_context("element at offset " + std::to_string(pos));
                }
                elements.push_back(std::move(*el));
                ++depth;
                break;
            }
            case kResXmlEndElementType:
                if (depth == 0) {
                    return malformed("end element without a start");
                }
                --depth;
                break;
            default:
                break;  // namespaces, CDATA and unknown chunks carry nothing we need
        }
        pos += size;
    }
    if (elements.empty()) {
        return malformed("no elements");
    }
    return elements;
}

Result<AndroidManifestInfo> parse_android_manifest(std::span<const std::uint8_t> data) {
    auto parsed = parse_binary_xml(data);
    if (!parsed) {
        return std::move(parsed).error().with_context("AndroidManifest.xml");
    }
    const std::vector<AxmlElement>& elements = *parsed;
    const AxmlElement& root = elements.front();
    if (root.name != "manifest" || !root.ns.empty()) {
        // The name comes from the upload: keep the message short, cutting at a
        // UTF-8 character boundary (the decoded name is valid UTF-8).
        std::size_t cut = std::min<std::size_t>(root.name.size(), 64);
        while (cut > 0 && cut < root.name.size() && (static_cast<unsigned char>(root.name[cut]) & 0xC0) == 0x80) {
            --cut;
        }
        const std::string shown = cut < root.name.size() ? root.name.substr(0, cut) + "..." : root.name;
        return make_error(ErrorCode::Unprocessable, "AndroidManifest.xml: root element is <" + shown + ">");
    }
    AndroidManifestInfo info;
    // A missing (or empty, or non-string) package is null, like every other
    // key: never a reason to refuse the upload (API.md 1.1, "Edges").
    const AxmlAttribute* package = find_plain_attr(root, "package");
    if (package != nullptr && package->value.type == AxmlValueType::String && package->value.text &&
        !package->value.text->empty()) {
        info.package = *package->value.text;
    }

    if (const AxmlAttribute* a = find_android_attr(root, kAttrVersionCode, "versionCode")) {
        if (is_int(a->value)) {
            const auto v = static_cast<std::int32_t>(a->value.data);
            if (v >= 0) {
                info.version_code = v;
            }
        } else if (a->value.type == AxmlValueType::String && a->value.text) {
            info.version_code = parse_code(*a->value.text);
        }
    }
    if (const AxmlAttribute* a = find_android_attr(root, kAttrVersionName, "versionName")) {
        if (a->value.type == AxmlValueType::String && a->value.text) {
            info.version_name = *a->value.text;
        } else if (is_int(a->value)) {
            info.version_name = std::to_string(static_cast<std::int32_t>(a->value.data));
        }
    }
    for (const AxmlElement& el : elements) {
        if (el.depth != 2 || el.name != "uses-sdk" || !el.ns.empty()) {
            continue;
        }
        if (const AxmlAttribute* a = find_android_attr(el, kAttrMinSdkVersion, "minSdkVersion")) {
            if (is_int(a->value)) {
                info.min_sdk_version = std::to_string(static_cast<std::int32_t>(a->value.data));
            } else if (a->value.type == AxmlValueType::String && a->value.text) {
                info.min_sdk_version = *a->value.text;
            }
        }
        break;  // Android reads the first <uses-sdk>
    }
    return info;
}

}  // namespace beacon::releases
