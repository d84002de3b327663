#include "crypto/key_ring.h"

#include <sys/stat.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <set>
#include <system_error>

namespace mxauth::crypto {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kKeyRingVersion = 1;
constexpr std::array<SigningAlgorithm, 3> kAlgorithms = {
    SigningAlgorithm::Rs256, SigningAlgorithm::Es256, SigningAlgorithm::EdDsa};

KeyError invalidRing(const std::string& detail) {
  return KeyError{KeyErrorCode::InvalidKey, std::string(kKeyRingFileName) + ": " + detail};
}

std::int64_t unixSeconds(Timestamp t) { return toUnixSeconds(t); }
Timestamp fromUnixSeconds(std::int64_t seconds) {
  return Timestamp(std::chrono::duration_cast<Duration>(std::chrono::seconds(seconds)));
}
// Instants are kept to the second, as they are stored.
Timestamp toSecond(Timestamp t) { return fromUnixSeconds(unixSeconds(t)); }

// A file name inside the key directory: no path, not hidden, *.pem.
bool isKeyFileName(std::string_view name) {
  return !name.empty() && name.front() != '.' && name.find('/') == std::string_view::npos &&
         name.size() > 4 && name.ends_with(".pem");
}

Result<std::optional<Timestamp>, KeyError> optionalInstant(const boost::json::object& entry,
                                                           std::string_view name,
                                                           std::string_view kid) {
  const boost::json::value* value = entry.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<Timestamp>();
  if (!value->is_int64()) {
    return unexpected(invalidRing("key " + std::string(kid) + ": " + std::string(name) +
                                  " must be Unix seconds"));
  }
  return std::optional<Timestamp>(fromUnixSeconds(value->get_int64()));
}

Result<KeyRingEntry, KeyError> parseEntry(const boost::json::value& value) {
  if (!value.is_object()) return unexpected(invalidRing("every key must be an object"));
  const boost::json::object& object = value.get_object();
  KeyRingEntry entry;
  const auto text = [&](std::string_view name) -> const boost::json::string* {
    const boost::json::value* member = object.if_contains(name);
    return member != nullptr && member->is_string() ? &member->get_string() : nullptr;
  };
  const boost::json::string* kid = text("kid");
  if (kid == nullptr || kid->empty()) return unexpected(invalidRing("a key has no kid"));
  entry.kid = std::string(*kid);
  const boost::json::string* alg = text("alg");
  const auto algorithm = alg ? algorithmFromName(*alg) : std::nullopt;
  if (!algorithm) return unexpected(invalidRing("key " + entry.kid + ": unknown alg"));
  entry.algorithm = *algorithm;
  const boost::json::string* file = text("file");
  if (file == nullptr || !isKeyFileName(*file)) {
    return unexpected(invalidRing("key " + entry.kid + ": file must be a *.pem name"));
  }
  entry.file = std::string(*file);
  const boost::json::value* created = object.if_contains("created_at");
  if (created == nullptr || !created->is_int64()) {
    return unexpected(invalidRing("key " + entry.kid + ": created_at must be Unix seconds"));
  }
  entry.created_at = fromUnixSeconds(created->get_int64());
  for (auto [name, slot] :
       {std::pair{"activated_at", &entry.activated_at},
        std::pair{"retiring_at", &entry.retiring_at}, std::pair{"retired_at", &entry.retired_at}}) {
    auto instant = optionalInstant(object, name, entry.kid);
    if (!instant) return unexpected(instant.error());
    *slot = *instant;
  }
  return entry;
}

boost::json::value instantJson(const std::optional<Timestamp>& instant) {
  if (!instant) return nullptr;
  return unixSeconds(*instant);
}

std::string entryJson(const KeyRingEntry& entry) {
  boost::json::object object;
  object["kid"] = entry.kid;
  object["alg"] = algorithmName(entry.algorithm);
  object["file"] = entry.file;
  object["created_at"] = unixSeconds(entry.created_at);
  object["activated_at"] = instantJson(entry.activated_at);
  object["retiring_at"] = instantJson(entry.retiring_at);
  object["retired_at"] = instantJson(entry.retired_at);
  return boost::json::serialize(object);
}

}  // namespace

