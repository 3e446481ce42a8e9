#include "backends/memory/memory_presence.hpp"

// Online set, per shard
// ---------------------
// Each shard keeps actor -> Slot in a hash map, and partitions the actors by a
// watermark (the largest `now` that count_online/remove_expired/flush has seen):
//   live:    expiry >  watermark, in a min-heap on expiry;
//   expired: expiry <= watermark, in a second min-heap on expiry.
// Both heaps are indexed (each Slot knows its heap and position), so a
// heartbeat that extends or shortens an expiry moves its one entry instead of
// pushing a second, stale one that could later evict the actor by mistake.
// Moving the watermark forward pops live entries into `expired`; each actor
// moves once per expiry, so count_online(now) is O(newly expired * log n) and
// then just live.size(). A `now` below the watermark (tests, clock steps) is
// answered by scanning `expired`.
//
// Forgetting: an actor that expired more than `recount_grace` before the
// watermark cannot be counted by any `now` we expect to see (counts run at the
// clock's now), so it is forgotten as the window passes, not at the hourly
// cleanup: every heartbeat forgets up to kPurgePerHeartbeat of them in its
// shard (so forgetting keeps pace with new actors), and every flush (10 s)
// moves the watermark to the clock's now and forgets the rest, a bounded batch
// per lock hold. Counts do not forget, so counts at earlier times within the
// grace stay exact and agree with the Redis adapter (ZCOUNT), and
// remove_expired(now) forgets exactly the actors expired at `now` that are
// still kept (ZREMRANGEBYSCORE). After a crowd leaves, the map's bucket array
// and the heaps' capacity are given back too (compact()).
//
// Versions: each shard also counts its live actors per group (platform and
// version code of their latest heartbeat), kept in step with every move
// between the heaps and every heartbeat that changes an actor's group, so
// count_online_by_version() reads the counters and never walks the actors.
//
// Snapshot file format, version 3 (all integers little-endian)
// -----------------------------------------------------------
//   magic        8 bytes  "BCNPRSNC"
//   version      u32      3 (1 and 2 are still read)
//   actor_count  u64
//   actor_count x { actor u64 (XXH3_64bits of its name); expiry i64 epoch ms;
//                   platform u8; version code + 1 u32 (0: none) }
//                (version 2: without platform and code; version 1: { len
//                varint (LEB128); len bytes name; expiry i64 })
//   day_count    varint
//   day_count x { day i32 (days since 1970-01-01); platforms u8 (bit i set:
//                 sketch for Platform(i) follows); total sketch;
//                 one sketch per set bit, lowest bit first;
//                 version 3: versions varint; versions x { platform u8;
//                 version code + 1 u32; sketch }, in increasing order }
//   checksum     u64      XXH3_64bits of every byte before it
// A sketch is { encoding u8; ... }: 0 = sparse { n varint; n x { index u16;
// value u8 } } with indices increasing and values 1..51; 1 = dense, the 16384
// register bytes. Sparse is chosen while it is smaller (fewer than ~5461
// non-zero registers), which keeps small days tiny.
// Days are strictly increasing. Anything else (short file, bad checksum,
// unknown version or encoding, out-of-range values, trailing bytes) is refused.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <xxhash.h>

#include "core/fd_io.hpp"
#include "core/time_format.hpp"

namespace beacon::backends::memory {
namespace {

using telemetry::Platform;

constexpr std::size_t kPlatformCount = static_cast<std::size_t>(Platform::Unknown) + 1;
static_assert(kPlatformCount <= 8, "the snapshot stores the platform set in one byte");
static_assert((MemoryPresence::kShards & (MemoryPresence::kShards - 1)) == 0, "shard count is a power of two");
constexpr int kShardShift = 64 - std::countr_zero(MemoryPresence::kShards);

// ---- online set -----------------------------------------------------------

// Actors are kept by their 64-bit XXH3 hash, not their name: the online set
// of a busy day holds hundreds of thousands of actors, and a string-keyed
// node with its name allocation cost ~130 bytes per actor against ~60 now
// (make bench peaked at 178 MiB embedded with ~700k actors online). Two
// actors share a hash with probability about n^2 / 2^65 (1e-7 at 1.5M):
// the online count would then be one low. The key is already well mixed,
// so the map uses it as its own hash (std::hash of an integer is the
// identity), and the shard comes from its top bits, the bucket from its
// low ones.
std::uint64_t actor_hash(std::string_view actor) {
    return XXH3_64bits(actor.data(), actor.size());
}

// The group of an actor's latest heartbeat: platform and version code + 1
// (0: none) in one integer, ordered by platform, then code.
using Group = std::uint64_t;

Group group_of(Platform platform, std::optional<telemetry::VersionCode> code) {
    return (static_cast<Group>(platform) << 32) | (code ? static_cast<Group>(*code) + 1 : 0);
}
Platform platform_of(Group g) {
    return static_cast<Platform>(g >> 32);
}
std::optional<telemetry::VersionCode> code_of(Group g) {
    const auto low = static_cast<std::uint32_t>(g & 0xffffffffu);
    return low == 0 ? std::nullopt : std::optional<telemetry::VersionCode>(static_cast<std::int32_t>(low - 1));
}

// 24 bytes, so a map node (next pointer, key, slot: 40 bytes) still takes the
// same 48-byte malloc chunk as before platform and code were kept.
struct Slot {
    std::int64_t expiry_ms = 0;
    std::uint32_t pos = 0;      // index in Shard::live (when live) or Shard::expired
    std::uint32_t code_p1 = 0;  // version code + 1; 0: none
    std::uint8_t platform = 0;  // telemetry::Platform
    bool live = false;

