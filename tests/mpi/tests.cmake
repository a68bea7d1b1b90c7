# MPI tests: each binary runs as a whole under mpirun with 2 ranks.
if(GALIEN_BUILD_TRAINING)
  galien_mpi_test(test_training_mpi 2
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mpi/test_training_mpi.cpp
    LIBS galien_training)
endif()
if(GALIEN_BUILD_TRAINING)
  galien_mpi_test(test_tasks_mpi 2
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mpi/test_tasks_mpi.cpp
    LIBS galien_training)
endif()
# Task objects and their registry (trainers/tasks/): refusals, losses against LibTorch, Cox
# across ranks.
if(GALIEN_BUILD_TRAINING)
  galien_mpi_test(test_task_objects_mpi 2
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mpi/test_task_objects_mpi.cpp
    LIBS galien_training)
endif()
# Segmentation (trainers/tasks/segmentation.cpp): NIfTI cases to a trained U-Net on 2 ranks.
if(GALIEN_BUILD_TRAINING)
  galien_mpi_test(test_segmentation_mpi 2
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mpi/test_segmentation_mpi.cpp
    LIBS galien_training)
endif()
