#include "fixtures.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>

#include <gtest/gtest.h>
#include <zip.h>

namespace beacon::releases::fixtures {

std::string quote(const fs::path& p) {
    std::string out = "'";
    for (char c : p.string()) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

bool run(const std::string& command) {
    const int rc = std::system((command + " >/dev/null 2>&1").c_str());
    if (rc != 0) {
        ADD_FAILURE() << "fixture command failed (" << rc << "): " << command;
        return false;
    }
    return true;
}

void write_file(const fs::path& path, std::string_view content) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

namespace {

constexpr const char* kFrameworkRes = "/usr/share/android-framework-res/framework-res.apk";

fs::path aapt_package(const fs::path& dir,
                      std::string_view manifest_xml,
                      const std::vector<std::pair<std::string, std::string>>& res_files,
                      const std::string& extra) {
    write_file(dir / "AndroidManifest.xml", manifest_xml);
    std::string cmd = "aapt package -f -M " + quote(dir / "AndroidManifest.xml") + " -I " + kFrameworkRes;
    if (!res_files.empty()) {
        for (const auto& [path, content] : res_files) {
            write_file(dir / "res" / path, content);
        }
        cmd += " -S " + quote(dir / "res");
    }
    const fs::path apk = dir / "app.apk";
    cmd += " " + extra + " -F " + quote(apk);
    if (!run(cmd)) {
        return {};
    }
    return apk;
}

}  // namespace

fs::path build_apk(const fs::path& dir,
                   std::string_view manifest_xml,
                   const std::vector<std::pair<std::string, std::string>>& res_files) {
    return aapt_package(dir, manifest_xml, res_files, "");
}

std::vector<std::uint8_t> zip_entry(const fs::path& zip_path, const std::string& name) {
    int err = 0;
    std::unique_ptr<zip_t, decltype(&zip_discard)> zip(zip_open(zip_path.c_str(), ZIP_RDONLY, &err), &zip_discard);
    if (!zip) {
        ADD_FAILURE() << "cannot open " << zip_path;
        return {};
    }
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> f(zip_fopen(zip.get(), name.c_str(), 0), &zip_fclose);
    if (!f) {
        ADD_FAILURE() << "no " << name << " in " << zip_path;
        return {};
    }
    std::vector<std::uint8_t> out;
    std::uint8_t buf[8192];
    zip_int64_t n = 0;
    while ((n = zip_fread(f.get(), buf, sizeof buf)) > 0) {
        out.insert(out.end(), buf, buf + n);
    }
    return out;
}

std::vector<std::uint8_t> compiled_manifest(const fs::path& dir, std::string_view manifest_xml) {
    const fs::path apk = build_apk(dir, manifest_xml);
    return apk.empty() ? std::vector<std::uint8_t>{} : zip_entry(apk, "AndroidManifest.xml");
}

std::vector<std::uint8_t> compiled_utf8_xml(const fs::path& dir, std::string_view xml) {
    const fs::path apk =
        aapt_package(dir, kSimpleManifest, {{"xml/doc.xml", std::string(xml)}}, "--min-sdk-version 24");
    return apk.empty() ? std::vector<std::uint8_t>{} : zip_entry(apk, "res/xml/doc.xml");
}

fs::path make_zip(const fs::path& dir,
                  const std::string& zip_name,
                  const std::vector<std::pair<std::string, std::string>>& entries,
                  bool store) {
    const fs::path staging = dir / (zip_name + ".d");
    fs::create_directories(staging);
    std::string names;
    for (const auto& [name, content] : entries) {
        write_file(staging / name, content);
        names += " " + quote(name);
    }
    const fs::path out = dir / zip_name;
    // Entries are listed explicitly (not -r) so their order is the given one.
    if (!run("cd " + quote(staging) + " && zip -q -X " + (store ? "-0 " : "") + quote(out) + names)) {
        return {};
    }
    return out;
}

std::string binary_plist(const fs::path& dir, std::string_view xml) {
    write_file(dir / "in.plist", xml);
    if (!run("plistutil -i " + quote(dir / "in.plist") + " -o " + quote(dir / "out.plist") + " -f bin")) {
        return {};
    }
    const auto bytes = read_file(dir / "out.plist");
    return std::string(bytes.begin(), bytes.end());
}

std::string info_plist_xml(const std::vector<std::pair<std::string, std::string>>& string_keys) {
    std::string xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
        "<plist version=\"1.0\">\n<dict>\n";
    for (const auto& [key, value] : string_keys) {
        xml += "  <key>" + key + "</key>\n  <string>" + value + "</string>\n";
    }
    xml += "  <key>UIDeviceFamily</key>\n  <array><integer>1</integer></array>\n</dict>\n</plist>\n";
    return xml;
}

}  // namespace beacon::releases::fixtures
