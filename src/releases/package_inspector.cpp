#include "releases/package_inspector.hpp"

#include <cstdlib>
#include <memory>
#include <system_error>
#include <vector>

#include <plist/plist.h>
#include <zip.h>

#include "releases/android_binary_xml.hpp"

namespace beacon::releases {
namespace {

constexpr const char* kAndroidManifest = "AndroidManifest.xml";

Error unprocessable(std::string message) {
    return make_error(ErrorCode::Unprocessable, std::move(message));
}

std::string zip_error_text(int code) {
    zip_error_t e;
    zip_error_init_with_code(&e, code);
    std::string text = zip_error_strerror(&e);
    zip_error_fini(&e);
    return text;
}

struct ZipClose {
    void operator()(zip_t* z) const { zip_discard(z); }  // read-only: nothing to write back
};
struct ZipFileClose {
    void operator()(zip_file_t* f) const { zip_fclose(f); }
};
struct PlistFree {
    void operator()(void* p) const { plist_free(static_cast<plist_t>(p)); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipClose>;
using PlistPtr = std::unique_ptr<void, PlistFree>;

// Reads one entry whole, refusing more than kMaxPackageMetadataBytes whatever
// the central directory claims (the read itself is bounded, not just the stat).
Result<std::vector<std::uint8_t>> read_entry(zip_t* zip, zip_uint64_t index, const std::string& name) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip, index, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) != 0 &&
        st.size > kMaxPackageMetadataBytes) {
        return unprocessable(name + " is larger than " + std::to_string(kMaxPackageMetadataBytes) + " bytes");
    }
    std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(zip, index, 0));
    if (!file) {
        return unprocessable("cannot read " + name + ": " + zip_error_strerror(zip_get_error(zip)));
    }
    std::vector<std::uint8_t> out;
    std::uint8_t buf[64 * 1024];
    for (;;) {
        const zip_int64_t n = zip_fread(file.get(), buf, sizeof buf);
        if (n < 0) {
            return unprocessable("cannot read " + name + ": " + zip_file_strerror(file.get()));
        }
        if (n == 0) {
            break;
        }
        if (out.size() + static_cast<std::uint64_t>(n) > kMaxPackageMetadataBytes) {
            return unprocessable(name + " is larger than " + std::to_string(kMaxPackageMetadataBytes) + " bytes");
        }
        out.insert(out.end(), buf, buf + n);
    }
    return out;
}

// "Payload/<Name>.app/Info.plist" with a non-empty <Name> and nothing deeper.
bool is_ipa_info_plist(std::string_view name) {
    constexpr std::string_view kPrefix = "Payload/";
    constexpr std::string_view kSuffix = ".app/Info.plist";
    if (name.size() <= kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) || !name.ends_with(kSuffix)) {
        return false;
    }
    const std::string_view app = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
    return app.find('/') == std::string_view::npos;
}

std::optional<std::string> plist_string(plist_t dict, const char* key) {
    plist_t node = plist_dict_get_item(dict, key);
    if (node == nullptr || plist_get_node_type(node) != PLIST_STRING) {
        return std::nullopt;
    }
    char* value = nullptr;
    plist_get_string_val(node, &value);
    if (value == nullptr) {
        return std::nullopt;
    }
    std::string out(value);
    std::free(value);  // libplist 2.2 allocates with malloc and has no plist_mem_free
    return out;
}

}  // namespace

std::optional<std::int64_t> bundle_version_code(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
        if (v > 0x7FFFFFFF) {
            return std::nullopt;  // stops before the product could overflow int64
        }
    }
    return v;
}

Result<DetectedPackage> parse_info_plist(std::span<const std::uint8_t> data) {
    if (data.empty() || data.size() > kMaxPackageMetadataBytes) {
        return unprocessable("Info.plist is empty or too large");
    }
    plist_t raw = nullptr;
    plist_from_memory(reinterpret_cast<const char*>(data.data()), static_cast<std::uint32_t>(data.size()), &raw);
    PlistPtr root(raw);
    if (!root || plist_get_node_type(raw) != PLIST_DICT) {
        return unprocessable("Info.plist is not a property list dictionary");
    }
    DetectedPackage d;
    d.platform = Platform::Ios;
    auto id = plist_string(raw, "CFBundleIdentifier");
    if (!id || id->empty()) {
        return unprocessable("Info.plist has no CFBundleIdentifier");
    }
    d.package_name = std::move(*id);
    if (auto v = plist_string(raw, "CFBundleVersion")) {
        d.version_code = bundle_version_code(*v);
    }
    d.version_name = plist_string(raw, "CFBundleShortVersionString");
    d.min_os_version = plist_string(raw, "MinimumOSVersion");
    return d;
}

Result<std::optional<DetectedPackage>> inspect_package(const std::filesystem::path& zip_file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(zip_file, ec);
    if (ec) {
        return make_error(ErrorCode::Internal, "inspecting " + zip_file.string() + ": " + ec.message());
    }
    if (size == 0) {
        // libzip opens an empty file as an empty archive; an empty upload is not one.
        return unprocessable("the file is empty, not a ZIP archive");
    }
    int err = 0;
    ZipPtr zip(zip_open(zip_file.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err));
    if (!zip) {
        if (err == ZIP_ER_OPEN || err == ZIP_ER_NOENT || err == ZIP_ER_MEMORY) {
            return make_error(ErrorCode::Internal, "opening " + zip_file.string() + ": " + zip_error_text(err));
        }
        return unprocessable("not a ZIP archive: " + zip_error_text(err));
    }

    const zip_int64_t manifest = zip_name_locate(zip.get(), kAndroidManifest, 0);
    if (manifest >= 0) {
        auto bytes = read_entry(zip.get(), static_cast<zip_uint64_t>(manifest), kAndroidManifest);
        if (!bytes) {
            return std::move(bytes).error();
        }
        // A text manifest (a zipped project, say) is not an APK; binary XML
        // starts with the RES_XML_TYPE chunk header.
        const bool binary_xml = bytes->size() >= 2 && (*bytes)[0] == 0x03 && (*bytes)[1] == 0x00;
        if (binary_xml) {
            auto info = parse_android_manifest(*bytes);
            if (!info) {
                return std::move(info).error();
            }
            DetectedPackage d;
            d.platform = Platform::Android;
            d.package_name = std::move(info->package);
            d.version_code = info->version_code;
            d.version_name = std::move(info->version_name);
            d.min_os_version = std::move(info->min_sdk_version);
            return std::optional<DetectedPackage>(std::move(d));
        }
    }

    const zip_int64_t entries = zip_get_num_entries(zip.get(), 0);
    for (zip_int64_t i = 0; i < entries; ++i) {
        const char* name = zip_get_name(zip.get(), static_cast<zip_uint64_t>(i), 0);
        if (name == nullptr || !is_ipa_info_plist(name)) {
            continue;
        }
        auto bytes = read_entry(zip.get(), static_cast<zip_uint64_t>(i), name);
        if (!bytes) {
            return std::move(bytes).error();
        }
        auto d = parse_info_plist(*bytes);
        if (!d) {
            return std::move(d).error().with_context(name);
        }
        return std::optional<DetectedPackage>(std::move(*d));
    }
    return std::optional<DetectedPackage>();
}

}  // namespace beacon::releases
