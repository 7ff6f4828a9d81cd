# The prefix KV cache (engine/kv_*.c) and the context packer (app/pack_*.c).
folio_test(test_kvcache SOURCES test_kvcache.c LIBS folio_kv LABELS unit TIMEOUT 120)

# The packer comes from the app library (only its objects are linked in).
folio_test(test_kvcache_pack SOURCES test_kvcache_pack.c
           LIBS folio_app LABELS unit golden TIMEOUT 120)

# Prefix reuse on the golden tiny checkpoints (needs the forward pass).
folio_test(test_kvcache_model SOURCES test_kvcache_model.c
           LIBS folio_app PkgConfig::JSONC LABELS unit golden TIMEOUT 300)

# Benchmark (label bench, -DFOLIO_BENCH=ON): TTFT of a second question about a 16K-token document,
# and after a restart, against the first question's TTFT.
add_executable(bench_prefix bench/bench_prefix.c)
target_link_libraries(bench_prefix PRIVATE folio_app)
folio_bench(bench_prefix COMMAND $<TARGET_FILE:bench_prefix> --layers 4 --doc 16384 TIMEOUT 7200)

# `folio generate` with the cache across processes: reuse, damaged files, budgets, --doc.
folio_add_test(e2e_prefix COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e_prefix.sh LABELS e2e TIMEOUT 300)