    Group group() const { return (static_cast<Group>(platform) << 32) | code_p1; }
};
static_assert(sizeof(Slot) == 24);

// Forgotten per heartbeat, at most: two per new actor keeps the expired ones
// from piling up however fast installs come and go, at a cost of a compare
// when there is nothing to forget.
constexpr std::size_t kPurgePerHeartbeat = 2;
// Forgotten per lock hold by flush(), so heartbeats on that shard wait at most
// for this many erasures.
constexpr std::size_t kPurgePerLock = 4096;

using ActorMap = std::unordered_map<std::uint64_t, Slot>;
// Map nodes never move (rehash keeps references valid), so the heap and the
// expired list hold plain pointers to them; an entry is unlinked before erase.
using Node = ActorMap::value_type;

struct HeapItem {
    std::int64_t expiry_ms;  // copy of node->second.expiry_ms, for cache-friendly sifting
    Node* node;
};

// An indexed binary min-heap of nodes on their expiry: each Slot knows its
// position, so an entry can be moved or taken out from anywhere in O(log n).
class NodeHeap {
public:
    bool empty() const { return items_.empty(); }
    std::size_t size() const { return items_.size(); }
    const HeapItem& top() const { return items_.front(); }
    const std::vector<HeapItem>& items() const { return items_; }

    void push(Node* node, bool live) {
        node->second.live = live;
        items_.push_back(HeapItem{node->second.expiry_ms, node});
        sift_up(items_.size() - 1);
    }

    void erase(std::size_t i) {
        const HeapItem last = items_.back();
        items_.pop_back();
        if (i < items_.size()) {
            set(i, last);
            restore(i);
        }
    }

    // The node at `i` has a new expiry: move it up or down.
    void update(std::size_t i) {
        items_[i].expiry_ms = items_[i].node->second.expiry_ms;
        restore(i);
    }

    // Gives back the spare capacity after the heap shrank a lot (a crowd
    // that left): O(size), so at most a quarter of what was freed.
    void compact() {
        if (items_.capacity() > 1024 && items_.size() * 4 < items_.capacity()) {
            items_.shrink_to_fit();
        }
    }

private:
    void set(std::size_t i, HeapItem item) {
        items_[i] = item;
        item.node->second.pos = static_cast<std::uint32_t>(i);
    }

    void restore(std::size_t i) {
        if (i > 0 && items_[(i - 1) / 2].expiry_ms > items_[i].expiry_ms) {
            sift_up(i);
        } else {
            sift_down(i);
        }
    }

    void sift_up(std::size_t i) {
        const HeapItem item = items_[i];
        while (i > 0) {
            const std::size_t parent = (i - 1) / 2;
            if (items_[parent].expiry_ms <= item.expiry_ms) {
                break;
            }
            set(i, items_[parent]);
            i = parent;
        }
        set(i, item);
    }

    void sift_down(std::size_t i) {
        const HeapItem item = items_[i];
        const std::size_t n = items_.size();
        for (;;) {
            std::size_t child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && items_[child + 1].expiry_ms < items_[child].expiry_ms) {
                ++child;
            }
            if (items_[child].expiry_ms >= item.expiry_ms) {
                break;
            }
            set(i, items_[child]);
            i = child;
        }
        set(i, item);
    }

    std::vector<HeapItem> items_;
};

}  // namespace

struct alignas(64) MemoryPresence::Shard {
    std::mutex mu;
    ActorMap actors;
    NodeHeap live;     // expiry > watermark
    NodeHeap expired;  // expiry <= watermark, not yet forgotten
    std::int64_t watermark = std::numeric_limits<std::int64_t>::min();
    // Actors in `live` per group; groups at zero are erased.
    std::unordered_map<Group, std::int64_t> live_groups;

