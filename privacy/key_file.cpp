#include "privacy/key_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
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
  if (st.st_size != 32) {
    GALIEN_USER_ERROR("key file " << path << " has " << st.st_size
                                  << " bytes, a galien key has exactly 32: use the file written by"
                                     " `galien keygen PATH`");
  }
}

}  // namespace

std::string SecretKey::key_id() const {
  return hmac_sha256_hex(bytes.data(), bytes.size(), "galien key id v1").substr(0, 16);
}

void generate_key_file(const std::string& path) {
  SecretKey key;
  GALIEN_CHECK(RAND_bytes(key.bytes.data(), static_cast<int>(key.bytes.size())) == 1,
               "RAND_bytes could not produce a key");
  // O_EXCL: replacing a key would make every pseudonym made with it unlinkable to new data.
  FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (file.fd < 0 && errno == EEXIST) {
    GALIEN_USER_ERROR("key file " << path << " already exists; galien never overwrites a key: "
                                  << "choose another path");
  }
  if (file.fd < 0) {
    GALIEN_USER_ERROR("cannot create key file " << path << ": " << std::strerror(errno));
  }
  try {
    write_all(file.fd, key.bytes.data(), key.bytes.size(), path);
    if (::fsync(file.fd) != 0) {
      GALIEN_USER_ERROR("cannot flush key file " << path << ": " << std::strerror(errno));
    }
  } catch (...) {
    ::unlink(path.c_str());  // a partial key must not be mistaken for a real one later
    OPENSSL_cleanse(key.bytes.data(), key.bytes.size());
    throw;
  }
  OPENSSL_cleanse(key.bytes.data(), key.bytes.size());
}

SecretKey load_key_file(const std::string& path) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.fd < 0 && errno == ENOENT) {
    GALIEN_USER_ERROR("key file " << path << " does not exist: create one with `galien keygen "
                                  << path << "` (keep it with the data controller)");
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
  SecretKey key;
  if (read_up_to(file.fd, key.bytes.data(), key.bytes.size(), path) != key.bytes.size()) {
    GALIEN_USER_ERROR("key file " << path << " was truncated while being read");
  }
  return key;
}

}  // namespace galien
