#pragma once

// Signing-key rotation (security checklist E.35; OpenID Connect Core
// §10.1.1: publish the new key with the old, sign with the new, drop the old
// only when nothing signed with it needs to verify any more).
//
// A key directory managed by `mxauth keys ...` holds, beside the PEM files,
// "keyring.json": the life of each key as instants,
//
//   created_at    activated_at          retiring_at           retired_at
//   | Published   | Active              | Retiring (grace)    | Retired
//
//  - Published: in the JWKS and accepted, but does not sign yet. A key is
//    announced before its first signature so that every instance sharing the
//    directory, and relying parties that cache the JWKS, know it by then.
//  - Active: signs for its algorithm (the key of that algorithm activated
//    last).
//  - Retiring: superseded. Still in the JWKS and accepted for the grace
//    period, because the ID tokens it signed are still held by clients and
//    come back as id_token_hint (which may be expired, OIDC Core §3.1.2.1).
//  - Retired: gone from the JWKS, no longer accepted; its file may be pruned.
//
// States are functions of those instants and of the time, so a change planned
// for later (an activation after a delay, the end of a grace period) happens
// without anybody acting, at the same moment in every process. Times are
// stored as Unix seconds.
//
// A directory without keyring.json is unmanaged, as before rotation existed:
// every PEM file is used and the first of each algorithm in file-name order
// signs. The first command that changes the keys adopts it (adopt()).
//
// Crash safety: files are replaced by atomic renames (key_store.h). A new
// key's PEM file is written before the ring that names it, and a pruned
// key's entry leaves the ring before its file is removed, so a reader never
// finds an entry without its file. A PEM file the ring does not name (left
// by a crash between the two writes) is ignored.

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/key_source.h"
#include "crypto/key_store.h"
#include "crypto/keys.h"

namespace mxauth::crypto {

inline constexpr std::string_view kKeyRingFileName = "keyring.json";

enum class KeyState { Published, Active, Retiring, Retired };

// "published", "active", "retiring", "retired".
std::string_view keyStateName(KeyState state);

struct KeyRingEntry {
  std::string kid;
  SigningAlgorithm algorithm = SigningAlgorithm::Rs256;
  std::string file;  // the PEM file's name in the key directory
  Timestamp created_at;
  std::optional<Timestamp> activated_at;  // starts signing (may be planned)
  std::optional<Timestamp> retiring_at;   // stops signing, keeps verifying
  std::optional<Timestamp> retired_at;    // leaves the JWKS

  KeyState stateAt(Timestamp now) const;
  bool operator==(const KeyRingEntry&) const = default;
};

class KeyRing {
 public:
  // keyring.json. An error (InvalidKey) names what is wrong.
  static Result<KeyRing, KeyError> parse(std::string_view json);
  std::string serialize() const;

  // The ring of an unmanaged directory: `files` (file name and key, in
  // file-name order) as they are used today. The first key of each
  // algorithm is active since `now`; any other of its algorithm never
  // signed, and starts retiring at `now` for `grace`.
  static KeyRing adopt(const std::vector<std::pair<std::string, SigningKey>>& files, Timestamp now,
                       Duration grace);

  const std::vector<KeyRingEntry>& entries() const { return entries_; }
  const KeyRingEntry* find(std::string_view kid) const;
  // The key that signs for `algorithm` at `now`: the active one activated
  // last. nullptr when none is active.
  const KeyRingEntry* signerAt(SigningAlgorithm algorithm, Timestamp now) const;
  // The algorithms with a key that is not retiring or retired at `now`, in
  // the order RS256, ES256, EdDSA: what `keys rotate` renews by default.
  std::vector<SigningAlgorithm> algorithmsInUse(Timestamp now) const;
  // The first instant after `now` at which an entry changes state.
  std::optional<Timestamp> nextChangeAfter(Timestamp now) const;

