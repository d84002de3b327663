// Google Benchmark of the primitives under mxauth's hot paths, so that the
// whole-server figures of `make bench` can be read against their floor:
//   - argon2id verification at the configured parameters, on 1 and on every
//     core: the bound of password logins (issue 7, B: logins ≥ 80% of it);
//   - token minting, token hashing and an introspection-cache hit: what an
//     introspection or a refresh costs before any I/O.
// bench/run.mjs runs it in the same run as the servers. The argon2id
// parameters come from MXAUTH_PASSWORDS__ARGON2_MEMORY_KIB, _ITERATIONS and
// _PARALLELISM (the server's own variables), else the server defaults.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/rng.h"
#include "crypto/password_hasher.h"
#include "crypto/token.h"
#include "oauth/introspection_cache.h"

namespace {

using namespace mxauth;

std::uint32_t envOr(const char* name, std::uint32_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10));
}

crypto::Argon2Params configuredParams() {
  crypto::Argon2Params params;
  params.memory_kib = envOr("MXAUTH_PASSWORDS__ARGON2_MEMORY_KIB", params.memory_kib);
  params.iterations = envOr("MXAUTH_PASSWORDS__ARGON2_ITERATIONS", params.iterations);
  params.parallelism = envOr("MXAUTH_PASSWORDS__ARGON2_PARALLELISM", params.parallelism);
  return params;
}

// One hasher for every thread, admitting one hash per thread, as the server
// admits one per core.
crypto::PasswordHasher& sharedHasher() {
  static crypto::PasswordHasher hasher([] {
    crypto::PasswordHasherOptions options;
    options.argon2 = configuredParams();
    options.max_concurrent = std::max(1U, std::thread::hardware_concurrency());
    options.max_wait = std::chrono::minutes(1);
    return options;
  }());
  return hasher;
}

const std::string& storedHash() {
  static const std::string stored = [] {
    OsRng rng;
    return sharedHasher().hash(rng, "correct horse battery staple").value();
  }();
  return stored;
}

void BM_Argon2idVerify(benchmark::State& state) {
  const std::string& stored = storedHash();
  for (auto _ : state) {
    auto outcome = sharedHasher().verify("correct horse battery staple", stored);
    if (!outcome || !outcome->matched) state.SkipWithError("verification failed");
  }
  state.SetItemsProcessed(state.iterations());
  const auto params = sharedHasher().options().argon2;
  state.SetLabel("m=" + std::to_string(params.memory_kib) + "KiB t=" +
                 std::to_string(params.iterations) + " p=" + std::to_string(params.parallelism));
}
BENCHMARK(BM_Argon2idVerify)->Threads(1)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_Argon2idVerify)
    ->Threads(static_cast<int>(std::max(1U, std::thread::hardware_concurrency())))
    ->UseRealTime()
    ->MinTime(2.0);

void BM_GenerateToken(benchmark::State& state) {
  OsRng rng;
  for (auto _ : state)
    benchmark::DoNotOptimize(crypto::generateToken(rng, crypto::TokenType::AccessToken));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GenerateToken);

void BM_ParseAndHashToken(benchmark::State& state) {
  OsRng rng;
  const std::string token = crypto::generateToken(rng, crypto::TokenType::AccessToken);
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::parseToken(token));
    benchmark::DoNotOptimize(crypto::tokenHashHex(token));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAndHashToken);

// A hit in a cache of 100,000 live tokens: what an introspection of a known
// token costs once parsed and hashed.
void BM_IntrospectionCacheHit(benchmark::State& state) {
  static oauth::IntrospectionCache cache(100000, std::chrono::seconds(3600));
  static std::vector<std::string> hashes = [] {
    OsRng rng;
    std::vector<std::string> out;
    const Timestamp now = SystemClock().now();
    for (int i = 0; i < 100000; ++i) {
      out.push_back(
          crypto::tokenHashHex(crypto::generateToken(rng, crypto::TokenType::AccessToken)));
      oauth::IntrospectionRecord record;
      record.scope = "urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ";
      record.client_id = "01JBENCHCLIENT0000000000000";
      record.username = "user" + std::to_string(i);
      record.subject = "@user" + std::to_string(i) + ":example.test";
      record.device_id = "ABCDEFGHIJ";
      record.session_id = "01JBENCHSESSION000000000000";
      record.issued_at = now;
      record.expires_at = now + std::chrono::hours(1);
      cache.insert(out.back(), record, now, cache.invalidations());
    }
    return out;
  }();
  const Timestamp now = SystemClock().now();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.find(hashes[i % hashes.size()], now));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IntrospectionCacheHit)->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();
