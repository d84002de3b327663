#pragma once

// Password hashing and verification (security checklist G.47).
//
// New hashes are argon2id PHC strings ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>")
// at OWASP's minimum parameters by default, with a 16-byte salt from the Rng.
// verify() also accepts hashes imported from elsewhere, and says when a
// successful login should store a fresh hash (needs_rehash):
//   - argon2id/argon2i/argon2d PHC strings: rehash when the variant is not
//     argon2id, the version is older than 0x13, or memory or iterations are
//     below the current parameters;
//   - bcrypt "$2a$", "$2b$", "$2y$" (Synapse's hashes), through libxcrypt:
//     always rehash;
//   - PBKDF2 "$pbkdf2-sha256$i=<iterations>$<salt>$<hash>" and
//     "$pbkdf2-sha512$...", salt and hash in base64 (standard alphabet or
//     passlib's '.' for '+', padding optional; passlib's bare "<iterations>"
//     is accepted too): always rehash.
// A stored hash that cannot be parsed, or whose cost parameters are beyond
// sane bounds (so a planted hash cannot make one login eat gigabytes or
// minutes), is an error value, never a crash. Comparisons are constant-time.
//
// Admission: hashing costs m KiB of memory and tens of milliseconds of CPU,
// so at most `max_concurrent` operations run at once (memory stays below
// m × max_concurrent) and at most `max_waiting` callers wait for a slot. A
// caller that finds the waiting room full, or waits longer than `max_wait`,
// gets PasswordError::Overloaded at once, which the HTTP layer answers with
// 503. Calls block, so make them from worker threads, never from I/O threads.
// All members are thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/rng.h"

namespace mxauth::crypto {

struct Argon2Params {
  std::uint32_t memory_kib = 19456;  // m: 19 MiB
  std::uint32_t iterations = 2;      // t
  std::uint32_t parallelism = 1;     // p
};

struct PasswordHasherOptions {
  Argon2Params argon2;
  // 0 means the number of hardware threads (at least 1).
  std::size_t max_concurrent = 0;
  std::size_t max_waiting = 64;
  std::chrono::milliseconds max_wait{2000};
  // Longer passwords are refused before any hashing (a 1 MB password must not
  // cost more than a short one).
  std::size_t max_password_bytes = 4096;
};

enum class PasswordError {
  Overloaded,         // no slot within the deadline, or the waiting room is full: answer 503
  PasswordTooLong,    // longer than max_password_bytes
  MalformedHash,      // the stored hash cannot be parsed or has out-of-bounds parameters
  UnsupportedScheme,  // a stored hash of a scheme this server does not verify
  Internal,           // the hashing library failed (for example out of memory)
};

std::string_view describe(PasswordError error);

struct VerifyOutcome {
  bool matched = false;
  // Meaningful when matched: store hash(password) in place of the old hash.
  bool needs_rehash = false;
};

class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordHasherOptions options = {});
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // A new argon2id PHC string for `password` at the configured parameters.
  Result<std::string, PasswordError> hash(Rng& rng, std::string_view password);

  // Checks `password` against a stored hash in any supported scheme.
  Result<VerifyOutcome, PasswordError> verify(std::string_view password, std::string_view stored);

  // Spends the same time and memory as verifying against a current hash, for
  // logins to accounts that do not exist, so response time does not reveal
  // which accounts exist (security checklist G.46).
  Result<void, PasswordError> verifyDummy(std::string_view password);

  const PasswordHasherOptions& options() const { return options_; }
  // Operations running now, and callers waiting for a slot (for metrics).
  std::size_t inFlight() const;
  std::size_t waiting() const;
  // Hash computations admitted since construction (each one argon2id,
  // bcrypt or PBKDF2 run), so that callers can show what cost CPU.
  std::uint64_t started() const;

 private:
  class Permit;
  // True with a slot taken, false when overloaded.
  bool admit();
  void release();

  PasswordHasherOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::size_t in_flight_ = 0;
  std::size_t waiting_ = 0;
  std::uint64_t started_ = 0;
};

// How many argon2 memory blocks are kept mapped for reuse (at most one per
// hash slot of the largest hasher constructed, none when no hash runs), for
// tests.
std::size_t argon2BlocksKeptForTesting();

// Takes and gives back a block of argon2 memory of `bytes`, as a hash does,
// so tests can check how it is mapped.
std::uint8_t* takeArgon2BlockForTesting(std::size_t bytes);
void giveArgon2BlockForTesting(std::uint8_t* block, std::size_t bytes);

}  // namespace mxauth::crypto