    void upsert(std::uint64_t actor, std::int64_t expiry, Group group) {
        auto it = actors.find(actor);
        const bool now_live = expiry > watermark;
        if (it == actors.end()) {
            it = actors.emplace(actor, Slot{}).first;
            Node* node = &*it;
            set_group(node->second, group);
            node->second.expiry_ms = expiry;
            if (now_live) {
                live.push(node, true);
                ++live_groups[group];
            } else {
                expired.push(node, false);
            }
            return;
        }
        Node* node = &*it;
        Slot& slot = node->second;
        const bool was_live = slot.live;
        if (was_live) {
            leave_live(slot.group());
        }
        set_group(slot, group);
        if (now_live) {
            ++live_groups[group];
        }
        slot.expiry_ms = expiry;
        if (was_live == now_live) {
            (was_live ? live : expired).update(slot.pos);
            return;
        }
        (was_live ? live : expired).erase(slot.pos);
        (was_live ? expired : live).push(node, !was_live);
    }

    std::int64_t count(std::int64_t now) {
        if (now >= watermark) {
            advance(now);
            return static_cast<std::int64_t>(live.size());
        }
        auto n = static_cast<std::int64_t>(live.size());
        for (const HeapItem& item : expired.items()) {
            n += item.expiry_ms > now ? 1 : 0;
        }
        return n;
    }

    // count(now)'s actors of `platform`, added into `out` per group.
    void count_groups(Platform platform, std::int64_t now, std::unordered_map<Group, std::int64_t>& out) {
        if (now >= watermark) {
            advance(now);
        } else {
            for (const HeapItem& item : expired.items()) {
                const Slot& slot = item.node->second;
                if (item.expiry_ms > now && static_cast<Platform>(slot.platform) == platform) {
                    ++out[slot.group()];
                }
            }
        }
        for (const auto& [group, n] : live_groups) {
            if (platform_of(group) == platform) {
                out[group] += n;
            }
        }
    }

    // Forgets every actor whose expiry is at or before `now`: the expired
    // heap's smallest entries, whatever `now` is.
    std::int64_t remove(std::int64_t now) {
        advance(now);
        std::int64_t removed = 0;
        while (!expired.empty() && expired.top().expiry_ms <= now) {
            forget_top();
            ++removed;
        }
        compact();
        return removed;
    }

    // Forgets at most `limit` actors that expired more than `grace` before
    // the watermark; true when more are left to forget.
    bool purge(std::int64_t grace, std::size_t limit) {
        if (watermark < std::numeric_limits<std::int64_t>::min() + grace) {
            return false;
        }
        const std::int64_t horizon = watermark - grace;
        for (std::size_t i = 0; i < limit; ++i) {
            if (expired.empty() || expired.top().expiry_ms > horizon) {
                return false;
            }
            forget_top();
        }
        return !expired.empty() && expired.top().expiry_ms <= horizon;
    }

    // Moves the watermark to `now` (if later): actors expired by then leave
    // the live heap, each once per expiry, O(log n) apiece.
    void advance(std::int64_t now) {
        if (now <= watermark) {
            return;
        }
        watermark = now;
        while (!live.empty() && live.top().expiry_ms <= now) {
            Node* node = live.top().node;
            live.erase(0);
            leave_live(node->second.group());
            expired.push(node, false);
        }
    }

    // Gives memory back after many actors left: the bucket array and the
    // heaps' capacity otherwise stay at the crowd's size.
    void compact() {
        live.compact();
        expired.compact();
        if (actors.bucket_count() > 1024 && actors.size() * 8 < actors.bucket_count()) {
            actors.rehash(0);  // nodes stay where they are, so the heaps' pointers too
        }
    }

private:
    static void set_group(Slot& slot, Group group) {
        slot.platform = static_cast<std::uint8_t>(group >> 32);
        slot.code_p1 = static_cast<std::uint32_t>(group & 0xffffffffu);
    }

    void leave_live(Group group) {
        auto it = live_groups.find(group);
        assert(it != live_groups.end() && it->second > 0);
        if (--it->second == 0) {
            live_groups.erase(it);
        }
    }

    void forget_top() {
        Node* node = expired.top().node;
        expired.erase(0);
        actors.erase(actors.find(node->first));
    }
};

// ---- DAU sketches -----------------------------------------------------------

namespace {

// A sketch with its last count, since estimates are read far more often than
// a saturated sketch changes.
struct Sketch {
    HyperLogLog hll;
    std::int64_t cached_count = -1;

    void add_hash(std::uint64_t h) {
        if (hll.add_hash(h)) {
            cached_count = -1;
        }
    }
    std::int64_t count() {
        if (cached_count < 0) {
            cached_count = static_cast<std::int64_t>(hll.count());
        }
        return cached_count;
    }
};

}  // namespace

