#include "trainers/distributed/comm.h"

#include <algorithm>
#include <climits>

#include "core/error.h"

namespace galien {
namespace {

void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  GALIEN_CHECK(false, what << ": " << std::string(text, static_cast<std::size_t>(length)));
}

// MPI counts are int: large buffers are reduced in chunks.
constexpr std::size_t kMaxChunk = static_cast<std::size_t>(INT_MAX) / 2;

template <typename T>
void allreduce_chunked(T* data, std::size_t count, MPI_Datatype type, MPI_Comm comm) {
  for (std::size_t offset = 0; offset < count; offset += kMaxChunk) {
    int n = static_cast<int>(std::min(kMaxChunk, count - offset));
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + offset, n, type, MPI_SUM, comm), "MPI_Allreduce");
  }
}

template <typename T>
std::vector<T> gather_values(const std::vector<T>& values, int root, MPI_Datatype type,
                             MPI_Comm comm, int rank, int size) {
  int mine = static_cast<int>(values.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), offsets(static_cast<std::size_t>(size));
  check_mpi(MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm), "MPI_Gather");
  std::vector<T> all;
  if (rank == root) {
    int total = 0;
    for (int r = 0; r < size; ++r) {
      offsets[static_cast<std::size_t>(r)] = total;
      total += counts[static_cast<std::size_t>(r)];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  check_mpi(MPI_Gatherv(values.data(), mine, type, all.data(), counts.data(), offsets.data(), type,
                        root, comm),
            "MPI_Gatherv");
  return all;
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  int provided = 0;
  // FUNNELED: only the main thread calls MPI today; the overlapped sync of a later version
  // will ask for MULTIPLE.
  check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as codes so they can be reported with context, not as a silent abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Comm Comm::world() {
  int rank = 0, size = 1, local_rank = 0, local_size = 1;
  check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  MPI_Comm node;
  check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node),
            "MPI_Comm_split_type");
  MPI_Comm_rank(node, &local_rank);
  MPI_Comm_size(node, &local_size);
  MPI_Comm_free(&node);
  return Comm(MPI_COMM_WORLD, rank, size, local_rank, local_size);
}

Comm Comm::self() { return Comm(MPI_COMM_SELF, 0, 1, 0, 1); }

void Comm::barrier() const {
  WatchScope watch(watchdog_, "MPI_Barrier");
  check_mpi(MPI_Barrier(comm_), "MPI_Barrier");
}

void Comm::allreduce_sum(float* data, std::size_t count) const {
  WatchScope watch(watchdog_, "MPI_Allreduce(float)");
  allreduce_chunked(data, count, MPI_FLOAT, comm_);
}
void Comm::allreduce_sum(double* data, std::size_t count) const {
  WatchScope watch(watchdog_, "MPI_Allreduce(double)");
  allreduce_chunked(data, count, MPI_DOUBLE, comm_);
}
void Comm::allreduce_sum(std::int64_t* data, std::size_t count) const {
  WatchScope watch(watchdog_, "MPI_Allreduce(int64)");
  allreduce_chunked(data, count, MPI_INT64_T, comm_);
}

double Comm::allreduce_max(double value) const {
  WatchScope watch(watchdog_, "MPI_Allreduce(max)");
  double result = value;
  check_mpi(MPI_Allreduce(&value, &result, 1, MPI_DOUBLE, MPI_MAX, comm_), "MPI_Allreduce(max)");
  return result;
}

void Comm::broadcast(void* data, std::size_t bytes, int root) const {
  WatchScope watch(watchdog_, "MPI_Bcast");
  auto* p = static_cast<char*>(data);
  for (std::size_t offset = 0; offset < bytes; offset += kMaxChunk) {
    int n = static_cast<int>(std::min(kMaxChunk, bytes - offset));
    check_mpi(MPI_Bcast(p + offset, n, MPI_BYTE, root, comm_), "MPI_Bcast");
  }
}

void Comm::broadcast(std::string& text, int root) const {
  std::uint64_t length = text.size();
  broadcast(&length, sizeof(length), root);
  text.resize(length);
  if (length > 0) broadcast(text.data(), length, root);
}

std::vector<std::string> Comm::allgather(const std::string& text) const {
  WatchScope watch(watchdog_, "MPI_Allgather");
  int mine = static_cast<int>(text.size());
  std::vector<int> lengths(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
  check_mpi(MPI_Allgather(&mine, 1, MPI_INT, lengths.data(), 1, MPI_INT, comm_), "MPI_Allgather");
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[static_cast<std::size_t>(r)] = total;
    total += lengths[static_cast<std::size_t>(r)];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  check_mpi(MPI_Allgatherv(text.data(), mine, MPI_CHAR, all.data(), lengths.data(), offsets.data(),
                           MPI_CHAR, comm_),
            "MPI_Allgatherv");
  std::vector<std::string> out;
  for (int r = 0; r < size_; ++r)
    out.push_back(all.substr(static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]),
                             static_cast<std::size_t>(lengths[static_cast<std::size_t>(r)])));
  return out;
}

std::vector<float> Comm::gather(const std::vector<float>& values, int root) const {
  WatchScope watch(watchdog_, "MPI_Gatherv(float)");
  return gather_values(values, root, MPI_FLOAT, comm_, rank_, size_);
}
std::vector<float> Comm::allgather(const std::vector<float>& values,
                                   std::vector<std::int64_t>* offsets) const {
  WatchScope watch(watchdog_, "MPI_Allgatherv");
  int mine = static_cast<int>(values.size());
  std::vector<int> counts(static_cast<std::size_t>(size_)), starts(static_cast<std::size_t>(size_));
  check_mpi(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_), "MPI_Allgather");
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    starts[static_cast<std::size_t>(r)] = total;
    total += counts[static_cast<std::size_t>(r)];
  }
  std::vector<float> all(static_cast<std::size_t>(total));
  check_mpi(MPI_Allgatherv(values.data(), mine, MPI_FLOAT, all.data(), counts.data(), starts.data(),
                           MPI_FLOAT, comm_),
            "MPI_Allgatherv");
  if (offsets) {
    offsets->assign(starts.begin(), starts.end());
    offsets->push_back(total);
  }
  return all;
}

std::vector<std::int64_t> Comm::gather(const std::vector<std::int64_t>& values, int root) const {
  WatchScope watch(watchdog_, "MPI_Gatherv(int64)");
  return gather_values(values, root, MPI_INT64_T, comm_, rank_, size_);
}

void Comm::abort(int code) const {
  MPI_Abort(comm_, code);
  std::abort();  // MPI_Abort does not return; this satisfies [[noreturn]]
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<std::size_t>(length));
  auto comma = version.find(',');
  return comma == std::string::npos ? version : version.substr(0, comma);
}

}  // namespace galien
