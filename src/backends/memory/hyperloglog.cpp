#include "backends/memory/hyperloglog.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <xxhash.h>

namespace beacon::backends::memory {
namespace {

// Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) * 2^(k-1), for the registers that are
// still zero. Iterates until the sum stops changing in double precision.
double sigma(double x) {
    if (x == 1.0) {
        return std::numeric_limits<double>::infinity();
    }
    double y = 1.0;
    double z = x;
    double previous = 0.0;
    do {
        x *= x;
        previous = z;
        z += x * y;
        y += y;
    } while (previous != z);
    return z;
}

// Ertl's tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 * 2^-k) / 3, for the
// registers at the maximum rank (which have lost information).
double tau(double x) {
    if (x == 0.0 || x == 1.0) {
        return 0.0;
    }
    double y = 1.0;
    double z = 1.0 - x;
    double previous = 0.0;
    do {
        x = std::sqrt(x);
        previous = z;
        y *= 0.5;
        const double d = 1.0 - x;
        z -= d * d * y;
    } while (previous != z);
    return z / 3.0;
}

}  // namespace

std::uint64_t HyperLogLog::hash(std::string_view item) {
    return XXH3_64bits(item.data(), item.size());
}

std::uint64_t HyperLogLog::count() const {
    // Histogram of register values. Reading 8 registers at a time skips the
    // all-zero words of a sparse sketch quickly.
    std::array<std::uint32_t, kMaxRank + 1> histogram{};
    const std::uint8_t* p = registers_.data();
    for (std::size_t i = 0; i < kRegisters; i += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, p + i, sizeof word);
        if (word == 0) {
            histogram[0] += 8;
            continue;
        }
        for (std::size_t j = 0; j < 8; ++j) {
            ++histogram[p[i + j]];
        }
    }

    constexpr double m = static_cast<double>(kRegisters);
    double z = m * tau((m - histogram[kMaxRank]) / m);
    for (int k = kQ; k >= 1; --k) {
        z += histogram[static_cast<std::size_t>(k)];
        z *= 0.5;
    }
    z += m * sigma(histogram[0] / m);
    constexpr double kAlphaInf = 0.721347520444481703680;  // 1 / (2 ln 2)
    const double estimate = kAlphaInf * m * m / z;
    // Only reachable with every register at the maximum rank (~2^64 items).
    if (!(estimate < 0x1p63)) {
        return std::numeric_limits<std::uint64_t>::max();
    }
    return static_cast<std::uint64_t>(std::llround(estimate));
}

void HyperLogLog::merge(const HyperLogLog& other) {
    for (std::size_t i = 0; i < kRegisters; ++i) {
        registers_[i] = std::max(registers_[i], other.registers_[i]);
    }
}

bool HyperLogLog::empty() const {
    return std::all_of(registers_.begin(), registers_.end(), [](std::uint8_t r) { return r == 0; });
}

std::optional<HyperLogLog> HyperLogLog::from_registers(std::span<const std::uint8_t> registers) {
    if (registers.size() != kRegisters) {
        return std::nullopt;
    }
    if (std::any_of(registers.begin(), registers.end(), [](std::uint8_t r) { return r > kMaxRank; })) {
        return std::nullopt;
    }
    HyperLogLog h;
    std::copy(registers.begin(), registers.end(), h.registers_.begin());
    return h;
}

}  // namespace beacon::backends::memory
