package io.synalign.kernels.cuda;

import static io.synalign.kernels.cuda.ArgKind.F32;
import static io.synalign.kernels.cuda.ArgKind.F64;
import static io.synalign.kernels.cuda.ArgKind.I32;
import static io.synalign.kernels.cuda.ArgKind.I64;
import static io.synalign.kernels.cuda.ArgKind.POINTER;

import java.util.List;

/**
 * Every kernel the backend launches: the source file it lives in (under
 * {@code kernels-cuda/src/main/cuda}, packaged as {@code io/synalign/kernels/cuda/<file>}), its entry
 * point and its parameter kinds. Each launch's arguments are checked against these kinds, and a
 * test checks these kinds against the declarations parsed from the sources, so Java and CUDA C
 * cannot drift apart silently.
 */
enum CudaKernel {
    ROW_NORMS("rbf.cu", "row_norms", POINTER, I32, I32, POINTER),
    RBF_TILE_EPILOGUE("rbf.cu", "rbf_tile_epilogue", POINTER, POINTER, POINTER, I32, I32, F32,
            I32, I32, POINTER, POINTER, I32),
    RBF_WEIGHTED_ROWSUM("rbf.cu", "rbf_weighted_rowsum", POINTER, POINTER, POINTER, POINTER, I32,
            I32, F32, I32, POINTER, POINTER, POINTER, I32),
    MATRIX_WEIGHTED_ROWSUM("rbf.cu", "matrix_weighted_rowsum", POINTER, POINTER, I32, I32,
            POINTER),
    RBF_KEPT_ROWSUM("rbf.cu", "rbf_kept_rowsum", POINTER, POINTER, I32, I32, POINTER),
    RBF_FUSED_KW("rbf.cu", "rbf_fused_kw", POINTER, POINTER, POINTER, POINTER, POINTER, I32, I32,
            I32, F32, I32, POINTER),
    SUM_COLUMN_PARTIALS("rbf.cu", "sum_column_partials", POINTER, I32, I32, POINTER),
    GP_KERNEL_COLUMN("gp.cu", "gp_kernel_column", POINTER, I32, I32, I32, F64, POINTER),
    GP_RANK_ONE_UPDATE("gp.cu", "gp_rank_one_update", POINTER, POINTER, F64, I32),
    FILL_DOUBLE("gp.cu", "fill_double", POINTER, F64, I32),
    RFF_COS("rff.cu", "rff_cos", POINTER, POINTER, I32, I32, F32),
    WEIGHTED_COLUMN_SUMS_PARTIAL("rff.cu", "weighted_column_sums_partial", POINTER, POINTER, I32,
            I32, POINTER),
    SUM_SLICES("rff.cu", "sum_slices", POINTER, I32, I32, POINTER),
    ARGMAX_BLOCKS("argmax.cu", "argmax_blocks", POINTER, POINTER, POINTER, I32, POINTER, POINTER),
    VEC_FILL("vector.cu", "vec_fill", POINTER, I64, F64),
    VEC_EXTRAPOLATE("vector.cu", "vec_extrapolate", POINTER, POINTER, F64, I64, POINTER),
    VEC_GRADIENT_STEP("vector.cu", "vec_gradient_step", POINTER, POINTER, POINTER, F64, I64,
            POINTER),
    VEC_ADD_SCALAR("vector.cu", "vec_add_scalar", POINTER, I64, F64),
    VEC_SCALE("vector.cu", "vec_scale", POINTER, I64, F64),
    VEC_COMBINE("vector.cu", "vec_combine", F64, POINTER, F64, POINTER, I64, POINTER),
    VEC_TO_FLOAT("vector.cu", "vec_to_float", POINTER, I64, POINTER),
    VEC_STEP_STATS_PARTIAL("vector.cu", "vec_step_stats_partial", POINTER, POINTER, POINTER,
            POINTER, POINTER, I64, POINTER),
    VEC_REDUCE_PARTIAL("vector.cu", "vec_reduce_partial", POINTER, POINTER, I64, I32, POINTER),
    VEC_FINISH("vector.cu", "vec_finish", POINTER, I32, I32, POINTER),
    SIMPLEX_SCAN_PARTIAL("simplex.cu", "simplex_scan_partial", POINTER, I64, POINTER),
    SIMPLEX_START("simplex.cu", "simplex_start", POINTER, I32, I64, POINTER),
    SIMPLEX_ROUND_PARTIAL("simplex.cu", "simplex_round_partial", POINTER, I64, F64, POINTER,
            POINTER),
    SIMPLEX_ROUND_UPDATE("simplex.cu", "simplex_round_update", POINTER, I32, F64, POINTER),
    SIMPLEX_CLIP("simplex.cu", "simplex_clip", POINTER, I64, F64, POINTER, POINTER),
    SYMK_PACK("symk.cu", "symk_pack", POINTER, I64, POINTER, I32, I32, I32, I32, F32, I32,
            POINTER, POINTER, I32),
    SYMK_WEIGHTS("symk.cu", "symk_weights", POINTER, I32, I32, POINTER, POINTER, POINTER),
    SYMK_FUSED("symk.cu", "symk_fused", POINTER, I32, POINTER, POINTER, POINTER, I32, I32,
            POINTER, POINTER, POINTER),
    SYMK_FUSED_COMPENSATED("symk.cu", "symk_fused_compensated", POINTER, I32, POINTER, POINTER,
            POINTER, I32, I32, POINTER, POINTER, POINTER),
    SYMK_COL_REDUCE("symk.cu", "symk_col_reduce", POINTER, POINTER, POINTER, POINTER, I32,
            POINTER, I32, I32, POINTER);

    /** The fused K w kernel's output tile: 64 x 64 per block of 16 x 16 threads. */
    static final int FUSED_TILE = 64;

    private final String file;
    private final String entry;
    private final List<ArgKind> params;

    CudaKernel(String file, String entry, ArgKind... params) {
        this.file = file;
        this.entry = entry;
        this.params = List.of(params);
    }

    String file() {
        return file;
    }

    String entry() {
        return entry;
    }

    List<ArgKind> params() {
        return params;
    }

    /** Throws when {@code args} do not match this kernel's parameters. */
    void check(KernelArgs args) {
        if (!params.equals(args.kinds())) {
            throw new IllegalStateException("kernel " + entry + " takes " + params + ", got "
                    + args.kinds());
        }
    }
}
