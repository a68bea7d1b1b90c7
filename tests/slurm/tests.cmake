# Slurm: the launcher's pieces without a cluster (test_slurm_render), the real executable's dry
# runs and local sweeps (test_slurm_launch), and real jobs on a single-node Slurm that
# scripts/slurm-test-cluster.sh brings up before them and tears down after them, daemons stopped
# by PID (test_slurm_cluster; ctest fixture "slurm").
if(GALIEN_BUILD_TRAINING)
  galien_test(test_slurm_render SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/slurm/test_slurm_render.cpp
              LIBS galien_slurm)

  galien_test(test_slurm_launch SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/slurm/test_slurm_launch.cpp
              LIBS nlohmann_json::nlohmann_json)
  target_compile_definitions(test_slurm_launch PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_slurm_launch galien)

  # The test cluster runs its daemons as root (SlurmUser=root) and makes fake GPU devices with
  # mknod: CI runs ctest as root; elsewhere these tests are left out with a warning.
  find_program(GALIEN_SLURMCTLD slurmctld PATHS /usr/sbin)
  execute_process(COMMAND id -u OUTPUT_VARIABLE galien_uid OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(GALIEN_SLURMCTLD AND galien_uid STREQUAL "0")
    set(slurm_tmp ${CMAKE_BINARY_DIR}/test-tmp/slurm)
    add_test(NAME slurm_cluster_up
             COMMAND bash scripts/slurm-test-cluster.sh up ${slurm_tmp}/cluster
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    add_test(NAME slurm_test_data
             COMMAND bash tests/slurm/prepare-data.sh $<TARGET_FILE:galien> ${slurm_tmp}/data
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    add_test(NAME slurm_cluster_down
             COMMAND bash scripts/slurm-test-cluster.sh down ${slurm_tmp}/cluster
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(slurm_cluster_up slurm_test_data PROPERTIES
                         FIXTURES_SETUP slurm TIMEOUT 120)
    set_tests_properties(slurm_cluster_down PROPERTIES FIXTURES_CLEANUP slurm TIMEOUT 120)

    add_executable(test_slurm_cluster ${CMAKE_CURRENT_SOURCE_DIR}/slurm/test_slurm_cluster.cpp)
    target_link_libraries(test_slurm_cluster PRIVATE nlohmann_json::nlohmann_json
                          GTest::gtest_main GTest::gtest)
    target_compile_definitions(test_slurm_cluster PRIVATE
      GALIEN_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      GALIEN_EXECUTABLE="$<TARGET_FILE:galien>"
      GALIEN_SLURM_TMP="${slurm_tmp}")
    add_dependencies(test_slurm_cluster galien)
    gtest_discover_tests(test_slurm_cluster
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
      PROPERTIES FIXTURES_REQUIRED slurm TIMEOUT 300
      DISCOVERY_TIMEOUT 60)
  else()
    message(WARNING "galien: the real-Slurm tests are left out: they need slurmctld "
                    "(scripts/install-deps.sh installs slurm-wlm and munge) and root")
  endif()
endif()
