// What Beacon reads from S3-compatible servers and their settings: elements
// of an XML answer (backends/s3/s3_client.hpp, xml_element: errors, upload
// ids, ETags) and BEACON_STORAGE_URL's s3:// form (backends/s3/s3_url.hpp).
#include "backends/s3/s3_client.hpp"
#include "backends/s3/s3_url.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = beacon::fuzz::as_text(data, size);
    for (std::string_view tag : {"Code", "Message", "UploadId", "ETag", "Key"}) {
        (void)beacon::backends::s3::xml_element(text, tag);
    }
    (void)beacon::backends::s3::parse_s3_url(text);
    return 0;
}
