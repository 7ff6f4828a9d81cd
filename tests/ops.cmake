# The CPU backend's primitives (engine/pool_*.c, engine/ops_*.c): every kernel level against an
# independent reference, on shapes with partial 128-blocks, row slices and all FP8 codes.
folio_test(test_ops SOURCES test_ops.c LIBS folio_engine ${MATH_LIB} LABELS unit TIMEOUT 300)

# Benchmarks (-DFOLIO_BENCH=ON, label bench): the kernels alone, then the whole forward pass on a
# generated V2-Lite-shaped FP8 checkpoint; both print ratios to a triad and to sgemm.
if(FOLIO_BENCH)
  add_executable(bench_engine_ops bench/bench_engine_ops.c)
  target_link_libraries(bench_engine_ops PRIVATE folio_engine ${MATH_LIB})
  folio_bench(bench_engine_ops COMMAND $<TARGET_FILE:bench_engine_ops>)
  add_executable(bench_engine bench/bench_engine.c)
  target_link_libraries(bench_engine PRIVATE folio_engine ${MATH_LIB})
  folio_bench(bench_engine COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_engine.sh
              $<TARGET_FILE:bench_engine>)
  # Long contexts: 8K prefill, decode at 8K and 32K depth (more with its own arguments).
  add_executable(bench_engine_long bench/bench_engine_long.c)
  target_link_libraries(bench_engine_long PRIVATE folio_engine ${MATH_LIB})
  folio_bench(bench_engine_long COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_engine.sh
              $<TARGET_FILE:bench_engine_long> --prefill 8192 --depth 8192 --depth 32768)
endif()
