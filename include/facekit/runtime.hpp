// Process-wide engine settings.
#pragma once

namespace facekit {

// Threads the inference engine may use (BLAS included). Default: all cores. 1 = single-threaded.
void set_num_threads(int n);
int num_threads();

}  // namespace facekit
