#include "http/gzip.hpp"

#include <zlib.h>

namespace beacon::http {

Result<std::string> gunzip(std::string_view compressed, std::size_t limit) {
    z_stream zs{};
    // 16 + MAX_WBITS: expect a gzip header.
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        return make_error(ErrorCode::Internal, "zlib init failed");
    }
    std::string out;
    out.resize(std::min<std::size_t>(limit + 1, std::max<std::size_t>(compressed.size() * 4, 4096)));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    zs.avail_in = static_cast<uInt>(compressed.size());
    std::size_t produced = 0;
    auto fail = [&zs](const char* why) {
        inflateEnd(&zs);
        return make_error(ErrorCode::InvalidArgument, why);
    };
    // One gzip member after another, as gunzip reads them (RFC 1952 2.2: a
    // file is a series of members). The limit counts them all together.
    for (;;) {
        int rc = Z_OK;
        while (rc != Z_STREAM_END) {
            if (produced == out.size()) {
                if (out.size() > limit) {
                    break;
                }
                out.resize(std::min(out.size() * 2, limit + 1));
            }
            zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
            zs.avail_out = static_cast<uInt>(out.size() - produced);
            rc = inflate(&zs, Z_NO_FLUSH);
            produced = out.size() - zs.avail_out;
            if (rc != Z_OK && rc != Z_STREAM_END) {
                return fail("corrupt gzip data");
            }
            if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
                return fail("truncated gzip data");
            }
        }
        if (produced > limit || zs.avail_in == 0) {
            break;
        }
        // More bytes after a member: they must be another member (ID1 ID2 =
        // 1f 8b). Anything else, trailing zeros included, is refused rather
        // than ignored: what the client meant by them is unknown.
        if (zs.avail_in < 2 || zs.next_in[0] != 0x1f || zs.next_in[1] != 0x8b) {
            return fail("bytes after the gzip data that are not another gzip member");
        }
        if (inflateReset(&zs) != Z_OK) {
            return fail("corrupt gzip data");
        }
    }
    inflateEnd(&zs);
    if (produced > limit) {
        return make_error(ErrorCode::Unprocessable, "decompressed body too large");
    }
    out.resize(produced);
    return out;
}

}  // namespace beacon::http
