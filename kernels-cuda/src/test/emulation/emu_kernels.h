// Declarations of every kernel in kernels-cuda/src/main/cuda, for the test drivers. Each .cu is
// compiled with this header force-included (-include emu_kernels.h), so a declaration here that
// does not match the definition is a compile error ("conflicting declaration of C function"),
// not a silent mismatch across translation units.
#pragma once

// vector.cu
extern "C" void vec_fill(double* v, long long n, double value);
extern "C" void vec_extrapolate(const double* x, const double* previous, double beta, long long n,
                                double* out);
extern "C" void vec_gradient_step(const double* y, const double* hy, const double* h,
                                  double inverse_step, long long n, double* out);
extern "C" void vec_add_scalar(double* v, long long n, double shift);
extern "C" void vec_scale(double* v, long long n, double factor);
extern "C" void vec_combine(double alpha, const double* x, double beta, const double* y,
                            long long n, double* out);
extern "C" void vec_to_float(const double* v, long long n, float* out);
extern "C" void vec_step_stats_partial(const double* next, const double* y, const double* hnext,
                                       const double* hy, const double* h, long long n,
                                       double* partials);
extern "C" void vec_reduce_partial(const double* a, const double* b, long long n, int mode,
                                   double* partials);
extern "C" void vec_finish(const double* partials, int blocks, int width, double* out);

// simplex.cu
extern "C" void simplex_scan_partial(const double* v, long long n, double* partials);
extern "C" void simplex_start(const double* partials, int blocks, long long n, double* state);
extern "C" void simplex_round_partial(const double* v, long long n, double cap,
                                      const double* state, double* partials);
extern "C" void simplex_round_update(const double* partials, int blocks, double cap,
                                     double* state);
extern "C" void simplex_clip(const double* v, long long n, double cap, const double* state,
                             double* out);

// symk.cu
extern "C" void symk_pack(const float* dots, long long ld, const float* norms, int n, int nt,
                          int I0, int bandRows, float gamma, int half, void* kernel,
                          const float* x, int dim);
extern "C" void symk_weights(const double* w, int n, int nt, float* wf, float* wlo,
                             double* wsum);
extern "C" void symk_fused(const void* kernel, int half, const float* w, const float* wlo,
                           const double* wsum, int n, int nt, double* rows, float* colpart,
                           float* colpartLow);
extern "C" void symk_fused_compensated(const void* kernel, int half, const float* w,
                                       const float* wlo, const double* wsum, int n, int nt,
                                       double* rows, float* colpart, float* colpartLow);
extern "C" void symk_col_reduce(const float* colpart, const float* colpartLow, const double* rows,
                                const void* kernel, int half, const double* wsum, int n, int nt,
                                double* out);

// rbf.cu
extern "C" void row_norms(const float* x, int rows, int dim, float* norms);
extern "C" void rbf_tile_epilogue(float* tile, const float* xnorm, const float* ynorm, int rows,
                                  int cols, float gamma, int mode, int diagonal, const float* x,
                                  const float* y, int dim);
extern "C" void rbf_weighted_rowsum(const float* dots, const float* xnorm, const float* ynorm,
                                    const double* w, int rows, int cols, float gamma, int diagonal,
                                    double* out, const float* x, const float* y, int dim);
extern "C" void matrix_weighted_rowsum(const float* a, const float* v, int rows, int cols,
                                       double* out);
extern "C" void rbf_kept_rowsum(const float* a, const double* v, int rows, int cols, double* out);
extern "C" void rbf_fused_kw(const float* x, const float* y, const float* xnorm,
                             const float* ynorm, const double* w, int rows, int cols, int dim,
                             float gamma, int diagonal, double* partial);
extern "C" void sum_column_partials(const double* partial, int blocks, int rows, double* out);

// rff.cu
extern "C" void rff_cos(float* z, const float* phase, int rows, int features, float scale);
extern "C" void weighted_column_sums_partial(const float* a, const float* w, int rows, int cols,
                                             double* partial);
extern "C" void sum_slices(const double* partial, int slices, int cols, double* out);

// gp.cu
extern "C" void gp_kernel_column(const float* x, int p, int rows, int dim, double gamma,
                                 double* column);
extern "C" void gp_rank_one_update(double* factor, double* variance, double inv_pivot, int rows);
extern "C" void fill_double(double* a, double value, int count);

// argmax.cu
extern "C" void argmax_blocks(const double* values, const int* indices,
                              const unsigned int* excluded, int count, double* outValues,
                              int* outIndices);
