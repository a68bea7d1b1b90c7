#include "privacy/key_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/hash.h"
#include "privacy/pseudonym.h"

namespace galien {
namespace {

// Closes the descriptor on every path out, including a thrown error.
struct FileDescriptor {
  explicit FileDescriptor(int value) : fd(value) {}
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

void write_all(int fd, const std::uint8_t* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) GALIEN_USER_ERROR("cannot write key file " << path << ": " << std::strerror(errno));
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Reads up to `size` bytes; returns how many were read (fewer only at end of file).
std::size_t read_up_to(int fd, std::uint8_t* data, std::size_t size, const std::string& path) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) GALIEN_USER_ERROR("cannot read key file " << path << ": " << std::strerror(errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void check_key_file_stat(const struct stat& st, const std::string& path) {
  if (!S_ISREG(st.st_mode)) GALIEN_USER_ERROR("key file " << path << " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    GALIEN_USER_ERROR("key file " << path << " has mode 0" << std::oct << (st.st_mode & 0777)
                                  << std::dec << ": group or others may access it; run `chmod 600 "
                                  << path << "` (and check who could have read it)");
  }
}

// Creates `path` (mode 0600, never replacing a file) with `size` bytes; removes it again on error.
void write_new_key_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
  // O_EXCL: replacing a key would make every pseudonym or shard made with it unreadable.
  FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (file.fd < 0 && errno == EEXIST) {
    GALIEN_USER_ERROR("key file " << path << " already exists; galien never overwrites a key: "
                                  << "choose another path");
  }
  if (file.fd < 0) {
    GALIEN_USER_ERROR("cannot create key file " << path << ": " << std::strerror(errno));
  }
  try {
    write_all(file.fd, data, size, path);
    if (::fsync(file.fd) != 0) {
      GALIEN_USER_ERROR("cannot flush key file " << path << ": " << std::strerror(errno));
    }
  } catch (...) {
    ::unlink(path.c_str());  // a partial key must not be mistaken for a real one later
    throw;
  }
}

constexpr const char* kDataKeyMagic = "galien-data-key 1\n";
// A data key file is ~150 bytes; anything much larger is not a key file.
constexpr std::size_t kMaxKeyFileSize = 1024;

bool is_hex(const std::string& text, std::size_t digits) {
  if (text.size() != digits) return false;
  for (char c : text)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// "galien-data-key 1" then "name value" lines: dataset_id, controller_key_id, key. The message of
// a malformed file never quotes its content (it holds key material).
DataKeyFile parse_data_key_file(const std::string& text, const std::string& path) {
  std::istringstream lines(text.substr(std::strlen(kDataKeyMagic)));
  std::map<std::string, std::string> fields;
  std::string line;
  int number = 1;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    const auto space = line.find(' ');
    const std::string name = line.substr(0, space);
    if (space == std::string::npos || !fields.emplace(name, line.substr(space + 1)).second ||
        (name != "dataset_id" && name != "controller_key_id" && name != "key")) {
      GALIEN_USER_ERROR("key file " << path << ":" << number << " is not a line of a galien data "
                                    << "key file; derive the file again with `galien keygen "
                                    << "--data-key`");
    }
  }
  DataKeyFile key;
  key.dataset_id = fields["dataset_id"];
  key.controller_key_id = fields["controller_key_id"];
  std::string& hex = fields["key"];
  if (!is_hex(key.dataset_id, 16) || !is_hex(key.controller_key_id, 16) || !is_hex(hex, 64)) {
    wipe(hex.data(), hex.size());
    GALIEN_USER_ERROR("key file " << path << " is a galien data key file with a missing or "
                                  << "malformed dataset_id, controller_key_id or key line; derive "
                                  << "it again with `galien keygen --data-key`");
  }
  Bytes bytes = from_hex(hex);
  key.key = Key256(bytes.data());
  wipe(bytes.data(), bytes.size());
  wipe(hex.data(), hex.size());
  return key;
}

}  // namespace

std::string SecretKey::key_id() const {
  return hmac_sha256_hex(bytes.data(), bytes.size(), "galien key id v1").substr(0, 16);
}

std::string DataKeyFile::key_id() const {
  return hmac_sha256_hex(key.data(), key.size(), "galien key id v1").substr(0, 16);
}

void generate_key_file(const std::string& path) {
  SecretKey key;
  GALIEN_CHECK(RAND_bytes(key.bytes.data(), static_cast<int>(key.bytes.size())) == 1,
               "RAND_bytes could not produce a key");
  try {
    write_new_key_file(path, key.bytes.data(), key.bytes.size());
  } catch (...) {
    OPENSSL_cleanse(key.bytes.data(), key.bytes.size());
    throw;
  }
  OPENSSL_cleanse(key.bytes.data(), key.bytes.size());
}

void write_data_key_file(const std::string& path, const DataKeyFile& key) {
  std::string text = std::string(kDataKeyMagic) + "dataset_id " + key.dataset_id +
                     "\ncontroller_key_id " + key.controller_key_id + "\nkey " +
                     to_hex(key.key.data(), key.key.size()) + "\n";
  try {
    write_new_key_file(path, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  } catch (...) {
    wipe(text.data(), text.size());
    throw;
  }
  wipe(text.data(), text.size());
}

AnyKeyFile load_any_key_file(const std::string& path) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.fd < 0 && errno == ENOENT) {
    GALIEN_USER_ERROR("key file " << path << " does not exist: the data controller creates one "
                                  << "with `galien keygen " << path << "` (kept on the controller's "
                                  << "machine), and a compute site gets a data key from `galien "
                                  << "keygen --data-key` (docs/PRIVACY.md, \"Who holds which key\")");
  }
  if (file.fd < 0) {
    GALIEN_USER_ERROR("cannot open key file " << path << ": " << std::strerror(errno));
  }
  // fstat on the open descriptor: the checks apply to the very file that is read.
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) {
    GALIEN_USER_ERROR("cannot stat key file " << path << ": " << std::strerror(errno));
  }
  check_key_file_stat(st, path);
  if (st.st_size > static_cast<off_t>(kMaxKeyFileSize)) {
    GALIEN_USER_ERROR("key file " << path << " has " << st.st_size << " bytes: it is neither a "
                                  << "controller key (32 bytes, `galien keygen PATH`) nor a data key "
                                  << "(`galien keygen --data-key`)");
  }
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  const std::size_t got = read_up_to(file.fd, reinterpret_cast<std::uint8_t*>(content.data()),
                                     content.size(), path);
  AnyKeyFile key;
  if (got != content.size()) {
    wipe(content.data(), content.size());
    GALIEN_USER_ERROR("key file " << path << " was truncated while being read");
  }
  if (content.rfind(kDataKeyMagic, 0) == 0) {
    key.kind = KeyKind::kData;
    try {
      key.data = parse_data_key_file(content, path);
    } catch (...) {
      wipe(content.data(), content.size());
      throw;
    }
  } else if (content.size() == key.controller.bytes.size()) {
    key.kind = KeyKind::kController;
    std::memcpy(key.controller.bytes.data(), content.data(), content.size());
  } else {
    wipe(content.data(), content.size());
    GALIEN_USER_ERROR("key file " << path << " has " << st.st_size
                                  << " bytes and is not a data key file: a controller key has "
                                     "exactly 32 bytes (the file written by `galien keygen PATH`), "
                                     "a data key starts with \"galien-data-key\" (`galien keygen "
                                     "--data-key`)");
  }
  wipe(content.data(), content.size());
  return key;
}

SecretKey load_key_file(const std::string& path, const std::string& purpose) {
  AnyKeyFile key = load_any_key_file(path);
  if (key.kind == KeyKind::kData) {
    GALIEN_USER_ERROR("key file " << path << " is a data key (dataset " << key.data.dataset_id
                                  << ", derived from controller key id "
                                  << key.data.controller_key_id << "): it opens that dataset's "
                                  << "shards but cannot make pseudonyms, and " << purpose
                                  << ", so it needs the data controller's key (key id "
                                  << key.data.controller_key_id << "), on the controller's "
                                  << "machine (docs/PRIVACY.md, \"Who holds which key\")");
  }
  return key.controller;
}

}  // namespace galien
