#pragma once

// Incremental multipart/form-data reader (RFC 7578, framing from RFC 2046
// section 5.1) for the upload route.
//
// Why hand-written: Debian 12 ships no maintained C++ multipart parser, and
// Beast has none. It is kept small: it only finds the part whose name is
// `file`, reports its filename and media type, and streams its bytes to a
// callback as they arrive; other parts are skipped. Memory use is bounded by
// the header limit plus one boundary length, whatever the part's size.
//
// Framing: the body is `preamble? "--" boundary CRLF part ("\r\n--" boundary
// CRLF part)* "\r\n--" boundary "--" epilogue?`, each part being headers, an
// empty line, then content. Content ends at the next "\r\n--" boundary.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace beacon::http {

// The boundary parameter of a multipart/form-data Content-Type, or nullopt
// when the type is not multipart/form-data or the boundary is missing or
// invalid (1..70 characters, RFC 2046).
std::optional<std::string> multipart_boundary(std::string_view content_type);

class MultipartFileReader {
public:
    using Sink = std::function<Result<void>(std::string_view bytes)>;

    MultipartFileReader(std::string boundary, Sink sink);

    // Feeds the next piece of the body. InvalidArgument on malformed framing
    // (with the reason), or the sink's own error.
    Result<void> feed(std::string_view chunk);
    // Call at the end of the body: InvalidArgument unless the closing boundary
    // was seen and a `file` part was found.
    Result<void> finish() const;

    const std::string& file_name() const { return file_name_; }
    const std::string& file_content_type() const { return file_content_type_; }

private:
    enum class State { Preamble, AfterDelimiter, Headers, Content, Epilogue };

    Result<void> parse_part_headers(std::string_view headers);

    std::string delimiter_;  // "\r\n--" + boundary
    Sink sink_;
    State state_ = State::Preamble;
    std::string pending_;
    bool in_file_part_ = false;
    bool found_file_ = false;
    std::string file_name_;
    std::string file_content_type_;
};

}  // namespace beacon::http
