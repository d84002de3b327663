#include "crypto/password_hasher.h"

#include <argon2.h>
#include <crypt.h>
#include <openssl/evp.h>
#include <sys/mman.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "crypto/constant_time.h"
#include "crypto/random.h"

namespace mxauth::crypto {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr std::uint32_t kArgon2Version = ARGON2_VERSION_13;  // 0x13 = 19

// Bounds on parameters read from stored hashes. Anything beyond is treated as
// malformed: a stored hash is data, and data must not be able to make one
// login allocate gigabytes or run for minutes.
constexpr std::uint32_t kMaxArgon2MemoryKib = 256 * 1024;
constexpr std::uint32_t kMaxArgon2Iterations = 64;
constexpr std::uint32_t kMaxArgon2Parallelism = 16;
constexpr std::uint32_t kMaxBcryptCost = 16;
constexpr std::uint32_t kMaxPbkdf2Iterations = 5'000'000;

// The salt of verifyDummy(); its value is irrelevant, only the cost matters.
constexpr std::string_view kDummySalt = "mxauth-dummy-salt";

enum class Argon2Variant { Argon2d, Argon2i, Argon2id };

struct Argon2Hash {
  Argon2Variant variant = Argon2Variant::Argon2id;
  std::uint32_t version = 0x10;
  Argon2Params params;
  std::string salt;
  std::string hash;
};

struct Pbkdf2Hash {
  const EVP_MD* digest = nullptr;
  std::uint32_t iterations = 0;
  std::string salt;
  std::string hash;
};

struct BcryptHash {
  std::string setting;  // the whole stored string; libxcrypt reads cost and salt from it
};

argon2_type toLibraryType(Argon2Variant variant) {
  switch (variant) {
    case Argon2Variant::Argon2d:
      return Argon2_d;
    case Argon2Variant::Argon2i:
      return Argon2_i;
    case Argon2Variant::Argon2id:
      return Argon2_id;
  }
  std::abort();  // unreachable: every enumerator is handled above
}

// Splits "$a$b$c" into {"a", "b", "c"}; nullopt unless it starts with '$'.
std::optional<std::vector<std::string_view>> splitPhc(std::string_view text) {
  if (text.empty() || text.front() != '$') return std::nullopt;
  std::vector<std::string_view> parts;
  text.remove_prefix(1);
  while (true) {
    std::size_t dollar = text.find('$');
    parts.push_back(text.substr(0, dollar));
    if (dollar == std::string_view::npos) break;
    text.remove_prefix(dollar + 1);
  }
  return parts;
}

// A decimal number without sign, leading '+' or leading zeros, within `max`.
std::optional<std::uint32_t> parseDecimal(std::string_view text, std::uint32_t max) {
  if (text.empty() || text.size() > 10 || (text.size() > 1 && text.front() == '0')) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

// "key=<decimal>" with the given key.
std::optional<std::uint32_t> parseParam(std::string_view text, std::string_view key,
                                        std::uint32_t max) {
  if (text.size() <= key.size() + 1 || text.substr(0, key.size()) != key ||
      text[key.size()] != '=') {
    return std::nullopt;
  }
  return parseDecimal(text.substr(key.size() + 1), max);
}

// PHC's base64: standard alphabet without padding. Padding and passlib's
// "adapted" alphabet ('.' for '+') are accepted as well.
std::optional<std::string> decodePhcBase64(std::string_view text) {
  std::string padded(text);
  std::replace(padded.begin(), padded.end(), '.', '+');
  if (!padded.empty() && padded.back() != '=') {
    if (padded.size() % 4 == 1) return std::nullopt;
    padded.append((4 - padded.size() % 4) % 4, '=');
  }
  return core::base64Decode(padded);
}

std::string encodePhcBase64(std::string_view bytes) {
  std::string out = core::base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

Result<Argon2Hash, PasswordError> parseArgon2(const std::vector<std::string_view>& parts) {
  Argon2Hash out;
  if (parts[0] == "argon2id") {
    out.variant = Argon2Variant::Argon2id;
  } else if (parts[0] == "argon2i") {
    out.variant = Argon2Variant::Argon2i;
  } else {
    out.variant = Argon2Variant::Argon2d;
  }
  // "$argon2id$v=19$m=..,t=..,p=..$salt$hash"; hashes from before version 19
  // omit the "v=" part.
  std::size_t next = 1;
  if (parts.size() == 5) {
    auto version = parseParam(parts[1], "v", 0xFF);
    if (!version || (*version != 0x10 && *version != 0x13)) {
      return unexpected(PasswordError::MalformedHash);
    }
    out.version = *version;
    next = 2;
  } else if (parts.size() != 4) {
    return unexpected(PasswordError::MalformedHash);
  }
  std::string_view params = parts[next];
  std::size_t comma1 = params.find(',');
  std::size_t comma2 =
      comma1 == std::string_view::npos ? std::string_view::npos : params.find(',', comma1 + 1);
  if (comma2 == std::string_view::npos) return unexpected(PasswordError::MalformedHash);
  auto m = parseParam(params.substr(0, comma1), "m", kMaxArgon2MemoryKib);
  auto t = parseParam(params.substr(comma1 + 1, comma2 - comma1 - 1), "t", kMaxArgon2Iterations);
  auto p = parseParam(params.substr(comma2 + 1), "p", kMaxArgon2Parallelism);
  if (!m || !t || !p || *t < ARGON2_MIN_TIME || *p < 1 || *m < 8 * *p) {
    return unexpected(PasswordError::MalformedHash);
  }
  out.params = Argon2Params{*m, *t, *p};
  auto salt = decodePhcBase64(parts[next + 1]);
  auto hash = decodePhcBase64(parts[next + 2]);
  if (!salt || !hash || salt->size() < ARGON2_MIN_SALT_LENGTH || salt->size() > 1024 ||
      hash->size() < ARGON2_MIN_OUTLEN || hash->size() > 1024) {
    return unexpected(PasswordError::MalformedHash);
  }
  out.salt = std::move(*salt);
  out.hash = std::move(*hash);
  return out;
}

Result<Pbkdf2Hash, PasswordError> parsePbkdf2(const std::vector<std::string_view>& parts) {
  Pbkdf2Hash out;
  out.digest = parts[0] == "pbkdf2-sha256" ? EVP_sha256() : EVP_sha512();
  if (parts.size() != 4) return unexpected(PasswordError::MalformedHash);
  std::string_view rounds = parts[1];
  if (rounds.substr(0, 2) == "i=") rounds.remove_prefix(2);
  auto iterations = parseDecimal(rounds, kMaxPbkdf2Iterations);
  if (!iterations || *iterations == 0) return unexpected(PasswordError::MalformedHash);
  out.iterations = *iterations;
  auto salt = decodePhcBase64(parts[2]);
  auto hash = decodePhcBase64(parts[3]);
  if (!salt || !hash || salt->empty() || salt->size() > 1024 || hash->size() < 16 ||
      hash->size() > 128) {
    return unexpected(PasswordError::MalformedHash);
  }
  out.salt = std::move(*salt);
  out.hash = std::move(*hash);
  return out;
}

// "$2b$<2-digit cost>$<22 salt chars><31 hash chars>", in bcrypt's own base64
// alphabet ("./A-Za-z0-9").
Result<BcryptHash, PasswordError> parseBcrypt(std::string_view stored) {
  if (stored.size() != 60 || stored[6] != '$') return unexpected(PasswordError::MalformedHash);
  char tens = stored[4];
  char units = stored[5];
  if (tens < '0' || tens > '9' || units < '0' || units > '9') {
    return unexpected(PasswordError::MalformedHash);
  }
  auto cost = static_cast<std::uint32_t>((tens - '0') * 10 + (units - '0'));
  if (cost < 4 || cost > kMaxBcryptCost) return unexpected(PasswordError::MalformedHash);
  for (char c : stored.substr(7)) {
    bool ok = c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9');
    if (!ok) return unexpected(PasswordError::MalformedHash);
  }
  return BcryptHash{std::string(stored)};
}

// The memory argon2 works in (19 MiB per hash by default). Left to malloc,
// each worker thread's arena keeps the largest block it ever held, so a
// process that had ten threads hash once holds ten blocks for ever (RSS grew
// from 19 to 213 MiB in `make bench`). Instead the blocks are mapped
// directly. While hashes keep coming (another one still running when one
// ends), up to `retained` blocks (one per hash slot) are kept for the next
// hash, which spares it the page faults; when the last running hash ends,
// every block is unmapped, so an idle server holds none.
class Argon2Memory {
 public:
  static Argon2Memory& instance() {
    static Argon2Memory memory;
    return memory;
  }

  void retainAtMost(std::size_t count) {
    std::lock_guard lock(mutex_);
    retained_ = std::max(retained_, count);
  }

  // argon2_context's allocate_cbk / free_cbk (which take no user pointer).
  static int allocate(std::uint8_t** memory, std::size_t bytes) {
    *memory = instance().take(bytes);
    return *memory != nullptr ? ARGON2_OK : ARGON2_MEMORY_ALLOCATION_ERROR;
  }
  static void release(std::uint8_t* memory, std::size_t bytes) { instance().give(memory, bytes); }

  std::size_t kept() const {
    std::lock_guard lock(mutex_);
    return free_.size();
  }

 private:
  std::uint8_t* take(std::size_t bytes) {
    {
      std::lock_guard lock(mutex_);
      ++outstanding_;
      auto it = std::find_if(free_.begin(), free_.end(),
                             [bytes](const Block& b) { return b.bytes == bytes; });
      if (it != free_.end()) {
        std::uint8_t* memory = it->memory;
        free_.erase(it);
        return memory;
      }
    }
    if (std::uint8_t* mapped = mapAligned(bytes)) return mapped;
    std::lock_guard lock(mutex_);
    --outstanding_;
    return nullptr;
  }

  // Blocks of 2 MiB and more are mapped 2 MiB-aligned, rounded up to whole
  // 2 MiB pages, and marked for transparent huge pages. argon2 reads its
  // memory at data-dependent places, so with 4 KiB pages nearly every block
  // it reads misses the TLB; and a fresh block is 10 faults instead of
  // 4,864. On the bench machine (THP defrag "madvise") unmarked memory got
  // no huge page at all; marked, a hash at the default parameters takes
  // 22 ms instead of 33 on one core, and two cores hash 10% more per second.
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;
  static std::size_t mappedSize(std::size_t bytes) {
    if (bytes < kHugePage) return bytes;
    return (bytes + kHugePage - 1) / kHugePage * kHugePage;
  }

  static std::uint8_t* mapAligned(std::size_t bytes) {
    const std::size_t size = mappedSize(bytes);
    const std::size_t slack = bytes < kHugePage ? 0 : kHugePage;
    void* mapped =
        mmap(nullptr, size + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return nullptr;
    auto* start = static_cast<std::uint8_t*>(mapped);
    if (slack == 0) return start;
    const auto address = reinterpret_cast<std::uintptr_t>(start);
    const std::size_t head = (kHugePage - address % kHugePage) % kHugePage;
    if (head > 0) munmap(start, head);
    munmap(start + head + size, slack - head);
    std::uint8_t* block = start + head;
    // Advice only: where THP is off the block works with small pages.
    madvise(block, size, MADV_HUGEPAGE);
    return block;
  }

  void give(std::uint8_t* memory, std::size_t bytes) {
    std::vector<Block> unmap{Block{memory, bytes}};
    {
      std::lock_guard lock(mutex_);
      --outstanding_;
      if (outstanding_ > 0 && free_.size() < retained_) {
        free_.push_back(unmap.back());
        return;
      }
      if (outstanding_ == 0) {
        unmap.insert(unmap.end(), free_.begin(), free_.end());
        free_.clear();
      }
    }
    for (const Block& block : unmap) munmap(block.memory, mappedSize(block.bytes));
  }

  struct Block {
    std::uint8_t* memory;
    std::size_t bytes;
  };
  mutable std::mutex mutex_;
  std::size_t retained_ = 1;
  std::size_t outstanding_ = 0;  // blocks handed to running hashes
  std::vector<Block> free_;
};

Result<std::string, PasswordError> computeArgon2(Argon2Variant variant, std::uint32_t version,
                                                 const Argon2Params& params,
                                                 std::string_view password, std::string_view salt,
                                                 std::size_t hash_length) {
  std::string out(hash_length, '\0');
  // argon2_context takes non-const pointers; the library only reads the
  // password and salt (no ARGON2_FLAG_CLEAR_* flags), but copies keep that
  // promise out of our hands.
  std::string pwd(password);
  std::string salt_copy(salt);
  argon2_context context{};
  context.out = reinterpret_cast<std::uint8_t*>(out.data());
  context.outlen = static_cast<std::uint32_t>(out.size());
  context.pwd = reinterpret_cast<std::uint8_t*>(pwd.data());
  context.pwdlen = static_cast<std::uint32_t>(pwd.size());
  context.salt = reinterpret_cast<std::uint8_t*>(salt_copy.data());
  context.saltlen = static_cast<std::uint32_t>(salt_copy.size());
  context.t_cost = params.iterations;
  context.m_cost = params.memory_kib;
  context.lanes = params.parallelism;
  context.threads = params.parallelism;
  context.version = version;
  context.allocate_cbk = &Argon2Memory::allocate;
  context.free_cbk = &Argon2Memory::release;
  context.flags = ARGON2_DEFAULT_FLAGS;
  const int rc = argon2_ctx(&context, toLibraryType(variant));
  if (rc != ARGON2_OK) return unexpected(PasswordError::Internal);
  return out;
}

Result<bool, PasswordError> verifyArgon2(const Argon2Hash& stored, std::string_view password) {
  auto computed = computeArgon2(stored.variant, stored.version, stored.params, password,
                                stored.salt, stored.hash.size());
  if (!computed) return unexpected(computed.error());
  return constantTimeEquals(*computed, stored.hash);
}

Result<bool, PasswordError> verifyPbkdf2(const Pbkdf2Hash& stored, std::string_view password) {
  std::string computed(stored.hash.size(), '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(stored.salt.data()),
                        static_cast<int>(stored.salt.size()), static_cast<int>(stored.iterations),
                        stored.digest, static_cast<int>(computed.size()),
                        reinterpret_cast<unsigned char*>(computed.data())) != 1) {
    return unexpected(PasswordError::Internal);
  }
  return constantTimeEquals(computed, stored.hash);
}

Result<bool, PasswordError> verifyBcrypt(const BcryptHash& stored, std::string_view password) {
  // crypt(3) takes C strings: a password with a NUL byte cannot be what was
  // hashed, and must not be silently truncated into a match.
  if (password.find('\0') != std::string_view::npos) return false;
  std::string phrase(password);
  auto data = std::make_unique<crypt_data>();  // about 32 KiB: keep it off the stack
  const char* result = crypt_rn(phrase.c_str(), stored.setting.c_str(), data.get(),
                                static_cast<int>(sizeof(crypt_data)));
  if (result == nullptr || result[0] == '*') return unexpected(PasswordError::MalformedHash);
  return constantTimeEquals(std::string_view(result), stored.setting);
}

bool isWeakerThan(const Argon2Hash& stored, const Argon2Params& current) {
  return stored.variant != Argon2Variant::Argon2id || stored.version != kArgon2Version ||
         stored.params.memory_kib < current.memory_kib ||
         stored.params.iterations < current.iterations;
}

std::size_t defaultConcurrency() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace

std::string_view describe(PasswordError error) {
  switch (error) {
    case PasswordError::Overloaded:
      return "too many password operations in progress";
    case PasswordError::PasswordTooLong:
      return "password too long";
    case PasswordError::MalformedHash:
      return "stored password hash is malformed";
    case PasswordError::UnsupportedScheme:
      return "stored password hash uses an unsupported scheme";
    case PasswordError::Internal:
      return "password hashing failed";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

// Holds one admission slot for its lifetime.
class PasswordHasher::Permit {
 public:
  explicit Permit(PasswordHasher& hasher) : hasher_(hasher), admitted_(hasher.admit()) {}
  ~Permit() {
    if (admitted_) hasher_.release();
  }
  Permit(const Permit&) = delete;
  Permit& operator=(const Permit&) = delete;
  bool admitted() const { return admitted_; }

 private:
  PasswordHasher& hasher_;
  bool admitted_;
};

PasswordHasher::PasswordHasher(PasswordHasherOptions options) : options_(options) {
  if (options_.max_concurrent == 0) options_.max_concurrent = defaultConcurrency();
  Argon2Memory::instance().retainAtMost(options_.max_concurrent);
}

std::size_t argon2BlocksKeptForTesting() { return Argon2Memory::instance().kept(); }

std::uint8_t* takeArgon2BlockForTesting(std::size_t bytes) {
  std::uint8_t* block = nullptr;
  return Argon2Memory::allocate(&block, bytes) == ARGON2_OK ? block : nullptr;
}

void giveArgon2BlockForTesting(std::uint8_t* block, std::size_t bytes) {
  Argon2Memory::release(block, bytes);
}

bool PasswordHasher::admit() {
  std::unique_lock lock(mutex_);
  if (in_flight_ < options_.max_concurrent) {
    ++in_flight_;
    ++started_;
    return true;
  }
  if (waiting_ >= options_.max_waiting) return false;
  ++waiting_;
  // A monotonic deadline: this bounds a wait, it is not a point in time the
  // protocol cares about, so it does not come from the injected Clock.
  bool got = slot_freed_.wait_for(lock, options_.max_wait,
                                  [&] { return in_flight_ < options_.max_concurrent; });
  --waiting_;
  if (got) {
    ++in_flight_;
    ++started_;
  }
  return got;
}

void PasswordHasher::release() {
  {
    std::lock_guard lock(mutex_);
    --in_flight_;
  }
  slot_freed_.notify_one();
}

std::size_t PasswordHasher::inFlight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

std::size_t PasswordHasher::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

std::uint64_t PasswordHasher::started() const {
  std::lock_guard lock(mutex_);
  return started_;
}

Result<std::string, PasswordError> PasswordHasher::hash(Rng& rng, std::string_view password) {
  if (password.size() > options_.max_password_bytes) {
    return unexpected(PasswordError::PasswordTooLong);
  }
  Permit permit(*this);
  if (!permit.admitted()) return unexpected(PasswordError::Overloaded);
  std::vector<std::uint8_t> salt_bytes = randomBytes(rng, kSaltBytes);
  std::string salt(salt_bytes.begin(), salt_bytes.end());
  const Argon2Params& params = options_.argon2;
  auto computed =
      computeArgon2(Argon2Variant::Argon2id, kArgon2Version, params, password, salt, kHashBytes);
  if (!computed) return unexpected(computed.error());
  std::string out = "$argon2id$v=19$m=";
  out += std::to_string(params.memory_kib);
  out += ",t=";
  out += std::to_string(params.iterations);
  out += ",p=";
  out += std::to_string(params.parallelism);
  out += '$';
  out += encodePhcBase64(salt);
  out += '$';
  out += encodePhcBase64(*computed);
  return out;
}

Result<VerifyOutcome, PasswordError> PasswordHasher::verify(std::string_view password,
                                                            std::string_view stored) {
  if (password.size() > options_.max_password_bytes) {
    return unexpected(PasswordError::PasswordTooLong);
  }
  // Parse first: a malformed hash costs no slot.
  auto parts = splitPhc(stored);
  if (!parts || (*parts)[0].empty()) return unexpected(PasswordError::MalformedHash);
  std::string_view scheme = (*parts)[0];

  if (scheme == "argon2id" || scheme == "argon2i" || scheme == "argon2d") {
    auto parsed = parseArgon2(*parts);
    if (!parsed) return unexpected(parsed.error());
    Permit permit(*this);
    if (!permit.admitted()) return unexpected(PasswordError::Overloaded);
    auto matched = verifyArgon2(*parsed, password);
    if (!matched) return unexpected(matched.error());
    return VerifyOutcome{*matched, *matched && isWeakerThan(*parsed, options_.argon2)};
  }
  if (scheme == "pbkdf2-sha256" || scheme == "pbkdf2-sha512") {
    auto parsed = parsePbkdf2(*parts);
    if (!parsed) return unexpected(parsed.error());
    Permit permit(*this);
    if (!permit.admitted()) return unexpected(PasswordError::Overloaded);
    auto matched = verifyPbkdf2(*parsed, password);
    if (!matched) return unexpected(matched.error());
    return VerifyOutcome{*matched, *matched};
  }
  if (scheme == "2a" || scheme == "2b" || scheme == "2y") {
    auto parsed = parseBcrypt(stored);
    if (!parsed) return unexpected(parsed.error());
    Permit permit(*this);
    if (!permit.admitted()) return unexpected(PasswordError::Overloaded);
    auto matched = verifyBcrypt(*parsed, password);
    if (!matched) return unexpected(matched.error());
    return VerifyOutcome{*matched, *matched};
  }
  return unexpected(PasswordError::UnsupportedScheme);
}

Result<void, PasswordError> PasswordHasher::verifyDummy(std::string_view password) {
  if (password.size() > options_.max_password_bytes) {
    return unexpected(PasswordError::PasswordTooLong);
  }
  Permit permit(*this);
  if (!permit.admitted()) return unexpected(PasswordError::Overloaded);
  auto computed = computeArgon2(Argon2Variant::Argon2id, kArgon2Version, options_.argon2, password,
                                kDummySalt, kHashBytes);
  if (!computed) return unexpected(computed.error());
  return {};
}

}  // namespace mxauth::crypto
