#include "backends/s3/s3_client.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "core/text.hpp"

namespace beacon::backends::s3 {

namespace {

constexpr int kMaxAttempts = 3;
constexpr std::size_t kMaxPooledHandles = 16;

std::string xml_unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    while (!s.empty()) {
        if (s.front() != '&') {
            out += s.front();
            s.remove_prefix(1);
            continue;
        }
        static constexpr std::pair<std::string_view, char> kEntities[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        bool matched = false;
        for (const auto& [entity, ch] : kEntities) {
            if (s.starts_with(entity)) {
                out += ch;
                s.remove_prefix(entity.size());
                matched = true;
                break;
            }
        }
        if (!matched) {
            out += '&';
            s.remove_prefix(1);
        }
    }
    return out;
}

// Called once before the first handle: curl_global_init is not guaranteed to
// be thread-safe on every libcurl build.
void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct ReadState {
    const S3Body* body = nullptr;
    std::uint64_t pos = 0;
    int read_errno = 0;
};

std::size_t read_body(char* buffer, std::size_t size, std::size_t nitems, void* userdata) {
    auto* state = static_cast<ReadState*>(userdata);
    const S3Body& body = *state->body;
    const std::uint64_t remaining = body.length - state->pos;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, size * nitems));
    if (want == 0) {
        return 0;
    }
    if (body.fd < 0) {
        std::memcpy(buffer, body.memory.data() + state->pos, want);
        state->pos += want;
        return want;
    }
    for (;;) {
        const ssize_t n = ::pread(body.fd, buffer, want, static_cast<off_t>(body.offset + state->pos));
        if (n > 0) {
            state->pos += static_cast<std::uint64_t>(n);
            return static_cast<std::size_t>(n);
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        state->read_errno = n < 0 ? errno : EIO;  // n == 0: the file shrank under us
        return CURL_READFUNC_ABORT;
    }
}

int seek_body(void* userdata, curl_off_t offset, int origin) {
    auto* state = static_cast<ReadState*>(userdata);
    if (origin != SEEK_SET || offset < 0 || static_cast<std::uint64_t>(offset) > state->body->length) {
        return CURL_SEEKFUNC_FAIL;
    }
    state->pos = static_cast<std::uint64_t>(offset);
    return CURL_SEEKFUNC_OK;
}

std::size_t write_body(char* data, std::size_t size, std::size_t nmemb, void* userdata) {
    auto* response = static_cast<S3Response*>(userdata);
    const std::size_t n = size * nmemb;
    const std::size_t room = S3Client::kMaxResponseBody - std::min(response->body.size(), S3Client::kMaxResponseBody);
    response->body.append(data, std::min(n, room));
    return n;  // the rest is dropped, not an error: only error bodies and small XML matter
}

std::size_t write_header(char* data, std::size_t size, std::size_t nitems, void* userdata) {
    auto* response = static_cast<S3Response*>(userdata);
    const std::string_view line(data, size * nitems);
    std::string_view content = line;  // without its CRLF
    while (!content.empty() && (content.back() == '\r' || content.back() == '\n')) {
        content.remove_suffix(1);
    }
    if (line.starts_with("HTTP/")) {
        response->headers.clear();  // a new response block (after a 1xx, or a retry inside curl)
        return line.size();
    }
    const std::size_t colon = content.find(':');
    if (colon != std::string_view::npos) {
        response->headers.emplace_back(to_lower(trim(content.substr(0, colon))),
                                       std::string(trim(content.substr(colon + 1))));
    }
    return line.size();
}

struct SlistFree {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

bool append(Slist& list, const std::string& line) {
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (next == nullptr) {
        return false;
    }
    (void)list.release();
    list.reset(next);
    return true;
}

bool has_header(const HeaderList& headers, std::string_view lower_name) {
    return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return to_lower(h.first) == lower_name; });
}

}  // namespace

std::string S3Endpoint::path_of(std::string_view object) const {
    std::string path = "/";
    if (!virtual_host) {
        path += bucket;
        if (!object.empty()) {
            path += '/';
        }
    }
    path += object;
    return path;
}

std::optional<std::string> S3Response::header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
        if (name == lower_name) {
            return value;
        }
    }
    return std::nullopt;
}

std::optional<std::string> xml_element(std::string_view xml, std::string_view tag) {
    const std::string open = "<" + std::string(tag) + ">";
    const std::string close = "</" + std::string(tag) + ">";
    const std::size_t start = xml.find(open);
    if (start == std::string_view::npos) {
        return std::nullopt;
    }
    const std::size_t begin = start + open.size();
    const std::size_t end = xml.find(close, begin);
    if (end == std::string_view::npos) {
        return std::nullopt;
    }
    return xml_unescape(xml.substr(begin, end - begin));
}

std::string S3Response::error_code() const {
    return xml_element(body, "Code").value_or("");
}

std::string S3Response::error_message() const {
    return xml_element(body, "Message").value_or("");
}

// A small pool of easy handles: reusing a handle reuses its connection
// (keep-alive, TLS session), which matters for the part uploads of one file.
struct S3Client::Pool {
    std::mutex mutex;
    std::vector<CURL*> idle;

