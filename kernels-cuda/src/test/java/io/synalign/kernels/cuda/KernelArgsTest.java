package io.synalign.kernels.cuda;

import static io.synalign.kernels.cuda.ArgKind.F32;
import static io.synalign.kernels.cuda.ArgKind.F64;
import static io.synalign.kernels.cuda.ArgKind.I32;
import static io.synalign.kernels.cuda.ArgKind.POINTER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.junit.jupiter.api.Test;

/** Parameter packing for cuLaunchKernel; needs only JavaCPP's own natives, no CUDA. */
class KernelArgsTest {

    @Test
    void offsetsAlignEachValueToItsSize() {
        assertArrayEquals(new long[] {0, 8, 12, 16, 24},
                KernelArgs.offsets(List.of(POINTER, I32, F32, POINTER)));
        // An int then a double: 4 bytes of padding before the double.
        assertArrayEquals(new long[] {0, 8, 16}, KernelArgs.offsets(List.of(I32, F64)));
        // Odd count of 4-byte values: total rounded up to 8.
        assertArrayEquals(new long[] {0, 4, 8, 16}, KernelArgs.offsets(List.of(F32, I32, F32)));
        assertArrayEquals(new long[] {0}, KernelArgs.offsets(List.of()));
    }

    @Test
    void packedPointersPointAtTheValues() {
        long device = 0x7f00_1234_5678L;
        try (KernelArgs args = new KernelArgs().pointer(device).i32(-7).f32(0.25f).f64(1e-300)
                .pointer(0L)) {
            assertEquals(List.of(POINTER, I32, F32, F64, POINTER), args.kinds());
            PointerPointer<BytePointer> p = args.pack();
            long base = args.buffer().address();
            long[] offsets = KernelArgs.offsets(args.kinds());
            for (int i = 0; i < 5; i++) {
                assertEquals(base + offsets[i], p.get(i).address(), "pointer " + i);
            }
            BytePointer buffer = args.buffer();
            assertEquals(device, buffer.getLong(offsets[0]));
            assertEquals(-7, buffer.getInt(offsets[1]));
            assertEquals(0.25f, buffer.getFloat(offsets[2]));
            assertEquals(1e-300, buffer.getDouble(offsets[3]));
            assertEquals(0L, buffer.getLong(offsets[4]));
            assertThrows(IllegalStateException.class, () -> args.i32(1));
        }
    }

    @Test
    void kernelChecksArgumentKinds() {
        try (KernelArgs good = new KernelArgs().pointer(1).f64(0.5).i32(3);
                KernelArgs bad = new KernelArgs().pointer(1).f32(0.5f).i32(3)) {
            CudaKernel.FILL_DOUBLE.check(good);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> CudaKernel.FILL_DOUBLE.check(bad));
            assertEquals("kernel fill_double takes [POINTER, F64, I32], got [POINTER, F32, I32]",
                    e.getMessage());
        }
    }

    /** The typed views PinnedMemory hands out over a bare address read and write in place. */
    @Test
    void typedViewsOverARawAddressShareTheMemory() {
        try (BytePointer memory = new BytePointer(64)) {
            memory.fill(0);
            org.bytedeco.javacpp.FloatPointer floats =
                    new org.bytedeco.javacpp.FloatPointer(new RawPointer(memory.address()))
                            .capacity(16);
            floats.put(new float[] {1.5f, -2f, 3.25f}, 0, 3);
            floats.put(5, 7f);
            assertEquals(-2f, memory.getFloat(4));
            assertEquals(7f, memory.getFloat(20));
            float[] back = new float[6];
            floats.get(back, 0, 6);
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 0f, 0f, 7f}, back);
            org.bytedeco.javacpp.DoublePointer doubles =
                    new org.bytedeco.javacpp.DoublePointer(new RawPointer(memory.address() + 32))
                            .capacity(4);
            doubles.put(1, 0.1);
            assertEquals(0.1, memory.getDouble(40));
            double[] d = new double[2];
            doubles.get(d, 0, 2);
            assertArrayEquals(new double[] {0, 0.1}, d);
        }
    }

    @Test
    void sixtyFourBitLengthsAreAlignedAndPacked() {
        assertArrayEquals(new long[] {0, 8, 16}, KernelArgs.offsets(List.of(I32, ArgKind.I64)));
        try (KernelArgs args = new KernelArgs().i32(3).i64(5_000_000_000L)) {
            args.pack();
            assertEquals(5_000_000_000L, args.buffer().getLong(8));
        }
    }

    @Test
    void cTypesMapToKinds() {
        assertEquals(POINTER, ArgKind.ofCType("const unsigned int* __restrict__"));
        assertEquals(I32, ArgKind.ofCType("const int"));
        assertEquals(F32, ArgKind.ofCType("float"));
        assertEquals(F64, ArgKind.ofCType("double"));
        assertEquals(ArgKind.I64, ArgKind.ofCType("long long"));
        assertThrows(IllegalArgumentException.class, () -> ArgKind.ofCType("unsigned long"));
    }
}