struct MemoryPresence::DaySketches {
    Sketch total;
    std::array<std::unique_ptr<Sketch>, kPlatformCount> by_platform;
    std::map<Group, std::unique_ptr<Sketch>> by_version;  // per platform and code
};

// ---- snapshot encoding ------------------------------------------------------

namespace {

constexpr char kMagic[8] = {'B', 'C', 'N', 'P', 'R', 'S', 'N', 'C'};
constexpr std::uint32_t kVersion = 3;  // 1 (actor names) and 2 (no groups) are still read
constexpr std::uint8_t kSparse = 0;
constexpr std::uint8_t kDense = 1;

class Writer {
public:
    std::string& buffer() { return out_; }

    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u16(std::uint16_t v) { fixed(v, 2); }
    void u32(std::uint32_t v) { fixed(v, 4); }
    void u64(std::uint64_t v) { fixed(v, 8); }
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            u8(static_cast<std::uint8_t>(v | 0x80));
            v >>= 7;
        }
        u8(static_cast<std::uint8_t>(v));
    }
    void bytes(const void* data, std::size_t n) { out_.append(static_cast<const char*>(data), n); }
    void patch_u64(std::size_t at, std::uint64_t v) {
        for (std::size_t i = 0; i < 8; ++i) {
            out_[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
        }
    }

    void sketch(const HyperLogLog& h) {
        const auto regs = h.registers();
        const auto nonzero =
            static_cast<std::size_t>(std::count_if(regs.begin(), regs.end(), [](std::uint8_t r) { return r != 0; }));
        if (nonzero * 3 < regs.size()) {
            u8(kSparse);
            varint(nonzero);
            for (std::size_t i = 0; i < regs.size(); ++i) {
                if (regs[i] != 0) {
                    u16(static_cast<std::uint16_t>(i));
                    u8(regs[i]);
                }
            }
        } else {
            u8(kDense);
            bytes(regs.data(), regs.size());
        }
    }

private:
    void fixed(std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) {
            u8(static_cast<std::uint8_t>(v >> (8 * i)));
        }
    }
    std::string out_;
};

// Bounds-checked reads; any failure makes the whole snapshot corrupt.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}

    bool at_end() const { return pos_ == in_.size(); }
    bool u8(std::uint8_t& v) {
        if (pos_ >= in_.size()) {
            return false;
        }
        v = in_[pos_++];
        return true;
    }
    bool u16(std::uint16_t& v) { return fixed(v, 2); }
    bool u32(std::uint32_t& v) { return fixed(v, 4); }
    bool u64(std::uint64_t& v) { return fixed(v, 8); }
    bool varint(std::uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            std::uint8_t b = 0;
            if (!u8(b)) {
                return false;
            }
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return true;
            }
        }
        return false;
    }
    bool bytes(std::size_t n, std::span<const std::uint8_t>& out) {
        if (n > in_.size() - pos_) {
            return false;
        }
        out = in_.subspan(pos_, n);
        pos_ += n;
        return true;
    }

    bool sketch(HyperLogLog& h) {
        std::uint8_t encoding = 0;
        if (!u8(encoding)) {
            return false;
        }
        if (encoding == kDense) {
            std::span<const std::uint8_t> regs;
            if (!bytes(HyperLogLog::kRegisters, regs)) {
                return false;
            }
            auto parsed = HyperLogLog::from_registers(regs);
            if (!parsed) {
                return false;
            }
            h = *parsed;
            return true;
        }
        if (encoding != kSparse) {
            return false;
        }
        std::uint64_t n = 0;
        if (!varint(n) || n > HyperLogLog::kRegisters) {
            return false;
        }
        std::array<std::uint8_t, HyperLogLog::kRegisters> regs{};
        std::int64_t previous = -1;
        for (std::uint64_t i = 0; i < n; ++i) {
            std::uint16_t index = 0;
            std::uint8_t value = 0;
            if (!u16(index) || !u8(value)) {
                return false;
            }
            if (index <= previous || index >= HyperLogLog::kRegisters || value == 0 || value > HyperLogLog::kMaxRank) {
                return false;
            }
            regs[index] = value;
            previous = index;
        }
        h = *HyperLogLog::from_registers(regs);
        return true;
    }

private:
    template <typename T>
    bool fixed(T& v, int n) {
        if (static_cast<std::size_t>(n) > in_.size() - pos_) {
            return false;
        }
        std::uint64_t x = 0;
        for (int i = 0; i < n; ++i) {
            x |= static_cast<std::uint64_t>(in_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
        }
        pos_ += static_cast<std::size_t>(n);
        v = static_cast<T>(x);
        return true;
    }

    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
};

