#include "support/release_fixtures.hpp"

#include <openssl/sha.h>

#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <vector>

#include "core/text.hpp"
#include "support/server_process.hpp"

namespace beacon::test {
namespace {

std::string shell_quote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out.push_back(c);
        }
    }
    out += "'";
    return out;
}

void set_error(std::string* error, std::string text) {
    if (error != nullptr) {
        *error = std::move(text);
    }
}

}  // namespace

bool run_shell(const std::filesystem::path& dir, const std::string& script, std::string* output) {
    auto r = run_command(
        "/bin/sh", {"-c", "cd " + shell_quote(dir.string()) + " && " + script}, {}, std::chrono::seconds(60));
    if (r.exit_code != 0 && output != nullptr) {
        *output = "`" + script + "` exited " + std::to_string(r.exit_code) + ": " + r.out + r.err;
    }
    return r.exit_code == 0;
}

std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string random_bytes(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::string out(n, '\0');
    for (std::size_t i = 0; i < n; i += 8) {
        std::uint64_t v = rng();
        for (std::size_t j = 0; j < 8 && i + j < n; ++j) {
            out[i + j] = static_cast<char>(v >> (8 * j));
        }
    }
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : md) {
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
    return out;
}

int expected_bucket(std::string_view install_id, std::int64_t version_id) {
    std::string input = std::string(install_id) + ":" + std::to_string(version_id);
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), md);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = (v << 8) | md[i];
    }
    return static_cast<int>(v % 100);
}

std::optional<std::filesystem::path> build_apk(const std::filesystem::path& dir,
                                               const std::string& name,
                                               const ApkSpec& spec,
                                               std::string* error) {
    auto work = dir / ("apk-src-" + name);
    std::filesystem::create_directories(work / "assets");
    std::ostringstream manifest;
    manifest << "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
             << "<manifest xmlns:android=\"http://schemas.android.com/apk/res/android\" package=\""
             << xml_escape(spec.package) << "\" android:versionCode=\"" << spec.version_code
             << "\" android:versionName=\"" << xml_escape(spec.version_name) << "\">\n"
             << "  <uses-sdk android:minSdkVersion=\"" << xml_escape(spec.min_sdk) << "\"/>\n"
             << "  <application android:label=\"Beacon\"/>\n</manifest>\n";
    write_bytes(work / "AndroidManifest.xml", manifest.str());
    // Something per spec in every APK so that different specs never share bytes.
    write_bytes(work / "assets" / "seed.txt",
                std::to_string(spec.seed) + ":" + spec.package + ":" + std::to_string(spec.version_code));
    if (spec.pad_bytes > 0) {
        write_bytes(work / "assets" / "blob.bin", random_bytes(spec.pad_bytes, spec.seed));
    }
    auto out = dir / name;
    std::string script =
        "aapt package -f -M AndroidManifest.xml -I "
        "/usr/share/android-framework-res/framework-res.apk -A assets -0 bin -F " +
        shell_quote(out.string());
    std::string msg;
    if (!run_shell(work, script, &msg)) {
        set_error(error, msg);
        return std::nullopt;
    }
    return out;
}