std::string_view keyStateName(KeyState state) {
  switch (state) {
    case KeyState::Published:
      return "published";
    case KeyState::Active:
      return "active";
    case KeyState::Retiring:
      return "retiring";
    case KeyState::Retired:
      return "retired";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

KeyState KeyRingEntry::stateAt(Timestamp now) const {
  if (retired_at && now >= *retired_at) return KeyState::Retired;
  if (retiring_at && now >= *retiring_at) return KeyState::Retiring;
  if (activated_at && now >= *activated_at) return KeyState::Active;
  return KeyState::Published;
}

Result<KeyRing, KeyError> KeyRing::parse(std::string_view json) {
  boost::json::error_code error;
  boost::json::value document = boost::json::parse(json, error);
  if (error || !document.is_object()) return unexpected(invalidRing("not a JSON object"));
  const boost::json::object& root = document.get_object();
  const boost::json::value* version = root.if_contains("version");
  if (version == nullptr || !version->is_int64() || version->get_int64() != kKeyRingVersion) {
    return unexpected(invalidRing("unsupported version (this mxauth reads version 1)"));
  }
  const boost::json::value* keys = root.if_contains("keys");
  if (keys == nullptr || !keys->is_array()) return unexpected(invalidRing("keys must be a list"));
  KeyRing ring;
  std::set<std::string> kids;
  for (const boost::json::value& value : keys->get_array()) {
    auto entry = parseEntry(value);
    if (!entry) return unexpected(entry.error());
    if (!kids.insert(entry->kid).second) {
      return unexpected(invalidRing("kid " + entry->kid + " appears twice"));
    }
    ring.entries_.push_back(std::move(*entry));
  }
  return ring;
}

std::string KeyRing::serialize() const {
  // One key per line, so that an operator can read it and a diff is small.
  std::string out = "{\"version\":" + std::to_string(kKeyRingVersion) + ",\"keys\":[";
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    out += i == 0 ? "\n  " : ",\n  ";
    out += entryJson(entries_[i]);
  }
  out += entries_.empty() ? "]}\n" : "\n]}\n";
  return out;
}

KeyRing KeyRing::adopt(const std::vector<std::pair<std::string, SigningKey>>& files, Timestamp now,
                       Duration grace) {
  now = toSecond(now);
  KeyRing ring;
  std::set<SigningAlgorithm> signing;
  for (const auto& [file, key] : files) {
    if (ring.find(key.kid()) != nullptr) continue;  // the same key twice: the first file
    KeyRingEntry entry;
    entry.kid = key.kid();
    entry.algorithm = key.algorithm();
    entry.file = file;
    entry.created_at = now;
    if (signing.insert(key.algorithm()).second) {
      entry.activated_at = now;
    } else {
      // Loaded but never signing: verifying keys, as good as retiring.
      entry.retiring_at = now;
      entry.retired_at = toSecond(now + grace);
    }
    ring.entries_.push_back(std::move(entry));
  }
  return ring;
}

const KeyRingEntry* KeyRing::find(std::string_view kid) const {
  for (const KeyRingEntry& entry : entries_) {
    if (entry.kid == kid) return &entry;
  }
  return nullptr;
}

KeyRingEntry* KeyRing::findMutable(std::string_view kid) {
  return const_cast<KeyRingEntry*>(std::as_const(*this).find(kid));
}

const KeyRingEntry* KeyRing::signerAt(SigningAlgorithm algorithm, Timestamp now) const {
  const KeyRingEntry* signer = nullptr;
  for (const KeyRingEntry& entry : entries_) {
    if (entry.algorithm != algorithm || entry.stateAt(now) != KeyState::Active) continue;
    if (signer == nullptr || *entry.activated_at >= *signer->activated_at) signer = &entry;
  }
  return signer;
}

std::vector<SigningAlgorithm> KeyRing::algorithmsInUse(Timestamp now) const {
  std::vector<SigningAlgorithm> out;
  for (SigningAlgorithm algorithm : kAlgorithms) {
    const bool in_use = std::any_of(entries_.begin(), entries_.end(), [&](const auto& entry) {
      const KeyState state = entry.stateAt(now);
      return entry.algorithm == algorithm &&
             (state == KeyState::Active || state == KeyState::Published);
    });
    if (in_use) out.push_back(algorithm);
  }
  return out;
}

std::optional<Timestamp> KeyRing::nextChangeAfter(Timestamp now) const {
  std::optional<Timestamp> next;
  for (const KeyRingEntry& entry : entries_) {
    for (const auto& instant : {entry.activated_at, entry.retiring_at, entry.retired_at}) {
      if (instant && *instant > now && (!next || *instant < *next)) next = *instant;
    }
  }
  return next;
}

void KeyRing::publish(const SigningKey& key, std::string file, Timestamp now) {
  KeyRingEntry entry;
  entry.kid = key.kid();
  entry.algorithm = key.algorithm();
  entry.file = std::move(file);
  entry.created_at = toSecond(now);
  entries_.push_back(std::move(entry));
}

Result<void, std::string> KeyRing::activate(std::string_view kid, Timestamp now, Timestamp at,
                                            Duration grace) {
  now = toSecond(now);
  at = std::max(toSecond(at), now);
  KeyRingEntry* target = findMutable(kid);
  if (target == nullptr) return unexpected("no key has the kid " + std::string(kid));
  const KeyState state = target->stateAt(now);
  if (state == KeyState::Active) return unexpected("key " + target->kid + " already signs");
  if (state != KeyState::Published || target->retiring_at || target->retired_at) {
    return unexpected("key " + target->kid + " is " + std::string(keyStateName(state)) +
                      " and cannot sign again");
  }
  for (KeyRingEntry& other : entries_) {
    if (&other == target || other.algorithm != target->algorithm) continue;
    // Call off what an earlier, still pending activation planned: its own
    // start, and the end it gave the key signing now.
    if (other.activated_at && *other.activated_at > now) other.activated_at.reset();
    if (other.retiring_at && *other.retiring_at > now) {
      other.retiring_at.reset();
      other.retired_at.reset();
    }
    if (other.stateAt(now) == KeyState::Active) {
      other.retiring_at = at;
      other.retired_at = toSecond(at + grace);
    }
  }
  target->activated_at = at;
  return {};
}

Result<void, std::string> KeyRing::retire(std::string_view kid, Timestamp now) {
  now = toSecond(now);
  KeyRingEntry* entry = findMutable(kid);
  if (entry == nullptr) return unexpected("no key has the kid " + std::string(kid));
  const KeyState state = entry->stateAt(now);
  if (state == KeyState::Retired) return unexpected("key " + entry->kid + " is already retired");
  const std::string alg(algorithmName(entry->algorithm));
  if (signerAt(entry->algorithm, now) == entry) {
    return unexpected("key " + entry->kid + " signs " + alg +
                      " tokens now; rotate first (mxauth keys rotate --alg " + alg +
                      " --immediately), then retire it");
  }
  if (entry->activated_at && *entry->activated_at > now) {
    return unexpected("key " + entry->kid + " is planned to sign " + alg +
                      " tokens; rotate again first");
  }
  if (!entry->retiring_at || *entry->retiring_at > now) entry->retiring_at = now;
  entry->retired_at = now;
  return {};
}

std::vector<KeyRingEntry> KeyRing::pruneRetired(Timestamp now) {
  std::vector<KeyRingEntry> pruned;
  std::vector<KeyRingEntry> kept;
  for (KeyRingEntry& entry : entries_) {
    (entry.stateAt(now) == KeyState::Retired ? pruned : kept).push_back(std::move(entry));
  }
  entries_ = std::move(kept);
  return pruned;
}

Result<KeySnapshot, KeyError> loadKeySnapshot(const fs::path& dir, Timestamp now) {
  const fs::path ring_path = dir / kKeyRingFileName;
  std::error_code ec;
  if (!fs::exists(ring_path, ec)) {
    if (ec) return unexpected(KeyError{KeyErrorCode::Io, ring_path.string() + ": " + ec.message()});
    auto keys = loadKeyDirectory(dir);
    if (!keys) return unexpected(keys.error());
    return KeySnapshot{std::move(*keys), std::nullopt};
  }
  auto text = readKeyDirectoryFile(ring_path);
  if (!text) return unexpected(text.error());
  auto ring = KeyRing::parse(*text);
  if (!ring) return unexpected(ring.error());

  std::map<std::string, SigningKey, std::less<>> loaded;
  for (const KeyRingEntry& entry : ring->entries()) {
    if (entry.stateAt(now) == KeyState::Retired) continue;
    const fs::path path = dir / entry.file;
    if (entry.retired_at && !fs::exists(path, ec)) {
      // On its way out, and already pruned by a process whose clock is ahead.
      continue;
    }
    auto key = loadKeyFile(path);
    if (!key) return unexpected(key.error());
    if (key->kid() != entry.kid || key->algorithm() != entry.algorithm) {
      return unexpected(
          KeyError{KeyErrorCode::InvalidKey,
                   path.string() + ": not the " + std::string(algorithmName(entry.algorithm)) +
                       " key " + entry.kid + " that " + std::string(kKeyRingFileName) + " names"});
    }
    loaded.emplace(entry.kid, std::move(*key));
  }

  KeySnapshot snapshot;
  for (SigningAlgorithm algorithm : kAlgorithms) {
    const KeyRingEntry* signer = ring->signerAt(algorithm, now);
    if (signer == nullptr) continue;
    auto found = loaded.find(signer->kid);
    if (found != loaded.end()) snapshot.keys.add(found->second, KeyUse::Sign);
  }
  for (const KeyRingEntry& entry : ring->entries()) {
    auto found = loaded.find(entry.kid);
    if (found != loaded.end()) snapshot.keys.add(found->second, KeyUse::VerifyOnly);
  }
  snapshot.next_change = ring->nextChangeAfter(now);
  return snapshot;
}

Result<LoadedKeyRing, KeyError> readKeyRing(const fs::path& dir, Timestamp now, Duration grace) {
  const fs::path ring_path = dir / kKeyRingFileName;
  std::error_code ec;
  if (fs::exists(ring_path, ec)) {
    auto text = readKeyDirectoryFile(ring_path);
    if (!text) return unexpected(text.error());
    auto ring = KeyRing::parse(*text);
    if (!ring) return unexpected(ring.error());
    return LoadedKeyRing{std::move(*ring), false};
  }
  auto files = listKeyFiles(dir);
  if (!files) return unexpected(files.error());
  std::vector<std::pair<std::string, SigningKey>> keys;
  for (const fs::path& path : *files) {
    auto key = loadKeyFile(path);
    if (!key) return unexpected(key.error());
    keys.emplace_back(path.filename().string(), std::move(*key));
  }
  return LoadedKeyRing{KeyRing::adopt(keys, now, grace), true};
}

Result<void, KeyError> writeKeyRing(const fs::path& dir, const KeyRing& ring) {
  return writeKeyDirectoryFile(dir, std::string(kKeyRingFileName), ring.serialize());
}

Result<std::vector<std::string>, KeyError> unlistedKeyFiles(const fs::path& dir,
                                                            const KeyRing& ring) {
  auto files = listKeyFiles(dir);
  if (!files) return unexpected(files.error());
  std::vector<std::string> unlisted;
  for (const fs::path& path : *files) {
    const std::string name = path.filename().string();
    const bool listed = std::any_of(ring.entries().begin(), ring.entries().end(),
                                    [&](const KeyRingEntry& entry) { return entry.file == name; });
    if (!listed) unlisted.push_back(name);
  }
  return unlisted;
}

KeyRingWatcher::KeyRingWatcher(fs::path dir, KeySource& source, const Clock& clock, Hooks hooks)
    : dir_(std::move(dir)), source_(source), clock_(clock), hooks_(std::move(hooks)) {}

KeyRingWatcher::~KeyRingWatcher() { stop(); }

KeyRingWatcher::FileSignature KeyRingWatcher::signature() const {
  struct stat st {};
  const fs::path path = dir_ / kKeyRingFileName;
  if (::stat(path.c_str(), &st) != 0) return FileSignature{};
  return FileSignature{
      true, static_cast<long long>(st.st_size),
      static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec,
      static_cast<unsigned long long>(st.st_ino)};
}

Result<void, KeyError> KeyRingWatcher::reload(FileSignature seen) {
  // The signature is taken before the files are read: a change racing with
  // this load is seen again by the next refresh().
  auto snapshot = loadKeySnapshot(dir_, clock_.now());
  if (!snapshot) return unexpected(snapshot.error());
  if (snapshot->keys.empty()) {
    return unexpected(KeyError{KeyErrorCode::InvalidKey, dir_.string() + ": no usable key"});
  }
  std::string signers;
  for (SigningAlgorithm algorithm : snapshot->keys.algorithms()) {
    if (!signers.empty()) signers += ", ";
    signers +=
        std::string(algorithmName(algorithm)) + " " + snapshot->keys.signingKey(algorithm)->kid();
  }
  const std::size_t count = snapshot->keys.keys().size();
  source_.replace(std::move(snapshot->keys));
  seen_ = seen;
  next_change_ = snapshot->next_change;
  last_error_.clear();
  if (hooks_.info) {
    hooks_.info("signing keys loaded: " + std::to_string(count) + " published, signing with " +
                signers);
  }
  return {};
}

Result<void, KeyError> KeyRingWatcher::load() {
  std::lock_guard lock(mutex_);
  return reload(signature());
}

Result<bool, KeyError> KeyRingWatcher::refresh() {
  std::lock_guard lock(mutex_);
  const FileSignature now_seen = signature();
  const bool due = next_change_ && clock_.now() >= *next_change_;
  if (now_seen == seen_ && !due) return false;
  auto reloaded = reload(now_seen);
  if (!reloaded) {
    const std::string message =
        "cannot reload the signing keys, still using the previous ones: " + reloaded.error().detail;
    if (message != last_error_ && hooks_.warn) hooks_.warn(message);
    last_error_ = message;
    return unexpected(reloaded.error());
  }
  return true;
}

void KeyRingWatcher::start(Duration interval) {
  std::lock_guard guard(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, interval, [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      (void)refresh();  // failures are reported through the hooks
      lock.lock();
    }
  });
}

void KeyRingWatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mxauth::crypto