Error io_error(std::string_view what, const std::filesystem::path& path, int err) {
    return unavailable("presence",
                       std::string(what) + " " + path.string() + ": " + std::system_category().message(err));
}

Error corrupt(std::string_view why) {
    return make_error(ErrorCode::Internal, "corrupt snapshot: " + std::string(why));
}

// temp file + fsync + rename + fsync(dir): after a crash the path holds either
// the old snapshot or the new one, never a torn mix.
Result<void> write_atomically(const std::filesystem::path& path, std::string_view data) {
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return io_error("creating", tmp, errno);
    }
    if (!write_all(fd, data) || ::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return io_error("writing", tmp, err);
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return io_error("closing", tmp, err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return io_error("renaming to", path, err);
    }
    // Make the rename itself durable.
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        return io_error("opening directory", dir, errno);
    }
    const int rc = ::fsync(dfd);
    const int err = errno;
    ::close(dfd);
    if (rc != 0) {
        return io_error("syncing directory", dir, err);
    }
    return ok();
}

// One actor of the snapshot (version 3).
void write_actor(Writer& w, const Node& node) {
    w.u64(node.first);
    w.u64(static_cast<std::uint64_t>(node.second.expiry_ms));
    w.u8(node.second.platform);
    w.u32(node.second.code_p1);
}

// Reads the whole file; nullopt (with ok) when it does not exist.
Result<std::optional<std::vector<std::uint8_t>>> read_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return std::optional<std::vector<std::uint8_t>>{};
        }
        return io_error("opening", path, errno);
    }
    std::vector<std::uint8_t> data;
    std::uint8_t buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            const int err = errno;
            ::close(fd);
            return io_error("reading", path, err);
        }
        if (n == 0) {
            break;
        }
        data.insert(data.end(), buf, buf + n);
    }
    ::close(fd);
    return std::optional<std::vector<std::uint8_t>>{std::move(data)};
}

}  // namespace

// ---- MemoryPresence ---------------------------------------------------------

namespace {

const Clock& system_clock() {
    static const SystemClock clock;
    return clock;
}

}  // namespace

MemoryPresence::MemoryPresence(std::optional<std::filesystem::path> snapshot_path)
    : MemoryPresence(MemoryPresenceOptions{std::move(snapshot_path)}) {}

MemoryPresence::MemoryPresence(MemoryPresenceOptions options)
    : snapshot_path_(std::move(options.snapshot_path)),
      clock_(options.clock != nullptr ? *options.clock : system_clock()),
      grace_ms_(std::max<std::int64_t>(0, options.recount_grace.count())),
      shards_(std::make_unique<Shard[]>(kShards)) {}

MemoryPresence::~MemoryPresence() = default;

Result<std::unique_ptr<MemoryPresence>> MemoryPresence::open(std::optional<std::filesystem::path> snapshot_path) {
    return open(MemoryPresenceOptions{std::move(snapshot_path)});
}

Result<std::unique_ptr<MemoryPresence>> MemoryPresence::open(MemoryPresenceOptions options) {
    auto store = std::make_unique<MemoryPresence>(options);
    if (options.snapshot_path) {
        auto loaded = store->load(*options.snapshot_path);
        if (!loaded) {
            return std::move(loaded).error().with_context("loading presence snapshot " +
                                                          options.snapshot_path->string());
        }
    }
    return store;
}

Result<MemoryPresence::Opened> MemoryPresence::open_recovering(MemoryPresenceOptions options) {
    auto opened = open(options);
    if (opened) {
        return Opened{std::move(*opened), std::nullopt};
    }
    if (opened.error().code != ErrorCode::Internal || !options.snapshot_path) {
        return std::move(opened).error();  // unreadable: the data dir needs an operator
    }
    // Corrupt: the snapshot only saves who was online and today's estimate
    // across a restart. Losing it costs a few minutes of accuracy; refusing
    // to start costs the service.
    const std::filesystem::path& path = *options.snapshot_path;
    const Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
    std::filesystem::path aside = path;
    aside += ".corrupt-" + format_iso8601_basic(clock.now());
    if (::rename(path.c_str(), aside.c_str()) != 0) {
        return io_error("moving the corrupt presence snapshot aside to", aside, errno);
    }
    std::string warning = opened.error().message + "; moved it to " + aside.string() +
                          " and started with no one online and no DAU estimate";
    return Opened{std::make_unique<MemoryPresence>(options), std::move(warning)};
}

MemoryPresence::Shard& MemoryPresence::shard_for(std::uint64_t hash) {
    return shards_[hash >> kShardShift];
}

