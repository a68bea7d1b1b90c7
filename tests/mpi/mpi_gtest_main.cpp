// GoogleTest main for tests that run under mpirun: every rank runs every test; the process exit
// code is non-zero on every rank if a test failed on any rank, so ctest sees one verdict. Every
// rank prints its own results, so a failure on rank 1 shows what failed there.
#include <gtest/gtest.h>

#include "core/log.h"
#include "trainers/distributed/comm.h"

int main(int argc, char** argv) {
  galien::MpiSession session(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  galien::log::set_rank(rank, size);  // log lines say which rank wrote them
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  if (failed && rank != 0) fprintf(stderr, "[rank %d] a test failed on this rank\n", rank);
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any_failed;
}
