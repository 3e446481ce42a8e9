#include "http/multipart.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace beacon::http {
namespace {

constexpr std::size_t kMaxPartHeaders = 8 * 1024;

// Value of parameter `name` in a header like `form-data; name="file"; filename="a.apk"`.
std::optional<std::string> header_param(std::string_view value, std::string_view name) {
    std::size_t pos = value.find(';');
    while (pos != std::string_view::npos) {
        std::string_view rest = value.substr(pos + 1);
        std::size_t eq = rest.find('=');
        if (eq == std::string_view::npos) {
            return std::nullopt;
        }
        std::string key = to_lower(trim(rest.substr(0, eq)));
        rest = rest.substr(eq + 1);
        std::string val;
        std::size_t consumed = 0;
        if (!rest.empty() && rest.front() == '"') {
            std::size_t i = 1;
            while (i < rest.size() && rest[i] != '"') {
                if (rest[i] == '\\' && i + 1 < rest.size()) {
                    ++i;
                }
                val.push_back(rest[i]);
                ++i;
            }
            consumed = std::min(i + 1, rest.size());
        } else {
            consumed = std::min(rest.find(';'), rest.size());
            val = std::string(trim(rest.substr(0, consumed)));
        }
        if (key == name) {
            return val;
        }
        std::size_t next = rest.find(';', consumed);
        if (next == std::string_view::npos) {
            return std::nullopt;
        }
        pos = static_cast<std::size_t>(rest.data() - value.data()) + next;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
    std::string_view base = content_type.substr(0, content_type.find(';'));
    if (to_lower(trim(base)) != "multipart/form-data") {
        return std::nullopt;
    }
    auto b = header_param(content_type, "boundary");
    if (!b || b->empty() || b->size() > 70) {
        return std::nullopt;
    }
    return b;
}

MultipartFileReader::MultipartFileReader(std::string boundary, Sink sink)
    : delimiter_("\r\n--" + boundary), sink_(std::move(sink)) {
    // The first delimiter may start the body without a preceding CRLF.
    pending_ = "\r\n";
}

Result<void> MultipartFileReader::parse_part_headers(std::string_view headers) {
    in_file_part_ = false;
    std::optional<std::string> name, filename, content_type;
    while (!headers.empty()) {
        std::size_t eol = headers.find("\r\n");
        std::string_view line = headers.substr(0, eol);
        headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            return make_error(ErrorCode::InvalidArgument, "malformed multipart part header");
        }
        std::string key = to_lower(trim(line.substr(0, colon)));
        std::string_view value = trim(line.substr(colon + 1));
        if (key == "content-disposition") {
            if (to_lower(trim(value.substr(0, value.find(';')))) != "form-data") {
                return make_error(ErrorCode::InvalidArgument, "a multipart part is not form-data");
            }
            name = header_param(value, "name");
            filename = header_param(value, "filename");
        } else if (key == "content-type") {
            content_type = std::string(value);
        }
    }
    if (name && *name == "file") {
        if (found_file_) {
            return make_error(ErrorCode::InvalidArgument, "more than one `file` part");
        }
        found_file_ = true;
        in_file_part_ = true;
        file_name_ = filename.value_or("");
        file_content_type_ = content_type.value_or("");
    }
    return {};
}

Result<void> MultipartFileReader::feed(std::string_view chunk) {
    pending_.append(chunk);
    for (;;) {
        switch (state_) {
            case State::Preamble: {
                auto at = pending_.find(delimiter_);
                if (at == std::string::npos) {
                    // Keep only what could still be the start of a delimiter.
                    if (pending_.size() > delimiter_.size()) {
                        pending_.erase(0, pending_.size() - delimiter_.size());
                    }
                    return {};
                }
                pending_.erase(0, at + delimiter_.size());
                state_ = State::AfterDelimiter;
                break;
            }
            case State::AfterDelimiter: {
                if (pending_.size() < 2) {
                    return {};
                }
                if (pending_.compare(0, 2, "--") == 0) {
                    state_ = State::Epilogue;
                    pending_.clear();
                    return {};
                }
                // Transport padding (spaces/tabs) may follow the boundary.
                std::size_t eol = pending_.find("\r\n");
                if (eol == std::string::npos) {
                    if (pending_.size() > 256) {
                        return make_error(ErrorCode::InvalidArgument, "malformed multipart boundary line");
                    }
                    return {};
                }
                if (!trim(std::string_view(pending_).substr(0, eol)).empty()) {
                    return make_error(ErrorCode::InvalidArgument, "malformed multipart boundary line");
                }
                pending_.erase(0, eol + 2);
                state_ = State::Headers;
                break;
            }
            case State::Headers: {
                std::size_t end = pending_.find("\r\n\r\n");
                std::size_t header_len = end;
                if (pending_.compare(0, 2, "\r\n") == 0) {
                    end = 0;  // a part with no headers
                    header_len = 0;
                }
                if (end == std::string::npos) {
                    if (pending_.size() > kMaxPartHeaders) {
                        return make_error(ErrorCode::InvalidArgument, "multipart part headers exceed 8 KiB");
                    }
                    return {};
                }
                if (auto r = parse_part_headers(std::string_view(pending_).substr(0, header_len)); !r) {
                    return r;
                }
                pending_.erase(0, end == 0 ? 2 : end + 4);
                state_ = State::Content;
                break;
            }
            case State::Content: {
                auto at = pending_.find(delimiter_);
                std::size_t emit =
                    at != std::string::npos
                        ? at
                        : (pending_.size() > delimiter_.size() ? pending_.size() - delimiter_.size() : 0);
                if (emit > 0 && in_file_part_) {
                    if (auto r = sink_(std::string_view(pending_).substr(0, emit)); !r) {
                        return r;
                    }
                }
                if (at == std::string::npos) {
                    pending_.erase(0, emit);
                    return {};
                }
                pending_.erase(0, at + delimiter_.size());
                in_file_part_ = false;
                state_ = State::AfterDelimiter;
                break;
            }
            case State::Epilogue:
                pending_.clear();
                return {};
        }
    }
}

Result<void> MultipartFileReader::finish() const {
    if (state_ != State::Epilogue) {
        return make_error(ErrorCode::InvalidArgument, "the multipart body ended before its closing boundary");
    }
    if (!found_file_) {
        return invalid_field("file", "the multipart body has no part named `file`");
    }
    return {};
}

}  // namespace beacon::http
