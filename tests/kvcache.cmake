# The prefix KV cache (engine/kv_*.c): unit tests on synthetic rows.
folio_test(test_kvcache SOURCES test_kvcache.c LIBS folio_kv LABELS unit TIMEOUT 120)