std::optional<std::filesystem::path> build_ipa(const std::filesystem::path& dir,
                                               const std::string& name,
                                               const IpaSpec& spec,
                                               std::string* error) {
    auto work = dir / ("ipa-src-" + name);
    auto app = work / "Payload" / (spec.app_name + ".app");
    std::filesystem::create_directories(app);
    std::ostringstream xml;
    xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
           "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
        << "<plist version=\"1.0\">\n<dict>\n";
    if (spec.bundle_id) {
        xml << "  <key>CFBundleIdentifier</key><string>" << xml_escape(*spec.bundle_id) << "</string>\n";
    }
    if (spec.bundle_version) {
        xml << "  <key>CFBundleVersion</key><string>" << xml_escape(*spec.bundle_version) << "</string>\n";
    }
    xml << "  <key>CFBundleShortVersionString</key><string>" << xml_escape(spec.short_version) << "</string>\n"
        << "  <key>MinimumOSVersion</key><string>" << xml_escape(spec.min_os) << "</string>\n"
        << "  <key>CFBundleName</key><string>" << xml_escape(spec.app_name) << "</string>\n"
        << "</dict>\n</plist>\n";
    std::string msg;
    if (spec.raw_plist) {
        write_bytes(app / "Info.plist", *spec.raw_plist);
    } else if (spec.binary_plist) {
        write_bytes(work / "Info.plist.xml", xml.str());
        if (!run_shell(work,
                       "plistutil -i Info.plist.xml -o " + shell_quote((app / "Info.plist").string()) + " -f bin",
                       &msg)) {
            set_error(error, msg);
            return std::nullopt;
        }
    } else {
        write_bytes(app / "Info.plist", xml.str());
    }
    write_bytes(app / "executable", random_bytes(4096, spec.bundle_id.value_or("").size() + spec.short_version.size()));
    auto out = dir / name;
    std::filesystem::remove(out);
    if (!run_shell(work, "zip -q -r " + shell_quote(out.string()) + " Payload", &msg)) {
        set_error(error, msg);
        return std::nullopt;
    }
    return out;
}

std::string bplist_reference_bomb(int levels, std::string_view bundle_id) {
    // Objects: 0 root dict, 1 "CFBundleIdentifier", 2 "Bomb", 3 bundle_id,
    // 4 .. 4+levels-1 the arrays (each [next, next]), 4+levels the leaf "x".
    const int count = 5 + levels;
    std::string out = "bplist00";
    std::vector<std::size_t> offsets;
    auto ascii = [&](std::string_view text) {
        offsets.push_back(out.size());
        if (text.size() < 15) {
            out.push_back(static_cast<char>(0x50 | text.size()));
        } else {
            out.push_back(static_cast<char>(0x5F));
            out.push_back(static_cast<char>(0x10));
            out.push_back(static_cast<char>(text.size()));
        }
        out.append(text);
    };
    offsets.push_back(out.size());
    out += "\xD2";              // dict of 2
    out += "\x01\x02\x03\x04";  // keys 1, 2; values 3, 4 (ref size 1)
    ascii("CFBundleIdentifier");
    ascii("Bomb");
    ascii(bundle_id);
    for (int k = 0; k < levels; ++k) {
        offsets.push_back(out.size());
        out.push_back(static_cast<char>(0xA2));  // array of 2
        out.push_back(static_cast<char>(5 + k));
        out.push_back(static_cast<char>(5 + k));
    }
    ascii("x");
    const std::size_t table = out.size();
    for (std::size_t off : offsets) {  // offset size 2
        out.push_back(static_cast<char>(off >> 8));
        out.push_back(static_cast<char>(off & 0xFF));
    }
    auto be64 = [&](std::uint64_t v) {
        for (int i = 7; i >= 0; --i) {
            out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
        }
    };
    out.append(6, '\0');
    out.push_back(2);  // offset size
    out.push_back(1);  // ref size
    be64(static_cast<std::uint64_t>(count));
    be64(0);  // root
    be64(table);
    return out;
}

std::optional<std::filesystem::path> build_plain_zip(const std::filesystem::path& dir,
                                                     const std::string& name,
                                                     const std::string& content,
                                                     std::string* error) {
    auto work = dir / ("zip-src-" + name);
    std::filesystem::create_directories(work);
    write_bytes(work / "readme.txt", content);
    auto out = dir / name;
    std::filesystem::remove(out);
    std::string msg;
    if (!run_shell(work, "zip -q " + shell_quote(out.string()) + " readme.txt", &msg)) {
        set_error(error, msg);
        return std::nullopt;
    }
    return out;
}

std::string multipart_body(std::string_view boundary,
                           std::string_view field,
                           std::string_view file_name,
                           std::string_view content,
                           std::string_view content_type) {
    std::string b;
    b += "--";
    b += boundary;
    b += "\r\nContent-Disposition: form-data; name=\"";
    b += field;
    b += "\"; filename=\"";
    b += file_name;
    b += "\"\r\nContent-Type: ";
    b += content_type;
    b += "\r\n\r\n";
    b += content;
    b += "\r\n--";
    b += boundary;
    b += "--\r\n";
    return b;
}

}  // namespace beacon::test
