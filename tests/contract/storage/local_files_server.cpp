#include "contract/storage/local_files_server.hpp"

#include <cctype>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "core/clock.hpp"
#include "releases/artifact_key.hpp"

namespace beacon::contract {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string_view query_value(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        const std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        }
    }
    return {};
}

// Percent-decoding of a query value (the names the store puts in links).
std::string pct_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

}  // namespace

struct LocalFilesServer::Impl {
    const backends::localfs::LocalArtifactStore& store;
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::uint16_t port = 0;
    std::atomic<bool> stopping{false};
    std::thread thread;

    explicit Impl(const backends::localfs::LocalArtifactStore& s) : store(s) {
        const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen();
        port = acceptor.local_endpoint().port();
        thread = std::thread([this] { run(); });
    }

    ~Impl() {
        stopping = true;
        // Wake the blocking accept with a connection of our own.
        boost::system::error_code ec;
        tcp::socket wake(io);
        wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
        thread.join();
    }

    void run() {
        while (!stopping) {
            tcp::socket socket(io);
            boost::system::error_code ec;
            acceptor.accept(socket, ec);
            if (ec || stopping) {
                continue;
            }
            serve(socket);
        }
    }

    void serve(tcp::socket& socket) {
        boost::beast::flat_buffer buffer;
        http::request<http::empty_body> request;
        boost::system::error_code ec;
        http::read(socket, buffer, request, ec);
        if (ec) {
            return;
        }
        const std::string_view target = request.target();
        const std::size_t q = target.find('?');
        const std::string_view path = target.substr(0, q);
        const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

        auto reply = [&](http::status status, std::string body) {
            http::response<http::string_body> response{status, request.version()};
            response.set(http::field::connection, "close");
            response.body() = std::move(body);
            response.prepare_payload();
            http::write(socket, response, ec);
        };

        constexpr std::string_view kPrefix = "/files/";
        if (!path.starts_with(kPrefix)) {
            reply(http::status::not_found, "not found");
            return;
        }
        const std::string_view key = path.substr(kPrefix.size());
        const std::string name = pct_decode(query_value(query, "name"));
        const auto check = store.verify_signature(
            key, query_value(query, "expires"), name, query_value(query, "sig"), SystemClock().now());
        if (check != backends::localfs::SignatureCheck::Valid) {
            reply(http::status::forbidden,
                  check == backends::localfs::SignatureCheck::Expired ? "link expired" : "bad signature");
            return;
        }
        auto file_path = store.path_for(key);
        http::file_body::value_type file;
        if (file_path) {
            file.open(file_path->c_str(), boost::beast::file_mode::scan, ec);
        }
        if (!file_path || ec) {
            reply(http::status::not_found, "not found");
            return;
        }
        http::response<http::file_body> response{http::status::ok, request.version()};
        response.set(http::field::connection, "close");
        response.set(http::field::content_type, "application/octet-stream");
        if (!name.empty()) {
            response.set(http::field::content_disposition, releases::attachment_content_disposition(name));
        }
        response.body() = std::move(file);
        response.prepare_payload();
        if (request.method() == http::verb::head) {
            http::response_serializer<http::file_body> serializer(response);
            http::write_header(socket, serializer, ec);
            return;
        }
        http::write(socket, response, ec);
    }
};

LocalFilesServer::LocalFilesServer(const backends::localfs::LocalArtifactStore& store)
    : impl_(std::make_unique<Impl>(store)) {}

LocalFilesServer::~LocalFilesServer() = default;

std::string LocalFilesServer::base_url() const {
    return "http://127.0.0.1:" + std::to_string(impl_->port);
}

}  // namespace beacon::contract
