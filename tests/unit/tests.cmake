# Unit tests (no MPI launcher needed).
galien_test(test_core SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_core.cpp LIBS galien_core)
galien_test(test_config SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_config.cpp LIBS galien_core)
galien_test(test_privacy SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_privacy.cpp LIBS galien_privacy)
galien_test(test_datasets SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_datasets.cpp LIBS galien_datasets)
