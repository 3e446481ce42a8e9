#include "releases/package_inspector.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <system_error>
#include <vector>

#include <plist/plist.h>
#include <zip.h>

#include "releases/android_binary_xml.hpp"
#include "releases/plist_bounds.hpp"
#include "releases/storable_text.hpp"

namespace beacon::releases {
namespace {

constexpr const char* kAndroidManifest = "AndroidManifest.xml";

Error unprocessable(std::string message) {
    return make_error(ErrorCode::Unprocessable, std::move(message));
}

// Whether a libzip error is a failure of our own disk rather than of the
// archive's bytes. We open the file ourselves before libzip sees it, so only
// the system calls libzip makes on it can fail for reasons of ours; and only
// for some errno values: a seek past the end of the file (EINVAL, EFBIG) is
// a lying offset in the archive, not a disk fault. Everything else libzip
// reports, ZIP_ER_MEMORY included (it allocates what the directory claims),
// is about the bytes we were sent.
bool is_local_io_failure(const zip_error_t* e) {
    if (zip_error_system_type(e) != ZIP_ET_SYS) {
        return false;
    }
    switch (zip_error_code_system(e)) {
        case EIO:
        case ENOMEM:
        case EMFILE:
        case ENFILE:
        case ENXIO:
        case ENODEV:
        case ESTALE:
        case EBADF:
        case EACCES:
        case EPERM:
            return true;
        default:
            return false;
    }
}

// A libzip error as ours: Unavailable for a disk failure, else Unprocessable.
Error zip_failure(std::string what, const zip_error_t* e) {
    std::string text = what + ": " + zip_error_strerror(const_cast<zip_error_t*>(e));
    if (is_local_io_failure(e)) {
        return unavailable("spool", std::move(text));
    }
    return make_error(ErrorCode::Unprocessable, std::move(text));
}

// A value read from the package, or the 422 that names it when PostgreSQL
// could not store it.
Result<std::optional<std::string>> storable(std::optional<std::string> value, std::string_view where) {
    if (value && !is_storable_text(*value)) {
        return unprocessable(std::string(where) + " is not UTF-8 text without U+0000");
    }
    return value;
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
        return zip_failure("cannot read " + name, zip_get_error(zip));
    }
    std::vector<std::uint8_t> out;
    std::uint8_t buf[64 * 1024];
    for (;;) {
        const zip_int64_t n = zip_fread(file.get(), buf, sizeof buf);
        if (n < 0) {
            return zip_failure("cannot read " + name, zip_file_get_error(file.get()));
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
    // Not plist_get_string_val(): it asserts that the length is the C string
    // length, and a UTF-16 string holding U+0000 breaks that (the process
    // aborts). The pointer and length keep the NUL, which storable() refuses.
    std::uint64_t length = 0;
    const char* value = plist_get_string_ptr(node, &length);
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(value, static_cast<std::size_t>(length));
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
    // libplist expands every reference into a copy and has no limits of its
    // own: bound what it would build before it builds it.
    if (auto bounded = check_plist_bounds(data); !bounded) {
        return std::move(bounded).error();
    }
    plist_t raw = nullptr;
    plist_from_memory(reinterpret_cast<const char*>(data.data()), static_cast<std::uint32_t>(data.size()), &raw);
    PlistPtr root(raw);
    if (!root || plist_get_node_type(raw) != PLIST_DICT) {
        return unprocessable("Info.plist is not a property list dictionary");
    }
    DetectedPackage d;
    d.platform = Platform::Ios;
    auto id = storable(plist_string(raw, "CFBundleIdentifier"), "Info.plist CFBundleIdentifier");
    auto version = storable(plist_string(raw, "CFBundleVersion"), "Info.plist CFBundleVersion");
    auto name = storable(plist_string(raw, "CFBundleShortVersionString"), "Info.plist CFBundleShortVersionString");
    auto min_os = storable(plist_string(raw, "MinimumOSVersion"), "Info.plist MinimumOSVersion");
    for (const auto* r : {&id, &version, &name, &min_os}) {
        if (!*r) {
            return r->error();
        }
    }
    // An empty identifier says as little as a missing one.
    if (*id && !(*id)->empty()) {
        d.package_name = std::move(**id);
    }
    if (*version) {
        d.version_code = bundle_version_code(**version);
    }
    d.version_name = std::move(*name);
    d.min_os_version = std::move(*min_os);
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
    // Opened here, not by libzip, so that every error libzip reports from
    // now on is about the archive or the reads it makes (see
    // is_local_io_failure), never about finding or opening the file.
    std::FILE* f = std::fopen(zip_file.c_str(), "rb");
    if (f == nullptr) {
        const int err = errno;
        std::string text = "opening " + zip_file.string() + ": " + std::strerror(err);
        if (err == ENOENT || err == EACCES) {
            return make_error(ErrorCode::Internal, std::move(text));
        }
        return unavailable("spool", std::move(text));
    }
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_filep_create(f, 0, -1, &error);  // owns `f` from here on
    if (source == nullptr) {
        std::fclose(f);
        Error e = zip_failure("opening " + zip_file.string(), &error);
        zip_error_fini(&error);
        return e.code == ErrorCode::Unprocessable ? make_error(ErrorCode::Internal, e.message) : e;
    }
    ZipPtr zip(zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error));
    if (!zip) {
        zip_source_free(source);
        Error e = zip_failure("not a ZIP archive", &error);
        zip_error_fini(&error);
        return e;
    }
    zip_error_fini(&error);

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
            auto package = storable(std::move(info->package), "AndroidManifest.xml package");
            auto name = storable(std::move(info->version_name), "AndroidManifest.xml android:versionName");
            auto min_sdk = storable(std::move(info->min_sdk_version), "AndroidManifest.xml android:minSdkVersion");
            for (const auto* r : {&package, &name, &min_sdk}) {
                if (!*r) {
                    return r->error();
                }
            }
            DetectedPackage d;
            d.platform = Platform::Android;
            d.package_name = std::move(*package);
            d.version_code = info->version_code;
            d.version_name = std::move(*name);
            d.min_os_version = std::move(*min_sdk);
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
