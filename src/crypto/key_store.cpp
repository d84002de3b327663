#include "crypto/key_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "core/encoding.h"
#include "crypto/random.h"

namespace mxauth::crypto {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxKeyFileBytes = std::size_t{64} * 1024;
constexpr std::string_view kSecretFileName = "encryption.secret";
constexpr std::size_t kSecretBytes = 32;

KeyError ioError(const fs::path& path, std::string_view what, int error_number) {
  return KeyError{KeyErrorCode::Io, std::string(what) + " " + path.string() + ": " +
                                        std::generic_category().message(error_number)};
}

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

bool isHexSecret(std::string_view text) {
  return text.size() == 2 * kSecretBytes && core::hexDecode(text).has_value();
}

}  // namespace

Result<std::string, KeyError> readKeyDirectoryFile(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return unexpected(ioError(path, "cannot open", errno));
  std::string content;
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unexpected(ioError(path, "cannot read", errno));
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > kMaxKeyFileBytes) {
      return unexpected(KeyError{KeyErrorCode::InvalidKey, path.string() + ": file too large"});
    }
  }
  return content;
}

// Writes `content` to dir/name through a temporary file, fsync and rename,
// so readers see the old file or the whole new one.
Result<void, KeyError> writeKeyDirectoryFile(const fs::path& dir, const std::string& name,
                                             std::string_view content) {
  fs::path target = dir / name;
  fs::path temporary = dir / ("." + name + ".tmp");
  ::unlink(temporary.c_str());  // a leftover from a crash, if any
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return unexpected(ioError(temporary, "cannot create", errno));
  if (::fchmod(fd.get(), 0600) != 0) return unexpected(ioError(temporary, "cannot chmod", errno));
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::unlink(temporary.c_str());
      return unexpected(ioError(temporary, "cannot write", saved));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    return unexpected(ioError(temporary, "cannot sync", saved));
  }
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    return unexpected(ioError(target, "cannot rename into", saved));
  }
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());  // make the rename durable; best effort
  return {};
}

Result<void, KeyError> ensureKeyDirectory(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return {};
  if (!dir.parent_path().empty()) {
    fs::create_directories(dir.parent_path(), ec);
    if (ec) return unexpected(ioError(dir.parent_path(), "cannot create", ec.value()));
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return unexpected(ioError(dir, "cannot create", errno));
  }
  return {};
}

Result<KeyDirectoryLock, KeyError> KeyDirectoryLock::acquire(const fs::path& dir) {
  fs::path path = dir / ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unexpected(ioError(path, "cannot open", errno));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int saved = errno;
    ::close(fd);
    return unexpected(ioError(path, "cannot lock", saved));
  }
  return KeyDirectoryLock(fd);
}

KeyDirectoryLock::KeyDirectoryLock(KeyDirectoryLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

KeyDirectoryLock::~KeyDirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

std::string keyFileName(const SigningKey& key) {
  std::string name(algorithmName(key.algorithm()));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name + "-" + key.kid() + ".pem";
}

KeySet::KeySet(std::vector<SigningKey> keys) {
  for (SigningKey& key : keys) add(std::move(key));
}

void KeySet::add(SigningKey key, KeyUse use) {
  if (findByKid(key.kid()) != nullptr) return;
  keys_.push_back(std::move(key));
  uses_.push_back(use);
}

const SigningKey* KeySet::signingKey(SigningAlgorithm algorithm) const {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].algorithm() == algorithm && uses_[i] == KeyUse::Sign) return &keys_[i];
  }
  return nullptr;
}

const SigningKey* KeySet::findByKid(std::string_view kid) const {
  for (const SigningKey& key : keys_) {
    if (key.kid() == kid) return &key;
  }
  return nullptr;
}

std::vector<SigningAlgorithm> KeySet::algorithms() const {
  std::vector<SigningAlgorithm> out;
  for (SigningAlgorithm algorithm :
       {SigningAlgorithm::Rs256, SigningAlgorithm::Es256, SigningAlgorithm::EdDsa}) {
    if (signingKey(algorithm) != nullptr) out.push_back(algorithm);
  }
  return out;
}

std::vector<PublicKey> KeySet::publicKeys() const {
  std::vector<PublicKey> out;
  out.reserve(keys_.size());
  for (const SigningKey& key : keys_) out.push_back(key.publicKey());
  return out;
}

