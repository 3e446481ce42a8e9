#include "releases/artifact_intake.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "contract/releases/memory_version_repository.hpp"
#include "fixtures.hpp"
#include "releases/storable_text.hpp"
#include "support/temp_dir.hpp"

namespace beacon::releases {
namespace {

namespace fs = std::filesystem;
namespace fx = fixtures;

// Keeps nothing; put_file runs a hook first (to act while finish() is busy).
class HookStore final : public ArtifactStore {
public:
    std::function<void(const fs::path&)> on_put;
    Result<void> put_file(std::string_view, const fs::path& file, std::string_view) override {
        if (on_put) {
            on_put(file);
        }
        return ok();
    }
    Result<bool> exists(std::string_view) override { return true; }
    Result<void> remove(std::string_view) override { return ok(); }
    Result<SignedUrl> signed_url(
        std::string_view, std::string_view, std::chrono::seconds, TimePoint, std::string_view) override {
        return make_error(ErrorCode::Internal, "not used");
    }
};

class ArtifactIntakeTest : public ::testing::Test {
protected:
    test::TempDir dir_;
    test::MemoryVersionRepository repo_;
    HookStore store_;
    ManualClock clock_{from_epoch_ms(1'795'600'000'000)};
    fs::path spool_ = dir_.path() / "spool";
    ArtifactIntake intake_{repo_, store_, clock_, spool_, 1u << 20};

