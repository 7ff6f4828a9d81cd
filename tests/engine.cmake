# The forward pass and generation (engine/fwd_*.c, engine/gen_*.c, app/cmd_generate.c): unit
# tests of RoPE/YaRN, routing and sampling, golden tests against the official reference's
# outputs in shared/fixtures/engine, and the `folio generate` end-to-end test.
folio_test(test_engine_units SOURCES test_engine_units.c LIBS folio_engine LABELS unit
           TIMEOUT 120)
folio_test(test_engine_golden SOURCES test_engine_golden.c LIBS folio_engine LABELS golden
           TIMEOUT 600)
folio_add_test(e2e_generate COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e_generate.sh LABELS e2e
               TIMEOUT 300)
folio_add_test(e2e_nan_weights COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e_nan_weights.sh LABELS e2e
               TIMEOUT 300)
