#include "oauth/jwks_fetcher.h"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "core/testing/fakes.h"
#include "core/worker_pool.h"
#include "crypto/keys.h"
#include "http/router.h"
#include "http/testing/running_server.h"

// Fetching and caching client key sets (jwks_fetcher.h), against a server
// on loopback; checklist B.18 (SSRF).
namespace mxauth::oauth {
namespace {

using namespace std::chrono_literals;

class JwksFetcherTest : public ::testing::Test {
 protected:
  JwksFetcherTest() {
    auto key = crypto::SigningKey::generate(crypto::SigningAlgorithm::EdDsa).value();
    served_ = boost::json::serialize(
        boost::json::object{{"keys", boost::json::array{key.publicKey().jwk()}}});
    kid_ = key.kid();
    router_.add(http::Method::Get, "/jwks.json", [this](http::Request&) {
      ++requests_;
      return http::Response::json(status_, served_);
    });
    router_.add(http::Method::Get, "/moved",
                [](http::Request&) { return http::Response::redirect("/jwks.json", 302); });
    server_ = std::make_unique<test::RunningServer>(http::ServerOptions{}, router_, pool_);
  }

  std::string url(std::string_view path = "/jwks.json") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }

  static JwksFetchOptions loopbackAllowed() {
    JwksFetchOptions options;
    options.allow_http = true;
    options.allow_private_addresses = true;
    return options;
  }

  test::FakeClock clock_;
  http::Router router_;
  core::WorkerPool pool_{"test", 2, 16};
  std::string served_;
  std::string kid_;
  int status_ = 200;
  std::atomic<int> requests_{0};
  std::unique_ptr<test::RunningServer> server_;
};

TEST_F(JwksFetcherTest, FetchesAndCachesASet) {
  JwksFetcher fetcher(clock_, loopbackAllowed());

  auto first = fetcher.keys(url(), false);
  auto second = fetcher.keys(url(), false);

  ASSERT_TRUE(first.has_value()) << first.error();
  ASSERT_EQ((*first)->size(), 1u);
  EXPECT_EQ((**first)[0].key.kid(), kid_);
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(requests_.load(), 1);

  clock_.advance(6min);  // past cache_ttl
  ASSERT_TRUE(fetcher.keys(url(), false).has_value());
  EXPECT_EQ(requests_.load(), 2);
}

TEST_F(JwksFetcherTest, RefreshesAtMostOncePerInterval) {
  JwksFetcher fetcher(clock_, loopbackAllowed());
  ASSERT_TRUE(fetcher.keys(url(), false).has_value());

  ASSERT_TRUE(fetcher.keys(url(), true).has_value());
  EXPECT_EQ(requests_.load(), 1) << "a refresh right after a fetch is served from the cache";
  clock_.advance(11s);
  ASSERT_TRUE(fetcher.keys(url(), true).has_value());
  EXPECT_EQ(requests_.load(), 2);
}

TEST_F(JwksFetcherTest, RefusesLoopbackAndPlainHttpUnlessAllowed) {
  JwksFetchOptions https_only = loopbackAllowed();
  https_only.allow_http = false;
  JwksFetchOptions public_only = loopbackAllowed();
  public_only.allow_private_addresses = false;

  EXPECT_FALSE(JwksFetcher(clock_, https_only).keys(url(), false).has_value());
  auto refused = JwksFetcher(clock_, public_only).keys(url(), false);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find("public address"), std::string::npos) << refused.error();
  EXPECT_EQ(requests_.load(), 0) << "no connection reached the listener";
}

TEST_F(JwksFetcherTest, RefusesRedirectsErrorsOversizedAndUnusableSets) {
  JwksFetcher redirects(clock_, loopbackAllowed());
  EXPECT_FALSE(redirects.keys(url("/moved"), false).has_value());
  EXPECT_EQ(requests_.load(), 0);

  status_ = 500;
  EXPECT_FALSE(JwksFetcher(clock_, loopbackAllowed()).keys(url(), false).has_value());
  status_ = 200;
  JwksFetchOptions tiny = loopbackAllowed();
  tiny.max_bytes = 16;
  EXPECT_FALSE(JwksFetcher(clock_, tiny).keys(url(), false).has_value());
  served_ = R"({"keys":[]})";
  EXPECT_FALSE(JwksFetcher(clock_, loopbackAllowed()).keys(url(), false).has_value());
}

TEST_F(JwksFetcherTest, WithoutACacheASetIsStillFetchedAtMostOncePerInterval) {
  JwksFetchOptions uncached = loopbackAllowed();
  uncached.cache_ttl = Duration(0);
  JwksFetcher fetcher(clock_, uncached);

  EXPECT_TRUE(fetcher.keys(url(), false).has_value());
  EXPECT_TRUE(fetcher.keys(url(), false).has_value());
  EXPECT_EQ(requests_.load(), 1);
  clock_.advance(11s);
  EXPECT_TRUE(fetcher.keys(url(), false).has_value());
  EXPECT_EQ(requests_.load(), 2);
}

TEST_F(JwksFetcherTest, AFailedFetchIsNotRetriedAtOnce) {
  JwksFetcher fetcher(clock_, loopbackAllowed());
  status_ = 503;
  EXPECT_FALSE(fetcher.keys(url(), false).has_value());
  status_ = 200;
  EXPECT_FALSE(fetcher.keys(url(), false).has_value());
  EXPECT_EQ(requests_.load(), 1);
  clock_.advance(11s);
  EXPECT_TRUE(fetcher.keys(url(), false).has_value());
}

}  // namespace
}  // namespace mxauth::oauth