    std::size_t files_in_spool() const {
        std::size_t n = 0;
        for (const auto& e : fs::directory_iterator(spool_)) {
            (void)e;
            ++n;
        }
        return n;
    }
};

// Issue 9 #9: what a killed process left in the spool stays there forever.
// A sweep removes every upload file no live upload holds, at once, and
// leaves live ones alone, whatever their age.
TEST_F(ArtifactIntakeTest, SweepRemovesWhatNoLiveUploadHolds) {
    auto live = intake_.begin();
    ASSERT_TRUE(live) << live.error().message;
    ASSERT_TRUE((*live)->write("live bytes"));
    fx::write_file(spool_ / "upload-0123456789abcdef.part", std::string(1000, 'x'));  // a crash's leftover
    fx::write_file(spool_ / "upload-1111111111111111.new", "cut short");              // died before its rename
    fs::last_write_time(spool_ / "upload-1111111111111111.new",
                        fs::file_time_type::clock::now() - std::chrono::hours(1));
    fx::write_file(spool_ / "upload-2222222222222222.new", "being created");  // young: may be someone's create
    fx::write_file(spool_ / "notes.txt", "not ours");
    ASSERT_EQ(files_in_spool(), 5u);

    auto swept = intake_.sweep_spool();
    ASSERT_TRUE(swept) << swept.error().message;
    EXPECT_EQ(*swept, 2);
    EXPECT_FALSE(fs::exists(spool_ / "upload-0123456789abcdef.part"));
    EXPECT_FALSE(fs::exists(spool_ / "upload-1111111111111111.new"));
    EXPECT_TRUE(fs::exists(spool_ / "upload-2222222222222222.new"));
    EXPECT_TRUE(fs::exists(spool_ / "notes.txt"));
    EXPECT_EQ(files_in_spool(), 3u) << "the live upload's file stays";

    // Swept again: nothing more to do. Once the upload is gone, so is its file.
    EXPECT_EQ(*intake_.sweep_spool(), 0);
    live->reset();
    EXPECT_EQ(files_in_spool(), 2u);
}

// An upload whose bytes are all in is still live while it is inspected and
// stored (which may take minutes on S3): a sweep then must not take its file.
TEST_F(ArtifactIntakeTest, SweepSparesAnUploadBeingStored) {
    const auto zip = fx::make_zip(dir_.path(), "a.zip", {{"readme.txt", "hello"}});
    const auto bytes = fx::read_file(zip);
    auto up = intake_.begin();
    ASSERT_TRUE(up);
    ASSERT_TRUE((*up)->write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
    std::optional<Result<std::int64_t>> swept;
    bool source_there = false;
    store_.on_put = [&](const fs::path& file) {
        swept.emplace(intake_.sweep_spool());
        source_there = fs::exists(file);
    };
    auto done = intake_.finish(**up, "a.zip");
    ASSERT_TRUE(done) << done.error().message;
    ASSERT_TRUE(swept.has_value());
    ASSERT_TRUE(*swept);
    EXPECT_EQ(**swept, 0);
    EXPECT_TRUE(source_there);
}

TEST_F(ArtifactIntakeTest, SweepOfAMissingSpoolIsNothing) {
    ArtifactIntake other(repo_, store_, clock_, dir_.path() / "never-made", 1024);
    auto swept = other.sweep_spool();
    ASSERT_TRUE(swept) << swept.error().message;
    EXPECT_EQ(*swept, 0);
}

// Another holder of the lock (another process sharing the directory looks
// the same to flock: another open file description) keeps its file.
TEST_F(ArtifactIntakeTest, SweepLeavesFilesLockedElsewhere) {
    fs::create_directories(spool_);
    const fs::path p = spool_ / "upload-3333333333333333.part";
    fx::write_file(p, "someone else's");
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    EXPECT_EQ(*intake_.sweep_spool(), 0);
    EXPECT_TRUE(fs::exists(p));
    ::close(fd);
    EXPECT_EQ(*intake_.sweep_spool(), 1);
    EXPECT_FALSE(fs::exists(p));
}

TEST(SanitizeFileName, KeepsStorableTextOnly) {
    EXPECT_EQ(sanitize_file_name("dir/sub\\app \"v2\".apk", "x"), "app v2.apk");
    EXPECT_EQ(sanitize_file_name(std::string("a\0b\x01\x7f.apk", 9), "x"), "ab.apk");
    EXPECT_EQ(sanitize_file_name("caf\xe9.apk", "x"), "caf_.apk");             // Latin-1
    EXPECT_EQ(sanitize_file_name("caf\xc3\xa9.apk", "x"), "caf\xc3\xa9.apk");  // UTF-8 kept
    EXPECT_EQ(sanitize_file_name("\xc0\x80.apk", "x"), "__.apk");              // overlong NUL
    EXPECT_EQ(sanitize_file_name("\xed\xa0\x80.apk", "x"), "___.apk");         // a surrogate
    EXPECT_EQ(sanitize_file_name("\xe2\x82", "x"), "__");                      // cut sequence
    EXPECT_EQ(sanitize_file_name("", "artifact.zip"), "artifact.zip");
    EXPECT_EQ(sanitize_file_name("..", "artifact.zip"), "artifact.zip");
    // 300 bytes of two-byte characters: cut to 254, not into a character.
    std::string long_name;
    for (int i = 0; i < 150; ++i) {
        long_name += "\xc3\xa9";
    }
    const std::string cut = sanitize_file_name(long_name, "x");
    EXPECT_EQ(cut.size(), 254u);
    EXPECT_TRUE(is_storable_text(cut));
}

TEST(StorableText, ValidUtf8WithoutNul) {
    EXPECT_TRUE(is_storable_text(""));
    EXPECT_TRUE(is_storable_text("plain"));
    EXPECT_TRUE(is_storable_text("2.1.0-\xce\xb2\xf0\x9f\x9a\x80"));  // β and an emoji
    EXPECT_TRUE(is_storable_text("\xf4\x8f\xbf\xbf"));                // U+10FFFF
    EXPECT_FALSE(is_storable_text(std::string("a\0b", 3)));
    EXPECT_FALSE(is_storable_text("\xc0\x80"));          // overlong NUL
    EXPECT_FALSE(is_storable_text("\xe0\x80\xaf"));      // overlong '/'
    EXPECT_FALSE(is_storable_text("\xed\xa0\x80"));      // U+D800
    EXPECT_FALSE(is_storable_text("\xf4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(is_storable_text("\xff"));
    EXPECT_FALSE(is_storable_text("\x80"));
    EXPECT_FALSE(is_storable_text("\xc3"));  // cut
    EXPECT_FALSE(is_storable_text("\xf8\x88\x80\x80\x80"));
}

}  // namespace
}  // namespace beacon::releases
