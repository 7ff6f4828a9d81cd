# kernels/: the CUDA backend checked against a CPU reference on the GPU (skipped without one).
folio_test(test_kernels_gpu SOURCES test_kernels_gpu.c LIBS folio_kernels ${MATH_LIB} LABELS gpu)
