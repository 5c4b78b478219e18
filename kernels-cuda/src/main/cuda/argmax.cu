// Masked argmax for the cuda backend: the index of the largest value whose bit is not set in the
// exclusion mask, ties to the lowest index, NaN never eligible; -1 when nothing is eligible
// (the same contract as io.synalign.kernels.Argmax). Two launches of the same block reduction:
// pass 1 over the values (indices == NULL, identity) writes one candidate per block, pass 2 with
// one block reduces those candidates (indices != NULL, excluded == NULL).
// blockDim.x must be a power of two, at most 1024.

static __device__ __forceinline__ bool argmax_better(double v, int i, double bestV, int bestI) {
    if (i < 0) {
        return false;
    }
    if (bestI < 0) {
        return true;
    }
    return v > bestV || (v == bestV && i < bestI);
}

// Launched with up to 1024 threads per block (CudaGpVarianceTracker).
extern "C" __global__ void __launch_bounds__(1024)
argmax_blocks(const double* __restrict__ values, const int* __restrict__ indices,
              const unsigned int* __restrict__ excluded, int count,
              double* __restrict__ outValues, int* __restrict__ outIndices) {
    __shared__ double bestValues[1024];
    __shared__ int bestIndices[1024];
    double bestV = 0.0;
    int bestI = -1;
    const int stride = gridDim.x * blockDim.x;
    for (int k = blockIdx.x * blockDim.x + threadIdx.x; k < count; k += stride) {
        const int i = (indices == 0) ? k : indices[k];
        if (i < 0) {
            continue;
        }
        if (excluded != 0 && ((excluded[i >> 5] >> (i & 31)) & 1u)) {
            continue;
        }
        const double v = values[k];
        if (v != v) {
            continue;
        }
        if (argmax_better(v, i, bestV, bestI)) {
            bestV = v;
            bestI = i;
        }
    }
    bestValues[threadIdx.x] = bestV;
    bestIndices[threadIdx.x] = bestI;
    __syncthreads();
    for (int half = blockDim.x >> 1; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            const double v = bestValues[threadIdx.x + half];
            const int i = bestIndices[threadIdx.x + half];
            if (argmax_better(v, i, bestValues[threadIdx.x], bestIndices[threadIdx.x])) {
                bestValues[threadIdx.x] = v;
                bestIndices[threadIdx.x] = i;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        outValues[blockIdx.x] = bestValues[0];
        outIndices[blockIdx.x] = bestIndices[0];
    }
}