Result<void> MemoryPresence::record_heartbeat(const telemetry::HeartbeatMark& mark) {
    const std::uint64_t key = actor_hash(mark.actor);
    const Group group = group_of(mark.platform, mark.version_code);
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mu);
    shard.upsert(key, to_epoch_ms(mark.expires_at), group);
    (void)shard.purge(grace_ms_, kPurgePerHeartbeat);
    return ok();
}

std::size_t MemoryPresence::kept_actors_for_test() {
    std::size_t n = 0;
    for (std::size_t i = 0; i < kShards; ++i) {
        std::lock_guard lock(shards_[i].mu);
        n += shards_[i].actors.size();
    }
    return n;
}

template <typename PerShard>
std::int64_t MemoryPresence::sum_over_shards(PerShard&& per_shard) {
    std::int64_t total = 0;
    for (std::size_t i = 0; i < kShards; ++i) {
        std::lock_guard lock(shards_[i].mu);
        total += per_shard(shards_[i]);
    }
    return total;
}

Result<std::int64_t> MemoryPresence::count_online(TimePoint now) {
    const std::int64_t now_ms = to_epoch_ms(now);
    return sum_over_shards([now_ms](Shard& shard) { return shard.count(now_ms); });
}

Result<std::vector<telemetry::VersionCount>> MemoryPresence::count_online_by_version(Platform platform, TimePoint now) {
    const std::int64_t now_ms = to_epoch_ms(now);
    std::unordered_map<Group, std::int64_t> groups;
    for (std::size_t i = 0; i < kShards; ++i) {
        std::lock_guard lock(shards_[i].mu);
        shards_[i].count_groups(platform, now_ms, groups);
    }
    std::vector<telemetry::VersionCount> counts;
    counts.reserve(groups.size());
    for (const auto& [group, n] : groups) {
        counts.push_back(telemetry::VersionCount{code_of(group), n});
    }
    telemetry::sort_version_counts(counts);
    return counts;
}

Result<std::int64_t> MemoryPresence::remove_expired(TimePoint now) {
    const std::int64_t now_ms = to_epoch_ms(now);
    return sum_over_shards([now_ms](Shard& shard) { return shard.remove(now_ms); });
}

Result<void> MemoryPresence::add_to_dau(std::span<const telemetry::DauMark> marks) {
    // Hash outside the lock, a chunk at a time, to keep the critical section
    // to register updates.
    constexpr std::size_t kChunk = 256;
    std::array<std::uint64_t, kChunk> hashes;
    for (std::size_t start = 0; start < marks.size(); start += kChunk) {
        const std::size_t n = std::min(kChunk, marks.size() - start);
        for (std::size_t i = 0; i < n; ++i) {
            hashes[i] = HyperLogLog::hash(marks[start + i].actor);
        }
        std::lock_guard lock(dau_mu_);
        DaySketches* day = nullptr;
        Day day_key{};
        for (std::size_t i = 0; i < n; ++i) {
            const telemetry::DauMark& mark = marks[start + i];
            if (day == nullptr || mark.day != day_key) {
                auto& slot = days_[mark.day];
                if (!slot) {
                    slot = std::make_unique<DaySketches>();
                }
                day = slot.get();
                day_key = mark.day;
            }
            const auto p = static_cast<std::size_t>(mark.platform);
            assert(p < kPlatformCount);
            auto& platform = day->by_platform[p];
            if (!platform) {
                platform = std::make_unique<Sketch>();
            }
            auto& version = day->by_version[group_of(mark.platform, mark.version_code)];
            if (!version) {
                version = std::make_unique<Sketch>();
            }
            day->total.add_hash(hashes[i]);
            platform->add_hash(hashes[i]);
            version->add_hash(hashes[i]);
        }
    }
    return ok();
}

Result<telemetry::DauEstimate> MemoryPresence::estimate_dau(Day day) {
    telemetry::DauEstimate estimate;
    std::lock_guard lock(dau_mu_);
    auto it = days_.find(day);
    if (it == days_.end()) {
        return estimate;
    }
    DaySketches& sketches = *it->second;
    estimate.total = sketches.total.count();
    for (std::size_t p = 0; p < kPlatformCount; ++p) {
        if (sketches.by_platform[p]) {
            estimate.by_platform.emplace(telemetry::to_string(static_cast<Platform>(p)),
                                         sketches.by_platform[p]->count());
        }
    }
    return estimate;
}

Result<std::vector<telemetry::VersionCount>> MemoryPresence::estimate_dau_by_version(Day day, Platform platform) {
    std::vector<telemetry::VersionCount> counts;
    std::lock_guard lock(dau_mu_);
    auto it = days_.find(day);
    if (it == days_.end()) {
        return counts;
    }
    auto& by_version = it->second->by_version;
    for (auto v = by_version.lower_bound(group_of(platform, std::nullopt));
         v != by_version.end() && platform_of(v->first) == platform;
         ++v) {
        counts.push_back(telemetry::VersionCount{code_of(v->first), v->second->count()});
    }
    telemetry::sort_version_counts(counts);
    return counts;
}

