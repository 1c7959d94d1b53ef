#ifndef SWEEP_CBLAS_SHIM_H
#define SWEEP_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface; pkg-config points the include path at the
// pthread variant, whose cblas.h also declares openblas_set_num_threads.
#include <cblas.h>
#endif
