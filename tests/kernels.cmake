# kernels/: the CUDA backend checked against a CPU reference on the GPU (skipped without one).
folio_test(test_kernels_gpu SOURCES test_kernels_gpu.c LIBS folio_kernels ${MATH_LIB} LABELS gpu)
add_executable(bench_kernels_gpu bench/bench_kernels_gpu.c)
target_link_libraries(bench_kernels_gpu PRIVATE folio_kernels)
folio_bench(bench_kernels_gpu COMMAND $<TARGET_FILE:bench_kernels_gpu>)
