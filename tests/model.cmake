# Checkpoint loading (engine/model_*.c): unit + golden tests on ../shared/fixtures/engine, corrupt
# copies made at run time, the `model` and `convert` commands, and fuzz targets for the parsers.
folio_test(test_model SOURCES test_model.c LIBS folio_model LABELS unit golden TIMEOUT 120)
folio_test(test_model_corrupt SOURCES test_model_corrupt.c LIBS folio_model LABELS unit golden TIMEOUT 120)
folio_test(test_model_cli SOURCES test_model_cli.c LIBS folio_model LABELS e2e golden TIMEOUT 120)
add_dependencies(test_model_cli folio)
folio_fuzz(fuzz_safetensors SOURCES fuzz/fuzz_safetensors.c LIBS folio_model
           CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_safetensors)
folio_fuzz(fuzz_config SOURCES fuzz/fuzz_config.c LIBS folio_model
           CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_config)