std::string KeySet::jwks() const {
  boost::json::array keys;
  for (const SigningKey& key : keys_) keys.push_back(key.publicKey().jwk());
  boost::json::object document;
  document["keys"] = std::move(keys);
  return boost::json::serialize(document);
}

Result<std::vector<fs::path>, KeyError> listKeyFiles(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return unexpected(ioError(dir, "cannot list", ec.value()));
  std::vector<fs::path> files;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return unexpected(ioError(dir, "cannot list", ec.value()));
    const fs::path& path = it->path();
    if (path.extension() != ".pem" || path.filename().string().front() == '.') continue;
    if (!fs::is_regular_file(path, ec)) continue;  // follows symlinks (Kubernetes secrets)
    files.push_back(path);
  }
  if (ec) return unexpected(ioError(dir, "cannot list", ec.value()));
  std::sort(files.begin(), files.end());
  return files;
}

Result<SigningKey, KeyError> loadKeyFile(const fs::path& path) {
  auto pem = readKeyDirectoryFile(path);
  if (!pem) return unexpected(pem.error());
  auto key = SigningKey::fromPem(*pem);
  if (!key) {
    return unexpected(KeyError{key.error().code, path.string() + ": " + key.error().detail});
  }
  return std::move(*key);
}

Result<KeySet, KeyError> loadKeyDirectory(const fs::path& dir) {
  auto files = listKeyFiles(dir);
  if (!files) return unexpected(files.error());
  KeySet set;
  for (const fs::path& path : *files) {
    auto key = loadKeyFile(path);
    if (!key) return unexpected(key.error());
    set.add(std::move(*key));
  }
  return set;
}

Result<KeySet, KeyError> keySetFromPems(std::span<const std::string> pems) {
  KeySet set;
  for (std::size_t i = 0; i < pems.size(); ++i) {
    auto key = SigningKey::fromPem(pems[i]);
    if (!key) {
      return unexpected(KeyError{
          key.error().code, "inline key #" + std::to_string(i + 1) + ": " + key.error().detail});
    }
    set.add(std::move(*key));
  }
  return set;
}

Result<std::filesystem::path, KeyError> writeKeyFile(const fs::path& dir, const SigningKey& key) {
  auto pem = key.privateKeyPem();
  if (!pem) return unexpected(pem.error());
  std::string name = keyFileName(key);
  auto written = writeKeyDirectoryFile(dir, name, *pem);
  if (!written) return unexpected(written.error());
  return dir / name;
}

Result<KeySet, KeyError> ensureKeys(const fs::path& dir) {
  auto created = ensureKeyDirectory(dir);
  if (!created) return unexpected(created.error());
  auto lock = KeyDirectoryLock::acquire(dir);
  if (!lock) return unexpected(lock.error());
  auto existing = loadKeyDirectory(dir);
  if (!existing || !existing->empty()) return existing;
  for (SigningAlgorithm algorithm :
       {SigningAlgorithm::Rs256, SigningAlgorithm::Es256, SigningAlgorithm::EdDsa}) {
    auto key = SigningKey::generate(algorithm);
    if (!key) return unexpected(key.error());
    auto written = writeKeyFile(dir, *key);
    if (!written) return unexpected(written.error());
  }
  return loadKeyDirectory(dir);
}

Result<std::string, KeyError> ensureEncryptionSecret(const fs::path& dir, Rng& rng) {
  auto created = ensureKeyDirectory(dir);
  if (!created) return unexpected(created.error());
  auto lock = KeyDirectoryLock::acquire(dir);
  if (!lock) return unexpected(lock.error());
  fs::path path = dir / kSecretFileName;
  std::error_code ec;
  if (fs::exists(path, ec)) {
    auto content = readKeyDirectoryFile(path);
    if (!content) return unexpected(content.error());
    std::string_view text = *content;
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
      text.remove_suffix(1);
    }
    if (!isHexSecret(text)) {
      return unexpected(
          KeyError{KeyErrorCode::InvalidKey, path.string() + ": not 64 hexadecimal characters"});
    }
    return std::string(text);
  }
  std::string secret = core::hexEncode(randomBytes(rng, kSecretBytes));
  auto written = writeKeyDirectoryFile(dir, std::string(kSecretFileName), secret + "\n");
  if (!written) return unexpected(written.error());
  return secret;
}

}  // namespace mxauth::crypto
