# End-to-end: the real `galien` executable, as a user runs it.
if(GALIEN_BUILD_TRAINING)
  galien_test(test_cli_e2e SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_cli_e2e.cpp LIBS nlohmann_json::nlohmann_json)
  target_compile_definitions(test_cli_e2e PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_cli_e2e galien)
endif()
