#pragma once

// The signing keys a running server uses, swappable while it serves
// (signing-key rotation, crypto/key_ring.h).
//
// Readers take a snapshot with current() and use that one KeySet for the
// whole of what they do: the JWKS handler serialises it, the token endpoint
// signs an ID token with it, the id_token_hint checks verify against it. A
// rotation builds a complete new KeySet and publishes it with one atomic
// store, so a reader sees the old set or the new one, never a mix; and since
// a new set always contains every key the previous one signed with (a key
// that stops signing stays for its grace period), a token is never signed
// with a key missing from the JWKS served from then on.

#include <atomic>
#include <memory>
#include <utility>

#include "crypto/key_store.h"

namespace mxauth::crypto {

class KeySource {
 public:
  explicit KeySource(KeySet keys = {})
      : current_(std::make_shared<const KeySet>(std::move(keys))) {}
  KeySource(const KeySource&) = delete;
  KeySource& operator=(const KeySource&) = delete;

  // The current set; the snapshot stays valid for as long as it is held.
  std::shared_ptr<const KeySet> current() const { return current_.load(std::memory_order_acquire); }

  // Publishes `keys` to every later current().
  void replace(KeySet keys) {
    current_.store(std::make_shared<const KeySet>(std::move(keys)), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const KeySet>> current_;
};

}  // namespace mxauth::crypto
