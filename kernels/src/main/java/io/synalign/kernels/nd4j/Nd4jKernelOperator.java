package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@code w -> K w} for the RBF kernel between X (n rows) and Y (m rows) on ND4J / OpenBLAS,
 * float32.
 *
 * <p>Tiled plan (the hot path, for n, m in 10^4..10^5): every product recomputes K block by block
 * ({@link KernelBlocking}: the plan's {@code tileRows x m} row tiles, reshaped only when m is very
 * wide). Per block, one GEMM of augmented X rows against augmented Y rows writes the exponents
 * {@code -||x_i - y_j||^2 / (2 sigma^2)} straight into one reusable block buffer (see
 * {@link DistanceGemm}: norms and scale ride inside the GEMM), ND4J's {@code exp} runs in place on
 * it, and one GEMV with the matching slice of w accumulates into the rows' slice of the result. So
 * the epilogue is exactly one elementwise pass, the n x m matrix never exists, and nothing is
 * allocated per block. Cost per product 2 n m (d + 2) flops plus n m exps; memory
 * O(tileRows m + (n + m) d).
 *
 * <p>Materialised plan: K is built once the same way, row tile by row tile straight into one
 * n x m buffer, and each product is one GEMV, O(n m).
 *
 * <p>The exponent is not clamped at 0 here: rounding can leave it a few ulps of
 * {@code ||x||^2 / sigma^2} above zero, which moves a kernel value above 1 by less than float32
 * already errs, and a clamp would cost one more pass over every block.
 *
 * <p>Products take double vectors and return double results; they are rounded to / widened from
 * preallocated float buffers once per call. Not thread-safe.
 */
final class Nd4jKernelOperator implements KernelOperator {

    private final int rows;
    private final int cols;
    private final float alpha;
    private final DistanceGemm operands;
    private final KernelBlocking blocking;
    private final BlockBuffer block;
    private final INDArray kernel;
    private final INDArray weights;
    private final INDArray ones;
    private final INDArray result;
    private final FloatPointer kernelPtr;
    private final FloatPointer weightsPtr;
    private final FloatPointer onesPtr;
    private final FloatPointer resultPtr;
    private final float[] weightsHost;
    private final float[] resultHost;
    private boolean closed;

    Nd4jKernelOperator(FloatMatrix x, FloatMatrix y, double sigma, TilePlan plan) {
        this.rows = x.rows();
        this.cols = y.rows();
        this.alpha = (float) (1.0 / (sigma * sigma));
        this.operands = new DistanceGemm(x, y);
        this.weights = Buffers.floats(cols);
        this.ones = Buffers.floats(cols).assign(1.0);
        this.result = Buffers.floats(rows);
        this.weightsPtr = Buffers.floatPointer(weights);
        this.onesPtr = Buffers.floatPointer(ones);
        this.resultPtr = Buffers.floatPointer(result);
        this.weightsHost = new float[cols];
        this.resultHost = new float[rows];
        if (plan.materialise()) {
            this.kernel = Buffers.scratchFloats((long) rows * cols);
            this.kernelPtr = Buffers.floatPointer(kernel);
            this.blocking = null;
            this.block = null;
            buildKernel(plan.tileRows());
            // The operands are no longer needed once K exists.
            operands.close();
        } else {
            this.kernel = null;
            this.kernelPtr = null;
            this.blocking = KernelBlocking.of(rows, cols, plan.tileRows());
            int br = blocking.rows();
            int bc = blocking.cols();
            this.block = new BlockBuffer(blocking.floats(), blocking.floats(),
                    (long) (rows % br) * bc, (long) br * (cols % bc),
                    (long) (rows % br) * (cols % bc));
        }
    }

    /** K = exp(exponents), one row tile at a time so exp runs on cache-warm data. */
    private void buildKernel(int tileRows) {
        if (rows == 0 || cols == 0) {
            return;
        }
        for (int start = 0; start < rows; start += tileRows) {
            int count = Math.min(tileRows, rows - start);
            long offset = (long) start * cols;
            operands.block(start, count, alpha, OpenBlas.at(kernelPtr, offset));
            Transforms.exp(Buffers.range(kernel, offset, offset + (long) count * cols), false);
        }
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public boolean materialised() {
        return kernel != null;
    }

    @Override
    public void multiply(double[] w, double[] out) {
        checkOpen();
        if (w.length != cols || out.length != rows) {
            throw new IllegalArgumentException("multiply: w has " + w.length + " values (expected "
                    + cols + "), out has " + out.length + " (expected " + rows + ")");
        }
        Buffers.putRounded(w, cols, weightsHost, weightsPtr);
        product(weightsPtr, out);
    }

    @Override
    public void rowSums(double[] out) {
        checkOpen();
        if (out.length != rows) {
            throw new IllegalArgumentException("rowSums: out has " + out.length
                    + " values, expected " + rows);
        }
        product(onesPtr, out);
    }

    private void product(FloatPointer vector, double[] out) {
        if (rows == 0) {
            return;
        }
        if (cols == 0) {
            Arrays.fill(out, 0.0);
            return;
        }
        if (kernel != null) {
            OpenBlas.gemv(rows, cols, 1f, kernelPtr, vector, resultPtr);
        } else {
            fusedProduct(vector);
        }
        Buffers.getWidened(resultPtr, rows, resultHost, out);
    }

    /** result = exp(exponent blocks) . vector, block by block: GEMM, exp in place, GEMV. */
    private void fusedProduct(FloatPointer vector) {
        FloatPointer blockPtr = block.pointer();
        for (int i = 0; i < rows; i += blocking.rows()) {
            int r = Math.min(blocking.rows(), rows - i);
            FloatPointer resultSlice = OpenBlas.at(resultPtr, i);
            for (int j = 0; j < cols; j += blocking.cols()) {
                int c = Math.min(blocking.cols(), cols - j);
                operands.block(i, r, j, c, alpha, blockPtr);
                Transforms.exp(block.view((long) r * c), false);
                OpenBlas.gemv(r, c, 1f, blockPtr, OpenBlas.at(vector, j), j == 0 ? 0f : 1f,
                        resultSlice);
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("kernel operator is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        operands.close();
        if (block != null) {
            block.close();
        }
        Buffers.close(kernel, weights, ones, result);
    }
}
