#include "app/key_admin.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <functional>
#include <utility>

#include "crypto/key_store.h"

namespace mxauth::app {
namespace {

namespace fs = std::filesystem;
using crypto::KeyRingEntry;
using crypto::SigningAlgorithm;

std::string rfc3339(Timestamp t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(t));
}

boost::json::value instantJson(const std::optional<Timestamp>& t) {
  if (!t) return nullptr;
  return boost::json::value(rfc3339(*t));
}

Result<void, std::string> refuseInlineKeys(const config::SecretsConfig& secrets) {
  if (secrets.keys.empty()) return {};
  return unexpected(std::string(
      "the signing keys come from secrets.keys in the configuration, not from keys_dir; rotate "
      "them there (docs/operations.md, \"Inline keys\")"));
}

std::string keyDirError(const crypto::KeyError& error) {
  return "secrets.keys_dir: " + error.detail;
}

// Runs `change` on the ring of the key directory under its lock, and writes
// the ring back when `change` succeeds; then removes the files of pruned
// entries.
Result<KeyRingChange, std::string> changeKeyRing(
    const config::SecretsConfig& secrets, const Clock& clock,
    const std::function<Result<void, std::string>(KeyRingChange&)>& change) {
  auto refused = refuseInlineKeys(secrets);
  if (!refused) return unexpected(refused.error());
  const fs::path& dir = secrets.keys_dir;
  auto created = crypto::ensureKeyDirectory(dir);
  if (!created) return unexpected(keyDirError(created.error()));
  auto lock = crypto::KeyDirectoryLock::acquire(dir);
  if (!lock) return unexpected(keyDirError(lock.error()));
  const Timestamp now = clock.now();
  auto loaded = crypto::readKeyRing(dir, now, secrets.key_rotation.grace_period);
  if (!loaded) return unexpected(keyDirError(loaded.error()));

  KeyRingChange result{std::move(loaded->ring), {}, {}, now};
  std::vector<KeyRingEntry> pruned = result.ring.pruneRetired(now);
  auto changed = change(result);
  if (!changed) return unexpected(changed.error());
  auto written = crypto::writeKeyRing(dir, result.ring);
  if (!written) return unexpected(keyDirError(written.error()));
  // The ring no longer names them, so no reader loads them any more.
  for (const KeyRingEntry& entry : pruned) {
    const bool still_named =
        std::any_of(result.ring.entries().begin(), result.ring.entries().end(),
                    [&](const KeyRingEntry& kept) { return kept.file == entry.file; });
    if (!still_named) ::unlink((dir / entry.file).c_str());
    result.pruned.push_back(entry.kid);
  }
  return result;
}

}  // namespace

Result<KeyRingChange, std::string> rotateKeys(const config::SecretsConfig& secrets,
                                              const Clock& clock,
                                              const KeyRotationRequest& request) {
  return changeKeyRing(secrets, clock, [&](KeyRingChange& change) -> Result<void, std::string> {
    std::vector<SigningAlgorithm> algorithms;
    for (SigningAlgorithm algorithm : request.algorithms) {
      // The same algorithm named twice gets one key.
      if (std::find(algorithms.begin(), algorithms.end(), algorithm) == algorithms.end()) {
        algorithms.push_back(algorithm);
      }
    }
    if (algorithms.empty()) algorithms = change.ring.algorithmsInUse(change.at);
    if (algorithms.empty()) {
      algorithms = {SigningAlgorithm::Rs256, SigningAlgorithm::Es256, SigningAlgorithm::EdDsa};
    }
    for (SigningAlgorithm algorithm : algorithms) {
      auto key = crypto::SigningKey::generate(algorithm);
      if (!key) return unexpected("cannot generate a key: " + key.error().detail);
      // The file first: a ring never names a file that is not there yet.
      auto written = crypto::writeKeyFile(secrets.keys_dir, *key);
      if (!written) return unexpected(keyDirError(written.error()));
      change.ring.publish(*key, crypto::keyFileName(*key), change.at);
      change.keys.push_back(key->kid());
      if (request.publish_only) continue;
      const bool nothing_signs = change.ring.signerAt(algorithm, change.at) == nullptr;
      const Timestamp activation = request.immediately || nothing_signs
                                       ? change.at
                                       : change.at + secrets.key_rotation.activation_delay;
      auto activated = change.ring.activate(key->kid(), change.at, activation,
                                            secrets.key_rotation.grace_period);
      if (!activated) return unexpected(activated.error());
    }
    return {};
  });
}

Result<KeyRingChange, std::string> activateKey(const config::SecretsConfig& secrets,
                                               const Clock& clock, std::string_view kid,
                                               bool immediately) {
  return changeKeyRing(secrets, clock, [&](KeyRingChange& change) -> Result<void, std::string> {
    const Timestamp activation =
        immediately ? change.at : change.at + secrets.key_rotation.activation_delay;
    change.keys.emplace_back(kid);
    return change.ring.activate(kid, change.at, activation, secrets.key_rotation.grace_period);
  });
}

