#include "releases/offer_signature.hpp"

#include "core/text.hpp"
#include "core/time_format.hpp"

namespace beacon::releases {

std::string offer_text(const OfferFields& f, TimePoint signed_at) {
    std::string text = "beacon-offer-v1\n";
    text.append(to_string(f.platform)).push_back('\n');
    text.append(to_lower(f.channel)).push_back('\n');
    text.append(std::to_string(f.version_code)).push_back('\n');
    if (f.sha256) {
        text.append(*f.sha256);
    }
    text.push_back('\n');
    if (f.file_size) {
        text.append(std::to_string(*f.file_size));
    }
    text.push_back('\n');
    text.append(f.download_url).push_back('\n');
    text.append(format_iso8601(signed_at));
    return text;
}

}  // namespace beacon::releases
