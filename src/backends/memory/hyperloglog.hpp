#pragma once

// HyperLogLog distinct counter with Redis' precision (P=14) and estimator.
//
// Why hand-written: no Debian 12 package ships a HyperLogLog library, and the
// algorithm is small. It must agree with Redis' PFADD/PFCOUNT within the
// contract suite's tolerance, so it copies Redis' parameters and estimator
// (not its hash or its sparse/dense 6-bit encodings, which only matter
// inside Redis).
//
// Algorithm (Flajolet, Fusy, Gandouet, Meunier, "HyperLogLog: the analysis of
// a near-optimal cardinality estimation algorithm", AofA 2007):
//   - each item is hashed to 64 bits (XXH3_64bits from libxxhash);
//   - the low P=14 bits pick one of m = 16384 registers;
//   - the other Q = 50 bits, with a sentinel bit set at position 50, give the
//     rank rho = (number of trailing zero bits) + 1, in 1..51;
//   - a register keeps the largest rank it has seen (so add() is idempotent
//     and merge() is an element-wise max).
// Estimator: Otmar Ertl, "New cardinality estimation algorithms for
// HyperLogLog sketches" (arXiv:1702.01284, 2017), the "improved estimator"
// that Redis >= 5 uses (hllSigma/hllTau in Redis' hyperloglog.c): from the
// histogram C[k] of register values,
//   z = m*tau(1 - C[Q+1]/m); for k = Q..1: z = (z + C[k]) / 2;
//   z += m*sigma(C[0]/m);    E = alpha_inf * m^2 / z,  alpha_inf = 1/(2 ln 2)
// It needs no bias tables or linear-counting switch and is nearly exact for
// small sets. Standard error 1.04/sqrt(m) ~ 0.81%.
//
// Register layout: one register per byte (values 0..51), 16 KiB per sketch,
// index i = hash & (m-1). Serialize with registers() / from_registers().
//
// Not thread-safe: callers lock (MemoryPresence does).

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace beacon::backends::memory {

class HyperLogLog {
public:
    static constexpr int kPrecision = 14;
    static constexpr std::size_t kRegisters = std::size_t{1} << kPrecision;  // 16384
    static constexpr int kQ = 64 - kPrecision;                               // 50 rank bits
    static constexpr std::uint8_t kMaxRank = kQ + 1;                         // 51

    // An empty sketch (count() == 0).
    HyperLogLog() { registers_.fill(0); }

    // The 64-bit hash add() uses. Exposed so a caller that feeds one item into
    // several sketches hashes it once (see add_hash()).
    static std::uint64_t hash(std::string_view item);

    // Adds `item`; returns true if a register changed (so a cached count is stale).
    bool add(std::string_view item) { return add_hash(hash(item)); }

    // Adds an item by its hash(); same result as add(item).
    bool add_hash(std::uint64_t h) {
        const std::size_t index = h & (kRegisters - 1);
        const std::uint64_t pattern = (h >> kPrecision) | (std::uint64_t{1} << kQ);
        const auto rank = static_cast<std::uint8_t>(std::countr_zero(pattern) + 1);
        if (rank > registers_[index]) {
            registers_[index] = rank;
            return true;
        }
        return false;
    }

    // The estimated number of distinct items added. O(m): about 16k byte reads.
    std::uint64_t count() const;

    // Makes this sketch the union of itself and `other`.
    void merge(const HyperLogLog& other);

    // True when nothing was ever added (all registers zero).
    bool empty() const;

    // Raw registers, one byte each, index = hash & (kRegisters - 1).
    std::span<const std::uint8_t, kRegisters> registers() const { return registers_; }

    // A sketch from raw registers; nullopt unless there are exactly kRegisters
    // values, each at most kMaxRank.
    static std::optional<HyperLogLog> from_registers(std::span<const std::uint8_t> registers);

    friend bool operator==(const HyperLogLog&, const HyperLogLog&) = default;

private:
    std::array<std::uint8_t, kRegisters> registers_;
};

}  // namespace beacon::backends::memory