Result<void> MemoryPresence::drop_dau_before(Day day) {
    std::lock_guard lock(dau_mu_);
    days_.erase(days_.begin(), days_.lower_bound(day));
    return ok();
}

Result<void> MemoryPresence::ping() {
    return ok();
}

Result<void> MemoryPresence::flush() {
    if (!snapshot_path_) {
        return ok();
    }
    std::lock_guard lock(flush_mu_);
    const std::string data = serialize(to_epoch_ms(clock_.now()));
    auto written = write_atomically(*snapshot_path_, data);
    if (!written) {
        return std::move(written).error().with_context("flushing presence snapshot");
    }
    return ok();
}

std::string MemoryPresence::serialize(std::int64_t now_ms) {
    Writer w;
    w.bytes(kMagic, sizeof kMagic);
    w.u32(kVersion);
    const std::size_t count_at = w.buffer().size();
    w.u64(0);  // actor count, patched below
    std::uint64_t actors = 0;
    for (std::size_t i = 0; i < kShards; ++i) {
        Shard& shard = shards_[i];
        std::unique_lock lock(shard.mu);
        // Only who is online now: an expired actor would come back as a
        // stale entry after a restart (and fill the file for an hour).
        shard.advance(now_ms);
        for (const HeapItem& item : shard.live.items()) {
            if (item.expiry_ms > now_ms) {
                write_actor(w, *item.node);
                ++actors;
            }
        }
        for (const HeapItem& item : shard.expired.items()) {
            if (item.expiry_ms > now_ms) {  // a `now` behind the watermark (clock step)
                write_actor(w, *item.node);
                ++actors;
            }
        }
        // Forget what expired long enough ago, a batch per lock hold.
        while (shard.purge(grace_ms_, kPurgePerLock)) {
            lock.unlock();
            lock.lock();
        }
        shard.compact();
    }
    w.patch_u64(count_at, actors);

    {
        std::lock_guard lock(dau_mu_);
        w.varint(days_.size());
        for (const auto& [day, sketches] : days_) {
            w.u32(static_cast<std::uint32_t>(static_cast<std::int32_t>(day.time_since_epoch().count())));
            std::uint8_t mask = 0;
            for (std::size_t p = 0; p < kPlatformCount; ++p) {
                if (sketches->by_platform[p]) {
                    mask = static_cast<std::uint8_t>(mask | (1u << p));
                }
            }
            w.u8(mask);
            w.sketch(sketches->total.hll);
            for (std::size_t p = 0; p < kPlatformCount; ++p) {
                if (sketches->by_platform[p]) {
                    w.sketch(sketches->by_platform[p]->hll);
                }
            }
            w.varint(sketches->by_version.size());
            for (const auto& [group, sketch] : sketches->by_version) {
                w.u8(static_cast<std::uint8_t>(platform_of(group)));
                w.u32(static_cast<std::uint32_t>(group & 0xffffffffu));
                w.sketch(sketch->hll);
            }
        }
    }
    const std::string& buf = w.buffer();
    w.u64(XXH3_64bits(buf.data(), buf.size()));
    return std::move(w.buffer());
}

Result<void> MemoryPresence::load(const std::filesystem::path& path) {
    auto file = read_file(path);
    if (!file) {
        return std::move(file).error();
    }
    if (!file->has_value()) {
        return ok();  // first start: nothing saved yet
    }
    return parse_snapshot(**file);
}