  // Adds `key` (file `file`), published from `now`.
  void publish(const SigningKey& key, std::string file, Timestamp now);
  // Makes `kid` the signer of its algorithm from `at` (now or later). The
  // keys of its algorithm that sign at `at` start retiring then, until
  // `at + grace`; a planned activation of another key of the algorithm is
  // called off (that key stays published). Refused for a key that is
  // retiring or retired, or unknown.
  Result<void, std::string> activate(std::string_view kid, Timestamp now, Timestamp at,
                                     Duration grace);
  // Retires `kid` at once: it leaves the JWKS and stops verifying (a
  // compromised key). Refused for the key that signs at `now` or is planned
  // to: rotate first.
  Result<void, std::string> retire(std::string_view kid, Timestamp now);
  // Removes the entries retired at `now` and returns them.
  std::vector<KeyRingEntry> pruneRetired(Timestamp now);

 private:
  KeyRingEntry* findMutable(std::string_view kid);
  std::vector<KeyRingEntry> entries_;
};

// The keys of a directory as served at `now`, and until when that holds.
struct KeySnapshot {
  // The signer of each algorithm first (KeyUse::Sign), then the published
  // and retiring keys (KeyUse::VerifyOnly). Unmanaged: every key, the first
  // of each algorithm signing.
  KeySet keys;
  // When the set changes by time alone (managed directories only).
  std::optional<Timestamp> next_change;
};

// The key directory as a KeySnapshot: keyring.json and the files of its
// unretired entries, or, without keyring.json, every PEM file. Every file
// must parse and match its entry's kid and algorithm.
Result<KeySnapshot, KeyError> loadKeySnapshot(const std::filesystem::path& dir, Timestamp now);

// Reads keyring.json, or adopts the directory's PEM files when there is
// none (KeyRing::adopt); `adopted` tells which.
struct LoadedKeyRing {
  KeyRing ring;
  bool adopted = false;
};
Result<LoadedKeyRing, KeyError> readKeyRing(const std::filesystem::path& dir, Timestamp now,
                                            Duration grace);

// Writes keyring.json atomically. The caller holds the KeyDirectoryLock.
Result<void, KeyError> writeKeyRing(const std::filesystem::path& dir, const KeyRing& ring);

// The PEM files of `dir` that `ring` does not name (file names, sorted).
Result<std::vector<std::string>, KeyError> unlistedKeyFiles(const std::filesystem::path& dir,
                                                            const KeyRing& ring);

// Keeps a KeySource in step with a key directory while the server runs.
//
// refresh() is cheap when nothing changed: one stat() of keyring.json. It
// reloads when that file changed (size, modification time or inode: every
// write is a rename, so a new inode) or appeared or went, and when a planned
// change of the current ring falls due; the new set replaces the old in one
// store (key_source.h). A reload that fails (a missing or unreadable file)
// leaves the current set in place and is reported; the next refresh() tries
// again.
class KeyRingWatcher {
 public:
  struct Hooks {
    std::function<void(std::string_view)> info;  // a new set is in use
    std::function<void(std::string_view)> warn;  // a reload failed
  };

  KeyRingWatcher(std::filesystem::path dir, KeySource& source, const Clock& clock, Hooks hooks);
  ~KeyRingWatcher();
  KeyRingWatcher(const KeyRingWatcher&) = delete;
  KeyRingWatcher& operator=(const KeyRingWatcher&) = delete;

  // Loads the directory into the source unconditionally (start-up).
  Result<void, KeyError> load();
  // Reloads when needed (above); true when the set was replaced.
  Result<bool, KeyError> refresh();

  // Calls refresh() every `interval` on a background thread until stop().
  void start(Duration interval);
  void stop();

 private:
  struct FileSignature {
    bool exists = false;
    long long size = 0;
    long long modified_ns = 0;
    unsigned long long inode = 0;
    bool operator==(const FileSignature&) const = default;
  };
  FileSignature signature() const;
  Result<void, KeyError> reload(FileSignature seen);

  std::filesystem::path dir_;
  KeySource& source_;
  const Clock& clock_;
  Hooks hooks_;
  std::mutex mutex_;  // guards everything below
  FileSignature seen_;
  std::optional<Timestamp> next_change_;
  std::string last_error_;
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace mxauth::crypto
