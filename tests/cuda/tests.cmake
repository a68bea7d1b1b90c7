# CUDA tests: skipped (GTEST_SKIP) where LibTorch sees no GPU, so ctest passes on the CPU-only
# build machines; bench/gpu_check.sh runs them on a GPU machine.
if(GALIEN_BUILD_TRAINING)
  galien_test(test_cuda SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cuda/test_cuda.cpp LIBS galien_training)
  galien_mpi_test(test_nccl_mpi 2
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cuda/test_nccl_mpi.cpp
    LIBS galien_training)
endif()
