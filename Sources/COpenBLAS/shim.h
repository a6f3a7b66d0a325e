#ifndef KINETO_COPENBLAS_SHIM_H
#define KINETO_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
