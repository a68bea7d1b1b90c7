# End-to-end: the real `galien` executable, as a user runs it.
if(GALIEN_BUILD_TRAINING)
  galien_test(test_cli_e2e SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_cli_e2e.cpp LIBS nlohmann_json::nlohmann_json)
  target_compile_definitions(test_cli_e2e PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_cli_e2e galien)
  galien_test(test_training_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_training_cli.cpp LIBS nlohmann_json::nlohmann_json)
  target_compile_definitions(test_training_cli PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_training_cli galien)
  # Encrypted shards: flipped byte, other key, right key (docs/FORMAT.md "Encrypted shards").
  galien_test(test_encrypted_training SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_encrypted_training.cpp LIBS nlohmann_json::nlohmann_json)
  target_compile_definitions(test_encrypted_training PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_encrypted_training galien)
  # Data keys (docs/PRIVACY.md "Who holds which key"): the compute site never holds the controller key.
  galien_test(test_data_key_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_data_key_cli.cpp LIBS nlohmann_json::nlohmann_json)
  target_compile_definitions(test_data_key_cli PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_data_key_cli galien)
  # Imaging: pydicom's real DICOM through `galien shard`, no identifying byte in the output.
  galien_test(test_imaging_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_imaging_cli.cpp LIBS galien_datasets nlohmann_json::nlohmann_json)
  target_compile_definitions(test_imaging_cli PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_imaging_cli galien)
  # Re-identification risk (galien audit), the shard gate and the audit log (docs/PRIVACY.md).
  galien_test(test_audit_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_audit_cli.cpp LIBS nlohmann_json::nlohmann_json)
  target_compile_definitions(test_audit_cli PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_audit_cli galien)
  # Scaling projection (galien plan; docs/BENCHMARKS.md "Scaling projection").
  galien_test(test_plan_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_plan_cli.cpp LIBS nlohmann_json::nlohmann_json)
  target_compile_definitions(test_plan_cli PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_plan_cli galien)
  # Reproductions (docs/REPRODUCTIONS.md): a shortened WDBC cross-validation, then galien predict.
  galien_test(test_reproduce_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_reproduce_cli.cpp LIBS galien_core nlohmann_json::nlohmann_json)
  target_compile_definitions(test_reproduce_cli PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_reproduce_cli galien)
endif()
# Segmentation on real MR data (Colin27 slabs, Debian mricron-data): shard, 2-rank launch,
# predict masks on the source geometry, relink; a bad label value named by case rank.
if(GALIEN_BUILD_TRAINING)
  galien_test(test_segmentation_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_segmentation_cli.cpp LIBS nlohmann_json::nlohmann_json)
  target_compile_definitions(test_segmentation_cli PRIVATE GALIEN_EXECUTABLE="$<TARGET_FILE:galien>")
  add_dependencies(test_segmentation_cli galien)
endif()