    ~Pool() {
        for (CURL* h : idle) {
            curl_easy_cleanup(h);
        }
    }
    CURL* acquire() {
        {
            std::lock_guard lock(mutex);
            if (!idle.empty()) {
                CURL* h = idle.back();
                idle.pop_back();
                return h;
            }
        }
        return curl_easy_init();
    }
    void release(CURL* h) {
        curl_easy_reset(h);  // drops options, keeps the connection cache
        std::lock_guard lock(mutex);
        if (idle.size() < kMaxPooledHandles) {
            idle.push_back(h);
            return;
        }
        curl_easy_cleanup(h);
    }
};

S3Client::S3Client(
    S3Endpoint endpoint, AwsCredentials credentials, SigV4Scope scope, S3Timeouts timeouts, const Clock& clock)
    : endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)),
      scope_(std::move(scope)),
      timeouts_(timeouts),
      clock_(clock),
      pool_(std::make_unique<Pool>()) {
    init_curl_once();
}

S3Client::~S3Client() = default;

std::string S3Client::describe(std::string_view method, std::string_view object) const {
    std::string s = "S3 ";
    s += method;
    s += ' ';
    s += endpoint_.bucket;
    if (!object.empty()) {
        s += '/';
        s += object;
    }
    return s;
}

Error S3Client::status_error(std::string_view what, const S3Response& response) const {
    std::string message = std::string(what) + ": HTTP " + std::to_string(response.status);
    const std::string code = response.error_code();
    if (!code.empty()) {
        message += " " + code;
    }
    const std::string detail = response.error_message();
    if (!detail.empty()) {
        message += ": " + detail;
    }
    return make_error(response.status >= 500 ? ErrorCode::Unavailable : ErrorCode::Internal, std::move(message));
}

Result<S3Response> S3Client::send(const S3Call& call) {
    std::chrono::milliseconds backoff{100};
    for (int attempt = 1;; ++attempt) {
        bool retryable = false;
        auto result = send_once(call, retryable);
        if (!retryable || attempt == kMaxAttempts) {
            return result;
        }
        std::this_thread::sleep_for(backoff);
        backoff *= 4;
    }
}

Result<S3Response> S3Client::send_once(const S3Call& call, bool& retryable) {
    retryable = false;
    const std::string host = endpoint_.host();

    SigV4Request request;
    request.method = call.method;
    request.host = host;
    request.path = endpoint_.path_of(call.object);
    request.query = call.query;
    request.headers = call.headers;
    request.payload_sha256 = call.payload_sha256;
    const SignedRequest signed_request = sign_request(request, credentials_, scope_, clock_.now());

    std::string url = endpoint_.scheme + "://" + host + signed_request.encoded_path;
    if (!signed_request.encoded_query.empty()) {
        url += "?" + signed_request.encoded_query;
    }

    Slist headers;
    bool built = append(headers, "Host: " + host) && append(headers, "x-amz-date: " + signed_request.amz_date) &&
                 append(headers, "x-amz-content-sha256: " + signed_request.content_sha256) &&
                 append(headers, "Authorization: " + signed_request.authorization) &&
                 // No "Expect: 100-continue" round trip: bodies are at most one part.
                 append(headers, "Expect:");
    if (signed_request.security_token) {
        built = built && append(headers, "x-amz-security-token: " + *signed_request.security_token);
    }
    for (const auto& [name, value] : call.headers) {
        built = built && append(headers, name + ": " + value);
    }
    if (call.method == "POST" && !has_header(call.headers, "content-type")) {
        built = built && append(headers, "Content-Type:");  // not curl's form-urlencoded default
    }
    if (!built) {
        std::abort();  // curl_slist_append only fails when out of memory
    }

    // Declared before the handle is taken, so they outlive its use: the handle
    // points at them until Release resets it.
    S3Response response;
    ReadState read_state{&call.body, 0, 0};
    char error_buffer[CURL_ERROR_SIZE] = {};

    CURL* h = pool_->acquire();
    if (h == nullptr) {
        std::abort();
    }
    struct Release {
        Pool& pool;
        CURL* h;
        ~Release() { pool.release(h); }
    } release{*pool_, h};

    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // send exactly the path that was signed
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);    // timeouts without SIGALRM: we are multi-threaded
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts_.connect.count()));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, timeouts_.low_speed_bytes);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(timeouts_.low_speed_window.count()));
    if (!call.bulk_transfer) {
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts_.request.count()));
    }
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, write_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &read_state);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_body);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &read_state);

    const auto length = static_cast<curl_off_t>(call.body.length);
    if (call.method == "HEAD") {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (call.method == "PUT") {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, length);
    } else if (call.method == "POST") {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, length);
    } else if (call.method != "GET") {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    }

    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        std::string reason = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
        if (rc == CURLE_ABORTED_BY_CALLBACK && read_state.read_errno != 0) {
            reason = std::string("reading the upload: ") + std::strerror(read_state.read_errno);
        }
        retryable = rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING;
        return make_error(ErrorCode::Unavailable, describe(call.method, call.object) + ": " + reason);
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    retryable = response.status == 500 || response.status == 502 || response.status == 503 || response.status == 504;
    return response;
}

std::string S3Client::presign_get(std::string_view object,
                                  const QueryParams& query,
                                  std::int64_t expires_seconds,
                                  TimePoint now) const {
    PresignRequest request;
    request.method = "GET";
    request.scheme = endpoint_.scheme;
    request.host = endpoint_.host();
    request.path = endpoint_.path_of(object);
    request.query = query;
    request.expires_seconds = expires_seconds;
    return presign_url(request, credentials_, scope_, now);
}

}  // namespace beacon::backends::s3
