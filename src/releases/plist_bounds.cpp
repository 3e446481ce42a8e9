#include "releases/plist_bounds.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::releases {
namespace {

Error refused(std::string what) {
    return make_error(ErrorCode::Unprocessable, std::move(what));
}

// ---------------------------------------------------------------- binary
//
// The format, as libplist's bplist.c reads it (all integers big-endian):
//   "bplist00", objects, offset table, 32-byte trailer:
//   u8[6] unused, u8 offset_size, u8 ref_size, u64 num_objects,
//   u64 root_object, u64 offset_table_offset.
//   Object i starts at offset_table[i] (offset_size bytes each). Its first
//   byte is a marker: high nibble the type, low nibble a size; a low nibble
//   of 0xF on data/strings/arrays/sets/dicts means an int object (0x1N, 2^N
//   bytes) follows with the size.
//   0x00 null / 0x08 false / 0x09 true; 0x1N int of 2^N bytes; 0x2N real;
//   0x33 date; 0x4 data, 0x5 ASCII string (size bytes), 0x6 UTF-16 string
//   (size code units); 0x8N UID of N+1 bytes; 0xA array and 0xC set (size
//   refs of ref_size bytes); 0xD dict (size key refs, then size value refs).
//   Everything an object reads must lie before the offset table.
// Sizes of 1 to 8 bytes are accepted for offsets, refs and size ints;
// libplist reads wider ones in a way no writer produces, so they are refused.

constexpr std::string_view kBinaryMagic = "bplist00";
constexpr std::size_t kTrailerBytes = 32;

struct Cost {
    std::uint64_t nodes = 0;
    std::uint64_t bytes = 0;
    std::uint32_t height = 0;  // levels from this object down, itself included
    std::uint8_t type = 0;     // high nibble of the marker
};

class BinaryPlist {
public:
    BinaryPlist(std::span<const std::uint8_t> data, const PlistLimits& limits) : data_(data), limits_(limits) {}

    Result<void> check() {
        if (data_.size() < kBinaryMagic.size() + kTrailerBytes) {
            return refused("binary plist too short for its trailer");
        }
        const std::size_t trailer = data_.size() - kTrailerBytes;
        offset_size_ = data_[trailer + 6];
        ref_size_ = data_[trailer + 7];
        num_objects_ = read_be(trailer + 8, 8);
        const std::uint64_t root = read_be(trailer + 16, 8);
        table_ = read_be(trailer + 24, 8);
        if (offset_size_ < 1 || offset_size_ > 8 || ref_size_ < 1 || ref_size_ > 8) {
            return refused("binary plist offset or reference size out of range");
        }
        if (num_objects_ == 0 || root >= num_objects_) {
            return refused("binary plist root object out of range");
        }
        if (num_objects_ > limits_.max_nodes) {
            return refused("binary plist has more than " + std::to_string(limits_.max_nodes) + " objects");
        }
        if (table_ < kBinaryMagic.size() || table_ >= trailer ||
            num_objects_ * offset_size_ > trailer - table_) {  // num_objects <= max_nodes: no overflow
            return refused("binary plist offset table out of range");
        }
        state_.assign(num_objects_, State::New);
        memo_.assign(num_objects_, Cost{});
        auto cost = visit(root, 1);
        if (!cost) {
            return std::move(cost).error();
        }
        return ok();
    }

private:
    enum class State : std::uint8_t { New, Open, Done };

    std::uint64_t read_be(std::uint64_t at, unsigned n) const {
        std::uint64_t v = 0;
        for (unsigned i = 0; i < n; ++i) {
            v = (v << 8) | data_[at + i];
        }
        return v;
    }

    // [at, at + n) lies inside the object area (before the offset table).
    bool in_objects(std::uint64_t at, std::uint64_t n) const { return at <= table_ && n <= table_ - at; }

    Result<void> add(Cost& into, const Cost& child) const {
        into.nodes += child.nodes;
        into.bytes += child.bytes;
        into.height = std::max(into.height, child.height + 1);
        if (into.nodes > limits_.max_nodes) {
            return refused("the plist expands to more than " + std::to_string(limits_.max_nodes) + " nodes");
        }
        if (into.bytes > limits_.max_bytes) {
            return refused("the plist expands to more than " + std::to_string(limits_.max_bytes) + " bytes");
        }
        return ok();
    }

