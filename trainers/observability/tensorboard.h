// TensorBoard event files without TensorFlow or protobuf: scalars written as TFRecord-framed
// `Event` protos (trainers/observability/tfrecord.h, trainers/observability/event_proto.h) that `tensorboard --logdir`
// reads. Rank 0 only; one writer per run directory.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

namespace galien {

class TensorBoardWriter {
 public:
  // Creates `dir` and a new file events.out.tfevents.<unix time>.<hostname>.<pid>.galien in it,
  // starting with the file-version record. UserError naming the path if it cannot.
  explicit TensorBoardWriter(const std::string& dir);
  ~TensorBoardWriter();  // flushes and closes
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // NaN values are written as NaN (TensorBoard shows them), not dropped.
  void add_scalar(const std::string& tag, double value, std::int64_t step);
  // Several tags at one step, in one record ("val/auc", "val/loss", ...).
  void add_scalars(const std::map<std::string, double>& values, std::int64_t step);
  // Makes what was added visible to a reader (TensorBoard polls the file).
  void flush();

  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& event);
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace galien
