package io.synalign.kernels.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_TF32_TENSOR_OP_MATH;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasDgemv_v2;
import static org.bytedeco.cuda.global.cublas.cublasGemmEx;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO;
import static org.bytedeco.cuda.global.cudart.CU_EVENT_DISABLE_TIMING;
import static org.bytedeco.cuda.global.cudart.CU_STREAM_NON_BLOCKING;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetName;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRelease;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuEventCreate;
import static org.bytedeco.cuda.global.cudart.cuEventDestroy;
import static org.bytedeco.cuda.global.cudart.cuEventRecord;
import static org.bytedeco.cuda.global.cudart.cuEventSynchronize;
import static org.bytedeco.cuda.global.cudart.cuInit;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuMemGetInfo;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoDAsync;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoHAsync;
import static org.bytedeco.cuda.global.cudart.cuMemcpyHtoDAsync;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cuModuleUnload;
import static org.bytedeco.cuda.global.cudart.cuStreamCreate;
import static org.bytedeco.cuda.global.cudart.cuStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cuStreamSynchronize;
import static org.bytedeco.cuda.global.cudart.cuStreamWaitEvent;

import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One GPU as the backend uses it: the device's primary context (shared with cuBLAS's runtime
 * calls), a compute stream and a copy stream, a cuBLAS handle bound to the compute stream, and
 * the kernel modules, compiled by NVRTC for this device's architecture or loaded from the
 * {@link ModuleCache}. Every public entry of the backend makes the context current first
 * ({@link #makeCurrent()}), so any thread may call it, one at a time.
 */
final class CudaDevice implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CudaDevice.class);

    /** Threads per block of the 1-D kernels; a multiple of 32 and a power of two. */
    static final int BLOCK = 256;

    private final int ordinal;
    private final int handle;
    private final String name;
    private final int major;
    private final int minor;
    private final int multiprocessors;
    /** How the kept triangle's product sums flat tiles here (by the FP32 : FP64 ratio). */
    private final FlatSums flatSums;
    private final CudaSettings settings;
    private final CUctx_st context = new CUctx_st();
    private final CUstream_st stream = new CUstream_st();
    private final CUstream_st copyStream = new CUstream_st();
    private final cublasContext blas = new cublasContext();
    private final List<CUmod_st> modules = new ArrayList<>();
    private final Map<CudaKernel, CUfunc_st> functions = new EnumMap<>(CudaKernel.class);
    private final FloatPointer oneF = new FloatPointer(1f);
    private final FloatPointer zeroF = new FloatPointer(0f);
    private final DoublePointer oneD = new DoublePointer(1.0);
    private final DoublePointer minusOneD = new DoublePointer(-1.0);
    private final PinnedPool staging = new PinnedPool();
    private final IdentityHashMap<FloatMatrix, Resident> resident = new IdentityHashMap<>();
    /**
     * The kernel launched last on the compute stream, for the message of a failed sync: a fault
     * inside a kernel is reported by the next synchronising call, under that call's name.
     */
    private String lastLaunch = "none yet";
    private final BackendLifetime lifetime = new BackendLifetime(CudaBackendProvider.NAME);

    /** A row set kept on the device by {@link #keepResident}, with the scopes holding it. */
    private static final class Resident {
        final DeviceRows rows;
        int holds;

        Resident(DeviceRows rows) {
            this.rows = rows;
        }
    }

    private CudaDevice(int ordinal, CudaSettings settings) {
        this.ordinal = ordinal;
        this.settings = settings;
        Cuda.check(cuInit(0), "cuInit");
        int[] dev = new int[1];
        Cuda.check(cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
        this.handle = dev[0];
        byte[] nameBytes = new byte[256];
        Cuda.check(cuDeviceGetName(nameBytes, nameBytes.length, dev[0]), "cuDeviceGetName");
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) {
            len++;
        }
        this.name = new String(nameBytes, 0, len, java.nio.charset.StandardCharsets.UTF_8);
        this.major = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev[0]);
        this.minor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev[0]);
        this.multiprocessors = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev[0]);
        // A performance hint only: a driver that does not know the attribute (an error) or
        // gives 0 keeps the double form and opens the device all the same (FlatSums.choose).
        int[] ratio = new int[1];
        int ratioResult = cuDeviceGetAttribute(ratio,
                CU_DEVICE_ATTRIBUTE_SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO, dev[0]);
        FlatSums.Choice flat = FlatSums.choose(settings, ratioResult, ratio[0]);
        this.flatSums = flat.form();
        LOG.info("cuda: {} ({}): {}", name, ordinal, flat);
        Cuda.check(cuDevicePrimaryCtxRetain(context, dev[0]), "cuDevicePrimaryCtxRetain");
        try {
            makeCurrent();
            Cuda.check(cuStreamCreate(stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
            Cuda.check(cuStreamCreate(copyStream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
            Cuda.checkBlas(cublasCreate_v2(blas), "cublasCreate");
            Cuda.checkBlas(cublasSetStream_v2(blas, stream), "cublasSetStream");
            Cuda.checkBlas(cublasSetMathMode(blas,
                    settings.tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
                    "cublasSetMathMode");
            loadModules();
        } catch (RuntimeException e) {
            // An NVRTC or cuBLAS failure must not leave the streams, handle and context behind.
            close();
            throw e;
        }
    }

    /** Opens device {@code settings.device()}, compiling or loading the kernel modules. */
    static CudaDevice open(CudaSettings settings) {
        return new CudaDevice(settings.device(), settings);
    }

    private static int attribute(int attribute, int device) {
        int[] v = new int[1];
        Cuda.check(cuDeviceGetAttribute(v, attribute, device), "cuDeviceGetAttribute");
        return v[0];
    }

    private void loadModules() {
        String arch = NvrtcCompiler.arch(major, minor);
        String nvrtc = NvrtcCompiler.version();
        ModuleCache cache = new ModuleCache(settings.cacheDir());
        // A change of options (say, fast math) must not load images compiled without it.
        String options = String.join(" ", NvrtcCompiler.options(arch));
        Map<String, CUmod_st> byFile = new HashMap<>();
        for (String file : KernelSources.files()) {
            String source = KernelSources.read(file);
            String key = ModuleCache.key(source, options, nvrtc);
            Optional<byte[]> cached = cache.load(key);
            byte[] image;
            if (cached.isPresent()) {
                image = cached.get();
                LOG.debug("cuda: {} for {} from the module cache {}", file, arch, cache.file(key));
            } else {
                long t0 = System.nanoTime();
                image = NvrtcCompiler.compile(source, file, arch);
                LOG.info("cuda: compiled {} for {} with NVRTC {} in {} ms", file, arch, nvrtc,
                        (System.nanoTime() - t0) / 1_000_000);
                cache.store(key, image);
            }
            CUmod_st module = new CUmod_st();
            int loaded;
            try (BytePointer data = new BytePointer(image)) {
                loaded = cuModuleLoadData(module, data);
            }
            if (loaded != CUDA_SUCCESS && cached.isPresent()) {
                // A damaged cache entry (a crash mid-write, another driver's image) would
                // otherwise fail this backend on every later run, and auto fall back to the
                // CPU for good: it is compiled again and replaced.
                LOG.warn("cuda: the cached module {} does not load ({}); compiling {} again",
                        cache.file(key), Cuda.describe(loaded), file);
                image = NvrtcCompiler.compile(source, file, arch);
                cache.store(key, image);
                module = new CUmod_st();
                try (BytePointer data = new BytePointer(image)) {
                    loaded = cuModuleLoadData(module, data);
                }
            }
            Cuda.check(loaded, "cuModuleLoadData(" + file + ")");
            modules.add(module);
            byFile.put(file, module);
        }
        for (CudaKernel k : CudaKernel.values()) {
            CUfunc_st f = new CUfunc_st();
            Cuda.check(cuModuleGetFunction(f, byFile.get(k.file()), k.entry()),
                    "cuModuleGetFunction(" + k.entry() + ")");
            functions.put(k, f);
        }
    }

    /** The pooled staging buffer {@code slot}, at least {@code bytes} long (see {@link PinnedPool}). */
    PinnedMemory staging(int slot, long bytes) {
        return staging.get(slot, bytes);
    }

    /**
     * Keeps {@code m} uploaded until the returned scope closes (scopes nest: the copy goes when
     * the last one closes); {@link DeviceRows#upload} meanwhile lends that copy instead of
     * uploading again.
     */
    KernelBackend.Residency keepResident(FloatMatrix m) {
        Resident r = resident.get(m);
        if (r == null) {
            r = new Resident(DeviceRows.uploadOwned(this, m, "resident rows"));
            resident.put(m, r);
        }
        r.holds++;
        Resident held = r;
        boolean[] released = {false};
        return () -> {
            if (released[0]) {
                return;
            }
            released[0] = true;
            if (--held.holds == 0) {
                resident.remove(m);
                try {
                    // Products that read the kept rows may still be queued on the stream.
                    quiesce();
                } finally {
                    held.rows.close();
                }
            }
        };
    }

    /** The kept copy of {@code m}, or null. */
    DeviceRows residentRows(FloatMatrix m) {
        Resident r = resident.get(m);
        return r == null ? null : r.rows;
    }

    /**
     * Makes the context current: every entry of the backend and of what it made starts here.
     *
     * @throws IllegalStateException once the backend is closed: its streams, cuBLAS handle and
     *     modules are destroyed, and work launched on them is undefined behaviour
     */
    void makeCurrent() {
        lifetime.checkOpen();
        setCurrent();
    }

    private void setCurrent() {
        Cuda.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /**
     * Before an operator, vector or scope frees its device memory: makes the context current
     * and waits for the work queued on both streams (cuMemFree is not promised to wait for it).
     * Once the device is closed it does nothing: {@link #close()} waited for both streams before
     * destroying them, and a destroyed stream must not be synchronised; the frees that follow
     * then release what the context still holds, their errors ignored.
     */
    void quiesce() {
        if (lifetime.isClosed()) {
            return;
        }
        makeCurrent();
        sync();
    }

    int ordinal() {
        return ordinal;
    }

    String name() {
        return name;
    }

    String arch() {
        return NvrtcCompiler.arch(major, minor);
    }

    int multiprocessors() {
        return multiprocessors;
    }

    CudaSettings settings() {
        return settings;
    }

    /** How the kept triangle's product sums a flat tile's partials on this device. */
    FlatSums flatSums() {
        return flatSums;
    }

    CUstream_st stream() {
        return stream;
    }

    /** Free device memory in bytes, now. */
    long freeBytes() {
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            Cuda.check(cuMemGetInfo(free, total), "cuMemGetInfo");
            return free.get();
        }
    }

    /**
     * Launches {@code kernel} on the compute stream after checking the arguments' kinds, then
     * frees the packed arguments.
     */
    void launch(CudaKernel kernel, int gridX, int gridY, int blockX, int blockY, KernelArgs args) {
        try (args) {
            kernel.check(args);
            lastLaunch = kernel.entry() + " <<<" + gridX + "x" + gridY + ", " + blockX + "x" + blockY
                    + ">>>";
            // The driver copies the argument values at launch, so the buffer may go right after.
            Cuda.check(cuLaunchKernel(functions.get(kernel), gridX, gridY, 1, blockX, blockY, 1,
                    0, stream, args.pack(), null), "cuLaunchKernel(" + kernel.entry() + ")");
        }
    }

    /** A 1-D grid-stride launch over {@code count} items. */
    void launch1d(CudaKernel kernel, long count, KernelArgs args) {
        launch(kernel, DeviceTiles.gridFor(count, BLOCK, multiprocessors), 1, BLOCK, 1, args);
    }

    /** One block per row (grid-stride over rows), {@link #BLOCK} threads. */
    void launchPerRow(CudaKernel kernel, int rows, KernelArgs args) {
        launch(kernel, Math.max(1, Math.min(rows, 65535)), 1, BLOCK, 1, args);
    }

    /** One warp per row: {@link #BLOCK} / 32 rows per block, grid-stride. */
    void launchWarpPerRow(CudaKernel kernel, int rows, KernelArgs args) {
        launch1d(kernel, 32L * rows, args);
    }

    /** The GEMM precision: FP32 unless the caller opted in to TF32. */
    private int computeType() {
        return settings.tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    }

    /**
     * Row-major {@code c[i * m + j] = a_i . y_j} for {@code r} rows {@code a} (row-major r x d)
     * against {@code m} rows {@code y} (row-major m x d), FP32. In cuBLAS's column-major terms
     * this is {@code C (m x r) = Y^T(op T of d x m) * A (d x r)}.
     */
    void gemmDots(long y, int m, long a, int r, int d, long c) {
        Cuda.checkBlas(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, m, r, d, oneF,
                new RawPointer(y), CUDA_R_32F, d, new RawPointer(a), CUDA_R_32F, d, zeroF,
                new RawPointer(c), CUDA_R_32F, m, computeType(), CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx(dots " + r + " x " + m + " x " + d + ")");
    }

    /**
     * Row-major {@code z (r x D) = A (r x d) * Omega (d x D)}: column-major
     * {@code Z^T (D x r) = Omega^T (D x d) * A^T (d x r)}, no transposes.
     */
    void gemmFeatures(long omega, int features, long a, int r, int d, long z) {
        Cuda.checkBlas(cublasGemmEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, features, r, d, oneF,
                new RawPointer(omega), CUDA_R_32F, features, new RawPointer(a), CUDA_R_32F, d,
                zeroF, new RawPointer(z), CUDA_R_32F, features, computeType(),
                CUBLAS_GEMM_DEFAULT), "cublasGemmEx(features " + r + " x " + features + " x "
                + d + ")");
    }

    /**
     * {@code y -= V u} in double: V column-major {@code rows x t} with leading dimension
     * {@code rows}, u read with stride {@code incU}.
     */
    void dgemvSubtract(int rows, int t, long v, long u, int incU, long y) {
        Cuda.checkBlas(cublasDgemv_v2(blas, CUBLAS_OP_N, rows, t, minusOneD,
                new DoublePointer(new RawPointer(v)), rows, new DoublePointer(new RawPointer(u)),
                incU, oneD, new DoublePointer(new RawPointer(y)), 1), "cublasDgemv");
    }

    /** Asynchronous host-to-device copy on the compute stream. */
    void upload(long device, Pointer host, long bytes) {
        Cuda.check(cuMemcpyHtoDAsync(device, host, bytes, stream), "cuMemcpyHtoDAsync");
    }

    /** Asynchronous host-to-device copy on the copy stream (overlaps the compute stream). */
    void uploadOnCopyStream(long device, Pointer host, long bytes) {
        Cuda.check(cuMemcpyHtoDAsync(device, host, bytes, copyStream), "cuMemcpyHtoDAsync");
    }

    /** Asynchronous device-to-host copy on the copy stream. */
    void downloadOnCopyStream(Pointer host, long device, long bytes) {
        Cuda.check(cuMemcpyDtoHAsync(host, device, bytes, copyStream), "cuMemcpyDtoHAsync");
    }

    /** Asynchronous device-to-device copy on the compute stream. */
    void copyOnDevice(long to, long from, long bytes) {
        if (bytes > 0) {
            Cuda.check(cuMemcpyDtoDAsync(to, from, bytes, stream), "cuMemcpyDtoDAsync");
        }
    }

    /** Asynchronous device-to-host copy on the compute stream. */
    void download(Pointer host, long device, long bytes) {
        Cuda.check(cuMemcpyDtoHAsync(host, device, bytes, stream), "cuMemcpyDtoHAsync");
    }

    /** An event without timing, for ordering the two streams. */
    CUevent_st newEvent() {
        CUevent_st e = new CUevent_st();
        Cuda.check(cuEventCreate(e, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        return e;
    }

    /** Destroys {@code e}; does nothing for null (an event whose creation failed or never ran). */
    void destroyEvent(CUevent_st e) {
        if (e != null) {
            cuEventDestroy(e);
        }
    }

    /** Records {@code e} on the compute stream. */
    void recordOnCompute(CUevent_st e) {
        Cuda.check(cuEventRecord(e, stream), "cuEventRecord");
    }

    /** Records {@code e} on the copy stream. */
    void recordOnCopy(CUevent_st e) {
        Cuda.check(cuEventRecord(e, copyStream), "cuEventRecord");
    }

    /** The copy stream waits for {@code e} (recorded on the compute stream). */
    void copyWaits(CUevent_st e) {
        Cuda.check(cuStreamWaitEvent(copyStream, e, 0), "cuStreamWaitEvent");
    }

    /** The compute stream waits for {@code e} (recorded on the copy stream). */
    void computeWaits(CUevent_st e) {
        Cuda.check(cuStreamWaitEvent(stream, e, 0), "cuStreamWaitEvent");
    }

    void waitFor(CUevent_st e) {
        int r = cuEventSynchronize(e);
        if (r != CUDA_SUCCESS) {
            Cuda.check(r, "cuEventSynchronize (last kernel launched: " + lastLaunch + ")");
        }
    }

    /** Blocks until both streams are idle. */
    void sync() {
        int r = cuStreamSynchronize(stream);
        if (r != CUDA_SUCCESS) {
            Cuda.check(r, "cuStreamSynchronize (last kernel launched: " + lastLaunch + ")");
        }
        r = cuStreamSynchronize(copyStream);
        if (r != CUDA_SUCCESS) {
            Cuda.check(r, "cuStreamSynchronize, copy stream (last kernel launched: " + lastLaunch
                    + ")");
        }
    }

    /**
     * {@link #sync} in a {@code finally} that frees what the queued work used: when the block
     * is already failing ({@code failure} not null) a failed sync is added to that failure as
     * suppressed instead of replacing it (the launch or copy that failed stays the message),
     * and the caller's frees still run after it.
     */
    void syncAfter(Throwable failure) {
        if (failure == null) {
            sync();
            return;
        }
        try {
            sync();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public void close() {
        if (lifetime.isClosed()) {
            return;
        }
        lifetime.close();
        try {
            setCurrent();
            sync();
        } catch (CudaException e) {
            LOG.debug("cuda: closing after an error: {}", e.getMessage());
        }
        // Null where the constructor failed before creating them.
        if (!blas.isNull()) {
            cublasDestroy_v2(blas);
        }
        for (CUmod_st m : modules) {
            cuModuleUnload(m);
        }
        if (!stream.isNull()) {
            cuStreamDestroy(stream);
        }
        if (!copyStream.isNull()) {
            cuStreamDestroy(copyStream);
        }
        for (Resident r : resident.values()) {
            r.rows.close();
        }
        resident.clear();
        staging.close();
        cuDevicePrimaryCtxRelease(handle);
        oneF.close();
        zeroF.close();
        oneD.close();
        minusOneD.close();
    }

    @Override
    public String toString() {
        return name + " (" + arch() + ", " + multiprocessors + " SMs, flat sums "
                + flatSums.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
