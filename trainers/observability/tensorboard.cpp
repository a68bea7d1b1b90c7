#include "trainers/observability/tensorboard.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "core/error.h"
#include "core/fs.h"
#include "trainers/observability/event_proto.h"
#include "trainers/observability/host_info.h"
#include "trainers/observability/tfrecord.h"

namespace galien {
namespace {

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Exclusive creation: two writers started by one process in the same second never share a
// file; the later one gets a counter before the suffix (TensorBoard reads every *tfevents*
// file of a directory).
std::FILE* create_event_file(const std::string& dir, std::string& path) {
  const std::string stem = dir + "/events.out.tfevents." + std::to_string(std::time(nullptr)) +
                           "." + hostname() + "." + std::to_string(getpid());
  for (int attempt = 0; attempt < 1000; ++attempt) {
    path = stem + (attempt ? "." + std::to_string(attempt) : "") + ".galien";
    if (std::FILE* file = std::fopen(path.c_str(), "wbx")) return file;
    if (errno != EEXIST) break;
  }
  GALIEN_USER_ERROR("cannot create TensorBoard event file " << path << ": "
                    << std::strerror(errno) << "; check that the run directory is writable");
}

}  // namespace

TensorBoardWriter::TensorBoardWriter(const std::string& dir) {
  make_directories(dir);
  file_ = create_event_file(dir, path_);
  write_record(encode_file_version_event(unix_seconds()));
  flush();
}

TensorBoardWriter::~TensorBoardWriter() {
  if (file_) std::fclose(file_);
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, std::int64_t step) {
  write_record(encode_scalar_event(unix_seconds(), step, {{tag, static_cast<float>(value)}}));
}

void TensorBoardWriter::add_scalars(const std::map<std::string, double>& values,
                                    std::int64_t step) {
  if (values.empty()) return;
  std::vector<ScalarValue> scalars;
  for (const auto& [tag, value] : values) scalars.push_back({tag, static_cast<float>(value)});
  write_record(encode_scalar_event(unix_seconds(), step, scalars));
}

void TensorBoardWriter::flush() {
  if (std::fflush(file_) != 0)
    GALIEN_USER_ERROR("cannot write TensorBoard event file " << path_ << ": "
                      << std::strerror(errno) << "; check free space and quota");
}

void TensorBoardWriter::write_record(const std::string& event) {
  const std::string record = tfrecord_frame(event);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size())
    GALIEN_USER_ERROR("cannot write TensorBoard event file " << path_ << ": "
                      << std::strerror(errno) << "; check free space and quota");
}

}  // namespace galien
