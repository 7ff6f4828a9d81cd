# The CPU backend's primitives (engine/pool_*.c, engine/ops_*.c): every kernel level against an
# independent reference, on shapes with partial 128-blocks, row slices and all FP8 codes.
folio_test(test_ops SOURCES test_ops.c LIBS folio_engine ${MATH_LIB} LABELS unit TIMEOUT 300)
