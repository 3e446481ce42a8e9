// Bearer tokens (auth/jwt.hpp, TokenVerifier::verify): the whole compact JWS
// as sent, with a current and a previous secret.
#include "auth/jwt.hpp"
#include "core/clock.hpp"
#include "fuzz_input.hpp"

namespace {

class FixedClock final : public beacon::Clock {
public:
    beacon::TimePoint now() const override { return beacon::from_epoch_ms(1'795'600'000'000); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const FixedClock clock;
    static const beacon::auth::TokenVerifier verifier(
        "fuzz-secret-0123456789abcdef0123456789", clock, "fuzz-previous-0123456789abcdef012345");
    (void)verifier.verify(beacon::fuzz::as_text(data, size));
    return 0;
}
