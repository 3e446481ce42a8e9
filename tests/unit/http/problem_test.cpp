#include "http/problem.hpp"

#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "http/request.hpp"

namespace beacon::http {
namespace {

namespace bh = boost::beast::http;
namespace json = boost::json;

struct CodeCase {
    ErrorCode code;
    int status;
    const char* slug;
};

class ProblemFromError : public ::testing::TestWithParam<CodeCase> {};

TEST_P(ProblemFromError, MapsCodeToTheContractsStatusAndSlug) {
    Problem p = problem_from_error(make_error(GetParam().code, "something specific"));
    EXPECT_EQ(static_cast<int>(p.status), GetParam().status);
    EXPECT_EQ(p.slug, GetParam().slug);
    EXPECT_FALSE(p.title.empty());
    json::value body = json::parse(problem_body(p));
    EXPECT_EQ(body.at("type").as_string(), std::string("https://beacon.dev/problems/") + GetParam().slug);
    EXPECT_EQ(body.at("status"), GetParam().status);
    EXPECT_EQ(body.at("title").as_string(), p.title);
}

INSTANTIATE_TEST_SUITE_P(EveryCode,
                         ProblemFromError,
                         ::testing::Values(CodeCase{ErrorCode::InvalidArgument, 400, "validation"},
                                           CodeCase{ErrorCode::NotFound, 404, "not-found"},
                                           CodeCase{ErrorCode::Conflict, 409, "conflict"},
                                           CodeCase{ErrorCode::PreconditionFailed, 412, "precondition-failed"},
                                           CodeCase{ErrorCode::Unprocessable, 422, "unprocessable"},
                                           CodeCase{ErrorCode::PayloadTooLarge, 413, "payload-too-large"},
                                           CodeCase{ErrorCode::Unavailable, 503, "unavailable"},
                                           CodeCase{ErrorCode::Internal, 500, "internal"}));

struct StatusCase {
    bh::status status;
    const char* slug;
};

class MakeProblem : public ::testing::TestWithParam<StatusCase> {};

TEST_P(MakeProblem, EveryContractStatusHasItsSlug) {
    Problem p = make_problem(GetParam().status, "detail");
    EXPECT_EQ(p.status, GetParam().status);
    EXPECT_EQ(p.slug, GetParam().slug);
    EXPECT_EQ(p.detail, "detail");
}

INSTANTIATE_TEST_SUITE_P(Contract,
                         MakeProblem,
                         ::testing::Values(StatusCase{bh::status::bad_request, "validation"},
                                           StatusCase{bh::status::unauthorized, "unauthorized"},
                                           StatusCase{bh::status::forbidden, "forbidden"},
                                           StatusCase{bh::status::not_found, "not-found"},
                                           StatusCase{bh::status::method_not_allowed, "method-not-allowed"},
                                           StatusCase{bh::status::conflict, "conflict"},
                                           StatusCase{bh::status::precondition_failed, "precondition-failed"},
                                           StatusCase{bh::status::payload_too_large, "payload-too-large"},
                                           StatusCase{bh::status::unsupported_media_type, "unsupported-media-type"},
                                           StatusCase{bh::status::unprocessable_entity, "unprocessable"},
                                           StatusCase{bh::status::too_many_requests, "rate-limited"},
                                           StatusCase{bh::status::service_unavailable, "unavailable"}));

TEST(Problem, InternalErrorsHideTheirDetails) {
    Error e = make_error(ErrorCode::Internal, "SQL error near SELECT * FROM telemetry_events at /var/lib/beacon.db");
    Problem p = problem_from_error(e);
    EXPECT_EQ(p.detail.find("SELECT"), std::string::npos);
    EXPECT_EQ(p.detail.find("/var/lib"), std::string::npos);
    std::string body = problem_body(p);
    EXPECT_EQ(body.find("SELECT"), std::string::npos);
    EXPECT_EQ(body.find("telemetry_events"), std::string::npos);
}

TEST(Problem, ClientErrorsKeepTheirDetail) {
    Problem p = problem_from_error(make_error(ErrorCode::Conflict, "android stable 210 exists already"));
    EXPECT_EQ(p.detail, "android stable 210 exists already");
    EXPECT_TRUE(p.errors.empty());
}

TEST(Problem, ValidationErrorsListTheirFields) {
    Problem p = problem_from_error(invalid_field("events[3].eventName", "must be 1 to 64 characters"));
    EXPECT_EQ(p.slug, "validation");
    json::value body = json::parse(problem_body(p));
    ASSERT_TRUE(body.as_object().contains("errors"));
    const json::array& errors = body.at("errors").as_array();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].at("field"), "events[3].eventName");
    EXPECT_EQ(errors[0].at("message"), "must be 1 to 64 characters");
    EXPECT_NE(body.at("detail").as_string().find("events[3].eventName"), std::string::npos);
}