Result<KeyRingChange, std::string> retireKey(const config::SecretsConfig& secrets,
                                             const Clock& clock, std::string_view kid) {
  return changeKeyRing(secrets, clock, [&](KeyRingChange& change) -> Result<void, std::string> {
    auto retired = change.ring.retire(kid, change.at);
    if (!retired) return unexpected(retired.error());
    change.keys.emplace_back(kid);
    // Gone from the JWKS now; its file can go at once too.
    for (KeyRingEntry& entry : change.ring.pruneRetired(change.at)) {
      ::unlink((secrets.keys_dir / entry.file).c_str());
      change.pruned.push_back(entry.kid);
    }
    return {};
  });
}

Result<KeyRingChange, std::string> pruneKeys(const config::SecretsConfig& secrets,
                                             const Clock& clock) {
  return changeKeyRing(secrets, clock,
                       [](KeyRingChange&) -> Result<void, std::string> { return {}; });
}

Result<KeyListing, std::string> listKeys(const config::SecretsConfig& secrets, const Clock& clock) {
  auto refused = refuseInlineKeys(secrets);
  if (!refused) return unexpected(refused.error());
  const Timestamp now = clock.now();
  auto loaded = crypto::readKeyRing(secrets.keys_dir, now, secrets.key_rotation.grace_period);
  if (!loaded) return unexpected(keyDirError(loaded.error()));
  KeyListing listing{std::move(loaded->ring), !loaded->adopted, {}, now};
  if (listing.managed) {
    auto unlisted = crypto::unlistedKeyFiles(secrets.keys_dir, listing.ring);
    if (!unlisted) return unexpected(keyDirError(unlisted.error()));
    listing.unlisted = std::move(*unlisted);
  }
  return listing;
}

std::string renderKeyListing(const KeyListing& listing, bool json) {
  if (json) {
    boost::json::array keys;
    for (const KeyRingEntry& entry : listing.ring.entries()) {
      boost::json::object key;
      key["kid"] = entry.kid;
      key["alg"] = crypto::algorithmName(entry.algorithm);
      key["state"] = crypto::keyStateName(entry.stateAt(listing.at));
      key["created_at"] = rfc3339(entry.created_at);
      key["activated_at"] = instantJson(entry.activated_at);
      key["retiring_at"] = instantJson(entry.retiring_at);
      key["retired_at"] = instantJson(entry.retired_at);
      keys.push_back(std::move(key));
    }
    boost::json::array unlisted;
    for (const std::string& file : listing.unlisted) unlisted.emplace_back(file);
    boost::json::object document;
    document["managed"] = listing.managed;
    document["keys"] = std::move(keys);
    document["unlisted"] = std::move(unlisted);
    return boost::json::serialize(document) + "\n";
  }
  const auto cell = [](const std::optional<Timestamp>& t) { return t ? rfc3339(*t) : "-"; };
  std::string out = fmt::format("{:<44} {:<6} {:<10} {:<21} {:<21} {:<21} {}\n", "KID", "ALG",
                                "STATE", "CREATED", "ACTIVATED", "RETIRING", "RETIRED");
  for (const KeyRingEntry& entry : listing.ring.entries()) {
    out += fmt::format("{:<44} {:<6} {:<10} {:<21} {:<21} {:<21} {}\n", entry.kid,
                       crypto::algorithmName(entry.algorithm),
                       crypto::keyStateName(entry.stateAt(listing.at)), rfc3339(entry.created_at),
                       cell(entry.activated_at), cell(entry.retiring_at), cell(entry.retired_at));
  }
  if (!listing.managed) {
    out +=
        "(no keyring.json yet: the keys as they are used today; the first `mxauth keys "
        "rotate` records this)\n";
  }
  for (const std::string& file : listing.unlisted) {
    out += "ignored: " + file + " is not in keyring.json\n";
  }
  return out;
}

std::string renderKeyChange(const KeyRingChange& change) {
  boost::json::array keys;
  for (const std::string& kid : change.keys) {
    boost::json::object key;
    key["kid"] = kid;
    const KeyRingEntry* entry = change.ring.find(kid);
    if (entry != nullptr) {
      key["alg"] = crypto::algorithmName(entry->algorithm);
      key["state"] = crypto::keyStateName(entry->stateAt(change.at));
      key["activates_at"] = instantJson(entry->activated_at);
    } else {
      key["state"] = "retired";  // and pruned
    }
    keys.push_back(std::move(key));
  }
  boost::json::array pruned;
  for (const std::string& kid : change.pruned) pruned.emplace_back(kid);
  boost::json::object document;
  document["keys"] = std::move(keys);
  document["pruned"] = std::move(pruned);
  return boost::json::serialize(document) + "\n";
}

}  // namespace mxauth::app
