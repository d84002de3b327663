#pragma once

// The signing-key operations behind `mxauth keys …` (docs/operations.md):
// rotate, activate, retire, prune and list the keys of secrets.keys_dir
// through its key ring (crypto/key_ring.h). Each change holds the key
// directory's lock, writes new key files before the ring that names them,
// and removes pruned files only after the ring no longer names them. A
// running server notices the new ring within secrets.key_rotation.
// check_interval and swaps its keys without a restart.
//
// Inline keys (secrets.keys) are not managed here: the configuration is the
// source of truth for them, and every command says so.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "crypto/key_ring.h"
#include "crypto/keys.h"

namespace mxauth::app {

struct KeyRotationRequest {
  // Empty: every algorithm with a key in use (or all three in an empty
  // directory).
  std::vector<crypto::SigningAlgorithm> algorithms;
  // Publish the new keys only; `keys activate` makes them sign later.
  bool publish_only = false;
  // Sign with the new keys at once instead of after activation_delay.
  bool immediately = false;
};

// The ring after a change, the keys it added or changed, and when it
// happened.
struct KeyRingChange {
  crypto::KeyRing ring;
  std::vector<std::string> keys;    // kids
  std::vector<std::string> pruned;  // kids whose entries and files were removed
  Timestamp at;
};

// Adds one new key per algorithm. Each signs from now + activation_delay
// (at once when its algorithm has no signing key, or `immediately`), and
// the key it replaces retires grace_period later. Retired keys are pruned
// on the way.
Result<KeyRingChange, std::string> rotateKeys(const config::SecretsConfig& secrets,
                                              const Clock& clock,
                                              const KeyRotationRequest& request);

// Makes a published key sign (after activation_delay unless `immediately`).
Result<KeyRingChange, std::string> activateKey(const config::SecretsConfig& secrets,
                                               const Clock& clock, std::string_view kid,
                                               bool immediately);

// Retires a key at once (for a compromised key); never the one that signs.
Result<KeyRingChange, std::string> retireKey(const config::SecretsConfig& secrets,
                                             const Clock& clock, std::string_view kid);

// Removes retired keys from the ring, then their files.
Result<KeyRingChange, std::string> pruneKeys(const config::SecretsConfig& secrets,
                                             const Clock& clock);

struct KeyListing {
  crypto::KeyRing ring;
  bool managed = false;               // false: no keyring.json yet (shown as adopted)
  std::vector<std::string> unlisted;  // PEM files the ring does not name (ignored)
  Timestamp at;
};

Result<KeyListing, std::string> listKeys(const config::SecretsConfig& secrets, const Clock& clock);

// `keys list`: a table for people, or JSON
// {"managed","keys":[{"kid","alg","state","created_at","activated_at",
// "retiring_at","retired_at"}],"unlisted":[...]} with RFC 3339 UTC times.
std::string renderKeyListing(const KeyListing& listing, bool json);

// What `keys rotate|activate|retire|prune` print: JSON
// {"keys":[{"kid","alg","state","activates_at"}],"pruned":[kids]}, the keys
// being those added or changed.
std::string renderKeyChange(const KeyRingChange& change);

}  // namespace mxauth::app