    Result<std::uint64_t> ref_at(std::uint64_t at) const {
        const std::uint64_t ref = read_be(at, ref_size_);
        if (ref >= num_objects_) {
            return refused("binary plist reference out of range");
        }
        return ref;
    }

    // The cost of object `index` reached at nesting `level` (root: 1).
    Result<Cost> visit(std::uint64_t index, std::uint32_t level) {
        if (level > limits_.max_depth) {
            return refused("the plist is nested deeper than " + std::to_string(limits_.max_depth) + " levels");
        }
        if (state_[index] == State::Done) {
            const Cost& c = memo_[index];
            if (level - 1 + c.height > limits_.max_depth) {
                return refused("the plist is nested deeper than " + std::to_string(limits_.max_depth) + " levels");
            }
            return c;
        }
        if (state_[index] == State::Open) {
            return refused("binary plist has a reference cycle");
        }
        state_[index] = State::Open;
        auto cost = expand(index, level);
        if (!cost) {
            return cost;
        }
        state_[index] = State::Done;
        memo_[index] = *cost;
        return cost;
    }

    Result<Cost> expand(std::uint64_t index, std::uint32_t level) {
        const std::uint64_t offset =
            read_be(table_ + index * offset_size_, offset_size_);  // index < num_objects <= max_nodes
        if (offset < kBinaryMagic.size() || offset >= table_) {
            return refused("binary plist object offset out of range");
        }
        const std::uint8_t marker = data_[offset];
        const std::uint8_t type = marker >> 4;
        std::uint64_t size = marker & 0x0F;
        std::uint64_t pos = offset + 1;
        const bool sized = type == 0x4 || type == 0x5 || type == 0x6 || type == 0xA || type == 0xC || type == 0xD;
        if (sized && size == 0x0F) {
            if (!in_objects(pos, 1) || (data_[pos] >> 4) != 0x1 || (data_[pos] & 0x0F) > 3) {
                return refused("binary plist object size malformed");
            }
            const unsigned n = 1u << (data_[pos] & 0x0F);
            if (!in_objects(pos + 1, n)) {
                return refused("binary plist object size out of range");
            }
            size = read_be(pos + 1, n);
            pos += 1 + n;
        }
        Cost c{1, kPlistNodeBytes, 1, type};
        auto leaf = [&](std::uint64_t payload_in_file, std::uint64_t payload_in_memory) -> Result<Cost> {
            if (!in_objects(pos, payload_in_file)) {
                return refused("binary plist object out of range");
            }
            c.bytes += payload_in_memory;
            if (c.bytes > limits_.max_bytes) {
                return refused("the plist expands to more than " + std::to_string(limits_.max_bytes) + " bytes");
            }
            return c;
        };
        switch (type) {
            case 0x0:
                if (size != 0x0 && size != 0x8 && size != 0x9) {
                    return refused("binary plist has an unknown marker");
                }
                return c;
            case 0x1:
                if (size > 4) {
                    return refused("binary plist integer size malformed");
                }
                return leaf(std::uint64_t{1} << size, 0);
            case 0x2:
                if (size != 2 && size != 3) {
                    return refused("binary plist real size malformed");
                }
                return leaf(std::uint64_t{1} << size, 0);
            case 0x3:
                if (size != 3) {
                    return refused("binary plist date size malformed");
                }
                return leaf(8, 0);
            case 0x4:
                return leaf(size, size);
            case 0x5:
                return leaf(size, size + 1);
            case 0x6:
                if (size > table_) {
                    return refused("binary plist string out of range");
                }
                // libplist allocates 4 bytes per code unit while converting.
                return leaf(size * 2, 4 * (size + 1));
            case 0x8:
                return leaf(size + 1, 0);
            case 0xA:
            case 0xC:
            case 0xD: {
                const std::uint64_t refs = type == 0xD ? 2 * size : size;
                if (size > table_ || !in_objects(pos, refs * ref_size_)) {  // size <= table: no overflow
                    return refused("binary plist container out of range");
                }
                for (std::uint64_t j = 0; j < refs; ++j) {
                    auto ref = ref_at(pos + j * ref_size_);
                    if (!ref) {
                        return std::move(ref).error();
                    }
                    auto child = visit(*ref, level + 1);
                    if (!child) {
                        return child;
                    }
                    if (type == 0xD && j < size && child->type != 0x5 && child->type != 0x6) {
                        return refused("binary plist dictionary key is not a string");
                    }
                    if (auto r = add(c, *child); !r) {
                        return std::move(r).error();
                    }
                }
                return c;
            }
            default:
                return refused("binary plist has an unknown marker");
        }
    }

