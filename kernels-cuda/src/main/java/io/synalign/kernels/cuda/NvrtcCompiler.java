package io.synalign.kernels.cuda;

import static org.bytedeco.cuda.global.nvrtc.NVRTC_SUCCESS;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBIN;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBINSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcVersion;

import java.util.List;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Compiles a kernel source with NVRTC into a CUBIN for the exact architecture of the device
 * present ({@code sm_XY}), so nothing is JIT-compiled by the driver at load time.
 */
final class NvrtcCompiler {

    private NvrtcCompiler() {
    }

    /** {@code sm_XY} for compute capability X.Y. */
    static String arch(int major, int minor) {
        if (major < 1 || minor < 0 || minor > 9) {
            throw new IllegalArgumentException("compute capability " + major + "." + minor
                    + " is not valid");
        }
        return "sm_" + major + minor;
    }

    /**
     * The NVRTC options: the real architecture, no fast math (expf and cosf at full accuracy,
     * denormals kept), C++17.
     */
    static List<String> options(String arch) {
        return List.of("--gpu-architecture=" + arch, "--std=c++17", "--fmad=true");
    }

    /** {@code major.minor} of the NVRTC library loaded. */
    static String version() {
        int[] major = new int[1];
        int[] minor = new int[1];
        Cuda.checkNvrtc(nvrtcVersion(major, minor), "nvrtcVersion");
        return major[0] + "." + minor[0];
    }

    /** The CUBIN image of {@code source} for {@code arch}; throws with NVRTC's log on failure. */
    static byte[] compile(String source, String name, String arch) {
        _nvrtcProgram program = new _nvrtcProgram();
        Cuda.checkNvrtc(nvrtcCreateProgram(program, new BytePointer(source), new BytePointer(name),
                0, (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram(" + name + ")");
        try {
            List<String> options = options(arch);
            PointerPointer<BytePointer> opts = new PointerPointer<>(options.toArray(new String[0]));
            int result = nvrtcCompileProgram(program, options.size(), opts);
            if (result != NVRTC_SUCCESS) {
                throw new CudaException("NVRTC could not compile " + name + " for " + arch + ": "
                        + log(program));
            }
            SizeTPointer size = new SizeTPointer(1);
            Cuda.checkNvrtc(nvrtcGetCUBINSize(program, size), "nvrtcGetCUBINSize");
            byte[] image = new byte[(int) size.get()];
            Cuda.checkNvrtc(nvrtcGetCUBIN(program, image), "nvrtcGetCUBIN");
            return image;
        } finally {
            nvrtcDestroyProgram(program);
        }
    }

    private static String log(_nvrtcProgram program) {
        SizeTPointer size = new SizeTPointer(1);
        if (nvrtcGetProgramLogSize(program, size) != NVRTC_SUCCESS || size.get() <= 1) {
            return "(no log)";
        }
        BytePointer text = new BytePointer(size.get());
        nvrtcGetProgramLog(program, text);
        return text.getString().strip();
    }
}
