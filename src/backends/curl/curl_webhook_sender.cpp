#include "backends/curl/curl_webhook_sender.hpp"

#include <curl/curl.h>

#include <mutex>
#include <utility>

namespace beacon::backends::curl {
namespace {

// curl_global_init is not guaranteed to be thread-safe on every libcurl build.
void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The receiver's answer is not used beyond its status: read and dropped.
std::size_t discard(char*, std::size_t size, std::size_t nitems, void*) {
    return size * nitems;
}

struct HeaderList {
    curl_slist* list = nullptr;
    ~HeaderList() { curl_slist_free_all(list); }
    bool add(const std::string& line) {
        curl_slist* next = curl_slist_append(list, line.c_str());
        if (next == nullptr) {
            return false;
        }
        list = next;
        return true;
    }
};

}  // namespace

CurlWebhookSender::CurlWebhookSender(CurlSenderSettings settings) : settings_(std::move(settings)) {
    init_curl_once();
    handle_ = curl_easy_init();
}

CurlWebhookSender::~CurlWebhookSender() {
    if (handle_ != nullptr) {
        curl_easy_cleanup(static_cast<CURL*>(handle_));
    }
}

webhooks::PostOutcome CurlWebhookSender::post(std::string_view body, std::string_view signature) {
    webhooks::PostOutcome out;
    auto* h = static_cast<CURL*>(handle_);
    if (h == nullptr) {
        out.error = "libcurl could not make a handle";
        return out;
    }
    HeaderList headers;
    // No "Expect: 100-continue": the body is small and sent at once.
    if (!headers.add("Content-Type: application/json") || !headers.add("Expect:") ||
        !headers.add("Beacon-Signature: " + std::string(signature))) {
        out.error = "out of memory building the request";
        return out;
    }
    char errbuf[CURL_ERROR_SIZE] = {};
    curl_easy_reset(h);  // keeps the connection cache
    curl_easy_setopt(h, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe off the main thread
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.total_timeout.count()));
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.list);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "Beacon-Webhooks/1");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        out.error = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
        return out;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    out.http_status = static_cast<int>(status);
    return out;
}

}  // namespace beacon::backends::curl
