# Unit tests (no MPI launcher needed).
galien_test(test_core SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_core.cpp LIBS galien_core)
galien_test(test_config SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_config.cpp LIBS galien_core)
galien_test(test_yaml_reader SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_yaml_reader.cpp LIBS galien_core)
galien_test(test_privacy SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_privacy.cpp LIBS galien_privacy)
galien_test(test_datasets SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_datasets.cpp LIBS galien_datasets)
galien_test(test_epoch_plan SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_epoch_plan.cpp LIBS galien_datasets)
galien_test(test_imaging_shard SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_imaging_shard.cpp LIBS galien_datasets)
galien_test(test_imaging_readers SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_imaging_readers.cpp LIBS galien_datasets)
galien_test(test_imaging_pipeline SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_imaging_pipeline.cpp LIBS galien_datasets)
galien_test(test_imaging_join SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_imaging_join.cpp LIBS galien_datasets)
galien_test(test_imaging_orientation SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_imaging_orientation.cpp LIBS galien_datasets)
galien_test(test_imaging_png_clinical SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_imaging_png_clinical.cpp LIBS galien_datasets)
# Predictions back onto the source grid, and the NIfTI writer (docs/imaging.md).
galien_test(test_imaging_source_grid SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_imaging_source_grid.cpp LIBS galien_datasets)
galien_test(test_crypto SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_crypto.cpp LIBS galien_privacy)
galien_test(test_encrypted_shards SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_encrypted_shards.cpp LIBS galien_datasets)
# Survival, regression, external test table, cross-validation; a rank's gathers (docs/FORMAT.md).
galien_test(test_task_shards SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_task_shards.cpp LIBS galien_datasets)
galien_test(test_run_checks SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_run_checks.cpp LIBS galien_datasets)
galien_test(test_rank_shards SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_rank_shards.cpp LIBS galien_datasets)
# Shard format 1.4's chunk index and the two read paths (trainer.shard_reader).
galien_test(test_chunk_index SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_chunk_index.cpp LIBS galien_datasets)
# data.task: segmentation on the shard side: cases of different sizes, /extent, mask checks.
galien_test(test_segmentation_shard SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_segmentation_shard.cpp LIBS galien_datasets)
# galien plan's scaling model (launcher/plan/, no LibTorch).
galien_test(test_plan SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_plan.cpp LIBS galien_plan)
if(GALIEN_BUILD_TRAINING)
  galien_test(test_trainer_parts SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_trainer_parts.cpp LIBS galien_training)
  galien_test(test_device SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_device.cpp LIBS galien_training)
  galien_test(test_metrics SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_metrics.cpp LIBS galien_observability)
  # Observability (docs/observability.md). test_tensorboard reads its files back with the real
  # TensorBoard from the venv of scripts/install-test-python.sh, and fails if it is missing.
  galien_test(test_tensorboard SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_tensorboard.cpp LIBS galien_observability)
  target_compile_definitions(test_tensorboard PRIVATE
    GALIEN_TEST_PYTHON="${CMAKE_BINARY_DIR}/.venv-test/bin/python")
  galien_test(test_metrics_suite SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_metrics_suite.cpp LIBS galien_observability)
  galien_test(test_progress SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_progress.cpp LIBS galien_observability)
  galien_test(test_run_card SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_run_card.cpp LIBS galien_observability)
  # Models and losses (docs/models.md).
  galien_test(test_models SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_models.cpp LIBS galien_models)
  galien_test(test_unet SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_unet.cpp LIBS galien_models)
  galien_test(test_losses SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_losses.cpp LIBS galien_models)
  galien_test(test_concordance SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_concordance.cpp LIBS galien_observability)
  galien_test(test_cox_rotterdam SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_cox_rotterdam.cpp
              LIBS galien_models galien_observability galien_datasets)
  galien_test(test_local_launch SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_local_launch.cpp LIBS galien_launch)
  # The fused optimiser against LibTorch's, its flat buffers and checkpoints (docs/training.md).
  galien_test(test_flat_optimizer SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_flat_optimizer.cpp LIBS galien_training)
  galien_test(test_augment SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_augment.cpp LIBS galien_training)
  # Segmentation parts (trainers/segmentation/): metrics, patch plans, sliding windows, losses.
  galien_test(test_segmentation SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_segmentation.cpp LIBS galien_training)
  galien_test(test_reproduce SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_reproduce.cpp LIBS galien_reproduce)
endif()
galien_test(test_risk SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_risk.cpp LIBS galien_privacy)
galien_test(test_audit_log SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_audit_log.cpp LIBS galien_privacy)
# Findings of fuzzing and fault injection, replayed through the normal code path (docs/RELIABILITY.md).
galien_test(test_reliability SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_reliability.cpp LIBS galien_datasets)
galien_test(test_pseudonymisation_policy SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_pseudonymisation_policy.cpp LIBS galien_datasets)
# Report charts (docs/reports.md), torch-free. The test decodes the PNGs with libpng itself and
# compares AUCs with the trainer's: trainers/metrics*.cpp need neither LibTorch nor MPI, so they
# are compiled in and the comparison runs in the GALIEN_BUILD_TRAINING=OFF build too.
find_package(PNG REQUIRED)
galien_test(test_reports SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_reports.cpp
            ${PROJECT_SOURCE_DIR}/trainers/observability/metrics.cpp ${PROJECT_SOURCE_DIR}/trainers/observability/metrics_suite.cpp
            LIBS galien_reports PNG::PNG)