Result<void> MemoryPresence::parse_snapshot(std::span<const std::uint8_t> bytes) {
    constexpr std::size_t kHeader = sizeof kMagic + 4;
    if (bytes.size() < kHeader + 8) {
        return corrupt("file too short (" + std::to_string(bytes.size()) + " bytes)");
    }
    if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
        return corrupt("not a presence snapshot (bad magic)");
    }
    const auto body = bytes.first(bytes.size() - 8);
    std::uint64_t stored_sum = 0;
    {
        Reader trailer(bytes.last(8));
        (void)trailer.u64(stored_sum);
    }
    Reader r(body);
    std::span<const std::uint8_t> skip;
    std::uint32_t version = 0;
    (void)r.bytes(sizeof kMagic, skip);
    (void)r.u32(version);
    if (version < 1 || version > kVersion) {
        return corrupt("unsupported version " + std::to_string(version));
    }
    if (XXH3_64bits(body.data(), body.size()) != stored_sum) {
        return corrupt("checksum mismatch (truncated or damaged)");
    }

    std::uint64_t actors = 0;
    if (!r.u64(actors)) {
        return corrupt("missing actor count");
    }
    const std::int64_t forget_before = to_epoch_ms(clock_.now()) - grace_ms_;
    for (std::uint64_t i = 0; i < actors; ++i) {
        std::uint64_t key = 0;
        std::uint64_t expiry = 0;
        if (version == 1) {  // the actor's name, hashed as record_heartbeat does
            std::uint64_t len = 0;
            std::span<const std::uint8_t> name;
            if (!r.varint(len) || !r.bytes(len, name)) {
                return corrupt("actor entry " + std::to_string(i) + " is cut short");
            }
            key = actor_hash(std::string_view(reinterpret_cast<const char*>(name.data()), name.size()));
        } else if (!r.u64(key)) {
            return corrupt("actor entry " + std::to_string(i) + " is cut short");
        }
        if (!r.u64(expiry)) {
            return corrupt("actor entry " + std::to_string(i) + " is cut short");
        }
        Group group = group_of(Platform::Unknown, std::nullopt);
        if (version >= 3) {
            std::uint8_t platform = 0;
            std::uint32_t code_p1 = 0;
            if (!r.u8(platform) || !r.u32(code_p1)) {
                return corrupt("actor entry " + std::to_string(i) + " is cut short");
            }
            if (platform >= kPlatformCount || code_p1 > static_cast<std::uint32_t>(telemetry::kMaxVersionCode) + 1) {
                return corrupt("actor entry " + std::to_string(i) + " names an unknown platform or version code");
            }
            group = (static_cast<Group>(platform) << 32) | code_p1;
        }
        // Snapshots of earlier versions carried expired actors: leave out
        // those that would be forgotten at once anyway.
        if (static_cast<std::int64_t>(expiry) <= forget_before) {
            continue;
        }
        Shard& shard = shard_for(key);
        std::lock_guard lock(shard.mu);
        shard.upsert(key, static_cast<std::int64_t>(expiry), group);
    }

    std::uint64_t day_count = 0;
    if (!r.varint(day_count)) {
        return corrupt("missing day count");
    }
    std::lock_guard lock(dau_mu_);
    std::optional<Day> previous;
    for (std::uint64_t i = 0; i < day_count; ++i) {
        std::uint32_t raw_day = 0;
        std::uint8_t mask = 0;
        if (!r.u32(raw_day) || !r.u8(mask)) {
            return corrupt("day entry " + std::to_string(i) + " is cut short");
        }
        const Day day{std::chrono::days{static_cast<std::int32_t>(raw_day)}};
        if ((previous && day <= *previous) || (mask >> kPlatformCount) != 0) {
            return corrupt("day entry " + std::to_string(i) + " is out of order or names unknown platforms");
        }
        previous = day;
        auto sketches = std::make_unique<DaySketches>();
        if (!r.sketch(sketches->total.hll)) {
            return corrupt("bad sketch in day entry " + std::to_string(i));
        }
        for (std::size_t p = 0; p < kPlatformCount; ++p) {
            if ((mask & (1u << p)) == 0) {
                continue;
            }
            auto sketch = std::make_unique<Sketch>();
            if (!r.sketch(sketch->hll)) {
                return corrupt("bad sketch in day entry " + std::to_string(i));
            }
            sketches->by_platform[p] = std::move(sketch);
        }
        if (version >= 3) {
            std::uint64_t versions = 0;
            if (!r.varint(versions)) {
                return corrupt("day entry " + std::to_string(i) + " is cut short");
            }
            std::optional<Group> previous_group;
            for (std::uint64_t v = 0; v < versions; ++v) {
                std::uint8_t platform = 0;
                std::uint32_t code_p1 = 0;
                auto sketch = std::make_unique<Sketch>();
                if (!r.u8(platform) || !r.u32(code_p1) || !r.sketch(sketch->hll)) {
                    return corrupt("bad version sketch in day entry " + std::to_string(i));
                }
                const Group group = (static_cast<Group>(platform) << 32) | code_p1;
                if (platform >= kPlatformCount ||
                    code_p1 > static_cast<std::uint32_t>(telemetry::kMaxVersionCode) + 1 ||
                    (previous_group && group <= *previous_group)) {
                    return corrupt("version sketch " + std::to_string(v) + " of day entry " + std::to_string(i) +
                                   " is out of order or out of range");
                }
                previous_group = group;
                sketches->by_version.emplace(group, std::move(sketch));
            }
        }
        days_[day] = std::move(sketches);
    }
    if (!r.at_end()) {
        return corrupt("trailing bytes");
    }
    return ok();
}

}  // namespace beacon::backends::memory