    std::span<const std::uint8_t> data_;
    const PlistLimits& limits_;
    std::uint8_t offset_size_ = 0;
    std::uint8_t ref_size_ = 0;
    std::uint64_t num_objects_ = 0;
    std::uint64_t table_ = 0;
    std::vector<State> state_;
    std::vector<Cost> memo_;
};

// ---------------------------------------------------------------- XML
//
// No references: the tree libplist builds has one node per element, and its
// strings are no longer than the text. What is left to bound is the number
// of elements and their nesting. Comments, CDATA sections, processing
// instructions and declarations (a DOCTYPE with an internal subset too) are
// skipped whole; a quoted attribute value may contain '>'.

Result<void> check_xml(std::string_view text, const PlistLimits& limits) {
    std::uint64_t nodes = 0;
    std::uint32_t depth = 0;
    std::size_t i = 0;
    auto skip_past = [&](std::string_view end) -> bool {
        const std::size_t at = text.find(end, i);
        if (at == std::string_view::npos) {
            return false;
        }
        i = at + end.size();
        return true;
    };
    while ((i = text.find('<', i)) != std::string_view::npos) {
        const std::string_view rest = text.substr(i);
        if (rest.starts_with("<!--")) {
            i += 4;
            if (!skip_past("-->")) {
                return refused("XML plist: unterminated XML comment");
            }
        } else if (rest.starts_with("<![CDATA[")) {
            i += 9;
            if (!skip_past("]]>")) {
                return refused("XML plist: unterminated CDATA section");
            }
        } else if (rest.starts_with("<?")) {
            i += 2;
            if (!skip_past("?>")) {
                return refused("XML plist: unterminated processing instruction");
            }
        } else if (rest.starts_with("<!")) {
            // <!DOCTYPE ...> with an optional [internal subset].
            int brackets = 0;
            std::size_t j = i + 2;
            for (; j < text.size(); ++j) {
                if (text[j] == '[') {
                    ++brackets;
                } else if (text[j] == ']') {
                    --brackets;
                } else if (text[j] == '>' && brackets <= 0) {
                    break;
                }
            }
            if (j >= text.size()) {
                return refused("XML plist: unterminated XML declaration");
            }
            i = j + 1;
        } else {
            const bool closing = rest.starts_with("</");
            char quote = 0;
            std::size_t j = i + 1;
            for (; j < text.size(); ++j) {
                const char ch = text[j];
                if (quote != 0) {
                    quote = ch == quote ? 0 : quote;
                } else if (ch == '"' || ch == '\'') {
                    quote = ch;
                } else if (ch == '>') {
                    break;
                }
            }
            if (j >= text.size()) {
                return refused("XML plist: unterminated XML tag");
            }
            const bool self_closing = text[j - 1] == '/';
            i = j + 1;
            if (closing) {
                depth = depth > 0 ? depth - 1 : 0;
                continue;
            }
            if (++nodes > limits.max_nodes) {
                return refused("the XML plist has more than " + std::to_string(limits.max_nodes) + " elements");
            }
            if (!self_closing && ++depth > limits.max_depth) {
                return refused("the plist is nested deeper than " + std::to_string(limits.max_depth) + " levels");
            }
        }
    }
    if (nodes * kPlistNodeBytes + text.size() > limits.max_bytes) {
        return refused("the plist expands to more than " + std::to_string(limits.max_bytes) + " bytes");
    }
    return ok();
}

}  // namespace

Result<void> check_plist_bounds(std::span<const std::uint8_t> data, const PlistLimits& limits) {
    const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    if (text.starts_with(kBinaryMagic)) {
        return BinaryPlist(data, limits).check();
    }
    return check_xml(text, limits);
}

}  // namespace beacon::releases