TEST(Problem, ErrorsArrayIsAbsentWithoutFieldErrors) {
    json::value body = json::parse(problem_body(problem_from_error(make_error(ErrorCode::NotFound, "no version 7"))));
    EXPECT_FALSE(body.as_object().contains("errors"));
    EXPECT_EQ(body.at("detail"), "no version 7");
}

TEST(Problem, ContextAddedOnTheWayUpIsKept) {
    Error e = make_error(ErrorCode::Unavailable, "database is locked").with_context("storing events");
    Problem p = problem_from_error(e);
    EXPECT_EQ(p.detail, "storing events: database is locked");
}

TEST(ProblemResponse, IsAProblemJsonDocumentWithTheStatus) {
    Response res = problem_response(make_error(ErrorCode::NotFound, "no job named 'x'"));
    EXPECT_EQ(res.result(), bh::status::not_found);
    EXPECT_EQ(res[bh::field::content_type], "application/problem+json");
    EXPECT_EQ(res[bh::field::content_length], std::to_string(res.body().size()));
    EXPECT_EQ(json::parse(res.body()).at("status"), 404);
}

TEST(ProblemResponse, UnavailableCarriesRetryAfter) {
    Response res = problem_response(make_error(ErrorCode::Unavailable, "database is down"));
    EXPECT_EQ(res.result(), bh::status::service_unavailable);
    EXPECT_FALSE(res[bh::field::retry_after].empty());
    Response other = problem_response(make_error(ErrorCode::Conflict, "busy"));
    EXPECT_TRUE(other[bh::field::retry_after].empty());
}

TEST(ProblemResponse, FieldProblemIsAValidation400) {
    Response res = field_problem("interval", "must be 1m, 5m or 1h");
    EXPECT_EQ(res.result(), bh::status::bad_request);
    json::value body = json::parse(res.body());
    EXPECT_EQ(body.at("type"), "https://beacon.dev/problems/validation");
    EXPECT_EQ(body.at("errors").at(0).at("field"), "interval");
}

TEST(ParseJsonBody, ReturnsTheValue) {
    auto r = parse_json_body(R"({"a": [1, 2]})");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->at("a").at(1), 2);
}

TEST(ParseJsonBody, MalformedJsonIsInvalidJson400) {
    for (std::string_view body : {std::string_view(R"({"a": )"),
                                  std::string_view(""),
                                  std::string_view("{'a': 1}"),
                                  std::string_view(R"({"a": 1} trailing)")}) {
        auto r = parse_json_body(body);
        ASSERT_FALSE(r.ok()) << body;
        const Response res = problem_response(r.error());
        EXPECT_EQ(res.result(), bh::status::bad_request);
        EXPECT_EQ(res[bh::field::content_type], "application/problem+json");
        EXPECT_EQ(json::parse(res.body()).at("type"), "https://beacon.dev/problems/invalid-json");
    }
}

TEST(ParseJsonBody, InvalidUtf8IsInvalidJson) {
    std::string body = "{\"userId\": \"u\xff\xfe\"}";
    auto r = parse_json_body(body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(json::parse(problem_response(r.error()).body()).at("type"), "https://beacon.dev/problems/invalid-json");
}

}  // namespace
}  // namespace beacon::http
